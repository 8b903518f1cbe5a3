/* Radix-2 NTT stages over row-major matrices (each column transformed independently), and the
 * pieces of a coset low-degree extension laid out exactly as Plonky3's TwoAdicFriPcs commits it:
 *   evals over H (natural order) --bitrev + inverse DIT--> coefficients (natural order)
 *   --scale by shift^j / n, zero-pad--> --DIF--> evaluations over shift*K in bit-reversed order.
 * Twiddles come from the host (`tw[k] = w^k`, k < n/2, w the 2^log_n-th root of unity Plonky3
 * uses). Twin: Radix2DitParallel::coset_lde_batch(..).bit_reverse_rows(). */
#include "koalabear.h"
#include "bits.h"

/* out[bitrev(i)] = in[i], row-wise. */
KERNEL void ntt_bitrev_rows(CONST_PTR GLOBAL u32 *in, GLOBAL u32 *out, u32 log_n, u32 width) {
    u64 t = GLOBAL_ID();
    u64 n = (u64)1 << log_n;
    if (t >= n * width) return;
    u64 row = t / width, col = t % width;
    out[bitrev(row, log_n) * width + col] = in[t];
}

/* One decimation-in-time stage (butterfly span 2^stage): bit-reversed input, natural output
 * after all stages 0..log_n-1. */
KERNEL void ntt_dit_stage(GLOBAL u32 *data, CONST_PTR GLOBAL u32 *tw, u32 log_n, u32 stage, u32 width) {
    u64 t = GLOBAL_ID();
    u64 pairs = ((u64)1 << log_n) >> 1;
    if (t >= pairs * width) return;
    u64 p = t / width, col = t % width;
    u64 span = (u64)1 << stage;
    u64 j = p & (span - 1);
    u64 i0 = ((p >> stage) << (stage + 1)) + j;
    u64 i1 = i0 + span;
    kb_t w = kb_from_monty(tw[j << (log_n - 1 - stage)]);
    kb_t a = kb_from_monty(data[i0 * width + col]);
    kb_t b = kb_mul(w, kb_from_monty(data[i1 * width + col]));
    data[i0 * width + col] = kb_to_monty(kb_add(a, b));
    data[i1 * width + col] = kb_to_monty(kb_sub(a, b));
}

/* One decimation-in-frequency stage (butterfly span 2^(log_n-1-stage)): natural input,
 * bit-reversed output after all stages 0..log_n-1. */
KERNEL void ntt_dif_stage(GLOBAL u32 *data, CONST_PTR GLOBAL u32 *tw, u32 log_n, u32 stage, u32 width) {
    u64 t = GLOBAL_ID();
    u64 pairs = ((u64)1 << log_n) >> 1;
    if (t >= pairs * width) return;
    u64 p = t / width, col = t % width;
    u32 span_log = log_n - 1 - stage;
    u64 span = (u64)1 << span_log;
    u64 j = p & (span - 1);
    u64 i0 = ((p >> span_log) << (span_log + 1)) + j;
    u64 i1 = i0 + span;
    kb_t w = kb_from_monty(tw[j << stage]);
    kb_t a = kb_from_monty(data[i0 * width + col]);
    kb_t b = kb_from_monty(data[i1 * width + col]);
    data[i0 * width + col] = kb_to_monty(kb_add(a, b));
    data[i1 * width + col] = kb_to_monty(kb_mul(kb_sub(a, b), w));
}

/* Coefficient row j (of n) times scale * shift^j, written into row j of the zero-filled
 * `out` (which has at least n rows): the coset shift and the 1/n of the inverse transform. */
KERNEL void ntt_scale_pad(CONST_PTR GLOBAL u32 *coeffs, GLOBAL u32 *out, u32 log_n, u32 width, u32 shift_monty, u32 scale_monty) {
    u64 t = GLOBAL_ID();
    u64 n = (u64)1 << log_n;
    if (t >= n * width) return;
    u64 row = t / width;
    kb_t f = kb_mul(kb_from_monty(scale_monty), kb_pow(kb_from_monty(shift_monty), (u32)row));
    out[t] = kb_to_monty(kb_mul(kb_from_monty(coeffs[t]), f));
}

