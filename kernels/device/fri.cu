/* FRI commit-phase folding, arity 2, over a codeword of extension elements stored in
 * bit-reversed order (adjacent pairs are the evaluations at s and -s):
 *   out[i] = (lo + hi) / 2 + (lo - hi) * beta * g_inv^bitrev(i) / 2
 * with g the 2^(log_h + 1)-th root of unity. Twin: TwoAdicFriFolding::fold_matrix (arity 2). */
#include "koalabear.h"
#include "bits.h"

DEVICE kb4_t kb4_load(CONST_PTR GLOBAL u32 *p) {
    kb4_t r;
    for (int c = 0; c < 4; c++) r.c[c] = kb_from_monty(p[c]);
    return r;
}

/* evals: 2h extension elements (8h words); out: h elements. beta: 4 Montgomery words. */
KERNEL void fri_fold_arity2(CONST_PTR GLOBAL u32 *evals, GLOBAL u32 *out, u32 log_h, CONST_PTR GLOBAL u32 *beta_words,
                            u32 g_inv_monty, u32 half_monty) {
    u64 i = GLOBAL_ID();
    u64 h = (u64)1 << log_h;
    if (i >= h) return;
    kb4_t lo = kb4_load(evals + 8 * i);
    kb4_t hi = kb4_load(evals + 8 * i + 4);
    kb4_t beta = kb4_load(beta_words);
    kb_t one_half = kb_from_monty(half_monty);
    kb_t f = kb_mul(kb_pow(kb_from_monty(g_inv_monty), (u32)bitrev(i, log_h)), one_half);
    kb4_t r = kb4_add(kb4_mul_base(kb4_add(lo, hi), one_half), kb4_mul_base(kb4_mul(kb4_sub(lo, hi), beta), f));
    for (int c = 0; c < 4; c++) out[4 * i + c] = kb_to_monty(r.c[c]);
}
