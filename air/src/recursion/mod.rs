//! The recursion machine's chips (`docs/recursion.md` §2): the AIRs a recorded verifier
//! program is proven with.
//!
//! A recursion program is straight-line: every instruction becomes one row of one chip, and
//! which chip, which operation and which memory addresses a row touches are **preprocessed**
//! columns, so the program is part of the verifying key. Values live in a write-once memory:
//! each address is written by exactly one row (the program's layout guarantees it) with a
//! preprocessed multiplicity equal to the number of reads, and every read is a lookup gated by
//! a preprocessed flag. The [`RMEM`] bus balances only when every read sees the value its
//! address was written with, so a row's inputs are the outputs of the rows that defined them.
//!
//! The prover chooses only the main columns: witness values (the proof being verified, free by
//! design), and each row's operands and results, which the row's constraints and the memory
//! bus tie down.

pub mod base_alu;
pub mod bits;
pub mod ext_alu;
pub mod mem;
pub mod pack;
pub mod poseidon2;
pub mod program;
pub mod public;

use p3_air::{Air, AirBuilder, BaseAir};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder, LookupBus};
use p3_matrix::dense::RowMajorMatrix;

use crate::F;

/// The recursion machine's memory: `(address, v0, v1, v2, v3)`. Extension values use all four
/// coordinates (Plonky3's basis order); base values and bits pad with zeros, so one address
/// space and one bus width serve every kind of variable.
pub const RMEM: LookupBus<'static> = LookupBus::new("rmem");

/// Coordinates of one memory cell.
pub const CELL: usize = 4;

/// Reads `(addr, value)` once where `flag` is 1 (a preprocessed 0/1 column or a sum of
/// exclusive ones).
pub(crate) fn read<AB: AirBuilder<F = F> + InteractionBuilder>(
    b: &mut AB,
    addr: impl Into<AB::Expr>,
    value: [AB::Expr; CELL],
    flag: impl Into<AB::Expr>,
) {
    let mut tuple = vec![addr.into()];
    tuple.extend(value);
    RMEM.lookup_key(b, tuple, Count::bounded(flag.into(), 1));
}

/// Writes `(addr, value)` for `mult` readers (a preprocessed column: the program's read count).
pub(crate) fn write<AB: AirBuilder<F = F> + InteractionBuilder>(
    b: &mut AB,
    addr: impl Into<AB::Expr>,
    value: [AB::Expr; CELL],
    mult: impl Into<AB::Expr>,
) {
    let mut tuple = vec![addr.into()];
    tuple.extend(value);
    RMEM.table_entry(b, tuple, mult);
}

/// A base value as a memory cell.
pub(crate) fn base_cell<E: PrimeCharacteristicRing>(x: impl Into<E>) -> [E; CELL] {
    [x.into(), E::ZERO, E::ZERO, E::ZERO]
}

/// Every chip of the recursion machine.
#[derive(Clone, Debug)]
pub enum RecursionChip {
    Mem(mem::MemChip),
    BaseAlu(base_alu::BaseAluChip),
    ExtAlu(ext_alu::ExtAluChip),
    Pack(pack::PackChip),
    Bits(bits::BitsChip),
    Poseidon2(poseidon2::Poseidon2Chip),
    Public(public::PublicChip),
}

macro_rules! each_rec {
    ($self:expr, $c:ident => $e:expr) => {
        match $self {
            RecursionChip::Mem($c) => $e,
            RecursionChip::BaseAlu($c) => $e,
            RecursionChip::ExtAlu($c) => $e,
            RecursionChip::Pack($c) => $e,
            RecursionChip::Bits($c) => $e,
            RecursionChip::Poseidon2($c) => $e,
            RecursionChip::Public($c) => $e,
        }
    };
}

impl RecursionChip {
    pub fn name(&self) -> &'static str {
        match self {
            RecursionChip::Mem(_) => "rec_mem",
            RecursionChip::BaseAlu(_) => "rec_base_alu",
            RecursionChip::ExtAlu(_) => "rec_ext_alu",
            RecursionChip::Pack(_) => "rec_pack",
            RecursionChip::Bits(_) => "rec_bits",
            RecursionChip::Poseidon2(_) => "rec_poseidon2",
            RecursionChip::Public(_) => "rec_public",
        }
    }
}

impl BaseAir<F> for RecursionChip {
    fn width(&self) -> usize {
        each_rec!(self, c => BaseAir::<F>::width(c))
    }
    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<F>> {
        each_rec!(self, c => BaseAir::<F>::preprocessed_trace(c))
    }
    fn preprocessed_width(&self) -> usize {
        each_rec!(self, c => BaseAir::<F>::preprocessed_width(c))
    }
    fn num_public_values(&self) -> usize {
        each_rec!(self, c => BaseAir::<F>::num_public_values(c))
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
    fn preprocessed_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
}

impl<AB: AirBuilder<F = F> + InteractionBuilder> Air<AB> for RecursionChip {
    fn eval(&self, b: &mut AB) {
        each_rec!(self, c => c.eval(b))
    }
}

/// A chip's preprocessed table: the program's rows, fixed by the verifying key.
#[derive(Clone, Debug)]
pub struct Preprocessed(pub std::sync::Arc<RowMajorMatrix<F>>);

/// Implements `BaseAir` for a chip whose preprocessed table is its `pre` field.
macro_rules! preprocessed_chip {
    ($chip:ty, $main:expr, $pre:expr) => {
        impl p3_air::BaseAir<$crate::F> for $chip {
            fn width(&self) -> usize {
                $main
            }
            fn preprocessed_trace(&self) -> Option<p3_matrix::dense::RowMajorMatrix<$crate::F>> {
                Some((*self.pre.0).clone())
            }
            fn preprocessed_width(&self) -> usize {
                $pre
            }
            fn main_next_row_columns(&self) -> Vec<usize> {
                vec![]
            }
            fn preprocessed_next_row_columns(&self) -> Vec<usize> {
                vec![]
            }
        }
    };
}
pub(crate) use preprocessed_chip;
