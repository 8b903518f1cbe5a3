//! Every kernel against its CPU twin in Plonky3, for any runtime: seeded random inputs, edge
//! values (0, 1, p−1), non-power-of-two sizes; failures name the first differing element.
#![allow(dead_code)]

use mipstark_prover_cpu_ref::config::{Compressor, Hasher, ValMmcs};
use p3_commit::Mmcs;
use p3_field::extension::BinomialExtensionField;
use p3_field::{BasedVectorSpace, Field, PrimeCharacteristicRing, PrimeField32};
use p3_koala_bear::{default_koalabear_poseidon2_16, KoalaBear};
use p3_matrix::dense::RowMajorMatrix;
use p3_symmetric::Permutation;
use prover_gpu::kernels::field_ops::{self, BinaryOp};
use prover_gpu::kernels::{merkle, poseidon2};
use prover_gpu::DeviceRuntime;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

type F = KoalaBear;
type EF = BinomialExtensionField<F, 4>;
type BinFn = fn(F, F) -> F;

/// Random elements with the edge values 0, 1, p−1 mixed in.
fn elements(rng: &mut ChaCha8Rng, n: usize) -> Vec<F> {
    (0..n)
        .map(|i| match i % 7 {
            0 => F::ZERO,
            1 => F::ONE,
            2 => F::NEG_ONE,
            _ => F::from_u32(rng.gen_range(0..F::ORDER_U32)),
        })
        .collect()
}

fn assert_same<T: PartialEq + std::fmt::Debug>(what: &str, gpu: &[T], cpu: &[T]) {
    assert_eq!(gpu.len(), cpu.len(), "{what}: lengths differ");
    if let Some(i) = gpu.iter().zip(cpu).position(|(a, b)| a != b) {
        panic!(
            "{what}: first difference at index {i}: gpu {:?}, cpu {:?}",
            gpu[i], cpu[i]
        );
    }
}

pub fn field_ops_match_plonky3<R: DeviceRuntime>(rt: &R) {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for n in [1usize, 7, 1000, 4097] {
        let a = elements(&mut rng, n);
        let b = elements(&mut rng, n);
        let cases: [(BinaryOp, BinFn); 3] = [
            (BinaryOp::Add, |x, y| x + y),
            (BinaryOp::Sub, |x, y| x - y),
            (BinaryOp::Mul, |x, y| x * y),
        ];
        for (op, f) in cases {
            let gpu = field_ops::binary_op(rt, op, &a, &b).unwrap();
            let cpu: Vec<F> = a.iter().zip(&b).map(|(x, y)| f(*x, *y)).collect();
            assert_same(&format!("{op:?} n={n}"), &gpu, &cpu);
        }
        let nz: Vec<F> = a
            .iter()
            .map(|x| if x.is_zero() { F::TWO } else { *x })
            .collect();
        let gpu = field_ops::binary_op(rt, BinaryOp::Inv, &nz, &b).unwrap();
        let cpu: Vec<F> = nz.iter().map(|x| x.inverse()).collect();
        assert_same(&format!("inverse n={n}"), &gpu, &cpu);
        let exps: Vec<F> = (0..n)
            .map(|_| F::from_u32(rng.gen_range(0..1 << 20)))
            .collect();
        let gpu = field_ops::binary_op(rt, BinaryOp::Pow, &a, &exps).unwrap();
        let cpu: Vec<F> = a
            .iter()
            .zip(&exps)
            .map(|(x, e)| x.exp_u64(e.as_canonical_u32() as u64))
            .collect();
        assert_same(&format!("pow n={n}"), &gpu, &cpu);
        for chunk in [1u32, 3, 64] {
            let gpu = field_ops::batch_inverse(rt, &nz, chunk).unwrap();
            assert_same(
                &format!("batch inverse n={n} chunk={chunk}"),
                &gpu,
                &cpu_inv(&nz),
            );
        }
    }
}

fn cpu_inv(x: &[F]) -> Vec<F> {
    x.iter().map(|v| v.inverse()).collect()
}

pub fn extension_mul_matches_plonky3<R: DeviceRuntime>(rt: &R) {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let n = 777;
    let a = elements(&mut rng, 4 * n);
    let b = elements(&mut rng, 4 * n);
    let gpu = field_ops::ext4_mul(rt, &a, &b).unwrap();
    let cpu: Vec<F> = a
        .chunks(4)
        .zip(b.chunks(4))
        .flat_map(|(x, y)| {
            let p = EF::from_basis_coefficients_slice(x).unwrap()
                * EF::from_basis_coefficients_slice(y).unwrap();
            p.as_basis_coefficients_slice().to_vec()
        })
        .collect();
    assert_same("ext4 mul", &gpu, &cpu);
}

pub fn poseidon2_matches_plonky3<R: DeviceRuntime>(rt: &R) {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let perm = default_koalabear_poseidon2_16();
    let states: Vec<[F; 16]> = (0..300)
        .map(|_| elements(&mut rng, 16).try_into().unwrap())
        .collect();
    let gpu = poseidon2::permute_batch(rt, &states).unwrap();
    let cpu: Vec<[F; 16]> = states.iter().map(|s| perm.permute(*s)).collect();
    assert_same("poseidon2", &gpu, &cpu);
}

