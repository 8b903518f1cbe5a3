//! Proving and verifying programs: execution split into shards, the CPU reference prover, and
//! the statement a verifier prints.

use std::sync::Arc;

use mipstark_air::machine::Machine;
use mipstark_emulator::{
    ExecConfig, ExecError, ExecutionRecord, Executor, ExitInfo, GuestInput, Program,
};
use mipstark_prover_cpu_ref::machine::{ProveError, VerifyError, VerifyingKey};
use mipstark_prover_cpu_ref::proof::{prove_with_layout, Layout, Proof};
use mipstark_prover_cpu_ref::StarkParams;
use thiserror::Error;

pub use mipstark_air::machine::Statement;
pub use mipstark_prover_cpu_ref::machine::MAX_LOG_HEIGHT;

/// Default shard size: 2^20 rows per CPU trace (2^20 − 1 instructions).
pub const DEFAULT_SHARD_LOG: u32 = 20;

#[derive(Debug, Error)]
pub enum Error {
    #[error("cannot load the program: {0}")]
    Elf(#[from] mipstark_emulator::ElfError),
    #[error("the program cannot be proved: {0}")]
    Program(#[from] mipstark_air::program::ProgramTableError),
    #[error("execution failed: {0}")]
    Exec(#[from] ExecError),
    #[error("--shard-size must be between 4 and {max}, got {0}", max = MAX_LOG_HEIGHT - 1)]
    ShardSize(u32),
    #[error(transparent)]
    Prove(#[from] ProveError),
    #[error(transparent)]
    Verify(#[from] VerifyError),
}

/// An execution recorded shard by shard.
pub struct Recorded {
    pub shards: Vec<ExecutionRecord>,
    pub exit: ExitInfo,
}

/// Runs `program` to its halt, recording `2^shard_log − 1` instructions per shard (the CPU
/// trace keeps one padding row, so its height is then exactly `2^shard_log`).
pub fn record(
    program: Arc<Program>,
    input: GuestInput,
    config: ExecConfig,
    shard_log: u32,
) -> Result<Recorded, Error> {
    if !(4..MAX_LOG_HEIGHT as u32).contains(&shard_log) {
        return Err(Error::ShardSize(shard_log));
    }
    let (shards, exit) =
        Executor::new(program, input, config).record_shards((1 << shard_log) - 1)?;
    Ok(Recorded { shards, exit })
}

/// Proves an ELF's run on `input` (shard by shard when it takes several shards).
pub fn prove_elf(
    elf: &[u8],
    input: GuestInput,
    config: ExecConfig,
    shard_log: u32,
    params: StarkParams,
) -> Result<Proof, Error> {
    let program = Arc::new(Program::from_elf(elf)?);
    let machine = Machine::new(program.clone())?;
    let rec = record(program, input, config, shard_log)?;
    Ok(prove_with_layout(
        &machine,
        &rec.shards,
        params,
        Layout::Auto,
    )?)
}

/// Verifies `proof` against an ELF (its verifying key); returns the proven statement.
pub fn verify_elf<'a>(
    elf: &[u8],
    proof: &'a Proof,
    params: StarkParams,
) -> Result<&'a Statement, Error> {
    let machine = Machine::new(Arc::new(Program::from_elf(elf)?))?;
    VerifyingKey::new(&machine, params).verify_proof(proof)?;
    Ok(proof.statement())
}
