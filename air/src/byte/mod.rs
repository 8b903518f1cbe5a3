//! The byte table: a preprocessed table of every pair of bytes `(x, y)` with the answers of
//! each [`ByteOp`], and one multiplicity column per operation counting how often other chips
//! looked that answer up on the `byte` bus.
//!
//! The table is fixed (part of the verifying key), so the only thing a prover chooses here is
//! the multiplicities; LogUp then guarantees every looked-up tuple is a row of the table.

use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;

use crate::bus::{ByteOp, BYTE};
use crate::{cols, F};

/// Rows of the table: one per `(x, y)`, `x = row & 255`, `y = row >> 8`.
pub const ROWS: usize = 1 << 16;
const NUM_OPS: usize = ByteOp::ALL.len();

/// Preprocessed columns.
#[repr(C)]
pub struct BytePreCols<T> {
    pub x: T,
    pub y: T,
    /// Answer of each op, indexed by `ByteOp as usize`.
    pub answer: [T; NUM_OPS],
}

/// Main columns.
#[repr(C)]
pub struct ByteCols<T> {
    pub multiplicity: [T; NUM_OPS],
}

pub const NUM_PRE_COLS: usize = std::mem::size_of::<BytePreCols<u8>>();
pub const NUM_COLS: usize = std::mem::size_of::<ByteCols<u8>>();

/// Lookups other chips made, counted while they generate their traces.
#[derive(Clone, Debug)]
pub struct ByteLookups {
    counts: Vec<u32>,
}

impl Default for ByteLookups {
    fn default() -> Self {
        ByteLookups {
            counts: vec![0; NUM_OPS * ROWS],
        }
    }
}

impl ByteLookups {
    /// Records one lookup of `op` on `(x, y)`; returns the answer.
    pub fn add(&mut self, op: ByteOp, x: u8, y: u8) -> u8 {
        let y = if matches!(op, ByteOp::Msb | ByteOp::Clz8) {
            0
        } else {
            y
        };
        self.counts[op as usize * ROWS + x as usize + 256 * y as usize] += 1;
        op.eval(x, y)
    }

    /// Records a range check of a 16-bit value (as its two bytes).
    pub fn range_u16(&mut self, v: u16) {
        self.add(ByteOp::Range, v as u8, (v >> 8) as u8);
    }

    /// Records a `Range16` lookup of `v` (one value, not two bytes).
    pub fn range16(&mut self, v: u16) {
        self.add(ByteOp::Range16, v as u8, (v >> 8) as u8);
    }

    /// Records the range checks of `gadgets::range_check_word` for a word.
    pub fn range_word(&mut self, w: u32) {
        self.range_u16(w as u16);
        self.range_u16((w >> 16) as u16);
    }

    /// Merges another chip's lookups.
    pub fn merge(&mut self, other: &ByteLookups) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
    }
}

/// The byte-table chip.
#[derive(Clone, Copy, Debug, Default)]
pub struct ByteChip;

impl ByteChip {
    /// The fixed table.
    pub fn preprocessed() -> RowMajorMatrix<F> {
        let mut v = Vec::with_capacity(ROWS * NUM_PRE_COLS);
        for row in 0..ROWS {
            let (x, y) = (row as u8, (row >> 8) as u8);
            v.push(F::from_u8(x));
            v.push(F::from_u8(y));
            for op in ByteOp::ALL {
                v.push(F::from_u8(op.eval(x, y)));
            }
        }
        RowMajorMatrix::new(v, NUM_PRE_COLS)
    }

    /// The multiplicity columns for `lookups`.
    pub fn generate_trace(lookups: &ByteLookups) -> RowMajorMatrix<F> {
        let mut v = Vec::with_capacity(ROWS * NUM_COLS);
        for row in 0..ROWS {
            for op in 0..NUM_OPS {
                v.push(F::from_u32(lookups.counts[op * ROWS + row]));
            }
        }
        RowMajorMatrix::new(v, NUM_COLS)
    }
}

impl BaseAir<F> for ByteChip {
    fn width(&self) -> usize {
        NUM_COLS
    }
    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<F>> {
        Some(Self::preprocessed())
    }
    fn preprocessed_width(&self) -> usize {
        NUM_PRE_COLS
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
    fn preprocessed_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
}

impl<AB: AirBuilder<F = F> + InteractionBuilder> Air<AB> for ByteChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let local: &ByteCols<AB::Var> = cols(main.current_slice());
        let pre = b.preprocessed().clone();
        let p: &BytePreCols<AB::Var> = cols(pre.current_slice());
        // The keys are `ByteOp::table_tuple` of the row (a test pins them equal).
        for op in ByteOp::ALL {
            let k = op as usize;
            let key: [AB::Expr; 4] = match op {
                ByteOp::Range16 => [
                    AB::Expr::from_u8(op as u8),
                    p.x.into() + p.y.into() * AB::Expr::from_u32(256),
                    AB::Expr::ZERO,
                    AB::Expr::ZERO,
                ],
                _ => [
                    AB::Expr::from_u8(op as u8),
                    p.x.into(),
                    p.y.into(),
                    p.answer[k].into(),
                ],
            };
            BYTE.table_entry(b, key, local.multiplicity[k]);
        }
    }
}
