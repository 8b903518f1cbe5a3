//! Moves between an extension cell and its four base coordinates: *pack* reads four base
//! cells and writes their extension element; *unpack* reads an extension cell and writes its
//! coordinates as four base cells.

use std::mem::size_of;

use p3_air::{Air, AirBuilder, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;

use super::{base_cell, preprocessed_chip, read, write, Preprocessed, CELL};
use crate::{cols, F};

#[repr(C)]
pub struct PackPreCols<T> {
    /// The extension cell.
    pub ext: T,
    /// The coordinates' cells.
    pub coeffs: [T; CELL],
    /// Read count of the extension cell (pack) or of each coordinate (unpack); 0 on the side
    /// the row reads.
    pub ext_mult: T,
    pub coeff_mults: [T; CELL],
    pub is_pack: T,
    pub is_unpack: T,
}

#[repr(C)]
pub struct PackCols<T> {
    pub v: [T; CELL],
}

pub const NUM_PRE_COLS: usize = size_of::<PackPreCols<u8>>();
pub const NUM_COLS: usize = size_of::<PackCols<u8>>();

#[derive(Clone, Debug)]
pub struct PackChip {
    pub pre: Preprocessed,
}

preprocessed_chip!(PackChip, NUM_COLS, NUM_PRE_COLS);

impl<AB: AirBuilder<F = F> + InteractionBuilder> Air<AB> for PackChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &PackCols<AB::Var> = cols(main.current_slice());
        let pre = b.preprocessed().clone();
        let p: &PackPreCols<AB::Var> = cols(pre.current_slice());
        let v: [AB::Expr; CELL] = l.v.map(Into::into);
        for i in 0..CELL {
            read(b, p.coeffs[i], base_cell(l.v[i]), p.is_pack);
            write(b, p.coeffs[i], base_cell(l.v[i]), p.coeff_mults[i]);
        }
        read(b, p.ext, v.clone(), p.is_unpack);
        write(b, p.ext, v, p.ext_mult);
    }
}

/// One pack or unpack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PackRow {
    pub unpack: bool,
    pub ext: u32,
    pub coeffs: [u32; CELL],
    pub ext_mult: u32,
    pub coeff_mults: [u32; CELL],
}

impl PackRow {
    pub(crate) fn pre(&self) -> [F; NUM_PRE_COLS] {
        let mut row = [F::ZERO; NUM_PRE_COLS];
        row[0] = F::from_u32(self.ext);
        for i in 0..CELL {
            row[1 + i] = F::from_u32(self.coeffs[i]);
            row[2 + CELL + i] = F::from_u32(self.coeff_mults[i]);
        }
        row[1 + CELL] = F::from_u32(self.ext_mult);
        row[2 + 2 * CELL] = F::from_bool(!self.unpack);
        row[3 + 2 * CELL] = F::from_bool(self.unpack);
        row
    }

    pub(crate) fn main(&self, mem: &[[F; 4]]) -> [F; NUM_COLS] {
        mem[self.ext as usize]
    }
}
