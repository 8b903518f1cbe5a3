//! AND, OR, XOR, NOR byte by byte through the byte table. NOR is looked up as OR with the
//! complemented result (`255 − a_i`), so the table needs no NOR column. The lookups also
//! range-check every byte of `b`, `c` and `a`.

use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

use super::events::AluEvent;
use super::word_bytes;
use crate::bus::{AluOp, ByteOp, BYTE};
use crate::byte::ByteLookups;
use crate::gadgets::{one_hot_or_none, op_id, receive_alu};
use crate::{cols, cols_mut, F};

#[repr(C)]
pub struct BitwiseCols<T> {
    pub a: [T; 4],
    pub b: [T; 4],
    pub c: [T; 4],
    /// What the byte table returns: `a_i`, or `255 − a_i` for NOR.
    pub table_out: [T; 4],
    /// The byte-table operation (AND, OR or XOR), a function of the selectors.
    pub byte_op: T,
    pub is_and: T,
    pub is_or: T,
    pub is_xor: T,
    pub is_nor: T,
}

pub const NUM_COLS: usize = std::mem::size_of::<BitwiseCols<u8>>();

#[derive(Clone, Copy, Debug, Default)]
pub struct BitwiseChip;

fn byte_op(op: AluOp) -> Option<ByteOp> {
    Some(match op {
        AluOp::And => ByteOp::And,
        AluOp::Or | AluOp::Nor => ByteOp::Or,
        AluOp::Xor => ByteOp::Xor,
        _ => return None,
    })
}

impl BitwiseChip {
    pub fn generate_trace(events: &[AluEvent], bytes: &mut ByteLookups) -> RowMajorMatrix<F> {
        let events: Vec<&AluEvent> = events.iter().filter(|e| byte_op(e.op).is_some()).collect();
        let height = events.len().next_power_of_two().max(4);
        let mut m = RowMajorMatrix::new(F::zero_vec(height * NUM_COLS), NUM_COLS);
        for (row, e) in m.values.chunks_exact_mut(NUM_COLS).zip(&events) {
            let r: &mut BitwiseCols<F> = cols_mut(row);
            let bop = byte_op(e.op).expect("filtered");
            let (bb, cb) = (e.b.to_le_bytes(), e.c.to_le_bytes());
            for i in 0..4 {
                r.table_out[i] = F::from_u8(bytes.add(bop, bb[i], cb[i]));
            }
            r.a = word_bytes(e.a);
            r.b = word_bytes(e.b);
            r.c = word_bytes(e.c);
            r.byte_op = F::from_u8(bop as u8);
            r.is_and = F::from_bool(e.op == AluOp::And);
            r.is_or = F::from_bool(e.op == AluOp::Or);
            r.is_xor = F::from_bool(e.op == AluOp::Xor);
            r.is_nor = F::from_bool(e.op == AluOp::Nor);
        }
        m
    }
}

impl BaseAir<F> for BitwiseChip {
    fn width(&self) -> usize {
        NUM_COLS
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
}

impl<AB: AirBuilder<F = F> + InteractionBuilder> Air<AB> for BitwiseChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let r: &BitwiseCols<AB::Var> = cols(main.current_slice());
        let is_real = one_hot_or_none(b, &[r.is_and, r.is_or, r.is_xor, r.is_nor]);
        let k = |v: u8| AB::Expr::from_u8(v);
        b.assert_eq(
            r.byte_op,
            r.is_and.into() * k(ByteOp::And as u8)
                + (r.is_or.into() + r.is_nor.into()) * k(ByteOp::Or as u8)
                + r.is_xor.into() * k(ByteOp::Xor as u8),
        );
        for i in 0..4 {
            // a_i = table_out_i, except NOR: a_i = 255 − table_out_i.
            let not = k(255) - r.table_out[i].into();
            b.assert_zero(
                r.a[i].into()
                    - r.table_out[i].into()
                    - r.is_nor.into() * (not - r.table_out[i].into()),
            );
            BYTE.lookup_key(
                b,
                [r.byte_op, r.b[i], r.c[i], r.table_out[i]],
                Count::bounded(is_real.clone(), 1),
            );
        }
        let op = op_id::<AB>(&[
            (r.is_and, AluOp::And as u8),
            (r.is_or, AluOp::Or as u8),
            (r.is_xor, AluOp::Xor as u8),
            (r.is_nor, AluOp::Nor as u8),
        ]);
        receive_alu(b, op, r.a, r.b, r.c, is_real);
    }
}
