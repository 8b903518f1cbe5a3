/* LL/SC: success after LL, failure without LL, failure after the word changed. */
#include "../lib/check.h"

static u32 word __attribute__((aligned(4))) = 41;

static u32 ll(u32 *p) {
    u32 v;
    __asm__ volatile("ll %0, 0(%1)" : "=r"(v) : "r"(p) : "memory");
    return v;
}

static u32 sc(u32 *p, u32 v) {
    __asm__ volatile("sc %0, 0(%1)" : "+r"(v) : "r"(p) : "memory");
    return v;
}

int main(void) {
    u32 v = ll(&word);
    check("ll value", v, 41);
    check("sc after ll succeeds", sc(&word, v + 1), 1);
    check("word updated", word, 42);
    check("sc without ll fails", sc(&word, 7), 0);
    check("word unchanged", word, 42);
    ll(&word);
    *(volatile u32 *)&word = 100;
    check("sc after change fails", sc(&word, 5), 0);
    check("word keeps store", word, 100);
    /* An atomic increment loop, as libc writes it. */
    u32 tries = 0;
    for (;;) {
        u32 old = ll(&word);
        tries++;
        if (sc(&word, old + 1)) break;
    }
    check("atomic inc", word, 101);
    check("atomic tries", tries, 1);
    return finish();
}
