//! SLT and SLTU. The unsigned comparison is the borrow of `b − c`, proven as the carry out of
//! the addition chain `c + d = b (mod 2^32)` with `d` range-checked bytes: the chain carries out
//! exactly when `b < c`. The signed comparison uses the operands' sign bits (from the byte
//! table's MSB lookup): `b <s c` is `b`'s sign when the signs differ, the borrow otherwise.

use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

use super::events::AluEvent;
use super::word_bytes;
use crate::bus::{AluOp, ByteOp, BYTE};
use crate::byte::ByteLookups;
use crate::gadgets::{assert_add_bytes, one_hot_or_none, op_id, range_check_word, receive_alu};
use crate::{cols, cols_mut, F};

#[repr(C)]
pub struct LtCols<T> {
    pub a: [T; 4],
    pub b: [T; 4],
    pub c: [T; 4],
    /// `b − c mod 2^32`.
    pub diff: [T; 4],
    /// Carries of `c + diff`; `carry[3]` is the borrow of `b − c`.
    pub carry: [T; 4],
    pub b_msb: T,
    pub c_msb: T,
    pub is_slt: T,
    pub is_sltu: T,
}

pub const NUM_COLS: usize = std::mem::size_of::<LtCols<u8>>();

#[derive(Clone, Copy, Debug, Default)]
pub struct LtChip;

impl LtChip {
    pub fn generate_trace(events: &[AluEvent], bytes: &mut ByteLookups) -> RowMajorMatrix<F> {
        let events: Vec<&AluEvent> = events
            .iter()
            .filter(|e| matches!(e.op, AluOp::Slt | AluOp::Sltu))
            .collect();
        let height = events.len().next_power_of_two().max(4);
        let mut m = RowMajorMatrix::new(F::zero_vec(height * NUM_COLS), NUM_COLS);
        for (row, e) in m.values.chunks_exact_mut(NUM_COLS).zip(&events) {
            let r: &mut LtCols<F> = cols_mut(row);
            let diff = e.b.wrapping_sub(e.c);
            let (cb, db) = (e.c.to_le_bytes(), diff.to_le_bytes());
            let mut carry = 0u32;
            for i in 0..4 {
                carry = (cb[i] as u32 + db[i] as u32 + carry) >> 8;
                r.carry[i] = F::from_u32(carry);
            }
            r.a = word_bytes(e.a);
            r.b = word_bytes(e.b);
            r.c = word_bytes(e.c);
            r.diff = word_bytes(diff);
            r.b_msb = F::from_u8(bytes.add(ByteOp::Msb, (e.b >> 24) as u8, 0));
            r.c_msb = F::from_u8(bytes.add(ByteOp::Msb, (e.c >> 24) as u8, 0));
            r.is_slt = F::from_bool(e.op == AluOp::Slt);
            r.is_sltu = F::from_bool(e.op == AluOp::Sltu);
            for w in [e.b, e.c, diff] {
                bytes.range_word(w);
            }
        }
        m
    }
}

impl BaseAir<F> for LtChip {
    fn width(&self) -> usize {
        NUM_COLS
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
}

impl<AB: AirBuilder<F = F> + InteractionBuilder> Air<AB> for LtChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let r: &LtCols<AB::Var> = cols(main.current_slice());
        let is_real = one_hot_or_none(b, &[r.is_slt, r.is_sltu]);
        // c + diff = b: the carry out is the borrow of b − c.
        assert_add_bytes(
            b,
            r.c.map(Into::into),
            r.diff.map(Into::into),
            r.b.map(Into::into),
            r.carry,
        );
        let borrow: AB::Expr = r.carry[3].into();
        let (bs, cs): (AB::Expr, AB::Expr) = (r.b_msb.into(), r.c_msb.into());
        let signs_differ = bs.clone() + cs.clone() - AB::Expr::TWO * bs.clone() * cs;
        let signed = signs_differ.clone() * bs + (AB::Expr::ONE - signs_differ) * borrow.clone();
        // The result is one bit in the low byte.
        b.assert_zero(r.a[0].into() - r.is_slt.into() * signed - r.is_sltu.into() * borrow);
        for i in 1..4 {
            b.assert_zero(r.a[i]);
        }
        let msb = AB::Expr::from_u8(ByteOp::Msb as u8);
        BYTE.lookup_key(
            b,
            [msb.clone(), r.b[3].into(), AB::Expr::ZERO, r.b_msb.into()],
            Count::bounded(is_real.clone(), 1),
        );
        BYTE.lookup_key(
            b,
            [msb, r.c[3].into(), AB::Expr::ZERO, r.c_msb.into()],
            Count::bounded(is_real.clone(), 1),
        );
        for w in [r.b, r.c, r.diff] {
            range_check_word(b, w.map(Into::into), is_real.clone());
        }
        let op = op_id::<AB>(&[(r.is_slt, AluOp::Slt as u8), (r.is_sltu, AluOp::Sltu as u8)]);
        receive_alu(b, op, r.a, r.b, r.c, is_real);
    }
}
