//! Subcommands.

mod execute;
mod inputs;

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
}

impl Cli {
    /// Runs the subcommand; returns the process exit code.
    pub fn run(self) -> anyhow::Result<i32> {
        match self.command {
            Command::Execute(args) => execute::run(args),
        }
    }
}