/* Stages whose butterflies stay inside blocks of 2^NTT_LOCAL_LOG rows, run in local (shared)
 * memory in one launch instead of one launch per stage. A work group of 2^(lb-1) items takes one
 * block of one column: group id = block * width + column. lb = min(log_n, NTT_LOCAL_LOG). */
#define NTT_LOCAL_LOG 9u
#define NTT_LOCAL (1u << NTT_LOCAL_LOG)

/* Moves this group's block of one column between global memory and `buf` (to_local = 1 loads,
 * 0 stores); each item moves rows t and t + 2^(lb-1). Loads end with a barrier. */
DEVICE void ntt_block_copy(GLOBAL u32 *data, LOCAL_PTR u32 *buf, u32 width, u32 lb, u32 t, int to_local) {
    u64 g = GROUP_ID();
    u64 col = g % width, base = (g / width) << lb;
    u32 half_block = 1u << (lb - 1);
    for (u32 k = 0; k < 2; k++) {
        u32 i = t + k * half_block;
        u64 at = (base + i) * width + col;
        if (to_local) {
            buf[i] = data[at];
        } else {
            data[at] = buf[i];
        }
    }
    if (to_local) BARRIER();
}

/* DIF stages log_n-lb .. log_n-1 (the small spans): natural order in, bit-reversed out. */
KERNEL void ntt_dif_tail_local(GLOBAL u32 *data, CONST_PTR GLOBAL u32 *tw, u32 log_n, u32 width) {
    LOCAL u32 buf[NTT_LOCAL];
    u32 lb = log_n < NTT_LOCAL_LOG ? log_n : NTT_LOCAL_LOG;
    u32 t = LOCAL_ID();
    ntt_block_copy(data, buf, width, lb, t, 1);
    for (u32 s = log_n - lb; s < log_n; s++) {
        u32 span_log = log_n - 1u - s;
        u32 j = t & ((1u << span_log) - 1u);
        u32 i0 = ((t >> span_log) << (span_log + 1u)) + j;
        u32 i1 = i0 + (1u << span_log);
        kb_t w = kb_from_monty(tw[(u64)j << s]);
        kb_t a = kb_from_monty(buf[i0]), b = kb_from_monty(buf[i1]);
        buf[i0] = kb_to_monty(kb_add(a, b));
        buf[i1] = kb_to_monty(kb_mul(kb_sub(a, b), w));
        BARRIER();
    }
    ntt_block_copy(data, buf, width, lb, t, 0);
}

/* DIT stages 0 .. lb-1 (the small spans): bit-reversed in, natural out after the rest. */
KERNEL void ntt_dit_head_local(GLOBAL u32 *data, CONST_PTR GLOBAL u32 *tw, u32 log_n, u32 width) {
    LOCAL u32 buf[NTT_LOCAL];
    u32 lb = log_n < NTT_LOCAL_LOG ? log_n : NTT_LOCAL_LOG;
    u32 t = LOCAL_ID();
    ntt_block_copy(data, buf, width, lb, t, 1);
    for (u32 s = 0; s < lb; s++) {
        u32 j = t & ((1u << s) - 1u);
        u32 i0 = ((t >> s) << (s + 1u)) + j;
        u32 i1 = i0 + (1u << s);
        kb_t w = kb_from_monty(tw[(u64)j << (log_n - 1u - s)]);
        kb_t a = kb_from_monty(buf[i0]);
        kb_t b = kb_mul(w, kb_from_monty(buf[i1]));
        buf[i0] = kb_to_monty(kb_add(a, b));
        buf[i1] = kb_to_monty(kb_sub(a, b));
        BARRIER();
    }
    ntt_block_copy(data, buf, width, lb, t, 0);
}
