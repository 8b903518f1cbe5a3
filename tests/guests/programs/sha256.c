/* sha256 N: SHA-256 of N bytes (byte i = i * 7 + 3 mod 256) (hint: N as u32). */
#include "../lib/sha256.h"

int main(void) {
    u32 n = hint_u32();
    u8 *data = malloc(n);
    for (u32 i = 0; i < n; i++) data[i] = (u8)(i * 7 + 3);
    u8 digest[32];
    sha256(data, n, digest);
    print_str("sha256: ");
    print_hex(digest, 32);
    print_str("\n");
    commit(digest, 32);
    return 0;
}
