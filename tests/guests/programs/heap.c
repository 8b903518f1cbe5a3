/* heap N: moves the program break directly: a query, growth by N pages, stores, a shrink to
 * half, regrowth (the pages given back read as zero again, as calloc relies on) and a refused
 * request beyond the mmap area; then an anonymous mmap of N pages and a bit (zero-filled, used,
 * unmapped), and refused mmap/munmap calls (their errnos); prints checksums. The break's positions are page aligned, so Linux (qemu) and
 * mipstark agree byte for byte (hint: N as u32). */
#include "../runtime/runtime.h"
#include "../runtime/syscall.h"

#define NR_brk 4045

/* mmap(0, len, PROT_READ | PROT_WRITE, flags, -1, 0): the flags go in $a3, the descriptor and
 * offset on the stack (o32). Returns $v0; *err gets $a3 (1: $v0 is an errno). */
static u32 mmap_raw(u32 len, u32 flags, long *err) {
    register long v0 __asm__("$2") = 4090;
    register long a0 __asm__("$4") = 0;
    register long a1 __asm__("$5") = (long)len;
    register long a2 __asm__("$6") = 3;
    register long a3 __asm__("$7") = (long)flags;
    __asm__ volatile("addiu $sp, $sp, -32\n\t"
                     "addiu $8, $0, -1\n\t"
                     "sw $8, 16($sp)\n\t"
                     "sw $0, 20($sp)\n\t"
                     "syscall\n\t"
                     "addiu $sp, $sp, 32"
                     : "+r"(v0), "+r"(a3)
                     : "r"(a0), "r"(a1), "r"(a2)
                     : "$1", "$3", "$8", "$9", "$10", "$11", "$12", "$13", "$14", "$15", "$24",
                       "$25", "hi", "lo", "memory");
    *err = a3;
    return (u32)v0;
}

/* MAP_PRIVATE | MAP_ANONYMOUS; returns 0 on failure. */
static u32 mmap_anon(u32 len) {
    long err;
    u32 v = mmap_raw(len, 0x802, &err);
    return err ? 0 : v;
}

/* The errno of a failed call, 0 when it succeeded. */
static u32 errno_of(u32 v0, long err) { return err ? v0 : 0; }

static u32 brk_to(u32 want) {
    long err;
    return (u32)rt_syscall3(NR_brk, (long)want, 0, 0, &err);
}

int main(void) {
    u32 pages = hint_u32();
    u32 start = (brk_to(0) + 4095) & ~4095u;
    u32 end = start + pages * 4096;
    if (brk_to(end) != end) {
        print_str("brk refused the growth\n");
        return 1;
    }
    u32 *p = (u32 *)start;
    u32 words = pages * 1024, half = (pages / 2) * 1024;
    for (u32 i = 0; i < words; i++) p[i] = i * 2654435761u + 1;
    brk_to(start + (pages / 2) * 4096);
    if (brk_to(end) != end) {
        print_str("brk refused the regrowth\n");
        return 1;
    }
    u32 sum = 0, nonzero = 0;
    for (u32 i = 0; i < words; i++) {
        sum += p[i] * (i + 1);
        if (i >= half && p[i] != 0) nonzero++;
    }
    u32 refused = brk_to(0xfffff000u);
    print_kv("heap", sum);
    print_kv("regrown nonzero words", nonzero);
    print_kv("break offset", refused - start);

    u32 len = pages * 4096 + 100, mwords = len / 4;
    u32 *m = (u32 *)mmap_anon(len);
    if (!m || ((u32)m & 4095)) {
        print_str("mmap failed\n");
        return 1;
    }
    u32 msum = 0, mnonzero = 0;
    for (u32 i = 0; i < mwords; i++) mnonzero += m[i] != 0;
    for (u32 i = 0; i < mwords; i++) m[i] = i ^ sum;
    for (u32 i = 0; i < mwords; i++) msum += m[i] * (i + 3);
    long err, unmap_err;
    rt_syscall3(4091, (long)m, (long)len, 0, &unmap_err); /* munmap */
    print_kv("mapped", msum);
    print_kv("mapped nonzero words", mnonzero);
    print_kv("munmap error", (u32)unmap_err);

    /* Refused calls: a zero length (EINVAL), a file map without a file (EBADF), more than
     * the address space (ENOMEM); munmap of a misaligned address or no bytes (EINVAL). */
    u32 v = mmap_raw(0, 0x802, &err);
    print_kv("mmap of 0 bytes", errno_of(v, err));
    v = mmap_raw(4096, 0x2, &err);
    print_kv("mmap of no file", errno_of(v, err));
    v = mmap_raw(0xf0000000u, 0x802, &err);
    print_kv("mmap of 3.75 GiB", errno_of(v, err));
    v = (u32)rt_syscall3(4091, (long)m + 1, 4096, 0, &err);
    print_kv("munmap misaligned", errno_of(v, err));
    v = (u32)rt_syscall3(4091, (long)m, 0, 0, &err);
    print_kv("munmap of 0 bytes", errno_of(v, err));
    commit(&sum, 4);
    return nonzero != 0 || mnonzero != 0 || unmap_err != 0;
}
