/* sha2-chain N: h = [5; 32], then N times h = SHA-256(h) (the zkvm-benchmarks workload)
 * (hint: N as u32). */
#include "../lib/sha256.h"

int main(void) {
    u32 n = hint_u32();
    u8 h[32];
    memset(h, 5, sizeof h);
    for (u32 i = 0; i < n; i++) sha256(h, 32, h);
    print_str("sha2-chain: ");
    print_hex(h, 32);
    print_str("\n");
    commit(h, 32);
    return 0;
}
