/* loop N: N iterations of a tight arithmetic loop (hint: N as u32). */
#include "../runtime/runtime.h"

int main(void) {
    u32 n = hint_u32();
    u32 acc = 0x9e3779b9;
    for (u32 i = 0; i < n; i++) acc = (acc ^ i) + (acc >> 3);
    print_kv("loop", acc);
    commit(&acc, 4);
    return 0;
}
