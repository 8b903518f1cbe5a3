//! Every kernel against its CPU twin in Plonky3, for any runtime: seeded random inputs, edge
//! values (0, 1, p−1), non-power-of-two sizes; failures name the first differing element.
#![allow(dead_code)]

use mipstark_prover_cpu_ref::val_mmcs;
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

fn matrix(rng: &mut ChaCha8Rng, height: usize, width: usize) -> RowMajorMatrix<F> {
    RowMajorMatrix::new(elements(rng, height * width), width)
}

pub fn merkle_root_matches_mmcs_single_matrix<R: DeviceRuntime>(rt: &R) {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    for log_h in [0usize, 1, 5, 10] {
        for width in [1usize, 7, 8, 9, 16, 33] {
            let m = matrix(&mut rng, 1 << log_h, width);
            let gpu = merkle::build(rt, &[&m]).unwrap();
            let (cap, _) = val_mmcs().commit(vec![m.clone()]);
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
    let (cap, _) = val_mmcs().commit(mats.clone());
    assert_eq!(gpu.root(), cap[0], "mixed-height root differs");
    assert!(
        merkle::build(rt, &[&matrix(&mut rng, 3, 2)]).is_err(),
        "non-power-of-two height accepted"
    );
}

/// The device-built commitment scheme against the reference: same commitments, same opened
/// rows and (pruned) paths for every kind of query set, under a budget that splits the leaves
/// into row groups, and a recorded fallback when the budget cannot hold one row.
pub fn gpu_mmcs_matches_mmcs<R: DeviceRuntime + Send + Sync>(rt: std::sync::Arc<R>) {
    use p3_commit::BatchOpeningRef;
    use p3_matrix::Matrix;
    use prover_gpu::GpuMmcs;
    use std::sync::atomic::Ordering;
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let batches: Vec<Vec<RowMajorMatrix<F>>> = vec![
        vec![matrix(&mut rng, 1, 5)],
        vec![matrix(&mut rng, 2, 8)],
        vec![matrix(&mut rng, 1024, 9)],
        vec![
            matrix(&mut rng, 64, 3),
            matrix(&mut rng, 256, 5),
            matrix(&mut rng, 256, 2),
            matrix(&mut rng, 16, 9),
            matrix(&mut rng, 1, 4),
        ],
    ];
    let reference = val_mmcs();
    for (b, mats) in batches.into_iter().enumerate() {
        let widths: usize = mats.iter().map(|m| m.width()).sum();
        let max_h = mats.iter().map(|m| m.height()).max().unwrap();
        let dims: Vec<_> = mats.iter().map(|m| m.dimensions()).collect();
        let (cap, tree) = reference.commit(mats.clone());
        // No budget; three rows per call; less than one row (falls back to the reference).
        let gpus = [
            GpuMmcs::new(rt.clone()),
            GpuMmcs::new(rt.clone()).with_budget(3 * 4 * (widths + 8) as u64),
            GpuMmcs::new(rt.clone()).with_budget(16),
        ];
        for (g, gpu) in gpus.iter().enumerate() {
            let what = format!("batch {b}, mmcs {g}");
            let (gcap, gtree) = gpu.commit(mats.clone());
            assert_eq!(gcap, cap, "{what}: commitment");
            let failures = gpu.stats().failures.load(Ordering::Relaxed);
            assert_eq!(
                failures,
                usize::from(g == 2),
                "{what}: {:?}",
                gpu.stats().first_error()
            );
            let query_sets: Vec<Vec<usize>> = vec![
                vec![0],
                vec![max_h - 1, 0, max_h - 1],
                (0..max_h.min(64)).rev().collect(),
                (0..20).map(|_| rng.gen_range(0..max_h)).collect(),
            ];
            for q in &query_sets {
                let (rows, proof) = reference.open_multi_batch(q, &tree);
                let (grows, gproof) = gpu.open_multi_batch(q, &gtree);
                assert_eq!(grows, rows, "{what}: rows for {q:?}");
                assert_eq!(
                    gproof.sibling_hashes, proof.sibling_hashes,
                    "{what}: pruned paths for {q:?}"
                );
                gpu.verify_multi_batch(&gcap, &dims, q, &grows, &gproof)
                    .unwrap_or_else(|e| panic!("{what}: {e:?}"));
                let (one_rows, one_proof) = reference.open_batch(q[0], &tree).unpack();
                let opening = gpu.open_batch(q[0], &gtree);
                assert_eq!(opening.opened_values, one_rows, "{what}: single opening");
                assert_eq!(opening.opening_proof, one_proof, "{what}: single path");
                gpu.verify_batch(&gcap, &dims, q[0], BatchOpeningRef::from(&opening))
                    .unwrap_or_else(|e| panic!("{what}: {e:?}"));
            }
            let heights: Vec<usize> = gpu
                .get_matrices(&gtree)
                .iter()
                .map(|m| m.height())
                .collect();
            assert_eq!(heights, reference.get_matrix_heights(&tree), "{what}");
        }
    }
}

pub fn ntt_and_lde_match_plonky3<R: DeviceRuntime>(rt: &R) {
    use p3_dft::{Radix2DitParallel, TwoAdicSubgroupDft};
    use p3_matrix::bitrev::BitReversibleMatrix;
    use p3_matrix::Matrix;
    use prover_gpu::kernels::ntt;
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let dft = Radix2DitParallel::<F>::default();
    for (log_n, widths) in [
        (0usize, &[1usize, 3, 8, 17][..]),
        (1, &[1, 3, 8, 17]),
        (2, &[1, 3, 8, 17]),
        (5, &[1, 3, 8, 17]),
        (9, &[1, 3, 8, 17]),
        (10, &[1, 3]),
        (12, &[1, 3, 8, 17]),
        (16, &[2]),
    ] {
        for &width in widths {
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

/// A test AIR exercising every bytecode feature: degree-3 products, shared subexpressions,
/// transitions, first/last-row selectors, constants, negation and public values.
pub struct MixAir;

impl<T> p3_air::BaseAir<T> for MixAir {
    fn width(&self) -> usize {
        4
    }
    fn num_public_values(&self) -> usize {
        2
    }
}

impl<AB: p3_air::AirBuilder> p3_air::Air<AB> for MixAir {
    fn eval(&self, b: &mut AB) {
        use p3_air::{AirBuilder, WindowAccess};
        let main = b.main();
        let (l, nx) = (main.current_slice().to_vec(), main.next_slice().to_vec());
        let pv: Vec<AB::PublicVar> = b.public_values().to_vec();
        let (x, y, z, w) = (l[0], l[1], l[2], l[3]);
        let shared: AB::Expr = x.into() * y.into() + AB::Expr::from_u32(7);
        b.assert_zero(shared.clone() * z.into() - w.into());
        let step: AB::Expr = shared.clone() - y.into() * y.into();
        b.when_transition().assert_zero(nx[0].into() - step);
        b.when_first_row().assert_zero(x.into() - pv[0].into());
        b.when_last_row()
            .assert_zero(-(w.into()) + z.into() - pv[1].into());
        b.assert_zero(
            x.into() * x.into() * x.into() - shared * AB::Expr::from_u32(3) + nx[3].into(),
        );
    }
}

pub fn quotient_matches_plonky3<R: DeviceRuntime>(rt: &R) {
    use mipstark_prover_cpu_ref::{make_config, Challenge, StarkParams};
    use p3_air::{get_symbolic_constraints, AirLayout};
    use p3_commit::{Pcs, PolynomialSpace};
    use p3_dft::{Radix2DitParallel, TwoAdicSubgroupDft};
    use p3_matrix::Matrix;
    use p3_uni_stark::StarkGenericConfig;
    use prover_gpu::kernels::quotient::{quotient_values, QuotientInputs, Selectors};
    use prover_gpu::quotient::{QuotientProgram, RowInputs};

    type P = mipstark_prover_cpu_ref::config::Pcs;
    type Ch = mipstark_prover_cpu_ref::DeterministicChallenger;
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let config = make_config(StarkParams::TESTING);
    let pcs: &P = config.pcs();
    let layout = AirLayout::from_air::<F>(&MixAir);
    let constraints = get_symbolic_constraints::<F, _>(&MixAir, layout);
    let prog = QuotientProgram::compile(&constraints).unwrap();
    for log_n in [2usize, 6, 10] {
        let n = 1 << log_n;
        let trace = matrix(&mut rng, n, 4);
        let publics = elements(&mut rng, 2);
        let alpha = EF::from_basis_coefficients_slice(&elements(&mut rng, 4)).unwrap();
        let trace_domain = <P as Pcs<Challenge, Ch>>::natural_domain_for_degree(pcs, n);
        let log_chunks = 1; // degree-3 constraints: two quotient chunks
        let quotient_domain = trace_domain.create_disjoint_domain(n << log_chunks);
        let on_q = Radix2DitParallel::<F>::default()
            .coset_lde_batch(trace.clone(), log_chunks, quotient_domain.first_point())
            .to_row_major_matrix();
        let sels = trace_domain.selectors_on_coset(quotient_domain);
        let cpu = p3_uni_stark::quotient_values::<mipstark_prover_cpu_ref::MipsStarkConfig, _, _>(
            pcs,
            &MixAir,
            &publics,
            layout,
            trace_domain,
            quotient_domain,
            &on_q,
            None,
            alpha,
        );
        let mut weights: Vec<EF> = alpha.powers().take(constraints.len()).collect();
        weights.reverse();
        let next_step = 1 << log_chunks;
        let qn = n << log_chunks;
        // CPU twin of the kernel.
        let twin: Vec<EF> = (0..qn)
            .map(|i| {
                let next = on_q.row_slice((i + next_step) % qn).unwrap().to_vec();
                let local = on_q.row_slice(i).unwrap().to_vec();
                let row = RowInputs {
                    main_local: &local,
                    main_next: &next,
                    pre_local: &[],
                    pre_next: &[],
                    perm_local: &[],
                    perm_next: &[],
                    public_values: &publics,
                    ext_table: &[],
                    is_first: sels.is_first_row[i],
                    is_last: sels.is_last_row[i],
                    is_transition: sels.is_transition[i],
                };
                prog.eval_row(&row, &weights) * sels.inv_vanishing[i]
            })
            .collect();
        assert_same(&format!("bytecode twin 2^{log_n}"), &twin, &cpu);
        let q = QuotientInputs {
            main: &on_q,
            preprocessed: None,
            permutation: None,
            selectors: Selectors {
                is_first_row: &sels.is_first_row,
                is_last_row: &sels.is_last_row,
                is_transition: &sels.is_transition,
                inv_vanishing: &sels.inv_vanishing,
            },
            public_values: &publics,
            ext_table: &[],
            weights: &weights,
            next_step,
        };
        let gpu = quotient_values(rt, &prog, &q).unwrap();
        assert_same(&format!("quotient kernel 2^{log_n}"), &gpu, &cpu);
    }
}

pub fn fri_fold_matches_plonky3<R: DeviceRuntime>(rt: &R) {
    use core::marker::PhantomData;
    use p3_fri::{FriFoldingStrategy, TwoAdicFriFolding};
    use prover_gpu::kernels::fri;
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let folding = TwoAdicFriFolding::<(), ()>(PhantomData);
    for log_len in 1..=12usize {
        let len = 1 << log_len;
        let codeword: Vec<EF> = elements(&mut rng, 4 * len)
            .chunks(4)
            .map(|c| EF::from_basis_coefficients_slice(c).unwrap())
            .collect();
        let beta = EF::from_basis_coefficients_slice(&elements(&mut rng, 4)).unwrap();
        let cpu = <TwoAdicFriFolding<(), ()> as FriFoldingStrategy<F, EF>>::fold_matrix(
            &folding,
            beta,
            1,
            RowMajorMatrix::new(codeword.clone(), 2),
        );
        let gpu = fri::fold_arity2(rt, &codeword, beta).unwrap();
        assert_same(&format!("fri fold 2^{log_len}"), &gpu, &cpu);
    }
}

/// The device's quotient of every instance of real proofs (every chip, lookups included, with
/// preprocessed tables and several shards) equals Plonky3's, compared job by job inside the
/// protocol loop; under a small budget the quotient domain is evaluated in row chunks.
pub fn machine_quotients_match_plonky3<R: DeviceRuntime + Send + Sync>(rt: std::sync::Arc<R>) {
    use mipstark_prover_cpu_ref::machine::{prove_traces, prove_traces_backend};
    use mipstark_prover_cpu_ref::protocol::{
        reference_quotient_values, QuotientEvaluator, QuotientJob,
    };
    use mipstark_prover_cpu_ref::{StarkParams, Val};
    use p3_matrix::Matrix;
    use prover_gpu::quotient::GpuQuotient;

    struct Compare<R> {
        gpu: GpuQuotient<R>,
        jobs: std::sync::Mutex<Vec<String>>,
    }
    impl<R: DeviceRuntime + Send + Sync> QuotientEvaluator for Compare<R> {
        fn quotient_values<M: Matrix<Val> + Sync>(&self, job: &QuotientJob<'_, M>) -> Vec<EF> {
            let cpu = reference_quotient_values(job);
            let gpu = self
                .gpu
                .on_device(job)
                .unwrap_or_else(|e| panic!("{}: {e}", job.air.name()));
            assert_same(&format!("quotient of {}", job.air.name()), &gpu, &cpu);
            self.jobs.lock().unwrap().push(job.air.name().to_string());
            cpu
        }
    }
    let p = StarkParams::TESTING;
    for (name, hint, budget) in [
        ("fibonacci", Some(10), None),
        ("heap", Some(4), Some(1 << 20)),
    ] {
        let (program, shards) = mipstark_tests::guests::record(name, hint, (1 << 9) - 1);
        let m = mipstark_air::machine::Machine::new(program).unwrap();
        let mut gpu = GpuQuotient::new(rt.clone());
        if let Some(b) = budget {
            gpu = gpu.with_budget(b);
        }
        let cmp = Compare {
            gpu,
            jobs: Default::default(),
        };
        let t = m.generate_traces(&shards).unwrap();
        let instances = t.traces.len();
        let proof = prove_traces_backend(
            &m,
            t,
            p,
            mipstark_prover_cpu_ref::config::Dft::default(),
            mipstark_prover_cpu_ref::val_mmcs(),
            &cmp,
        )
        .unwrap();
        assert_eq!(cmp.jobs.lock().unwrap().len(), instances, "{name}");
        let cpu = prove_traces(&m, m.generate_traces(&shards).unwrap(), p).unwrap();
        assert_eq!(proof.to_bytes(), cpu.to_bytes(), "{name}");
    }
}
