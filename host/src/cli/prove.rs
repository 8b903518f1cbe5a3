//! `mipstark prove`: execute, generate traces, prove; a stage summary on stderr.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use mipstark::emulator::{ExecConfig, Program};
use mipstark::prove::{record, DEFAULT_SHARD_LOG};
use mipstark::timing::{peak_memory, StageTimes, TimingLayer};
use mipstark::StarkParams;
use mipstark_air::machine::Machine;
use mipstark_prover_cpu_ref::machine::prove_traces;
use tracing_subscriber::layer::SubscriberExt;

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
    #[arg(long, value_enum, default_value_t = Backend::Cpu)]
    backend: Backend,
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
}

fn check_backend(b: Backend) -> anyhow::Result<()> {
    match b {
        Backend::Cpu => Ok(()),
        other => bail!(
            "--backend {other:?} is not wired into the prover yet: the GPU kernels exist in \
             prover-gpu but the whole-proof GPU backend is still open (issue 5); use --backend cpu"
        ),
    }
}

/// Proves a loaded program; returns the proof bytes and the figures.
pub fn prove_loaded(
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
    let trace_cells: u64 = traces.traces.iter().map(|t| t.values.len() as u64).sum();
    let times = StageTimes::default();
    let b2 = bar.clone();
    let layer = TimingLayer::new(times.clone(), move |stage| {
        b2.set_message(format!("proving: {stage}"))
    });
    let subscriber = tracing_subscriber::registry().with(layer);
    let t2 = Instant::now();
    let proof =
        tracing::subscriber::with_default(subscriber, || prove_traces(&machine, traces, params))?;
    let prove = t2.elapsed();
    bar.finish_and_clear();
    let bytes = proof.to_bytes();
    // Lookup columns are extension elements: count them from the proof's opened values.
    let lookup_cells: u64 = proof
        .proof
        .opened_values
        .instances
        .iter()
        .zip(&proof.proof.degree_bits)
        .map(|(o, db)| (o.permutation_local.len() as u64 * 4) << db)
        .sum();
    Ok((
        bytes.clone(),
        ProveReport {
            cycles: rec.exit.cycles,
            shards: proof.statement.shards.len(),
            execute,
            tracegen,
            prove,
            stages: times.get(),
            proof_bytes: bytes.len(),
            trace_cells: trace_cells + lookup_cells,
        },
    ))
}

pub fn run(args: ProveArgs) -> anyhow::Result<i32> {
    check_backend(args.backend)?;
    let loaded = args.program.load()?;
    let config = ExecConfig {
        max_cycles: args.max_cycles,
        ..ExecConfig::default()
    };
    let name = loaded.name.clone();
    let (bytes, report) = prove_loaded(
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
    Ok(0)
}
