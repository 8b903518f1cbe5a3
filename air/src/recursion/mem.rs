//! Inputs of a recursion program: constants (their values preprocessed) and witnesses (the
//! proof being verified: free main values). Each row writes one base cell.

use std::mem::size_of;

use p3_air::{Air, AirBuilder, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;

use super::{base_cell, preprocessed_chip, write, Preprocessed};
use crate::{cols, F};

#[repr(C)]
pub struct MemPreCols<T> {
    pub addr: T,
    pub mult: T,
    /// 1 for a constant (its value is `value`), 0 for a witness or padding.
    pub is_const: T,
    pub value: T,
}

#[repr(C)]
pub struct MemCols<T> {
    pub value: T,
}

pub const NUM_PRE_COLS: usize = size_of::<MemPreCols<u8>>();
pub const NUM_COLS: usize = size_of::<MemCols<u8>>();

#[derive(Clone, Debug)]
pub struct MemChip {
    pub pre: Preprocessed,
}

preprocessed_chip!(MemChip, NUM_COLS, NUM_PRE_COLS);

impl<AB: AirBuilder<F = F> + InteractionBuilder> Air<AB> for MemChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let local: &MemCols<AB::Var> = cols(main.current_slice());
        let pre = b.preprocessed().clone();
        let p: &MemPreCols<AB::Var> = cols(pre.current_slice());
        b.assert_zero(p.is_const * (local.value - p.value));
        write(b, p.addr, base_cell(local.value), p.mult);
    }
}

/// One input of the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemRow {
    pub addr: u32,
    pub mult: u32,
    /// The constant's canonical value; `None` for a witness.
    pub constant: Option<u32>,
}

impl MemRow {
    pub(crate) fn pre(&self) -> [F; NUM_PRE_COLS] {
        [
            F::from_u32(self.addr),
            F::from_u32(self.mult),
            F::from_bool(self.constant.is_some()),
            F::from_u32(self.constant.unwrap_or(0)),
        ]
    }

    pub(crate) fn main(&self, mem: &[[F; 4]]) -> [F; NUM_COLS] {
        [mem[self.addr as usize][0]]
    }
}
