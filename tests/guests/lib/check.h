/* Self-checking helpers for the instruction tests: each check prints "name: value" (so qemu and
 * mipstark outputs can be diffed) and counts mismatches against the expected value; main returns
 * the count, so exit code 0 means every check passed. */
#ifndef GUEST_CHECK_H
#define GUEST_CHECK_H
#include "../runtime/runtime.h"

static int failures;

static void check(const char *name, u32 got, u32 want) {
    print_kv(name, got);
    if (got != want) {
        print_kv("  FAIL, expected", want);
        failures++;
    }
}

static int finish(void) {
    print_str(failures ? "FAILED\n" : "ok\n");
    commit(&failures, 4);
    return failures;
}

/* Keep the compiler from folding values so the instructions really run. */
static u32 opaque(u32 v) {
    __asm__ volatile("" : "+r"(v));
    return v;
}

#define R3(insn, a, b)                                                                  \
    ({                                                                                  \
        u32 r_;                                                                         \
        __asm__ volatile(insn " %0, %1, %2"     \
                         : "=r"(r_)                                                     \
                         : "r"(a), "r"(b));                                             \
        r_;                                                                             \
    })
#define R2I(insn, a, imm)                                                                 \
    ({                                                                                    \
        u32 r_;                                                                           \
        __asm__ volatile(insn " %0, %1, " #imm "" \
                         : "=r"(r_)                                                       \
                         : "r"(a));                                                       \
        r_;                                                                               \
    })
#define R1(insn, a)                                                                 \
    ({                                                                              \
        u32 r_;                                                                     \
        __asm__ volatile(insn " %0, %1" \
                         : "=r"(r_)                                                 \
                         : "r"(a));                                                 \
        r_;                                                                         \
    })
#endif
