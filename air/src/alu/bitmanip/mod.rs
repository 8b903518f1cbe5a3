//! CLZ, CLO, SEB, SEH and WSBH (single-operand word manipulations; `c` is 0).
//!
//! CLZ/CLO work on `w = b` or `w = ¬b`: a one-hot `top` marks the most significant non-zero byte
//! of `w` (or `top[4]` that `w` is zero), the bytes above it are constrained to zero, the top
//! byte to be non-zero (it has an inverse), and the byte table's CLZ8 gives its leading zeros:
//! `a = 8·(3 − j) + clz8(w_j)`, or 32. SEB/SEH take the sign from the byte table's MSB lookup;
//! WSBH is a byte permutation.

use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

use super::events::AluEvent;
use super::word_bytes;
use crate::bus::{AluOp, ByteOp, BYTE};
use crate::byte::ByteLookups;
use crate::gadgets::{one_hot_or_none, op_id, range_check_word, receive_alu};
use crate::{cols, cols_mut, F};

#[repr(C)]
pub struct BitManipCols<T> {
    pub a: [T; 4],
    pub b: [T; 4],
    pub c: [T; 4],
    /// `b` (CLZ) or `255 − b` bytewise (CLO); zero on other rows.
    pub w: [T; 4],
    /// One-hot: `top[j]` = byte j is w's most significant non-zero byte; `top[4]` = w is 0.
    pub top: [T; 5],
    pub top_byte: T,
    pub top_inv: T,
    pub clz8: T,
    /// SEB/SEH: the byte whose sign is extended, and that sign.
    pub sign_byte: T,
    pub sign: T,
    pub is_clz: T,
    pub is_clo: T,
    pub is_seb: T,
    pub is_seh: T,
    pub is_wsbh: T,
}

pub const NUM_COLS: usize = std::mem::size_of::<BitManipCols<u8>>();

const OPS: [AluOp; 5] = [AluOp::Clz, AluOp::Clo, AluOp::Seb, AluOp::Seh, AluOp::Wsbh];

#[derive(Clone, Copy, Debug, Default)]
pub struct BitManipChip;

impl BitManipChip {
    pub fn generate_trace(events: &[AluEvent], bytes: &mut ByteLookups) -> RowMajorMatrix<F> {
        let events: Vec<&AluEvent> = events.iter().filter(|e| OPS.contains(&e.op)).collect();
        let height = events.len().next_power_of_two().max(4);
        let mut m = RowMajorMatrix::new(F::zero_vec(height * NUM_COLS), NUM_COLS);
        for (row, e) in m.values.chunks_exact_mut(NUM_COLS).zip(&events) {
            let r: &mut BitManipCols<F> = cols_mut(row);
            let bb = e.b.to_le_bytes();
            r.a = word_bytes(e.a);
            r.b = word_bytes(e.b);
            r.c = word_bytes(e.c);
            bytes.range_word(e.b);
            match e.op {
                AluOp::Clz | AluOp::Clo => {
                    let w: [u8; 4] = if e.op == AluOp::Clz {
                        bb
                    } else {
                        bb.map(|x| 255 - x)
                    };
                    r.w = w.map(F::from_u8);
                    match (0..4).rev().find(|&j| w[j] != 0) {
                        Some(j) => {
                            r.top[j] = F::ONE;
                            r.top_byte = F::from_u8(w[j]);
                            r.top_inv = F::from_u8(w[j]).inverse();
                            r.clz8 = F::from_u8(bytes.add(ByteOp::Clz8, w[j], 0));
                        }
                        None => r.top[4] = F::ONE,
                    }
                }
                AluOp::Seb | AluOp::Seh => {
                    let sb = if e.op == AluOp::Seb { bb[0] } else { bb[1] };
                    r.sign_byte = F::from_u8(sb);
                    r.sign = F::from_u8(bytes.add(ByteOp::Msb, sb, 0));
                }
                _ => {}
            }
            r.is_clz = F::from_bool(e.op == AluOp::Clz);
            r.is_clo = F::from_bool(e.op == AluOp::Clo);
            r.is_seb = F::from_bool(e.op == AluOp::Seb);
            r.is_seh = F::from_bool(e.op == AluOp::Seh);
            r.is_wsbh = F::from_bool(e.op == AluOp::Wsbh);
        }
        m
    }
}

