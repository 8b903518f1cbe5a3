/* heap N: moves the program break directly: a query, growth by N pages, stores, a shrink to
 * half, regrowth (the pages given back read as zero again, as calloc relies on) and a refused
 * request beyond the mmap area; prints a checksum. The break's positions are page aligned, so
 * Linux (qemu) and mipstark agree byte for byte (hint: N as u32). */
#include "../runtime/runtime.h"
#include "../runtime/syscall.h"

#define NR_brk 4045

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
    commit(&sum, 4);
    return nonzero != 0;
}
