//! mipstark's library API: the built-in guest programs and the helpers the CLI is made of.
//!
//! The emulator lives in [`mipstark_emulator`] (re-exported as [`emulator`]).

pub use mipstark_emulator as emulator;
pub use mipstark_prover_cpu_ref::machine::MipsProof;
pub use mipstark_prover_cpu_ref::proof::{Layout, Proof};
pub use mipstark_prover_cpu_ref::StarkParams;

pub mod guests;
pub mod prove;
pub mod timing;
