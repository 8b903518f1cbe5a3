/* Element-wise field kernels: the test surface for koalabear.h against Plonky3, and small
 * building blocks (batch inversion by Montgomery's trick per thread chunk). */
#include "koalabear.h"

/* op: 0 add, 1 sub, 2 mul, 3 inv(a), 4 a^e with e the canonical value of the element b. */
KERNEL void kb_binary_op(CONST_PTR GLOBAL u32 *a, CONST_PTR GLOBAL u32 *b, GLOBAL u32 *out, u64 n, u32 op) {
    u64 i = GLOBAL_ID();
    if (i >= n) return;
    kb_t x = kb_from_monty(a[i]), y = kb_from_monty(b[i]), r;
    if (op == 0u) r = kb_add(x, y);
    else if (op == 1u) r = kb_sub(x, y);
    else if (op == 2u) r = kb_mul(x, y);
    else if (op == 3u) r = kb_inv(x);
    else r = kb_pow(x, kb_to_canonical(y));
    out[i] = kb_to_monty(r);
}

/* Degree-4 extension product of n element pairs (4 u32 each). */
KERNEL void kb4_mul_kernel(CONST_PTR GLOBAL u32 *a, CONST_PTR GLOBAL u32 *b, GLOBAL u32 *out, u64 n) {
    u64 i = GLOBAL_ID();
    if (i >= n) return;
    kb4_t x, y;
    for (int k = 0; k < 4; k++) {
        x.c[k] = kb_from_monty(a[4 * i + k]);
        y.c[k] = kb_from_monty(b[4 * i + k]);
    }
    kb4_t r = kb4_mul(x, y);
    for (int k = 0; k < 4; k++) out[4 * i + k] = kb_to_monty(r.c[k]);
}

/* Batch inversion: each thread inverts `chunk` consecutive elements with one exponentiation
 * (Montgomery's trick). Zero inverts to zero, as p3's batch_multiplicative_inverse requires
 * non-zero input we never rely on that case. */
KERNEL void kb_batch_inverse(CONST_PTR GLOBAL u32 *a, GLOBAL u32 *out, u64 n, u32 chunk) {
    u64 start = GLOBAL_ID() * (u64)chunk;
    if (start >= n) return;
    u64 end = start + chunk < n ? start + chunk : n;
    kb_t acc = kb_one();
    for (u64 i = start; i < end; i++) {
        out[i] = kb_to_monty(acc);
        acc = kb_mul(acc, kb_from_monty(a[i]));
    }
    kb_t inv = kb_inv(acc);
    for (u64 i = end; i > start; i--) {
        kb_t prefix = kb_from_monty(out[i - 1]);
        kb_t x = kb_from_monty(a[i - 1]);
        out[i - 1] = kb_to_monty(kb_mul(inv, prefix));
        inv = kb_mul(inv, x);
    }
}
