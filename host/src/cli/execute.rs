//! `mipstark execute`: run a guest in the emulator.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use mipstark::emulator::{ExecConfig, Executor, Program};

use super::inputs::ProgramArgs;

#[derive(Args)]
pub struct ExecuteArgs {
    #[command(flatten)]
    program: ProgramArgs,
    /// Stop with an error after this many instructions.
    #[arg(long, value_name = "N", default_value_t = ExecConfig::default().max_cycles)]
    max_cycles: u64,
    /// Print cycles, wall time, speed and the instruction mix to stderr.
    #[arg(long)]
    stats: bool,
    /// Print the public values (fd 13 bytes) as hex to stderr.
    #[arg(long)]
    public_values: bool,
}

pub fn run(args: ExecuteArgs) -> anyhow::Result<i32> {
    let loaded = args.program.load()?;
    let program =
        Program::from_elf(&loaded.elf).with_context(|| format!("cannot load {}", loaded.name))?;
    let config = ExecConfig {
        max_cycles: args.max_cycles,
        ..ExecConfig::default()
    };
    let mut exec = Executor::new(Arc::new(program), loaded.input, config);
    exec.set_echo(
        Some(Box::new(std::io::stdout())),
        Some(Box::new(std::io::stderr())),
    );
    let start = Instant::now();
    let result = if args.stats {
        exec.run_counting()
    } else {
        exec.run()
    };
    let elapsed = start.elapsed();
    let exit = result?;
    if args.stats {
        let secs = elapsed.as_secs_f64().max(1e-9);
        eprintln!("program:     {}", loaded.name);
        eprintln!("exit code:   {}", exit.exit_code);
        eprintln!("cycles:      {}", exit.cycles);
        eprintln!("wall time:   {:.3} ms", secs * 1e3);
        eprintln!(
            "speed:       {:.1} MHz (counting mode)",
            exit.cycles as f64 / secs / 1e6
        );
        let mut mix: Vec<_> = exec.op_counts().collect();
        mix.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        eprintln!("instruction mix:");
        for (op, n) in mix {
            eprintln!(
                "  {:<8} {:>12}  {:5.2}%",
                op.mnemonic(),
                n,
                100.0 * n as f64 / exit.cycles.max(1) as f64
            );
        }
    }
    if args.public_values {
        let pv = &exec.output().public_values;
        let hex: String = pv.iter().map(|b| format!("{b:02x}")).collect();
        eprintln!("public values ({} bytes): {hex}", pv.len());
    }
    // Like a Linux process, only the low 8 bits of the exit code survive.
    Ok((exit.exit_code & 0xff) as i32)
}
