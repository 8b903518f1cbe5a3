/* bigmem N: N KiB on the heap, filled from an LCG, then scattered read-modify-writes; prints a
 * checksum. Exercises many memory pages and brk growth (hint: N as u32). */
#include "../runtime/runtime.h"

int main(void) {
    u32 kib = hint_u32();
    u32 words = kib * 256;
    u32 *a = malloc(words * 4);
    u32 x = 12345;
    for (u32 i = 0; i < words; i++) {
        x = x * 1103515245u + 12345u;
        a[i] = x;
    }
    u32 sum = 0;
    for (u32 i = 0; i < words; i++) {
        x = x * 1103515245u + 12345u;
        u32 j = (x >> 8) % words;
        a[j] ^= a[i] + i;
        sum += a[j];
    }
    print_kv("bigmem", sum);
    commit(&sum, 4);
    return 0;
}
