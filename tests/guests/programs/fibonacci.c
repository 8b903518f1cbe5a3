/* fibonacci N: the N-th Fibonacci number modulo 2^32 (hint: N as u32). */
#include "../runtime/runtime.h"

int main(void) {
    u32 n = hint_u32();
    u32 a = 0, b = 1;
    for (u32 i = 0; i < n; i++) {
        u32 c = a + b;
        a = b;
        b = c;
    }
    print_str("fib(");
    print_u32(n);
    print_str(") mod 2^32 = ");
    print_u32(a);
    print_str("\n");
    commit(&a, 4);
    return 0;
}
