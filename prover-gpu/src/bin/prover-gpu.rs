//! `prover-gpu bench`: per-stage throughput of the GPU backend against the CPU reference
//! (Plonky3), measured in one run on the same inputs, with the ratio between them.
//!
//! Stages: Poseidon2 permutations, coset LDE, Merkle tree, the whole commit step (LDE + Merkle)
//! as `TwoAdicFriPcs::commit` does it, a FRI fold, the quotient of every instance of a guest
//! proof (every chip, lookups included), and the whole proof of that run (the backend's LDEs,
//! Merkle trees and quotients in the reference protocol; proven cycles/s). Every GPU result is
//! checked against the CPU one (proofs byte for byte) before its time is reported.

// Built without a runtime feature the binary can only explain how to rebuild it.
#![cfg_attr(
    not(any(feature = "opencl", feature = "cuda")),
    allow(dead_code, unused_imports)
)]

use std::time::{Duration, Instant};

use anyhow::bail;
use clap::{Parser, Subcommand, ValueEnum};
use mipstark_prover_cpu_ref::config::{Compressor, Hasher, ValMmcs};
use mipstark_prover_cpu_ref::protocol::{
    reference_quotient_values, QuotientEvaluator, QuotientJob,
};
use mipstark_prover_cpu_ref::{make_config, Challenge, DeterministicChallenger, StarkParams};
use p3_commit::{Mmcs, Pcs};
use p3_dft::{Radix2DitParallel, TwoAdicSubgroupDft};
use p3_field::PrimeCharacteristicRing;
use p3_koala_bear::{default_koalabear_poseidon2_16, KoalaBear};
use p3_matrix::bitrev::BitReversibleMatrix;
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;
use p3_symmetric::Permutation;
use prover_gpu::kernels::{as_words, fri, merkle, ntt, poseidon2};
use prover_gpu::DeviceRuntime;
use rayon::prelude::*;

type F = KoalaBear;

#[derive(Parser)]
#[command(name = "prover-gpu", about = "mipstark GPU backend tools")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Per-stage throughput and the ratio to the CPU reference.
    Bench(BenchArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum Backend {
    Opencl,
    Cuda,
}

#[derive(clap::Args)]
struct BenchArgs {
    /// Device runtime.
    #[arg(long, value_enum, default_value = "opencl")]
    backend: Backend,
    /// log2 of the trace height (rows before the blowup).
    #[arg(long, default_value_t = 14)]
    log_rows: u32,
    /// Trace width (columns).
    #[arg(long, default_value_t = 32)]
    width: usize,
    /// log2 of the LDE blowup.
    #[arg(long, default_value_t = 1)]
    log_blowup: u32,
    /// Timed repetitions per stage (the best is reported).
    #[arg(long, default_value_t = 3)]
    reps: usize,
    /// The whole-proof stage proves fibonacci(N) (about 5 cycles per unit); 0 skips it.
    #[arg(long, default_value_t = 20_000)]
    proof_fib: u32,
}

fn main() {
    if let Err(e) = run(Cli::parse()) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Bench(args) => match args.backend {
            #[cfg(feature = "opencl")]
            Backend::Opencl => bench(
                std::sync::Arc::new(prover_gpu::runtime::opencl::OpenClRuntime::new()?),
                &args,
            ),
            #[cfg(feature = "cuda")]
            Backend::Cuda => bench(
                std::sync::Arc::new(prover_gpu::runtime::cuda::CudaRuntime::new()?),
                &args,
            ),
            #[allow(unreachable_patterns)]
            _ => bail!("this binary was built without that backend; rebuild with --features opencl or --features cuda"),
        },
    }
}

fn best<T>(reps: usize, mut f: impl FnMut() -> anyhow::Result<T>) -> anyhow::Result<(Duration, T)> {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..reps.max(1) {
        let t = Instant::now();
        let r = f()?;
        best = best.min(t.elapsed());
        out = Some(r);
    }
    Ok((best, out.expect("at least one repetition")))
}

struct Row {
    stage: &'static str,
    unit: &'static str,
    work: f64,
    gpu: Duration,
    cpu: Duration,
}

/// Times every quotient job of a proof on the CPU reference and on the device, one job at a
/// time (the protocol runs instances in parallel), and checks they agree.
struct TimedQuotient<R> {
    gpu: prover_gpu::quotient::GpuQuotient<R>,
    /// CPU time, GPU time, quotient-domain points, first disagreement.
    totals: std::sync::Mutex<(Duration, Duration, usize, Option<String>)>,
}

impl<R: DeviceRuntime + Send + Sync> QuotientEvaluator for TimedQuotient<R> {
    fn quotient_values<M: Matrix<F> + Sync>(&self, job: &QuotientJob<'_, M>) -> Vec<Challenge> {
        let mut t = self.totals.lock().unwrap_or_else(|e| e.into_inner());
        let start = Instant::now();
        let cpu = reference_quotient_values(job);
        t.0 += start.elapsed();
        let start = Instant::now();
        let gpu = self.gpu.on_device(job);
        t.1 += start.elapsed();
        t.2 += cpu.len();
        let name = job.air.name();
        match gpu {
            Ok(g) if g == cpu => {}
            Ok(_) => drop(t.3.get_or_insert(format!("the {name} quotient differs"))),
            Err(e) => drop(t.3.get_or_insert(format!("the {name} quotient failed: {e}"))),
        }
        cpu
    }
}