fn mmcs() -> ValMmcs {
    let perm = default_koalabear_poseidon2_16();
    ValMmcs::new(Hasher::new(perm.clone()), Compressor::new(perm), 0)
}

fn matrix(rng: &mut ChaCha8Rng, height: usize, width: usize) -> RowMajorMatrix<F> {
    RowMajorMatrix::new(elements(rng, height * width), width)
}

pub fn merkle_root_matches_mmcs_single_matrix<R: DeviceRuntime>(rt: &R) {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    for log_h in [0usize, 1, 5, 10] {
        for width in [1usize, 7, 8, 9, 16, 33] {
            let m = matrix(&mut rng, 1 << log_h, width);
            let gpu = merkle::build(rt, &[&m]).unwrap();
            let (cap, _) = mmcs().commit(vec![m.clone()]);
            assert_eq!(
                gpu.root(),
                cap[0],
                "root differs for height 2^{log_h}, width {width}"
            );
        }
    }
}

pub fn merkle_root_matches_mmcs_mixed_heights<R: DeviceRuntime>(rt: &R) {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mats = vec![
        matrix(&mut rng, 64, 3),
        matrix(&mut rng, 256, 5),
        matrix(&mut rng, 256, 2),
        matrix(&mut rng, 16, 9),
        matrix(&mut rng, 64, 1),
    ];
    let refs: Vec<&RowMajorMatrix<F>> = mats.iter().collect();
    let gpu = merkle::build(rt, &refs).unwrap();
    let (cap, _) = mmcs().commit(mats.clone());
    assert_eq!(gpu.root(), cap[0], "mixed-height root differs");
    assert!(
        merkle::build(rt, &[&matrix(&mut rng, 3, 2)]).is_err(),
        "non-power-of-two height accepted"
    );
}

pub fn ntt_and_lde_match_plonky3<R: DeviceRuntime>(rt: &R) {
    use p3_dft::{Radix2DitParallel, TwoAdicSubgroupDft};
    use p3_matrix::bitrev::BitReversibleMatrix;
    use p3_matrix::Matrix;
    use prover_gpu::kernels::ntt;
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let dft = Radix2DitParallel::<F>::default();
    for log_n in [0usize, 1, 2, 5, 9, 12] {
        for width in [1usize, 3, 8, 17] {
            let m = matrix(&mut rng, 1 << log_n, width);
            // Plain DFT: Plonky3's natural-order output, bit-reversed.
            let cpu = dft
                .dft_batch(m.clone())
                .to_row_major_matrix()
                .bit_reverse_rows()
                .to_row_major_matrix();
            let gpu = ntt::dft_bitrev(rt, &m).unwrap();
            assert_same(
                &format!("dft 2^{log_n} x {width}"),
                &gpu.values,
                &cpu.values,
            );
            for log_blowup in [1u32, 2] {
                let shift = ntt::pcs_shift();
                let cpu = dft
                    .coset_lde_batch(m.clone(), log_blowup as usize, shift)
                    .bit_reverse_rows()
                    .to_row_major_matrix();
                let gpu = ntt::coset_lde_bitrev(rt, &m, log_blowup, shift).unwrap();
                assert_same(
                    &format!("coset lde 2^{log_n} x {width} blowup 2^{log_blowup}"),
                    &gpu.values,
                    &cpu.values,
                );
            }
        }
    }
}

/// The whole commit step: GPU LDE + GPU Merkle tree gives TwoAdicFriPcs::commit's root.
pub fn commit_matches_two_adic_fri_pcs<R: DeviceRuntime>(rt: &R) {
    use mipstark_prover_cpu_ref::{make_config, StarkParams};
    use p3_commit::Pcs;
    use p3_matrix::Matrix;
    use p3_uni_stark::StarkGenericConfig;
    use prover_gpu::kernels::ntt;
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let params = StarkParams::TESTING;
    let config = make_config(params);
    let pcs = config.pcs();
    let traces = vec![
        matrix(&mut rng, 1 << 8, 5),
        matrix(&mut rng, 1 << 6, 3),
        matrix(&mut rng, 1 << 8, 2),
    ];
    type P = mipstark_prover_cpu_ref::config::Pcs;
    type Ch = mipstark_prover_cpu_ref::DeterministicChallenger;
    let domains: Vec<_> = traces
        .iter()
        .map(|t| {
            <P as Pcs<mipstark_prover_cpu_ref::Challenge, Ch>>::natural_domain_for_degree(
                pcs,
                t.height(),
            )
        })
        .collect();
    let (commitment, _) = <P as Pcs<mipstark_prover_cpu_ref::Challenge, Ch>>::commit(
        pcs,
        domains.into_iter().zip(traces.clone()),
    )
    .unwrap();
    let ldes: Vec<RowMajorMatrix<F>> = traces
        .iter()
        .map(|t| ntt::coset_lde_bitrev(rt, t, params.log_blowup as u32, ntt::pcs_shift()).unwrap())
        .collect();
    let refs: Vec<&RowMajorMatrix<F>> = ldes.iter().collect();
    let tree = merkle::build(rt, &refs).unwrap();
    assert_eq!(
        tree.root(),
        commitment[0],
        "GPU commit root differs from TwoAdicFriPcs::commit"
    );
}
