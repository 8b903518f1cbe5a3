//! Merkle verification over the builder: p3-merkle-tree 0.8's `MerkleTreeMmcs::verify_batch`
//! for the trees mipstark commits with (binary, cap height 0, power-of-two heights, Poseidon2
//! leaves through `PaddingFreeSponge<_, 16, 8, 8>`).
//!
//! Proofs carry *pruned* multi-openings (one list of boundary digests for all queries, with
//! the digests a verifier can recompute left out). The pruning depends on which indices
//! collide, which a circuit cannot follow, so the verifier here checks one full path per
//! query, restored from the pruned proof with Plonky3's own `restore_and_recompute_paths`
//! (the walk its verifier does) as a hint: every restored digest is then checked by hashing
//! up to the commitment. A restored path that does not reach the commitment fails exactly
//! where the pruned proof fails.

use mipstark_prover_cpu_ref::{val_mmcs, Val};
use p3_matrix::Dimensions;
use p3_merkle_tree::PrunedMerklePaths;

use crate::builder::{Builder, Digest, DIGEST_ELEMS, PERM_WIDTH};

/// `PaddingFreeSponge<Poseidon2, 16, 8, 8>` over the concatenation of `slices`: each block of
/// 8 overwrites the rate, a permutation follows every block (a partial last block included);
/// no input leaves the zero state.
pub fn hash_slices<B: Builder>(b: &mut B, slices: &[&[B::F]]) -> Digest<B> {
    let zero = b.constant_f(Val::default());
    let mut state = [zero; PERM_WIDTH];
    let mut filled = 0;
    for &x in slices.iter().flat_map(|s| s.iter()) {
        state[filled] = x;
        filled += 1;
        if filled == DIGEST_ELEMS {
            state = b.poseidon2(state);
            filled = 0;
        }
    }
    if filled > 0 {
        state = b.poseidon2(state);
    }
    std::array::from_fn(|i| state[i])
}

/// One query's opening of one commitment: checks that `rows` (one per committed matrix, in
/// commitment order; matrix `j` has `2^log_heights[j]` rows) sit at `index` (the tallest
/// matrix's row, least significant bit first; a shorter matrix is opened at the index's top
/// bits) under `commit`, with `siblings` the full path (one digest per level, leaf level
/// first). Lengths are the caller's shape checks.
pub fn verify_batch<B: Builder>(
    b: &mut B,
    commit: &Digest<B>,
    log_heights: &[usize],
    rows: &[Vec<B::F>],
    index: &[B::Bit],
    siblings: &[Digest<B>],
) {
    assert_eq!(log_heights.len(), rows.len());
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&j| std::cmp::Reverse(log_heights[j]));
    let max = log_heights[order[0]];
    assert_eq!(index.len(), max, "one index bit per level");
    assert_eq!(siblings.len(), max, "one sibling per level");
    let mut next = 0;
    let mut take_height = |h: usize| {
        let start = next;
        while next < order.len() && log_heights[order[next]] == h {
            next += 1;
        }
        order[start..next]
            .iter()
            .map(|&j| rows[j].as_slice())
            .collect::<Vec<_>>()
    };
    let leaves = take_height(max);
    let mut digest = hash_slices(b, &leaves);
    for level in 0..max {
        digest = b.compress_ordered(digest, siblings[level], index[level]);
        let injected = take_height(max - level - 1);
        if !injected.is_empty() {
            let h = hash_slices(b, &injected);
            digest = b.compress(digest, h);
        }
    }
    for (&d, &c) in digest.iter().zip(commit) {
        b.assert_eq_f(d, c);
    }
}

/// Why a pruned multi-opening cannot be restored (the reference rejects it too).
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
#[error("a pruned Merkle multi-opening does not restore: {0}")]
pub struct RestoreError(pub String);

/// The full path of each query, restored from a pruned multi-opening. `log_heights` and
/// `widths` describe the committed matrices, `indices` are the queries' rows in the tallest,
/// `rows[q][j]` is query `q`'s row of matrix `j`.
pub fn restore_paths(
    log_heights: &[usize],
    widths: &[usize],
    indices: &[usize],
    rows: &[Vec<Vec<Val>>],
    proof: &PrunedMerklePaths<Val, DIGEST_ELEMS>,
) -> Result<Vec<Vec<[Val; DIGEST_ELEMS]>>, RestoreError> {
    let dims: Vec<Dimensions> = log_heights
        .iter()
        .zip(widths)
        .map(|(&h, &width)| Dimensions {
            width,
            height: 1 << h,
        })
        .collect();
    let paths = val_mmcs()
        .restore_and_recompute_paths(&dims, indices, rows, proof)
        .map_err(|e| RestoreError(format!("{e:?}")))?;
    Ok(paths.into_iter().map(|p| p.siblings).collect())
}
