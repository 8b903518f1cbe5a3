/* Multiply/divide, HI/LO and MADD/MSUB, including INT_MIN / -1 and division by zero (mipstark
 * follows qemu: the divisor is taken as 1, so LO = dividend and HI = 0). */
#include "../lib/check.h"

#define HILO(setup)                                                               \
    do {                                                                          \
        __asm__ volatile(setup "\n\tmfhi %0\n\tmflo %1" : "=r"(hi), "=r"(lo) : "r"(a), "r"(b)); \
    } while (0)

int main(void) {
    u32 hi, lo, a, b;
    a = opaque(0x80000000u), b = opaque(0xffffffffu);
    HILO("mult %2, %3");
    check("mult min*-1 hi", hi, 0), check("mult min*-1 lo", lo, 0x80000000u);
    HILO("multu %2, %3");
    check("multu hi", hi, 0x7fffffffu), check("multu lo", lo, 0x80000000u);
    a = opaque(0x12345678u), b = opaque(0x9abcdef0u);
    HILO("mult %2, %3");
    check("mult hi", hi, 0xf8cc93d6u), check("mult lo", lo, 0x242d2080u);
    HILO("multu %2, %3");
    check("multu hi2", hi, 0x0b00ea4eu), check("multu lo2", lo, 0x242d2080u);
    check("mul", R3("mul", a, b), 0x242d2080u);
    a = opaque(0x80000000u), b = opaque(0xffffffffu);
    HILO("div $zero, %2, %3");
    check("div min/-1 hi", hi, 0), check("div min/-1 lo", lo, 0x80000000u);
    a = opaque(1234567), b = opaque(0);
    HILO("div $zero, %2, %3");
    check("div x/0 hi", hi, 0), check("div x/0 lo", lo, 1234567);
    HILO("divu $zero, %2, %3");
    check("divu x/0 hi", hi, 0), check("divu x/0 lo", lo, 1234567);
    a = opaque(-7), b = opaque(2);
    HILO("div $zero, %2, %3");
    check("div -7/2 hi", hi, (u32)-1), check("div -7/2 lo", lo, (u32)-3);
    HILO("divu $zero, %2, %3");
    check("divu hi", hi, 1), check("divu lo", lo, 0x7ffffffcu);
    a = opaque(7), b = opaque(-2);
    HILO("div $zero, %2, %3");
    check("div 7/-2 hi", hi, 1), check("div 7/-2 lo", lo, (u32)-3);
    /* MADD/MSUB accumulate into HI:LO. */
    a = opaque(0xffffffffu), b = opaque(0xffffffffu);
    HILO("mthi $zero\n\tmtlo $zero\n\tmadd %2, %3\n\tmadd %2, %3");
    check("madd (-1*-1)*2 hi", hi, 0), check("madd lo", lo, 2);
    HILO("mthi $zero\n\tmtlo $zero\n\tmaddu %2, %3");
    check("maddu hi", hi, 0xfffffffeu), check("maddu lo", lo, 1);
    HILO("mthi $zero\n\tmtlo $zero\n\tmsub %2, %3");
    check("msub hi", hi, 0xffffffffu), check("msub lo", lo, 0xffffffffu);
    HILO("mthi $zero\n\tmtlo $zero\n\tmsubu %2, %3");
    check("msubu hi", hi, 1), check("msubu lo", lo, 0xffffffffu);
    a = opaque(0x7fffffffu), b = opaque(0x10);
    HILO("mthi %2\n\tmtlo %3\n\tmaddu %3, %3");
    check("maddu carry hi", hi, 0x7fffffffu), check("maddu carry lo", lo, 0x110);
    HILO("mthi %3\n\tmtlo %2");
    check("mthi", hi, 0x10), check("mtlo", lo, 0x7fffffffu);
    /* MUL leaves HI/LO alone (qemu's choice for the unpredictable case). */
    a = opaque(3), b = opaque(5);
    HILO("mthi %2\n\tmtlo %3\n\tmul $t0, %2, %3");
    check("mul keeps hi", hi, 3), check("mul keeps lo", lo, 5);
    return finish();
}
