/* KoalaBear field arithmetic in Plonky3's Montgomery representation (MontyField31).
 *
 * A field element is the u32 `x * 2^32 mod p` that `KoalaBear` stores, so buffers of
 * `KoalaBear` move to and from the device as raw u32s. The constants come from
 * constants.h, generated from the Rust crates. Twin: p3_koala_bear::KoalaBear. */
#ifndef MIPSTARK_KOALABEAR_H
#define MIPSTARK_KOALABEAR_H
#include "portable.h"
#include "constants.h"

typedef struct { u32 v; } kb_t;

/* Explicitly named constructors: the raw Montgomery word, never an integer's value. */
DEVICE kb_t kb_from_monty(u32 m) { kb_t r; r.v = m; return r; }
DEVICE u32 kb_to_monty(kb_t a) { return a.v; }

DEVICE kb_t kb_zero(void) { return kb_from_monty(0u); }
DEVICE kb_t kb_one(void) { return kb_from_monty(KB_MONTY_ONE); }

DEVICE kb_t kb_add(kb_t a, kb_t b) {
    u32 s = a.v + b.v; /* < 2p < 2^32 */
    return kb_from_monty(s >= KB_PRIME ? s - KB_PRIME : s);
}

DEVICE kb_t kb_sub(kb_t a, kb_t b) {
    u32 d = a.v - b.v;
    return kb_from_monty(a.v < b.v ? d + KB_PRIME : d);
}

DEVICE kb_t kb_neg(kb_t a) { return kb_sub(kb_zero(), a); }

DEVICE kb_t kb_double(kb_t a) { return kb_add(a, a); }

/* Montgomery reduction exactly as p3_monty_31::monty_reduce (MU = p^-1 mod 2^32). */
DEVICE u32 kb_monty_reduce(u64 x) {
    u64 t = (x * (u64)KB_MONTY_MU) & 0xffffffffull;
    u64 u = t * (u64)KB_PRIME;
    u32 hi = (u32)((x - u) >> 32);
    return x < u ? hi + KB_PRIME : hi;
}

/* The canonical integer in [0, p) an element stands for (leaves Montgomery form). */
DEVICE u32 kb_to_canonical(kb_t a) { return kb_monty_reduce((u64)a.v); }

DEVICE kb_t kb_mul(kb_t a, kb_t b) { return kb_from_monty(kb_monty_reduce((u64)a.v * (u64)b.v)); }

DEVICE kb_t kb_square(kb_t a) { return kb_mul(a, a); }

DEVICE kb_t kb_cube(kb_t a) { return kb_mul(kb_square(a), a); }

DEVICE kb_t kb_pow(kb_t a, u32 e) {
    kb_t r = kb_one();
    while (e) {
        if (e & 1u) r = kb_mul(r, a);
        a = kb_square(a);
        e >>= 1;
    }
    return r;
}

/* a^(p-2); inverse of 0 is 0 (callers that care check first). */
DEVICE kb_t kb_inv(kb_t a) { return kb_pow(a, KB_PRIME - 2u); }

/* ---- Degree-4 binomial extension: x^4 = W (Plonky3's BinomialExtensionField<KoalaBear, 4>) */
typedef struct { kb_t c[4]; } kb4_t;

DEVICE kb4_t kb4_add(kb4_t a, kb4_t b) {
    kb4_t r;
    for (int i = 0; i < 4; i++) r.c[i] = kb_add(a.c[i], b.c[i]);
    return r;
}

DEVICE kb4_t kb4_sub(kb4_t a, kb4_t b) {
    kb4_t r;
    for (int i = 0; i < 4; i++) r.c[i] = kb_sub(a.c[i], b.c[i]);
    return r;
}

DEVICE kb4_t kb4_mul(kb4_t a, kb4_t b) {
    kb_t w = kb_from_monty(KB_EXT_W_MONTY);
    kb4_t r;
    for (int k = 0; k < 4; k++) {
        kb_t acc = kb_zero();
        for (int i = 0; i < 4; i++) {
            int j = k - i;
            if (j >= 0) {
                acc = kb_add(acc, kb_mul(a.c[i], b.c[j]));
            } else {
                acc = kb_add(acc, kb_mul(w, kb_mul(a.c[i], b.c[j + 4])));
            }
        }
        r.c[k] = acc;
    }
    return r;
}

DEVICE kb4_t kb4_mul_base(kb4_t a, kb_t b) {
    kb4_t r;
    for (int i = 0; i < 4; i++) r.c[i] = kb_mul(a.c[i], b);
    return r;
}
#endif
