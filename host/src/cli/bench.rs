//! `mipstark bench`: prove the benchmark guests at chosen sizes and print a table.

use std::sync::Arc;

use anyhow::{bail, Context};
use clap::Args;
use mipstark::emulator::{ExecConfig, Executor, GuestInput, Program};
use mipstark::guests;
use mipstark::prove::{verify_elf, DEFAULT_SHARD_LOG};
use mipstark::timing::peak_memory;
use mipstark::Proof;

use super::inputs::Loaded;
use super::prove::{prove_loaded, BackendArgs, LayoutArg, Params, ProveOptions};

#[derive(Args)]
pub struct BenchArgs {
    /// Guests to prove (repeatable).
    #[arg(long = "guest", default_values_t = ["fibonacci".to_string(), "sha2-chain".to_string()])]
    guests: Vec<String>,
    /// Target sizes as log2 of the cycle count (repeatable); each guest's parameter is scaled
    /// to reach it.
    #[arg(long = "log-cycles", default_values_t = [18u32, 20])]
    log_cycles: Vec<u32>,
    #[arg(long, value_name = "LOG2", default_value_t = DEFAULT_SHARD_LOG)]
    shard_size: u32,
    /// How the shards are laid out in each proof.
    #[arg(long, value_enum, default_value_t = LayoutArg::Auto)]
    layout: LayoutArg,
    #[arg(long, value_enum, default_value_t = Params::Secure)]
    params: Params,
    #[command(flatten)]
    backend: BackendArgs,
}

fn cycles_for(elf: &[u8], param: u32) -> anyhow::Result<u64> {
    let program = Arc::new(Program::from_elf(elf)?);
    let input = GuestInput::default().with_u32_hint(param);
    let mut ex = Executor::new(program, input, ExecConfig::default());
    Ok(ex.run()?.cycles)
}

pub fn run(args: BenchArgs) -> anyhow::Result<i32> {
    let mut rows = Vec::new();
    let mut sizes = args.log_cycles.clone();
    sizes.sort_unstable();
    for name in &args.guests {
        let Some(g) = guests::find(name) else {
            bail!("no built-in guest named {name:?}")
        };
        // Calibrate: cycles grow linearly with every benchmark guest's parameter.
        let p0 = (g.default_param / 10).max(1);
        let c0 = cycles_for(g.elf, p0).with_context(|| format!("calibrating {name}"))?;
        for &log in &sizes {
            let param = ((p0 as f64) * (1u64 << log) as f64 / c0 as f64)
                .round()
                .max(1.0) as u32;
            let loaded = Loaded {
                name: name.clone(),
                elf: g.elf.to_vec(),
                input: GuestInput::default().with_u32_hint(param),
            };
            eprintln!("proving {name} ({} = {param}, ~2^{log} cycles)...", g.param);
            let (bytes, report) = prove_loaded(
                ProveOptions {
                    debug: false,
                    backend: args.backend,
                    config: ExecConfig::default(),
                    shard_log: args.shard_size,
                    layout: args.layout,
                    params: args.params.stark(),
                    progress: false,
                },
                loaded,
            )?;
            let t = std::time::Instant::now();
            let proof = Proof::from_bytes(&bytes)?;
            verify_elf(g.elf, &proof, args.params.stark())?;
            let verify = t.elapsed();
            rows.push((name.clone(), param, report, verify, peak_memory()));
        }
    }
    println!(
        "| guest | param | cycles | shards | exec+trace s | STARK s | total s | proven kHz | cells/cycle | verify ms | proof KiB | peak RSS MiB |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (name, param, r, verify, peak) in rows {
        let total = r.total().as_secs_f64();
        println!(
            "| {name} | {param} | {} | {} | {:.2} | {:.2} | {:.2} | {:.1} | {:.0} | {:.0} | {:.0} | {} |",
            r.cycles,
            r.shards,
            (r.execute + r.tracegen).as_secs_f64(),
            r.prove.as_secs_f64(),
            total,
            r.cycles as f64 / total / 1e3,
            r.trace_cells as f64 / r.cycles as f64,
            verify.as_secs_f64() * 1e3,
            r.proof_bytes as f64 / 1024.0,
            peak.map(|m| format!("{:.0}", m as f64 / (1 << 20) as f64))
                .unwrap_or_else(|| "?".into()),
        );
    }
    Ok(0)
}
