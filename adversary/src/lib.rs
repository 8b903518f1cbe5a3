//! The synthesized-row adversary (docs/soundness.md, "Synthesized rows"): every chip's row
//! system, read off symbolically, asked three questions by an SMT solver —
//!
//! (a) **self-cancelling rows**: does a row exist that satisfies the chip's constraints, cancels
//!     on a token bus (its sends there equal its receives) and still acts on another bus? Such
//!     a row can be added to any trace: the token bus does not notice it (issue 14).
//! (b) **extra rows**: can a live row be added whose token-bus interactions cancel within it,
//!     leaving only what prover-chosen multiplicities balance?
//! (c) **determinism**: do a row's inputs (preprocessed and public values, running state,
//!     received tokens, looked-up tuples, requests answered) fix its outputs (sent tokens and
//!     answers)?
//!
//! This crate writes the questions as SMT-LIB text; its tests run them through z3 (a
//! dev-dependency) and pin every chip's answers.

pub mod analysis;
pub mod cases;
pub mod chips;
pub mod collect;
pub mod fixture;
pub mod smt;
