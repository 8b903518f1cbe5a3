//! `mipstark prove`: execute, generate traces, prove; a stage summary on stderr.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use mipstark::emulator::{ExecConfig, Program};
use mipstark::prove::{record, DEFAULT_SHARD_LOG};
use mipstark::timing::peak_memory;
use mipstark::StarkParams;
use mipstark_air::machine::Machine;
use mipstark_prover_cpu_ref::machine::prove_traces;

use super::inputs::ProgramArgs;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Backend {
    /// The CPU reference prover (Plonky3).
    Cpu,
    /// GPU kernels through CUDA (build with `--features cuda`).
    Cuda,
    /// GPU kernels through OpenCL (build with `--features opencl`).
    Opencl,
}

/// Which prover runs, and on which device with how much of its memory.
#[derive(Args, Clone, Copy, Debug)]
pub struct BackendArgs {
    #[arg(long, value_enum, default_value_t = Backend::Cpu)]
    pub backend: Backend,
    /// GPU backends: the fraction of the device's memory one transform may use; a batch of
    /// trace columns that needs more is transformed a group of columns at a time.
    #[arg(long, value_name = "F", default_value_t = 0.9)]
    pub gpu_mem_fraction: f64,
    /// GPU backends: the device (CUDA ordinal or OpenCL device index); default
    /// MIPSTARK_CUDA_DEVICE / MIPSTARK_OPENCL_DEVICE, else 0.
    #[arg(long, value_name = "N")]
    pub gpu_device: Option<usize>,
}

/// Security parameters.
#[derive(Clone, Copy, Debug, Default, ValueEnum)]
pub enum Params {
    /// 100 conjectured bits (blowup 2, 84 queries, 16 PoW bits).
    #[default]
    Secure,
    /// Fast and insecure (8 queries): for tests only.
    Testing,
}

impl Params {
    pub fn stark(self) -> StarkParams {
        match self {
            Params::Secure => StarkParams::DEFAULT,
            Params::Testing => StarkParams::TESTING,
        }
    }
}

#[derive(Args)]
pub struct ProveArgs {
    #[command(flatten)]
    program: ProgramArgs,
    /// Where to write the proof.
    #[arg(short, long, value_name = "PROOF")]
    output: PathBuf,
    #[command(flatten)]
    backend: BackendArgs,
    /// log2 of the instructions per shard.
    #[arg(long, value_name = "LOG2", default_value_t = DEFAULT_SHARD_LOG)]
    shard_size: u32,
    #[arg(long, value_enum, default_value_t = Params::Secure)]
    params: Params,
    /// Stop with an error after this many instructions.
    #[arg(long, value_name = "N", default_value_t = ExecConfig::default().max_cycles)]
    max_cycles: u64,
    /// No progress display.
    #[arg(long, short)]
    quiet: bool,
    /// Also print every chip instance's rows and columns (main and LogUp).
    #[arg(long)]
    chips: bool,
    /// Before proving, evaluate every constraint on every row and balance every bus; stop
    /// with the first failing chip, row and constraint (or unbalanced tuple).
    #[arg(long)]
    debug: bool,
}

