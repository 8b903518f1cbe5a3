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
use mipstark::{Layout, Proof};
use mipstark_air::machine::Machine;
use mipstark_emulator::ExecutionRecord;
use mipstark_prover_cpu_ref::machine::prove_traces;
use mipstark_prover_cpu_ref::sharded::prove_sharded;

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

/// How an execution's shards are laid out in its proof.
#[derive(Clone, Copy, Debug, Default, ValueEnum)]
pub enum LayoutArg {
    /// Shard by shard when the run takes several shards (memory bounded by one shard's
    /// proof), one batch otherwise.
    #[default]
    Auto,
    /// Every shard in one batch: faster (no shard's traces are generated and committed
    /// twice), but every shard's LDEs are in memory at once.
    OneBatch,
    /// Shard by shard, even for one shard.
    Sharded,
}

impl LayoutArg {
    pub fn layout(self) -> Layout {
        match self {
            LayoutArg::Auto => Layout::Auto,
            LayoutArg::OneBatch => Layout::OneBatch,
            LayoutArg::Sharded => Layout::Sharded,
        }
    }
}

/// Security parameters.
#[derive(Clone, Copy, Debug, Default, ValueEnum)]
pub enum Params {
    /// 100 conjectured bits (blowup 2, 84 queries, 16 PoW bits).
    #[default]
    Secure,
    /// Fast and insecure (8 queries): for tests only.
    Testing,
    /// 100 proven bits, unique decoding (blowup 4, 124 queries, 16+14+12+8 PoW bits); see
    /// `mipstark params`.
    Provable,
}

impl Params {
    pub fn stark(self) -> StarkParams {
        match self {
            Params::Secure => StarkParams::DEFAULT,
            Params::Testing => StarkParams::TESTING,
            Params::Provable => StarkParams::PROVABLE,
        }
    }

