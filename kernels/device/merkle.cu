/* Merkle tree kernels matching p3_merkle_tree::MerkleTreeMmcs with
 * PaddingFreeSponge<Poseidon2, 16, 8, 8> leaves and TruncatedPermutation<Poseidon2, 2, 8, 16>
 * compression. Digests are 8 field elements. */
#include "poseidon2.h"

#define DIGEST 8
#define RATE 8

/* Sponge-hashes row `row` of each of `num_mats` row-major matrices (concatenated, in order),
 * as MerkleTreeMmcs does for the tallest matrices of a batch. `mats` holds the matrices back to
 * back; `widths[m]` is matrix m's width; all have `height` rows. */
KERNEL void merkle_hash_rows(CONST_PTR GLOBAL u32 *mats, CONST_PTR GLOBAL u32 *widths, u32 num_mats,
                             u64 height, GLOBAL u32 *digests) {
    u64 row = GLOBAL_ID();
    if (row >= height) return;
    kb_t s[P2_WIDTH];
    for (int k = 0; k < P2_WIDTH; k++) s[k] = kb_zero();
    u32 fill = 0;
    u64 base = 0;
    for (u32 m = 0; m < num_mats; m++) {
        u32 w = widths[m];
        CONST_PTR GLOBAL u32 *r = mats + base + row * (u64)w;
        for (u32 c = 0; c < w; c++) {
            s[fill++] = kb_from_monty(r[c]);
            if (fill == RATE) {
                p2_permute(s);
                fill = 0;
            }
        }
        base += (u64)w * height;
    }
    if (fill != 0) p2_permute(s);
    for (int k = 0; k < DIGEST; k++) digests[row * DIGEST + k] = kb_to_monty(s[k]);
}

/* One tree layer: out[i] = C(in[2i], in[2i+1]) for i < n_out. */
KERNEL void merkle_compress_layer(CONST_PTR GLOBAL u32 *in, GLOBAL u32 *out, u64 n_out) {
    u64 i = GLOBAL_ID();
    if (i >= n_out) return;
    kb_t s[P2_WIDTH];
    for (int k = 0; k < P2_WIDTH; k++) s[k] = kb_from_monty(in[2 * i * DIGEST + k]);
    p2_permute(s);
    for (int k = 0; k < DIGEST; k++) out[i * DIGEST + k] = kb_to_monty(s[k]);
}

/* Injects shorter matrices' row hashes into a layer, as MerkleTreeMmcs does when a layer's
 * length matches their height: node[i] = C(node[i], rowhash[i]). */
KERNEL void merkle_inject(GLOBAL u32 *nodes, CONST_PTR GLOBAL u32 *row_digests, u64 n) {
    u64 i = GLOBAL_ID();
    if (i >= n) return;
    kb_t s[P2_WIDTH];
    for (int k = 0; k < DIGEST; k++) {
        s[k] = kb_from_monty(nodes[i * DIGEST + k]);
        s[DIGEST + k] = kb_from_monty(row_digests[i * DIGEST + k]);
    }
    p2_permute(s);
    for (int k = 0; k < DIGEST; k++) nodes[i * DIGEST + k] = kb_to_monty(s[k]);
}
