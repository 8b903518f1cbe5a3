//! Quotient evaluation compiled from an AIR's symbolic constraints.
//!
//! Plonky3 gives every AIR's constraints as `SymbolicExpression` DAGs; [`QuotientProgram`]
//! lowers them to a register bytecode that `quotient.cu` interprets on every row of the
//! quotient domain — the same program for every chip, so no per-chip kernel can drift from the
//! AIR. [`QuotientProgram::eval_row`] is the CPU twin of the kernel. The compiler lives in
//! `mipstark-constraints`, shared with the recursive verifier, which interprets the same
//! program at the out-of-domain point.

mod evaluator;

pub use evaluator::GpuQuotient;
pub use mipstark_constraints::{ext_words, CompiledAir, Instr, Op, QuotientProgram, RowInputs};
