/* Quotient evaluation by interpreting a constraint bytecode (compiled on the host from the
 * AIR's Plonky3 symbolic constraints, lookup constraints included; see prover-gpu/src/quotient).
 * One thread per row of a chunk of the quotient domain:
 *   out[i] = inv_vanishing[i] * sum_k weight[k] * C_k(row i, row i + next_step)
 * The operation codes and register-file sizes come from constants.h (generated from
 * mipstark_kernels::quotient_ops). Twin: QuotientProgram::eval_row, and Plonky3's
 * quotient_values. */
#include "koalabear.h"

/* Registers past the private files live in `spill`, one word-plane of `rows` words per base
 * register, four per extension register (base spills first), so neighbouring threads touch
 * neighbouring words. */
DEVICE kb4_t ext_spill_get(CONST_PTR GLOBAL u32 *sp, u64 rows, u64 i, u32 s) {
    kb4_t r;
    for (int c = 0; c < 4; c++) r.c[c] = kb_from_monty(sp[(u64)(4 * s + c) * rows + i]);
    return r;
}

DEVICE void ext_spill_set(GLOBAL u32 *sp, u64 rows, u64 i, u32 s, kb4_t v) {
    for (int c = 0; c < 4; c++) sp[(u64)(4 * s + c) * rows + i] = kb_to_monty(v.c[c]);
}

#define RGET(r) ((r) < QUOTIENT_MAX_REGS ? regs[(r)] \
                 : kb_from_monty(spill[(u64)((r) - QUOTIENT_MAX_REGS) * rows + i]))
#define RSET(r, val) do { kb_t v_ = (val); if ((r) < QUOTIENT_MAX_REGS) regs[(r)] = v_; \
                          else spill[(u64)((r) - QUOTIENT_MAX_REGS) * rows + i] = kb_to_monty(v_); } while (0)
#define EGET(r) ((r) < QUOTIENT_MAX_EXT_REGS ? eregs[(r)] \
                 : ext_spill_get(espill, rows, i, (r) - QUOTIENT_MAX_EXT_REGS))
#define ESET(r, val) do { kb4_t v_ = (val); if ((r) < QUOTIENT_MAX_EXT_REGS) eregs[(r)] = v_; \
                          else ext_spill_set(espill, rows, i, (r) - QUOTIENT_MAX_EXT_REGS, v_); } while (0)

/* main/pre/perm: row-major, rows + next_step rows each (the chunk, then the rows its last
 * next_step rows read as "next"), widths main_w / pre_w / perm_w (perm in base coordinates,
 * 4 per column). sels: 4 arrays of `rows` words (is_first, is_last, is_transition,
 * inv_vanishing) back to back. etab: 4 words per entry. weights: 4 words per constraint.
 * spill: (base_spills + 4 * ext_spills) * rows words. out: 4 words per row. */
KERNEL void quotient_eval(CONST_PTR GLOBAL u32 *main, u32 main_w, CONST_PTR GLOBAL u32 *pre, u32 pre_w,
                          CONST_PTR GLOBAL u32 *perm, u32 perm_w, CONST_PTR GLOBAL u32 *sels,
                          CONST_PTR GLOBAL u32 *publics, CONST_PTR GLOBAL u32 *etab,
                          CONST_PTR GLOBAL u32 *weights, CONST_PTR GLOBAL u32 *code, u32 n_instr,
                          GLOBAL u32 *spill, u32 base_spills, u64 rows, u64 next_step, GLOBAL u32 *out) {
    u64 i = GLOBAL_ID();
    if (i >= rows) return;
    u64 j = i + next_step;
    GLOBAL u32 *espill = spill + (u64)base_spills * rows;
    kb_t regs[QUOTIENT_MAX_REGS];
    kb4_t eregs[QUOTIENT_MAX_EXT_REGS];
    kb4_t acc, w, e;
    for (int c = 0; c < 4; c++) acc.c[c] = kb_zero();
    for (u32 pc = 0; pc < n_instr; pc++) {
        u32 op = code[4 * pc], dst = code[4 * pc + 1], a = code[4 * pc + 2], b = code[4 * pc + 3];
        switch (op) {
        case QOP_MAIN_LOCAL: RSET(dst, kb_from_monty(main[i * main_w + a])); break;
        case QOP_MAIN_NEXT: RSET(dst, kb_from_monty(main[j * main_w + a])); break;
        case QOP_PRE_LOCAL: RSET(dst, kb_from_monty(pre[i * pre_w + a])); break;
        case QOP_PRE_NEXT: RSET(dst, kb_from_monty(pre[j * pre_w + a])); break;
        case QOP_CONST: RSET(dst, kb_from_monty(a)); break;
        case QOP_IS_FIRST: RSET(dst, kb_from_monty(sels[i])); break;
        case QOP_IS_LAST: RSET(dst, kb_from_monty(sels[rows + i])); break;
        case QOP_IS_TRANSITION: RSET(dst, kb_from_monty(sels[2 * rows + i])); break;
        case QOP_ADD: RSET(dst, kb_add(RGET(a), RGET(b))); break;
        case QOP_SUB: RSET(dst, kb_sub(RGET(a), RGET(b))); break;
        case QOP_MUL: RSET(dst, kb_mul(RGET(a), RGET(b))); break;
        case QOP_NEG: RSET(dst, kb_neg(RGET(a))); break;
        case QOP_PUBLIC: RSET(dst, kb_from_monty(publics[a])); break;
        case QOP_EMIT:
            for (int c = 0; c < 4; c++) w.c[c] = kb_from_monty(weights[4 * b + c]);
            acc = kb4_add(acc, kb4_mul_base(w, RGET(a)));
            break;
        case QOP_PERM_LOCAL:
            for (int c = 0; c < 4; c++) e.c[c] = kb_from_monty(perm[i * perm_w + 4 * a + c]);
            ESET(dst, e);
            break;
        case QOP_PERM_NEXT:
            for (int c = 0; c < 4; c++) e.c[c] = kb_from_monty(perm[j * perm_w + 4 * a + c]);
            ESET(dst, e);
            break;
        case QOP_EXT_LOAD:
            for (int c = 0; c < 4; c++) e.c[c] = kb_from_monty(etab[4 * a + c]);
            ESET(dst, e);
            break;
        case QOP_EXT_FROM_BASE:
            e.c[0] = RGET(a);
            for (int c = 1; c < 4; c++) e.c[c] = kb_zero();
            ESET(dst, e);
            break;
        case QOP_EXT_ADD: ESET(dst, kb4_add(EGET(a), EGET(b))); break;
        case QOP_EXT_SUB: ESET(dst, kb4_sub(EGET(a), EGET(b))); break;
        case QOP_EXT_MUL: ESET(dst, kb4_mul(EGET(a), EGET(b))); break;
        case QOP_EXT_NEG:
            e = EGET(a);
            for (int c = 0; c < 4; c++) e.c[c] = kb_neg(e.c[c]);
            ESET(dst, e);
            break;
        case QOP_EXT_MUL_BASE: ESET(dst, kb4_mul_base(EGET(a), RGET(b))); break;
        default: /* QOP_EXT_EMIT */
            for (int c = 0; c < 4; c++) w.c[c] = kb_from_monty(weights[4 * b + c]);
            acc = kb4_add(acc, kb4_mul(w, EGET(a)));
            break;
        }
    }
    acc = kb4_mul_base(acc, kb_from_monty(sels[3 * rows + i]));
    for (int c = 0; c < 4; c++) out[4 * i + c] = kb_to_monty(acc.c[c]);
}
