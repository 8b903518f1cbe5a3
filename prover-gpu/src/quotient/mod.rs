//! Quotient evaluation compiled from an AIR's symbolic constraints.
//!
//! Plonky3 gives every AIR's constraints as `SymbolicExpression` DAGs; [`QuotientProgram`]
//! lowers them to a register bytecode that `quotient.cu` interprets on every row of the
//! quotient domain — the same program for every chip, so no per-chip kernel can drift from the
//! AIR. [`QuotientProgram::eval_row`] is the CPU twin of the kernel.

mod bytecode;
mod evaluator;

pub use bytecode::{ext_words, Instr, Op, QuotientProgram, RowInputs};
pub use evaluator::GpuQuotient;
