//! Merkle verification over the builder, pinned to Plonky3's `MerkleTreeMmcs::verify_batch`:
//! on random batches of matrices of mixed heights, the native run accepts every honest
//! opening, and rejects exactly the openings Plonky3 rejects — a changed row value, a changed
//! sibling, the wrong index.

use mipstark_prover_cpu_ref::{val_mmcs, Val};
use mipstark_recursion::mmcs::{restore_paths, verify_batch};
use mipstark_recursion::{Builder, Native};
use p3_commit::{BatchOpeningRef, Mmcs};
use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;
use proptest::prelude::*;

/// What to change in an opening.
#[derive(Clone, Debug)]
enum Change {
    None,
    Row { matrix: usize, col: usize },
    Sibling { level: usize, elem: usize },
    Index,
}

fn native(
    commit: &[Val; 8],
    log_heights: &[usize],
    rows: &[Vec<Val>],
    index: usize,
    siblings: &[[Val; 8]],
) -> bool {
    let mut b = Native::new();
    let max = *log_heights.iter().max().unwrap();
    let bits: Vec<bool> = (0..max).map(|i| (index >> i) & 1 == 1).collect();
    let commit = commit.map(|v| b.witness_f(v));
    let rows: Vec<Vec<Val>> = rows.to_vec();
    let siblings: Vec<[Val; 8]> = siblings.to_vec();
    verify_batch(&mut b, &commit, log_heights, &rows, &bits, &siblings);
    b.finish().is_ok()
}

fn random_matrices(
    rng: &mut rand_chacha::ChaCha8Rng,
    log_heights: &[usize],
    widths: &[usize],
) -> Vec<RowMajorMatrix<Val>> {
    use rand::Rng;
    log_heights
        .iter()
        .zip(widths)
        .map(|(&h, &w)| {
            let values = (0..(w << h))
                .map(|_| Val::from_u32(rng.gen_range(0..1 << 30)))
                .collect();
            RowMajorMatrix::new(values, w)
        })
        .collect()
}

fn case(log_heights: Vec<usize>, widths: Vec<usize>, index: usize, change: Change, seed: u64) {
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mats = random_matrices(&mut rng, &log_heights, &widths);
    let dims: Vec<_> = mats.iter().map(|m| m.dimensions()).collect();
    let mmcs = val_mmcs();
    let (commit, data) = mmcs.commit(mats);
    let max = *log_heights.iter().max().unwrap();
    let index = index % (1 << max);
    let opening = mmcs.open_batch(index, &data);
    let (mut rows, mut siblings) = (opening.opened_values.clone(), opening.opening_proof.clone());
    let mut at = index;
    match change {
        Change::None => {}
        Change::Row { matrix, col } => {
            let m = matrix % rows.len();
            let c = col % rows[m].len();
            rows[m][c] += Val::ONE;
        }
        Change::Sibling { level, elem } => {
            if !siblings.is_empty() {
                let l = level % siblings.len();
                siblings[l][elem % 8] += Val::ONE;
            }
        }
        Change::Index => at = (index + 1) % (1 << max),
    }
    let reference = mmcs
        .verify_batch(&commit, &dims, at, BatchOpeningRef::new(&rows, &siblings))
        .is_ok();
    let ours = native(&commit[0], &log_heights, &rows, at, &siblings);
    assert_eq!(
        ours, reference,
        "heights {log_heights:?}, change {change:?}"
    );
    if matches!(change, Change::None) {
        assert!(ours);
    }
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        Just(Change::None),
        (0..8usize, 0..8usize).prop_map(|(matrix, col)| Change::Row { matrix, col }),
        (0..8usize, 0..8usize).prop_map(|(level, elem)| Change::Sibling { level, elem }),
        Just(Change::Index),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn native_merkle_checks_agree_with_plonky3(
        shape in prop::collection::vec((0..7usize, 1..20usize), 1..5),
        index in 0..1usize << 12,
        change in change(),
        seed in any::<u64>(),
    ) {
        let (log_heights, widths) = shape.into_iter().unzip();
        case(log_heights, widths, index, change, seed);
    }
}

/// Paths restored from a pruned multi-opening are the single-index openings' paths.
#[test]
fn restored_paths_are_the_single_openings_paths() {
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let (log_heights, widths) = (vec![5, 5, 3, 0], vec![3, 9, 4, 2]);
    let mats = random_matrices(&mut rng, &log_heights, &widths);
    let mmcs = val_mmcs();
    let (_, data) = mmcs.commit(mats);
    let indices = [3, 17, 3, 16, 31, 0];
    let (rows, pruned) = mmcs.open_multi_batch(&indices, &data);
    let paths = restore_paths(&log_heights, &widths, &indices, &rows, &pruned).unwrap();
    for (q, &i) in indices.iter().enumerate() {
        assert_eq!(
            paths[q],
            mmcs.open_batch(i, &data).opening_proof,
            "query {q}"
        );
    }
}
