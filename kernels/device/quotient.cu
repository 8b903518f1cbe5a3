/* Quotient evaluation by interpreting a constraint bytecode (compiled on the host from the
 * AIR's Plonky3 symbolic constraints; see prover-gpu/src/quotient). One thread per row of the
 * quotient domain:
 *   out[i] = inv_vanishing[i] * sum_k weight[k] * C_k(row i, row i + next_step)
 * Twin: QuotientProgram::eval_row, and Plonky3's quotient_values. */
#include "koalabear.h"

#define QUOTIENT_MAX_REGS 256
#define QOP_MAIN_LOCAL 0u
#define QOP_MAIN_NEXT 1u
#define QOP_PRE_LOCAL 2u
#define QOP_PRE_NEXT 3u
#define QOP_CONST 4u
#define QOP_IS_FIRST 5u
#define QOP_IS_LAST 6u
#define QOP_IS_TRANSITION 7u
#define QOP_ADD 8u
#define QOP_SUB 9u
#define QOP_MUL 10u
#define QOP_NEG 11u
#define QOP_EMIT 12u
#define QOP_PUBLIC 13u

/* main/pre: row-major over the quotient domain (natural order), widths main_w / pre_w.
 * sels: 4 arrays of n words (is_first, is_last, is_transition, inv_vanishing) back to back.
 * weights: 4 words per constraint (extension coefficients). out: 4 words per row. */
KERNEL void quotient_eval(CONST_PTR GLOBAL u32 *main, u32 main_w, CONST_PTR GLOBAL u32 *pre, u32 pre_w,
                          CONST_PTR GLOBAL u32 *sels, CONST_PTR GLOBAL u32 *publics, CONST_PTR GLOBAL u32 *weights,
                          CONST_PTR GLOBAL u32 *code, u32 n_instr, u64 n, u64 next_step, GLOBAL u32 *out) {
    u64 i = GLOBAL_ID();
    if (i >= n) return;
    u64 j = (i + next_step) & (n - 1);
    kb_t regs[QUOTIENT_MAX_REGS];
    kb4_t acc;
    for (int c = 0; c < 4; c++) acc.c[c] = kb_zero();
    for (u32 pc = 0; pc < n_instr; pc++) {
        u32 op = code[4 * pc], dst = code[4 * pc + 1], a = code[4 * pc + 2], b = code[4 * pc + 3];
        kb_t v;
        if (op == QOP_MAIN_LOCAL) v = kb_from_monty(main[i * main_w + a]);
        else if (op == QOP_MAIN_NEXT) v = kb_from_monty(main[j * main_w + a]);
        else if (op == QOP_PRE_LOCAL) v = kb_from_monty(pre[i * pre_w + a]);
        else if (op == QOP_PRE_NEXT) v = kb_from_monty(pre[j * pre_w + a]);
        else if (op == QOP_CONST) v = kb_from_monty(a);
        else if (op == QOP_IS_FIRST) v = kb_from_monty(sels[i]);
        else if (op == QOP_IS_LAST) v = kb_from_monty(sels[n + i]);
        else if (op == QOP_IS_TRANSITION) v = kb_from_monty(sels[2 * n + i]);
        else if (op == QOP_ADD) v = kb_add(regs[a], regs[b]);
        else if (op == QOP_SUB) v = kb_sub(regs[a], regs[b]);
        else if (op == QOP_MUL) v = kb_mul(regs[a], regs[b]);
        else if (op == QOP_NEG) v = kb_neg(regs[a]);
        else if (op == QOP_PUBLIC) v = kb_from_monty(publics[a]);
        else { /* QOP_EMIT */
            kb4_t w;
            for (int c = 0; c < 4; c++) w.c[c] = kb_from_monty(weights[4 * b + c]);
            acc = kb4_add(acc, kb4_mul_base(w, regs[a]));
            continue;
        }
        regs[dst] = v;
    }
    acc = kb4_mul_base(acc, kb_from_monty(sels[3 * n + i]));
    for (int c = 0; c < 4; c++) out[4 * i + c] = kb_to_monty(acc.c[c]);
}
