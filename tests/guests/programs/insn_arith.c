/* Arithmetic, logic, shift and compare edge cases. */
#include "../lib/check.h"

int main(void) {
    u32 min = opaque(0x80000000u), max = opaque(0x7fffffffu), m1 = opaque(0xffffffffu);
    u32 one = opaque(1), zero = opaque(0);
    check("addu max+1", R3("addu", max, one), 0x80000000u);
    check("addu -1+-1", R3("addu", m1, m1), 0xfffffffeu);
    check("subu 0-1", R3("subu", zero, one), 0xffffffffu);
    check("subu min-1", R3("subu", min, one), 0x7fffffffu);
    check("add 5+-7", R3("add", opaque(5), opaque(-7)), (u32)-2);
    check("sub 5-7", R3("sub", opaque(5), opaque(7)), (u32)-2);
    check("addiu max+1", R2I("addiu", max, 1), 0x80000000u);
    check("addiu 0+-32768", R2I("addiu", zero, -32768), 0xffff8000u);
    check("addi -1+1", R2I("addi", m1, 1), 0);
    check("and", R3("and", opaque(0xf0f0ff00u), opaque(0x0ff0f0f0u)), 0x00f0f000u);
    check("or", R3("or", opaque(0xf0f0ff00u), opaque(0x0ff0f0f0u)), 0xfff0fff0u);
    check("xor", R3("xor", opaque(0xf0f0ff00u), opaque(0x0ff0f0f0u)), 0xff000ff0u);
    check("nor", R3("nor", opaque(0xf0f0ff00u), opaque(0x0ff0f0f0u)), 0x000f000fu);
    check("andi zero-extends", R2I("andi", m1, 0x8001), 0x8001);
    check("ori zero-extends", R2I("ori", zero, 0xffff), 0xffff);
    check("xori", R2I("xori", m1, 0xffff), 0xffff0000u);
    check("slt min<max", R3("slt", min, max), 1);
    check("slt max<min", R3("slt", max, min), 0);
    check("sltu min<max", R3("sltu", min, max), 0);
    check("sltu 0<-1", R3("sltu", zero, m1), 1);
    check("slti -1<0", R2I("slti", m1, 0), 1);
    check("slti 0<-1", R2I("slti", zero, -1), 0);
    check("sltiu 0<-1 (imm sign-extended)", R2I("sltiu", zero, -1), 1);
    check("sltiu -2<-1", R2I("sltiu", opaque(0xfffffffeu), -1), 1);
    check("sll 31", R2I("sll", one, 31), 0x80000000u);
    check("srl 31", R2I("srl", min, 31), 1);
    check("sra 31", R2I("sra", min, 31), 0xffffffffu);
    check("sra 4", R2I("sra", opaque(0x80000010u), 4), 0xf8000001u);
    check("sllv uses low 5 bits", R3("sllv", one, opaque(33)), 2);
    check("srlv 32 is 0", R3("srlv", min, opaque(32)), 0x80000000u);
    check("srav 35", R3("srav", min, opaque(35)), 0xf0000000u);
    check("rotr 8", R2I("rotr", opaque(0x12345678u), 8), 0x78123456u);
    check("rotr 0", R2I("rotr", opaque(0x12345678u), 0), 0x12345678u);
    check("rotrv 36", R3("rotrv", opaque(0x12345678u), opaque(36)), 0x81234567u);
    u32 r;
    __asm__ volatile("lui %0, 0x8001" : "=r"(r));
    check("lui", r, 0x80010000u);
    u32 m = opaque(0xdead), nz = opaque(7);
    u32 d = opaque(0x1111);
    __asm__ volatile("movz %0, %1, %2" : "+r"(d) : "r"(m), "r"(zero));
    check("movz taken", d, 0xdead);
    __asm__ volatile("movz %0, %1, %2" : "+r"(d) : "r"(opaque(5)), "r"(nz));
    check("movz not taken", d, 0xdead);
    __asm__ volatile("movn %0, %1, %2" : "+r"(d) : "r"(opaque(5)), "r"(nz));
    check("movn taken", d, 5);
    __asm__ volatile("movn %0, %1, %2" : "+r"(d) : "r"(opaque(9)), "r"(zero));
    check("movn not taken", d, 5);
    /* $zero stays zero when written. */
    __asm__ volatile("addiu $0, $0, 5\n\tmove %0, $0" : "=r"(r));
    check("write to $zero discarded", r, 0);
    return finish();
}