    /// Every preset, weakest first, with its `--params` name.
    pub const ALL: [(&'static str, Params); 3] = [
        ("testing", Params::Testing),
        ("secure", Params::Secure),
        ("provable", Params::Provable),
    ];
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
    /// How the shards are laid out in the proof.
    #[arg(long, value_enum, default_value_t = LayoutArg::Auto)]
    layout: LayoutArg,
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
    /// Proved shard by shard (else in one batch).
    pub sharded: bool,
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
            "cycles:          {} in {} shard(s), {}",
            self.cycles,
            self.shards,
            if self.sharded {
                "proved shard by shard"
            } else {
                "proved in one batch"
            }
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

/// What a backend proves: every shard's traces in one batch, or the records shard by shard.
pub enum Work<'a> {
    Batch(mipstark_air::machine::MachineTraces),
    Sharded(&'a [ExecutionRecord]),
}

/// Proves `work` on `backend`: the CPU reference, or with the LDEs on a GPU runtime.
fn prove_on(
    backend: BackendArgs,
    machine: &Machine,
    work: Work<'_>,
    params: StarkParams,
) -> anyhow::Result<Proof> {
    match backend.backend {
        Backend::Cpu => Ok(match work {
            Work::Batch(traces) => Proof::Batch(prove_traces(machine, traces, params)?),
            Work::Sharded(shards) => Proof::Sharded(prove_sharded(machine, shards, params)?),
        }),
        #[cfg(feature = "opencl")]
        Backend::Opencl => {
            use prover_gpu::runtime::opencl::OpenClRuntime;
            let rt = match backend.gpu_device {
                Some(i) => OpenClRuntime::on_device(i)?,
                None => OpenClRuntime::new()?,
            };
            prove_gpu(std::sync::Arc::new(rt), backend, machine, work, params)
        }
        #[cfg(feature = "cuda")]
        Backend::Cuda => {
            use prover_gpu::runtime::cuda::CudaRuntime;
            let rt = match backend.gpu_device {
                Some(i) => CudaRuntime::on_device(i)?,
                None => CudaRuntime::new()?,
            };
            prove_gpu(std::sync::Arc::new(rt), backend, machine, work, params)
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
    work: Work<'_>,
    params: StarkParams,
) -> anyhow::Result<Proof> {
    let gpu = prover_gpu::GpuBackend::new(rt).with_memory_fraction(backend.gpu_mem_fraction)?;
    Ok(match work {
        Work::Batch(traces) => Proof::Batch(gpu.prove(machine, traces, params)?),
        Work::Sharded(shards) => Proof::Sharded(gpu.prove_sharded(machine, shards, params)?),
    })
}

/// Proves a loaded program; returns the proof bytes and the figures.
pub fn prove_loaded(
    opts: ProveOptions,
    loaded: super::inputs::Loaded,
) -> anyhow::Result<(Vec<u8>, ProveReport)> {
    let ProveOptions {
        debug,
        backend,
        config,
        shard_log,
        layout,
        params,
        progress,
    } = opts;
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
    let sharded = layout.layout().sharded(rec.shards.len());
    let t1 = Instant::now();
    // A sharded proof generates each shard's traces itself; --debug checks them all first.
    let traces = if debug || !sharded {
        let traces = machine.generate_traces(&rec.shards)?;
        if debug {
            bar.set_message("checking every constraint (--debug)");
            let airs = machine.airs(traces.statement.shards.len());
            mipstark_air::machine::debug_check(&airs, &traces.traces, &traces.publics)
                .context("the traces violate the AIR (a prover bug: please report it)")?;
        }
        Some(traces).filter(|_| !sharded)
    } else {
        None
    };
    let mut tracegen = t1.elapsed();
    let work = match traces {
        Some(traces) => {
            drop(rec.shards);
            warn_if_short_of_memory(&bar, &traces, rec.exit.cycles);
            Work::Batch(traces)
        }
        None => Work::Sharded(&rec.shards),
    };
    let timing = mipstark::timing::install();
    let b2 = bar.clone();
    timing.start(move |stage| b2.set_message(format!("proving: {stage}")));
    let t2 = Instant::now();
    let proof = prove_on(backend, &machine, work, params);
    timing.stop();
    let proof = proof?;
    let mut prove = t2.elapsed();
    let mut stages = timing.times.get();
    // A sharded proof's trace generation happens inside the prover: report it as such.
    if let Some(k) = stages.iter().position(|(name, _)| *name == "traces") {
        let (_, d) = stages.remove(k);
        tracegen += d;
        prove = prove.saturating_sub(d);
    }
    bar.finish_and_clear();
    let bytes = proof.to_bytes();
    // LogUp columns: the proof opens each base column of the flattened permutation trace.
    let airs = machine.airs(proof.statement().shards.len());
    let chips: Vec<(&'static str, usize, usize, usize)> = proof
        .instances()
        .into_iter()
        .zip(&airs)
        .map(|((db, o), air)| {
            (
                air.name(),
                db,
                o.base_opened_values.trace_local.len(),
                o.permutation_local.len(),
            )
        })
        .collect();
    let trace_cells: u64 = chips.iter().map(|c| ((c.2 + c.3) as u64) << c.1).sum();
    Ok((
        bytes.clone(),
        ProveReport {
            cycles: rec.exit.cycles,
            shards: proof.statement().shards.len(),
            sharded: matches!(proof, Proof::Sharded(_)),
            execute,
            tracegen,
            prove,
            stages,
            proof_bytes: bytes.len(),
            trace_cells,
            chips,
        },
    ))
}

/// One batch holds every shard's LDEs at once: say so before the system kills the prover.
fn warn_if_short_of_memory(
    bar: &ProgressBar,
    traces: &mipstark_air::machine::MachineTraces,
    cycles: u64,
) {
    let main_cells: u64 = traces.traces.iter().map(|t| t.values.len() as u64).sum();
    let needed = main_cells * mipstark::timing::PROVER_BYTES_PER_MAIN_CELL;
    if let Some(usable) = mipstark::timing::usable_memory().filter(|&u| needed > u) {
        bar.suspend(|| {
            eprintln!(
                "warning: proving {cycles} cycles in one batch needs about {:.1} GiB, and only \
                 {:.1} GiB are available: the prover may be killed (--layout sharded proves \
                 one shard at a time)",
                needed as f64 / (1u64 << 30) as f64,
                usable as f64 / (1u64 << 30) as f64
            )
        });
    }
}

/// How `prove_loaded` runs.
#[derive(Clone, Debug)]
pub struct ProveOptions {
    /// Check every constraint of every honest trace first.
    pub debug: bool,
    pub backend: BackendArgs,
    pub config: ExecConfig,
    pub shard_log: u32,
    pub layout: LayoutArg,
    pub params: StarkParams,
    /// Show a spinner with the current stage.
    pub progress: bool,
}

pub fn run(args: ProveArgs) -> anyhow::Result<i32> {
    let loaded = args.program.load()?;
    let config = ExecConfig {
        max_cycles: args.max_cycles,
        ..ExecConfig::default()
    };
    let name = loaded.name.clone();
    let (bytes, report) = prove_loaded(
        ProveOptions {
            debug: args.debug,
            backend: args.backend,
            config,
            shard_log: args.shard_size,
            layout: args.layout,
            params: args.params.stark(),
            progress: !args.quiet,
        },
        loaded,
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
