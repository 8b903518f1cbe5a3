//! ADD, ADDI and SUB: the additions that trap on signed overflow. The row is the add/sub
//! chain of [`AddSubChip`](super::add_sub::AddSubChip) plus the proof that the operation did
//! not overflow — a trapping instruction that reaches the next one did not — from the three
//! sign bits (byte-table MSB lookups): ADD overflows exactly when `b` and `c` have the same
//! sign and `a` another, SUB (`a = b − c`) when `b` and `c` differ in sign and `a` differs
//! from `b`.
//!
//! These instructions are rare (compilers emit ADDU/ADDIU/SUBU), so they have their own chip:
//! the sign columns and lookups cost nothing on the CPU's rows or the plain add/sub rows.

use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

use super::add_sub::{eval_chain, fill_chain, AddSubCols};
use super::events::AluEvent;
use crate::bus::{AluOp, ByteOp, BYTE};
use crate::byte::ByteLookups;
use crate::gadgets::{op_id, receive_alu};
use crate::{cols, cols_mut, F};

#[repr(C)]
pub struct AddSubTrapCols<T> {
    /// `is_add`: ADD/ADDI (`AddTrap`), `is_sub`: SUB (`SubTrap`).
    pub chain: AddSubCols<T>,
    /// Sign bits of `b`, `c` and `a`.
    pub sign_b: T,
    pub sign_c: T,
    pub sign_a: T,
    /// The operands' signs allow an overflow: equal for ADD, different for SUB.
    pub same_sign: T,
}

pub const NUM_COLS: usize = std::mem::size_of::<AddSubTrapCols<u8>>();

#[derive(Clone, Copy, Debug, Default)]
pub struct AddSubTrapChip;

impl AddSubTrapChip {
    /// One row per `AddTrap`/`SubTrap` event, padded with empty rows.
    pub fn generate_trace(events: &[AluEvent], bytes: &mut ByteLookups) -> RowMajorMatrix<F> {
        let events: Vec<&AluEvent> = events
            .iter()
            .filter(|e| matches!(e.op, AluOp::AddTrap | AluOp::SubTrap))
            .collect();
        let height = events.len().next_power_of_two().max(4);
        let mut m = RowMajorMatrix::new(F::zero_vec(height * NUM_COLS), NUM_COLS);
        for (row, e) in m.values.chunks_exact_mut(NUM_COLS).zip(&events) {
            let r: &mut AddSubTrapCols<F> = cols_mut(row);
            let is_add = e.op == AluOp::AddTrap;
            fill_chain(&mut r.chain, e, is_add, bytes);
            let sign = |v: u32, bytes: &mut ByteLookups| bytes.add(ByteOp::Msb, (v >> 24) as u8, 0);
            let (sb, sc, sa) = (sign(e.b, bytes), sign(e.c, bytes), sign(e.a, bytes));
            r.sign_b = F::from_u8(sb);
            r.sign_c = F::from_u8(sc);
            r.sign_a = F::from_u8(sa);
            r.same_sign = F::from_bool((sb == sc) == is_add);
        }
        m
    }
}

impl BaseAir<F> for AddSubTrapChip {
    fn width(&self) -> usize {
        NUM_COLS
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
}

impl<AB: AirBuilder<F = F> + InteractionBuilder> Air<AB> for AddSubTrapChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let r: &AddSubTrapCols<AB::Var> = cols(main.current_slice());
        let ch = &r.chain;
        let is_real = eval_chain(b, ch);
        let msb = AB::Expr::from_u8(ByteOp::Msb as u8);
        for (top, sign) in [
            (ch.b[3], r.sign_b),
            (ch.c[3], r.sign_c),
            (ch.a[3], r.sign_a),
        ] {
            let key = [msb.clone(), top.into(), AB::Expr::ZERO, sign.into()];
            BYTE.lookup_key(b, key, Count::bounded(is_real.clone(), 1));
        }
        let (sb, sc): (AB::Expr, AB::Expr) = (r.sign_b.into(), r.sign_c.into());
        let xor = sb.clone() + sc.clone() - AB::Expr::TWO * sb * sc;
        b.when(ch.is_add)
            .assert_eq(r.same_sign, AB::Expr::ONE - xor.clone());
        b.when(ch.is_sub).assert_eq(r.same_sign, xor);
        // No overflow: where the signs allow one, the result keeps `b`'s sign.
        b.when(r.same_sign).assert_eq(r.sign_a, r.sign_b);
        let op = op_id::<AB>(&[
            (ch.is_add, AluOp::AddTrap as u8),
            (ch.is_sub, AluOp::SubTrap as u8),
        ]);
        receive_alu(b, op, ch.a, ch.b, ch.c, is_real);
    }
}
