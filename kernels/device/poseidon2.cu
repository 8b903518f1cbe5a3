/* Poseidon2 kernels: batch permutation (the bare-arithmetic ceiling for the Merkle kernels). */
#include "poseidon2.h"

/* Permutes `count` width-16 states stored contiguously, in place. */
KERNEL void poseidon2_permute(GLOBAL u32 *states, u64 count) {
    u64 i = GLOBAL_ID();
    if (i >= count) return;
    kb_t s[P2_WIDTH];
    for (int k = 0; k < P2_WIDTH; k++) s[k] = kb_from_monty(states[i * P2_WIDTH + k]);
    p2_permute(s);
    for (int k = 0; k < P2_WIDTH; k++) states[i * P2_WIDTH + k] = kb_to_monty(s[k]);
}