/// The quotient and whole-proof stages: one guest run's quotients on both sides, then the run
/// proved by the reference and by the device backend.
fn bench_proof<R: DeviceRuntime + Send + Sync>(
    rt: std::sync::Arc<R>,
    a: &BenchArgs,
) -> anyhow::Result<Vec<Row>> {
    use mipstark_air::machine::Machine;
    use mipstark_emulator::{ExecConfig, Executor, GuestInput, Program};
    use mipstark_prover_cpu_ref::machine::{first_difference, prove_traces, prove_traces_backend};
    if a.proof_fib == 0 {
        return Ok(Vec::new());
    }
    let elf = include_bytes!("../../../tests/guests/elf/fibonacci.elf");
    let program = std::sync::Arc::new(Program::from_elf(elf)?);
    let input = GuestInput::default().with_u32_hint(a.proof_fib);
    let (shards, exit) = Executor::new(program.clone(), input, ExecConfig::default())
        .record_shards((1 << 20) - 1)?;
    let cycles = exit.cycles;
    let machine = Machine::new(program)?;
    let params = StarkParams::DEFAULT;
    let timed = TimedQuotient {
        gpu: prover_gpu::quotient::GpuQuotient::new(rt.clone()),
        totals: Default::default(),
    };
    prove_traces_backend(
        &machine,
        machine.generate_traces(&shards)?,
        params,
        mipstark_prover_cpu_ref::config::Dft::default(),
        mipstark_prover_cpu_ref::val_mmcs(),
        &timed,
    )?;
    let (q_cpu, q_gpu, q_points, q_err) =
        timed.totals.into_inner().unwrap_or_else(|e| e.into_inner());
    if let Some(e) = q_err {
        bail!("{e}");
    }
    let (cpu, cpu_proof) = best(a.reps, || {
        Ok(prove_traces(
            &machine,
            machine.generate_traces(&shards)?,
            params,
        )?)
    })?;
    let backend = prover_gpu::GpuBackend::new(rt);
    let (gpu, gpu_proof) = best(a.reps, || {
        Ok(backend.prove(&machine, machine.generate_traces(&shards)?, params)?)
    })?;
    if let Some(field) = first_difference(&cpu_proof, &gpu_proof) {
        bail!("the GPU proof differs from the CPU proof first in {field}");
    }
    Ok(vec![
        Row {
            stage: "quotient (every chip)",
            unit: "pts/s",
            work: q_points as f64,
            gpu: q_gpu,
            cpu: q_cpu,
        },
        Row {
            stage: "whole proof (all on device)",
            unit: "cyc/s",
            work: cycles as f64,
            gpu,
            cpu,
        },
    ])
}

