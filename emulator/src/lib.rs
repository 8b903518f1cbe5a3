#![doc = include_str!("../README.md")]

pub mod elf;
pub mod error;
pub mod executor;
pub mod insn;
pub mod io;
pub mod memory;
pub mod record;
mod semantics;
mod stack;
pub mod syscall;

pub use elf::Program;
pub use error::{ElfError, ExecError, ExecErrorKind};
pub use executor::{ExecConfig, Executor, ExitInfo};
pub use io::{GuestInput, GuestOutput};
pub use record::ExecutionRecord;
pub use semantics::{lwl, lwr, swl, swr};

use std::sync::Arc;

/// Everything a finished execution produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Execution {
    pub exit: ExitInfo,
    pub output: GuestOutput,
}

/// Loads and runs an ELF in fast mode, returning its exit and output.
pub fn execute(elf: &[u8], input: GuestInput, config: ExecConfig) -> Result<Execution, Error> {
    let program = Arc::new(Program::from_elf(elf)?);
    let mut exec = Executor::new(program, input, config);
    let exit = exec.run()?;
    Ok(Execution {
        exit,
        output: exec.take_output(),
    })
}

/// Either way `execute` can fail.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot load ELF: {0}")]
    Elf(#[from] ElfError),
    #[error("{0}")]
    Exec(#[from] ExecError),
}
