/* Raw o32 syscalls. The clobber list is the o32 kernel convention ($at, $v1, $t0-$t9, HI/LO),
 * which is wider than what mipstark clobbers, so code is correct under both. */
#ifndef MIPSTARK_SYSCALL_H
#define MIPSTARK_SYSCALL_H

static inline long rt_syscall3(long n, long x, long y, long z, long *err) {
    register long v0 __asm__("$2") = n;
    register long a0 __asm__("$4") = x;
    register long a1 __asm__("$5") = y;
    register long a2 __asm__("$6") = z;
    register long a3 __asm__("$7") = 0;
    __asm__ volatile("syscall"
                     : "+r"(v0), "+r"(a3)
                     : "r"(a0), "r"(a1), "r"(a2)
                     : "$1", "$3", "$8", "$9", "$10", "$11", "$12", "$13", "$14", "$15", "$24",
                       "$25", "hi", "lo", "memory");
    if (err) *err = a3;
    return v0;
}

#endif