impl BaseAir<F> for BitManipChip {
    fn width(&self) -> usize {
        NUM_COLS
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
}

impl<AB: AirBuilder<F = F> + InteractionBuilder> Air<AB> for BitManipChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let r: &BitManipCols<AB::Var> = cols(main.current_slice());
        let k = |v: u32| AB::Expr::from_u32(v);
        let ex = |v: AB::Var| -> AB::Expr { v.into() };
        let is_real = one_hot_or_none(b, &[r.is_clz, r.is_clo, r.is_seb, r.is_seh, r.is_wsbh]);
        for c in r.c {
            b.assert_zero(c);
        }

        // CLZ / CLO.
        let is_cl = ex(r.is_clz) + ex(r.is_clo);
        let mut top_sum = AB::Expr::ZERO;
        let mut top_byte = AB::Expr::ZERO;
        for i in 0..4 {
            b.assert_eq(
                r.w[i],
                ex(r.is_clz) * ex(r.b[i]) + ex(r.is_clo) * (k(255) - ex(r.b[i])),
            );
            top_byte += ex(r.top[i]) * ex(r.w[i]);
        }
        for t in r.top {
            b.assert_bool(t);
            top_sum += t.into();
        }
        b.assert_eq(top_sum, is_cl.clone());
        b.assert_eq(r.top_byte, top_byte);
        let found: AB::Expr = (0..4).map(|j| ex(r.top[j])).sum();
        b.assert_eq(ex(r.top_byte) * ex(r.top_inv), found.clone());
        for i in 0..4 {
            // Bytes above the top one are zero (all of them when w = 0).
            let above: AB::Expr = (0..i).map(|j| ex(r.top[j])).sum::<AB::Expr>() + ex(r.top[4]);
            b.assert_zero(ex(r.w[i]) * above);
        }
        let count: AB::Expr = (0..4)
            .map(|j| ex(r.top[j]) * k(8 * (3 - j as u32)))
            .sum::<AB::Expr>()
            + ex(r.top[4]) * k(32)
            + found.clone() * ex(r.clz8);
        b.when(is_cl.clone()).assert_eq(r.a[0], count);
        for i in 1..4 {
            b.when(is_cl.clone()).assert_zero(r.a[i]);
        }
        BYTE.lookup_key(
            b,
            [
                k(ByteOp::Clz8 as u32),
                r.top_byte.into(),
                AB::Expr::ZERO,
                r.clz8.into(),
            ],
            Count::bounded(found, 1),
        );

        // SEB / SEH.
        let is_se = ex(r.is_seb) + ex(r.is_seh);
        b.assert_eq(
            r.sign_byte,
            ex(r.is_seb) * ex(r.b[0]) + ex(r.is_seh) * ex(r.b[1]),
        );
        BYTE.lookup_key(
            b,
            [
                k(ByteOp::Msb as u32),
                r.sign_byte.into(),
                AB::Expr::ZERO,
                r.sign.into(),
            ],
            Count::bounded(is_se, 1),
        );
        let fill = ex(r.sign) * k(255);
        b.when(r.is_seb).assert_eq(r.a[0], r.b[0]);
        b.when(r.is_seh).assert_eq(r.a[0], r.b[0]);
        b.when(r.is_seh).assert_eq(r.a[1], r.b[1]);
        b.when(r.is_seb).assert_eq(r.a[1], fill.clone());
        for i in 2..4 {
            b.when(r.is_seb + r.is_seh).assert_eq(r.a[i], fill.clone());
        }

        // WSBH.
        for (i, j) in [(0, 1), (1, 0), (2, 3), (3, 2)] {
            b.when(r.is_wsbh).assert_eq(r.a[i], r.b[j]);
        }

        range_check_word(b, r.b.map(Into::into), is_real.clone());
        let op = op_id::<AB>(&[
            (r.is_clz, AluOp::Clz as u8),
            (r.is_clo, AluOp::Clo as u8),
            (r.is_seb, AluOp::Seb as u8),
            (r.is_seh, AluOp::Seh as u8),
            (r.is_wsbh, AluOp::Wsbh as u8),
        ]);
        receive_alu(b, op, r.a, r.b, r.c, is_real);
    }
}
