//! mipstark's recursive verifier (design of record: `docs/recursion.md`).
//!
//! The verifier is written once, as generic code over the [`Builder`] trait: the
//! [`Native`] backend runs it on field values (and must agree with the reference verifier of
//! `prover-cpu-ref` on every proof and every mutation), and a recording backend will emit the
//! recursion program from the very same code. Only what the verifier computes goes through
//! the builder; shape checks that depend on lengths alone stay in plain Rust before it runs.
//!
//! This crate holds, so far, the builder seam, its native backend, the duplex challenger over
//! it ([`Challenger`]) and the replay of a sharded proof's transcript up to each group's
//! out-of-domain point ([`sharded`]).

pub mod batch;
pub mod builder;
pub mod challenger;
pub mod fri;
pub mod header;
pub mod join;
pub mod keys;
pub mod lift;
pub mod lower;
pub mod machine;
pub mod mmcs;
pub mod node;
pub mod ood;
pub mod pcs;
pub mod sharded;
pub mod statement;
pub mod vk_tree;

pub use builder::native::{Failure, Native};
pub use builder::recorder::{Program, Recorder};
pub use builder::Builder;
pub use challenger::Challenger;
pub use mipstark_prover_cpu_ref::{Challenge, Val};
