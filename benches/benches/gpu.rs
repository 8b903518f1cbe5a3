//! The GPU backend's stages against Plonky3 on the same inputs, one criterion group per stage
//! with a `cpu` and an `opencl` / `cuda` function, so the ratio reads off one report: coset
//! LDE, Merkle tree, FRI fold, and a whole proof (LDEs, trees and quotients on the device).
//! `prover-gpu bench` prints the same stages as a table (plus the quotient of every chip).
//!
//! Run: `cargo bench -p mipstark-benches --features opencl --bench gpu` (PoCL here; on an
//! NVIDIA machine `--features cuda`). Built without either feature the bench has nothing to
//! measure and says so.

#[cfg(any(feature = "opencl", feature = "cuda"))]
mod stages {
    use std::sync::Arc;

    use criterion::{BenchmarkId, Criterion, Throughput};
    use mipstark_air::machine::Machine;
    use mipstark_emulator::{ExecConfig, Executor};
    use mipstark_prover_cpu_ref::config::{Compressor, Hasher, ValMmcs};
    use mipstark_prover_cpu_ref::machine::prove_traces;
    use mipstark_prover_cpu_ref::StarkParams;
    use p3_commit::Mmcs;
    use p3_dft::{Radix2DitParallel, TwoAdicSubgroupDft};
    use p3_field::PrimeCharacteristicRing;
    use p3_koala_bear::{default_koalabear_poseidon2_16, KoalaBear};
    use p3_matrix::bitrev::BitReversibleMatrix;
    use p3_matrix::dense::RowMajorMatrix;
    use p3_matrix::Matrix;
    use prover_gpu::kernels::{fri, merkle, ntt};
    use prover_gpu::{DeviceRuntime, GpuBackend};

    type F = KoalaBear;
    type EF = p3_field::extension::BinomialExtensionField<F, 4>;

    const LOG_ROWS: usize = 14;
    const WIDTH: usize = 32;

    fn trace() -> RowMajorMatrix<F> {
        let n = 1 << LOG_ROWS;
        RowMajorMatrix::new(
            (0..n * WIDTH)
                .map(|i| F::from_u32((i as u32).wrapping_mul(2654435761) >> 1))
                .collect(),
            WIDTH,
        )
    }

    pub fn run<R: DeviceRuntime + Send + Sync>(c: &mut Criterion, rt: Arc<R>, name: &str) {
        let trace = trace();
        let n = trace.height();
        let shift = ntt::pcs_shift();

        let mut g = c.benchmark_group("gpu/coset_lde");
        g.throughput(Throughput::Elements((2 * n * WIDTH) as u64));
        g.sample_size(10);
        let dft = Radix2DitParallel::<F>::default();
        g.bench_function("cpu", |b| {
            b.iter(|| {
                dft.coset_lde_batch(trace.clone(), 1, shift)
                    .bit_reverse_rows()
                    .to_row_major_matrix()
            })
        });
        g.bench_function(name, |b| {
            b.iter(|| ntt::coset_lde_bitrev(&*rt, &trace, 1, shift).unwrap())
        });
        g.finish();

        let lde = ntt::coset_lde_bitrev(&*rt, &trace, 1, shift).unwrap();
        let mut g = c.benchmark_group("gpu/merkle");
        g.throughput(Throughput::Elements(lde.height() as u64));
        g.sample_size(10);
        let p = default_koalabear_poseidon2_16();
        let mmcs = ValMmcs::new(Hasher::new(p.clone()), Compressor::new(p), 0);
        g.bench_function("cpu", |b| b.iter(|| mmcs.commit(vec![lde.clone()])));
        g.bench_function(name, |b| b.iter(|| merkle::build(&*rt, &[&lde]).unwrap()));
        g.finish();

        let codeword: Vec<EF> = lde.values[..2 * n].iter().map(|&x| EF::from(x)).collect();
        let beta = EF::from(F::from_u32(7));
        let mut g = c.benchmark_group("gpu/fri_fold");
        g.throughput(Throughput::Elements(codeword.len() as u64));
        g.sample_size(10);
        let folding = p3_fri::TwoAdicFriFolding::<(), ()>(std::marker::PhantomData);
        g.bench_function("cpu", |b| {
            b.iter(|| {
                <p3_fri::TwoAdicFriFolding<(), ()> as p3_fri::FriFoldingStrategy<F, EF>>::fold_matrix(
                    &folding,
                    beta,
                    1,
                    RowMajorMatrix::new(codeword.clone(), 2),
                )
            })
        });
        g.bench_function(name, |b| {
            b.iter(|| fri::fold_arity2(&*rt, &codeword, beta).unwrap())
        });
        g.finish();

        // A whole proof of about 2^16 cycles at the secure parameters.
        let (program, input) = mipstark_benches::guest("fibonacci", 13_000);
        let (shards, exit) = Executor::new(program.clone(), input, ExecConfig::default())
            .record_shards((1 << 20) - 1)
            .unwrap();
        let machine = Machine::new(program).unwrap();
        let backend = GpuBackend::new(rt.clone());
        let mut g = c.benchmark_group("gpu/prove");
        g.throughput(Throughput::Elements(exit.cycles));
        g.sample_size(10);
        let params = StarkParams::DEFAULT;
        g.bench_function(BenchmarkId::new("cpu", "fibonacci"), |b| {
            b.iter(|| {
                prove_traces(&machine, machine.generate_traces(&shards).unwrap(), params).unwrap()
            })
        });
        g.bench_function(BenchmarkId::new(name, "fibonacci"), |b| {
            b.iter(|| {
                backend
                    .prove(&machine, machine.generate_traces(&shards).unwrap(), params)
                    .unwrap()
            })
        });
        g.finish();
    }
}

#[cfg(any(feature = "opencl", feature = "cuda"))]
fn bench_gpu(c: &mut criterion::Criterion) {
    #[cfg(feature = "opencl")]
    stages::run(
        c,
        std::sync::Arc::new(
            prover_gpu::runtime::opencl::OpenClRuntime::new()
                .expect("an OpenCL device (install pocl-opencl-icd)"),
        ),
        "opencl",
    );
    #[cfg(feature = "cuda")]
    match prover_gpu::runtime::cuda::CudaRuntime::new() {
        Ok(rt) => stages::run(c, std::sync::Arc::new(rt), "cuda"),
        Err(e) => eprintln!("no CUDA device, skipping the cuda stages: {e}"),
    }
}

#[cfg(not(any(feature = "opencl", feature = "cuda")))]
fn bench_gpu(_: &mut criterion::Criterion) {
    eprintln!("built without a GPU runtime: run with --features opencl (or cuda)");
}

criterion::criterion_group!(benches, bench_gpu);
criterion::criterion_main!(benches);