/// Figures of one proof, for the summary and `mipstark bench`.
pub struct ProveReport {
    pub cycles: u64,
    pub shards: usize,
    pub execute: Duration,
    pub tracegen: Duration,
    pub prove: Duration,
    pub stages: Vec<(&'static str, Duration)>,
    pub proof_bytes: usize,
    pub trace_cells: u64,
    /// Per instance: (chip, log2 rows, main columns, LogUp columns in base elements).
    pub chips: Vec<(&'static str, usize, usize, usize)>,
}

impl ProveReport {
    pub fn total(&self) -> Duration {
        self.execute + self.tracegen + self.prove
    }

    pub fn print(&self) {
        let total = self.total().as_secs_f64();
        eprintln!(
            "cycles:          {} in {} shard(s)",
            self.cycles, self.shards
        );
        eprintln!("execute:         {:>9.3} s", self.execute.as_secs_f64());
        eprintln!("trace generation:{:>9.3} s", self.tracegen.as_secs_f64());
        for (name, d) in &self.stages {
            eprintln!("  {name:<14} {:>9.3} s (span time)", d.as_secs_f64());
        }
        eprintln!("prove (STARK):   {:>9.3} s", self.prove.as_secs_f64());
        eprintln!("total:           {total:>9.3} s");
        eprintln!(
            "proven speed:    {:.2} kHz",
            self.cycles as f64 / total.max(1e-9) / 1e3
        );
        eprintln!(
            "trace cells:     {} ({:.0} per cycle, main + lookup)",
            self.trace_cells,
            self.trace_cells as f64 / self.cycles.max(1) as f64
        );
        if let Some(m) = peak_memory() {
            eprintln!("peak memory:     {:.1} MiB", m as f64 / (1 << 20) as f64);
        }
        eprintln!("proof size:      {} bytes", self.proof_bytes);
    }

    /// Rows and columns of every instance, largest first.
    pub fn print_chips(&self) {
        let mut v = self.chips.clone();
        v.sort_by_key(|c| std::cmp::Reverse((c.2 + c.3) << c.1));
        eprintln!(
            "{:<14} {:>6} {:>6} {:>7} {:>14} {:>8}",
            "chip", "rows", "main", "logup", "cells", "/cycle"
        );
        for (name, log, main, logup) in v {
            let cells = ((main + logup) as u64) << log;
            eprintln!(
                "{name:<14} {:>6} {main:>6} {logup:>7} {cells:>14} {:>8.1}",
                format!("2^{log}"),
                cells as f64 / self.cycles.max(1) as f64
            );
        }
    }
}

/// Proves `traces` on `backend`: the CPU reference, or with the LDEs on a GPU runtime.
fn prove_on(
    backend: BackendArgs,
    machine: &Machine,
    traces: mipstark_air::machine::MachineTraces,
    params: StarkParams,
) -> anyhow::Result<mipstark::MipsProof> {
    match backend.backend {
        Backend::Cpu => Ok(prove_traces(machine, traces, params)?),
        #[cfg(feature = "opencl")]
        Backend::Opencl => {
            use prover_gpu::runtime::opencl::OpenClRuntime;
            let rt = match backend.gpu_device {
                Some(i) => OpenClRuntime::on_device(i)?,
                None => OpenClRuntime::new()?,
            };
            prove_gpu(std::sync::Arc::new(rt), backend, machine, traces, params)
        }
        #[cfg(feature = "cuda")]
        Backend::Cuda => {
            use prover_gpu::runtime::cuda::CudaRuntime;
            let rt = match backend.gpu_device {
                Some(i) => CudaRuntime::on_device(i)?,
                None => CudaRuntime::new()?,
            };
            prove_gpu(std::sync::Arc::new(rt), backend, machine, traces, params)
        }
        #[allow(unreachable_patterns)]
        other => bail!(
            "this mipstark was built without the {other:?} backend: rebuild with \
             `cargo build --release --bin mipstark --features {}`",
            format!("{other:?}").to_lowercase()
        ),
    }
}

#[cfg(any(feature = "opencl", feature = "cuda"))]
fn prove_gpu<R: prover_gpu::DeviceRuntime + Send + Sync>(
    rt: std::sync::Arc<R>,
    backend: BackendArgs,
    machine: &Machine,
    traces: mipstark_air::machine::MachineTraces,
    params: StarkParams,
) -> anyhow::Result<mipstark::MipsProof> {
    let gpu = prover_gpu::GpuBackend::new(rt).with_memory_fraction(backend.gpu_mem_fraction)?;
    Ok(gpu.prove(machine, traces, params)?)
}

/// Proves a loaded program; returns the proof bytes and the figures.
pub fn prove_loaded(
    debug: bool,
    backend: BackendArgs,
    loaded: super::inputs::Loaded,
    config: ExecConfig,
    shard_log: u32,
    params: StarkParams,
    progress: bool,
) -> anyhow::Result<(Vec<u8>, ProveReport)> {
    let bar = if progress {
        let b = ProgressBar::new_spinner();
        b.set_style(
            ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        b.enable_steady_tick(Duration::from_millis(120));
        b
    } else {
        ProgressBar::hidden()
    };
    let program = Arc::new(
        Program::from_elf(&loaded.elf).with_context(|| format!("cannot load {}", loaded.name))?,
    );
    let machine = Machine::new(program.clone())?;
    bar.set_message("executing");
    let t0 = Instant::now();
    let rec = record(program, loaded.input, config, shard_log)?;
    let execute = t0.elapsed();
    bar.set_message(format!(
        "generating traces ({} cycles, {} shards)",
        rec.exit.cycles,
        rec.shards.len()
    ));
    let t1 = Instant::now();
    let traces = machine.generate_traces(&rec.shards)?;
    drop(rec.shards);
    let tracegen = t1.elapsed();
    if debug {
        bar.set_message("checking every constraint (--debug)");
        let airs = machine.airs(traces.statement.shards.len());
        mipstark_air::machine::debug_check(&airs, &traces.traces, &traces.publics)
            .context("the traces violate the AIR (a prover bug: please report it)")?;
    }
    let trace_cells: u64 = traces.traces.iter().map(|t| t.values.len() as u64).sum();
    // One batch holds every shard's LDEs at once: say so before the system kills the prover.
    let needed = trace_cells * mipstark::timing::PROVER_BYTES_PER_MAIN_CELL;
    if let Some(usable) = mipstark::timing::usable_memory().filter(|&u| needed > u) {
        bar.suspend(|| {
            eprintln!(
                "warning: proving {} cycles needs about {:.1} GiB, and only {:.1} GiB are \
                 available: the prover may be killed (every shard is proved in one batch; \
                 per-shard proofs are not implemented yet)",
                rec.exit.cycles,
                needed as f64 / (1u64 << 30) as f64,
                usable as f64 / (1u64 << 30) as f64
            )
        });
    }
    let timing = mipstark::timing::install();
    let b2 = bar.clone();
    timing.start(move |stage| b2.set_message(format!("proving: {stage}")));
    let t2 = Instant::now();
    let proof = prove_on(backend, &machine, traces, params);
    timing.stop();
    let proof = proof?;
    let prove = t2.elapsed();
    bar.finish_and_clear();
    let bytes = proof.to_bytes();
    // LogUp columns: the proof opens each base column of the flattened permutation trace.
    let airs = machine.airs(proof.statement.shards.len());
    let chips: Vec<(&'static str, usize, usize, usize)> = proof
        .proof
        .opened_values
        .instances
        .iter()
        .zip(&proof.proof.degree_bits)
        .zip(&airs)
        .map(|((o, db), air)| {
            (
                air.name(),
                *db,
                o.base_opened_values.trace_local.len(),
                o.permutation_local.len(),
            )
        })
        .collect();
    let lookup_cells: u64 = chips.iter().map(|c| (c.3 as u64) << c.1).sum();
    Ok((
        bytes.clone(),
        ProveReport {
            cycles: rec.exit.cycles,
            shards: proof.statement.shards.len(),
            execute,
            tracegen,
            prove,
            stages: timing.times.get(),
            proof_bytes: bytes.len(),
            trace_cells: trace_cells + lookup_cells,
            chips,
        },
    ))
}

pub fn run(args: ProveArgs) -> anyhow::Result<i32> {
    let loaded = args.program.load()?;
    let config = ExecConfig {
        max_cycles: args.max_cycles,
        ..ExecConfig::default()
    };
    let name = loaded.name.clone();
    let (bytes, report) = prove_loaded(
        args.debug,
        args.backend,
        loaded,
        config,
        args.shard_size,
        args.params.stark(),
        !args.quiet,
    )?;
    std::fs::write(&args.output, &bytes)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    eprintln!("proved {name}: proof written to {}", args.output.display());
    report.print();
    if args.chips {
        report.print_chips();
    }
    Ok(0)
}