fn bench<R: DeviceRuntime + Send + Sync>(
    shared: std::sync::Arc<R>,
    a: &BenchArgs,
) -> anyhow::Result<()> {
    let rt = &*shared;
    let n = 1usize << a.log_rows;
    let trace = RowMajorMatrix::new(
        (0..n * a.width)
            .map(|i| F::from_u32((i as u32).wrapping_mul(2654435761) >> 1))
            .collect(),
        a.width,
    );
    let lde_rows = n << a.log_blowup;
    let mut rows = Vec::new();

    // Poseidon2: as many permutations as the Merkle leaves of the LDE need.
    let perms = lde_rows * a.width.div_ceil(8);
    let states: Vec<[F; 16]> = (0..perms)
        .map(|i| core::array::from_fn(|k| F::from_u32((i * 16 + k) as u32)))
        .collect();
    let perm = default_koalabear_poseidon2_16();
    let (cpu, cpu_out) = best(a.reps, || {
        Ok(states
            .par_iter()
            .map(|s| perm.permute(*s))
            .collect::<Vec<_>>())
    })?;
    let flat: Vec<F> = states.iter().flatten().copied().collect();
    // The ceiling: the permutation alone on device-resident states (no transfers timed).
    let mut buf = rt.upload(as_words(&flat))?;
    let (gpu, _) = best(a.reps, || {
        Ok(poseidon2::permute_in_place(rt, &mut buf, perms)?)
    })?;
    if poseidon2::permute_batch(rt, &states[..64.min(perms)])? != cpu_out[..64.min(perms)] {
        bail!("GPU Poseidon2 disagrees with Plonky3");
    }
    rows.push(Row {
        stage: "poseidon2",
        unit: "perm/s",
        work: perms as f64,
        gpu,
        cpu,
    });

    // Coset LDE.
    let dft = Radix2DitParallel::<F>::default();
    let shift = ntt::pcs_shift();
    let (cpu, cpu_lde) = best(a.reps, || {
        Ok(dft
            .coset_lde_batch(trace.clone(), a.log_blowup as usize, shift)
            .bit_reverse_rows()
            .to_row_major_matrix())
    })?;
    let (gpu, gpu_lde) = best(a.reps, || {
        Ok(ntt::coset_lde_bitrev(rt, &trace, a.log_blowup, shift)?)
    })?;
    if gpu_lde != cpu_lde {
        bail!("GPU LDE disagrees with Plonky3");
    }
    rows.push(Row {
        stage: "coset LDE",
        unit: "elem/s",
        work: (lde_rows * a.width) as f64,
        gpu,
        cpu,
    });

    // Merkle tree over the LDE.
    let p = default_koalabear_poseidon2_16();
    let mmcs = ValMmcs::new(Hasher::new(p.clone()), Compressor::new(p), 0);
    let (cpu, (cap, _)) = best(a.reps, || Ok(mmcs.commit(vec![cpu_lde.clone()])))?;
    let (gpu, tree) = best(a.reps, || Ok(merkle::build(rt, &[&cpu_lde])?))?;
    if tree.root() != cap[0] {
        bail!("GPU Merkle root disagrees with Plonky3");
    }
    rows.push(Row {
        stage: "merkle",
        unit: "rows/s",
        work: lde_rows as f64,
        gpu,
        cpu,
    });

    // The whole commit step.
    let params = StarkParams {
        log_blowup: a.log_blowup as usize,
        ..StarkParams::TESTING
    };
    let config = make_config(params);
    type P = mipstark_prover_cpu_ref::config::Pcs;
    let pcs: &P = p3_uni_stark::StarkGenericConfig::pcs(&config);
    let domain = <P as Pcs<Challenge, DeterministicChallenger>>::natural_domain_for_degree(pcs, n);
    let (cpu, (com, _)) = best(a.reps, || {
        <P as Pcs<Challenge, DeterministicChallenger>>::commit(pcs, [(domain, trace.clone())])
            .map_err(|e| anyhow::anyhow!("{e:?}"))
    })?;
    let (gpu, root) = best(a.reps, || {
        let lde = ntt::coset_lde_bitrev(rt, &trace, a.log_blowup, shift)?;
        Ok(merkle::build(rt, &[&lde])?.root())
    })?;
    if root != com[0] {
        bail!("GPU commit disagrees with TwoAdicFriPcs::commit");
    }
    rows.push(Row {
        stage: "commit (LDE+Merkle)",
        unit: "elem/s",
        work: (n * a.width) as f64,
        gpu,
        cpu,
    });

    // One FRI fold (arity 2) of a codeword as long as the LDE.
    let codeword: Vec<Challenge> = (0..lde_rows)
        .map(|i| Challenge::from(F::from_u32((i as u32).wrapping_mul(2246822519) >> 1)))
        .collect();
    let beta = Challenge::from(F::from_u32(7));
    let folding = p3_fri::TwoAdicFriFolding::<(), ()>(std::marker::PhantomData);
    let (cpu, cpu_fold) = best(a.reps, || {
        Ok(<p3_fri::TwoAdicFriFolding<(), ()> as p3_fri::FriFoldingStrategy<F, Challenge>>::fold_matrix(
            &folding,
            beta,
            1,
            RowMajorMatrix::new(codeword.clone(), 2),
        ))
    })?;
    let (gpu, gpu_fold) = best(a.reps, || Ok(fri::fold_arity2(rt, &codeword, beta)?))?;
    if gpu_fold != cpu_fold {
        bail!("GPU FRI fold disagrees with Plonky3");
    }
    rows.push(Row {
        stage: "fri fold",
        unit: "elem/s",
        work: lde_rows as f64,
        gpu,
        cpu,
    });

    let merkle_gpu = rows[2].gpu;
    rows.extend(bench_proof(shared.clone(), a)?);

    println!("device: {}", rt.device_name());
    println!(
        "trace 2^{} x {} (blowup 2^{}), best of {}",
        a.log_rows, a.width, a.log_blowup, a.reps
    );
    println!(
        "{:<28} {:>14} {:>14} {:>10}",
        "stage", "gpu", "cpu (Plonky3)", "gpu/cpu"
    );
    for r in &rows {
        let g = r.work / r.gpu.as_secs_f64();
        let c = r.work / r.cpu.as_secs_f64();
        println!(
            "{:<28} {:>9.3e} {:<5} {:>9.3e} {:<5} {:>9.2}x",
            r.stage,
            g,
            r.unit,
            c,
            r.unit,
            g / c
        );
    }
    // How close the whole Merkle build (uploads and layer read-backs included) runs to the bare
    // permutation kernel on the same device.
    let perm_rate = rows[0].work / rows[0].gpu.as_secs_f64();
    let merkle_perms = (lde_rows * a.width.div_ceil(8) + lde_rows) as f64;
    let merkle_rate = merkle_perms / merkle_gpu.as_secs_f64();
    println!(
        "merkle kernel at {:.0}% of the bare Poseidon2 rate on this device",
        100.0 * merkle_rate / perm_rate
    );
    Ok(())
}
