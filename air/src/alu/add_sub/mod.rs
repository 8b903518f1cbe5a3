//! ADD and SUB over bytes with carries: for ADD `b + c = a`, for SUB `a + c = b` (so both are
//! one addition chain `x + y = z` with `(x, z)` swapped by the selector), each byte
//! range-checked through the byte table so the chain has a unique solution. The trapping
//! ADD/ADDI/SUB use the same chain in their own chip
//! ([`AddSubTrapChip`](super::add_sub_trap::AddSubTrapChip)).

use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;

use super::events::AluEvent;
use super::word_bytes;
use crate::bus::AluOp;
use crate::byte::ByteLookups;
use crate::gadgets::{assert_add_bytes, one_hot_or_none, op_id, range_check_word, receive_alu};
use crate::{cols, cols_mut, F};

#[repr(C)]
pub struct AddSubCols<T> {
    pub a: [T; 4],
    pub b: [T; 4],
    pub c: [T; 4],
    /// Carry out of each byte of the addition chain.
    pub carry: [T; 4],
    pub is_add: T,
    pub is_sub: T,
}

pub const NUM_COLS: usize = std::mem::size_of::<AddSubCols<u8>>();

#[derive(Clone, Copy, Debug, Default)]
pub struct AddSubChip;

impl AddSubChip {
    /// One row per ADD/SUB event (others ignored), padded to a power of two with empty rows;
    /// range checks are recorded in `bytes`.
    pub fn generate_trace(events: &[AluEvent], bytes: &mut ByteLookups) -> RowMajorMatrix<F> {
        let events: Vec<&AluEvent> = events
            .iter()
            .filter(|e| matches!(e.op, AluOp::Add | AluOp::Sub))
            .collect();
        let height = events.len().next_power_of_two().max(4);
        let mut m = RowMajorMatrix::new(F::zero_vec(height * NUM_COLS), NUM_COLS);
        for (row, e) in m.values.chunks_exact_mut(NUM_COLS).zip(&events) {
            fill_chain(cols_mut(row), e, e.op == AluOp::Add, bytes);
        }
        m
    }
}

/// Fills one row of the chain for `e` (an addition when `is_add`, else a subtraction),
/// recording its range checks.
pub(crate) fn fill_chain(
    r: &mut AddSubCols<F>,
    e: &AluEvent,
    is_add: bool,
    bytes: &mut ByteLookups,
) {
    let (x, y) = if is_add { (e.b, e.c) } else { (e.a, e.c) };
    let (xb, yb) = (x.to_le_bytes(), y.to_le_bytes());
    let mut carry = 0u32;
    for i in 0..4 {
        let s = xb[i] as u32 + yb[i] as u32 + carry;
        carry = s >> 8;
        r.carry[i] = F::from_u32(carry);
    }
    r.a = word_bytes(e.a);
    r.b = word_bytes(e.b);
    r.c = word_bytes(e.c);
    r.is_add = F::from_bool(is_add);
    r.is_sub = F::from_bool(!is_add);
    for w in [e.a, e.b, e.c] {
        bytes.range_word(w);
    }
}

/// The chain's constraints ([`fill_chain`]'s twin): ADD `b + c = a`, SUB `a + c = b`, every
/// byte range-checked. Returns `is_real` (`is_add + is_sub`, at most one of them set).
pub(crate) fn eval_chain<AB: AirBuilder<F = F> + InteractionBuilder>(
    b: &mut AB,
    r: &AddSubCols<AB::Var>,
) -> AB::Expr {
    let is_real = one_hot_or_none(b, &[r.is_add, r.is_sub]);
    // One chain with (x, z) chosen by the selector.
    let (add, sub): (AB::Expr, AB::Expr) = (r.is_add.into(), r.is_sub.into());
    let x = core::array::from_fn(|i| add.clone() * r.b[i].into() + sub.clone() * r.a[i].into());
    let z = core::array::from_fn(|i| add.clone() * r.a[i].into() + sub.clone() * r.b[i].into());
    let y = r.c.map(Into::into);
    assert_add_bytes(b, x, y, z, r.carry);
    for w in [r.a, r.b, r.c] {
        range_check_word(b, w.map(Into::into), is_real.clone());
    }
    is_real
}

impl BaseAir<F> for AddSubChip {
    fn width(&self) -> usize {
        NUM_COLS
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
}

impl<AB: AirBuilder<F = F> + InteractionBuilder> Air<AB> for AddSubChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let r: &AddSubCols<AB::Var> = cols(main.current_slice());
        let is_real = eval_chain(b, r);
        let op = op_id::<AB>(&[(r.is_add, AluOp::Add as u8), (r.is_sub, AluOp::Sub as u8)]);
        receive_alu(b, op, r.a, r.b, r.c, is_real);
    }
}
