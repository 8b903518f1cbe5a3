/* Poseidon2 over KoalaBear, width 16: 4 + 4 external rounds, 20 internal rounds, S-box x^3,
 * with Plonky3's constants (constants.h). Twin: p3_koala_bear::default_koalabear_poseidon2_16. */
#ifndef MIPSTARK_POSEIDON2_H
#define MIPSTARK_POSEIDON2_H
#include "koalabear.h"

#define P2_WIDTH 16

/* The 4x4 MDS block of p3_poseidon2::MDSMat4: [[2,3,1,1],[1,2,3,1],[1,1,2,3],[3,1,1,2]]. */
DEVICE void p2_mat4(kb_t *x) {
    kb_t t01 = kb_add(x[0], x[1]);
    kb_t t23 = kb_add(x[2], x[3]);
    kb_t t0123 = kb_add(t01, t23);
    kb_t t01123 = kb_add(t0123, x[1]);
    kb_t t01233 = kb_add(t0123, x[3]);
    x[3] = kb_add(t01233, kb_double(x[0]));
    x[1] = kb_add(t01123, kb_double(x[2]));
    x[0] = kb_add(t01123, t01);
    x[2] = kb_add(t01233, t23);
}

/* The external linear layer: M4 on each quarter, then add the column sums. */
DEVICE void p2_external_linear(kb_t *s) {
    for (int c = 0; c < P2_WIDTH; c += 4) p2_mat4(s + c);
    kb_t sums[4];
    for (int k = 0; k < 4; k++) {
        sums[k] = kb_add(kb_add(s[k], s[k + 4]), kb_add(s[k + 8], s[k + 12]));
    }
    for (int i = 0; i < P2_WIDTH; i++) s[i] = kb_add(s[i], sums[i & 3]);
}

DEVICE void p2_external_round(kb_t *s, int round, int terminal) {
    for (int i = 0; i < P2_WIDTH; i++) {
        u32 rc = terminal ? P2_RC_EXTERNAL_FINAL[round][i] : P2_RC_EXTERNAL_INITIAL[round][i];
        s[i] = kb_cube(kb_add(s[i], kb_from_monty(rc)));
    }
    p2_external_linear(s);
}

/* Internal round: S-box on s[0] only, then s -> (1 + Diag(V)) s. */
DEVICE void p2_internal_round(kb_t *s, int round) {
    s[0] = kb_cube(kb_add(s[0], kb_from_monty(P2_RC_INTERNAL[round])));
    kb_t sum = s[0];
    for (int i = 1; i < P2_WIDTH; i++) sum = kb_add(sum, s[i]);
    for (int i = 0; i < P2_WIDTH; i++) s[i] = kb_add(kb_mul(s[i], kb_from_monty(P2_INTERNAL_DIAG[i])), sum);
}

DEVICE void p2_permute(kb_t *s) {
    p2_external_linear(s);
    for (int r = 0; r < P2_HALF_FULL_ROUNDS; r++) p2_external_round(s, r, 0);
    for (int r = 0; r < P2_PARTIAL_ROUNDS; r++) p2_internal_round(s, r);
    for (int r = 0; r < P2_HALF_FULL_ROUNDS; r++) p2_external_round(s, r, 1);
}
#endif
