/* CLZ/CLO, EXT/INS, WSBH/SEB/SEH, compared with plain C. */
#include "../lib/check.h"

static u32 ref_clz(u32 v) {
    u32 n = 0;
    while (n < 32 && !(v & (0x80000000u >> n))) n++;
    return n;
}

int main(void) {
    static const u32 vals[] = {0, 1, 0x80000000u, 0xffffffffu, 0x00010000u, 0x7fffffffu, 0xfff0000fu, 0x12345678u};
    char name[] = "clz #0";
    for (u32 i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        u32 v = opaque(vals[i]);
        name[5] = (char)('0' + i);
        name[1] = 'l', name[2] = 'z';
        check(name, R1("clz", v), ref_clz(v));
        name[1] = 'l', name[2] = 'o';
        check(name, R1("clo", v), ref_clz(~v));
        name[0] = 'w', name[1] = 's', name[2] = 'b';
        check(name, R1("wsbh", v), ((v & 0x00ff00ffu) << 8) | ((v >> 8) & 0x00ff00ffu));
        name[0] = 's', name[1] = 'e', name[2] = 'b';
        check(name, R1("seb", v), (u32)(i32)(signed char)(u8)v);
        name[2] = 'h';
        check(name, R1("seh", v), (u32)(i32)(short)(u16)v);
        name[0] = 'c';
    }
    u32 x = opaque(0xdeadbeefu), r;
    __asm__ volatile("ext %0, %1, 4, 8" : "=r"(r) : "r"(x));
    check("ext 4,8", r, (x >> 4) & 0xff);
    __asm__ volatile("ext %0, %1, 0, 32" : "=r"(r) : "r"(x));
    check("ext 0,32", r, x);
    __asm__ volatile("ext %0, %1, 31, 1" : "=r"(r) : "r"(x));
    check("ext 31,1", r, 1);
    r = opaque(0x11111111u);
    __asm__ volatile("ins %0, %1, 8, 12" : "+r"(r) : "r"(x));
    check("ins 8,12", r, (0x11111111u & ~0x000fff00u) | ((x << 8) & 0x000fff00u));
    r = opaque(0x11111111u);
    __asm__ volatile("ins %0, %1, 0, 32" : "+r"(r) : "r"(x));
    check("ins 0,32", r, x);
    r = opaque(0);
    __asm__ volatile("ins %0, %1, 31, 1" : "+r"(r) : "r"(x));
    check("ins 31,1", r, 0x80000000u);
    return finish();
}
