//! Subcommands.

mod bench;
mod execute;
mod inputs;
mod params;
mod prove;
mod verify;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "mipstark", version, about = "Run and prove MIPS32r2 programs", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a guest program in the emulator (the built-in default program when ELF is omitted).
    Execute(execute::ExecuteArgs),
    /// Prove a program's execution (the built-in default program when ELF is omitted).
    Prove(prove::ProveArgs),
    /// Verify a proof against a program; prints the proven exit code and public values.
    Verify(verify::VerifyArgs),
    /// Prove the benchmark guests at several sizes and print a table of proven cycles/s.
    Bench(bench::BenchArgs),
    /// Print each parameter preset's security: conjectured, and proven (unique decoding,
    /// Johnson bound) term by term.
    Params,
}

impl Cli {
    /// Runs the subcommand; returns the process exit code.
    pub fn run(self) -> anyhow::Result<i32> {
        match self.command {
            Command::Execute(args) => execute::run(args),
            Command::Prove(args) => prove::run(args),
            Command::Verify(args) => verify::run(args),
            Command::Bench(args) => bench::run(args),
            Command::Params => params::run(),
        }
    }
}
