//! EXT and INS, built on the shift chip through the `alu` bus:
//! - EXT: `t = SRL(b, lsb)` (requested on `alu`), `a = t & mask`;
//! - INS: `t = SLL(b, lsb)` and `M = SLL(mask, lsb)` (both requested), then bytewise
//!   `a = old − (old & M) + (t & M)` (the two parts are bit-disjoint, so OR is a sum).
//!
//! `mask = 2^size − 1` comes from `size − 1 = 8k + r` (bits, as in the shift chip): bytes below
//! `k` are 255, byte `k` is `2^(r+1) − 1`, bytes above 0. The ANDs are byte-table lookups.
//! `lsb` and `size` come from the preprocessed program table (the decoder only accepts fields
//! with `lsb + size ≤ 32`); `size − 1` is still range-checked here by its bit decomposition.

use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

use super::events::{AluEvent, BitfieldEvent};
use super::word_bytes;
use crate::bus::{AluOp, BitfieldOp, ByteOp, ALU, BITFIELD, BYTE};
use crate::byte::ByteLookups;
use crate::gadgets::{one_hot_or_none, op_id};
use crate::{cols, cols_mut, F};

#[repr(C)]
pub struct BitfieldCols<T> {
    pub a: [T; 4],
    pub b: [T; 4],
    pub old: [T; 4],
    pub lsb: T,
    pub size_m1: T,
    pub size_bits: [T; 5],
    pub byte_sel: [T; 4],
    pub pow_r: T,
    pub mask: [T; 4],
    /// `b` shifted by `lsb` (right for EXT, left for INS).
    pub t: [T; 4],
    /// `mask << lsb` (INS).
    pub shifted_mask: [T; 4],
    /// First AND's second operand: `mask` (EXT) or `mask << lsb` (INS).
    pub and_mask: [T; 4],
    /// `t & and_mask`.
    pub t_and: [T; 4],
    /// `old & (mask << lsb)` (INS).
    pub old_and: [T; 4],
    pub is_ext: T,
    pub is_ins: T,
}

pub const NUM_COLS: usize = std::mem::size_of::<BitfieldCols<u8>>();

fn mask_of(size: u32) -> u32 {
    if size == 32 {
        u32::MAX
    } else {
        (1 << size) - 1
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct BitfieldChip;

impl BitfieldChip {
    /// The shift requests this chip sends on the `alu` bus (the shift chip must answer them).
    pub fn alu_requests(events: &[BitfieldEvent]) -> Vec<AluEvent> {
        let mut out = Vec::new();
        for e in events {
            let (op, c) = (
                if e.op == BitfieldOp::Ext {
                    AluOp::Srl
                } else {
                    AluOp::Sll
                },
                e.lsb,
            );
            out.push(AluEvent {
                op,
                a: op.eval(e.b, c),
                b: e.b,
                c,
            });
            if e.op == BitfieldOp::Ins {
                let m = mask_of(e.size);
                out.push(AluEvent {
                    op: AluOp::Sll,
                    a: m << e.lsb,
                    b: m,
                    c,
                });
            }
        }
        out
    }

    pub fn generate_trace(events: &[BitfieldEvent], bytes: &mut ByteLookups) -> RowMajorMatrix<F> {
        let height = events.len().next_power_of_two().max(4);
        let mut m = RowMajorMatrix::new(F::zero_vec(height * NUM_COLS), NUM_COLS);
        for row in m.values.chunks_exact_mut(NUM_COLS) {
            let r: &mut BitfieldCols<F> = cols_mut(row);
            // Padding: size − 1 = 0 decomposes as k = 0, r = 0.
            r.byte_sel[0] = F::ONE;
            r.pow_r = F::ONE;
            r.mask[0] = F::ONE;
        }
        for (row, e) in m.values.chunks_exact_mut(NUM_COLS).zip(events) {
            let r: &mut BitfieldCols<F> = cols_mut(row);
            let ins = e.op == BitfieldOp::Ins;
            let sm1 = e.size - 1;
            let mask = mask_of(e.size);
            let t = if ins { e.b << e.lsb } else { e.b >> e.lsb };
            let shifted = if ins { mask << e.lsb } else { 0 };
            let and_mask = if ins { shifted } else { mask };
            r.a = word_bytes(e.a);
            r.b = word_bytes(e.b);
            r.old = word_bytes(e.old);
            r.lsb = F::from_u32(e.lsb);
            r.size_m1 = F::from_u32(sm1);
            for i in 0..5 {
                r.size_bits[i] = F::from_u32((sm1 >> i) & 1);
            }
            r.byte_sel = [F::ZERO; 4];
            r.byte_sel[(sm1 >> 3) as usize] = F::ONE;
            r.pow_r = F::from_u32(1 << (sm1 & 7));
            r.mask = word_bytes(mask);
            r.t = word_bytes(t);
            r.shifted_mask = word_bytes(shifted);
            r.and_mask = word_bytes(and_mask);
            let (tb, amb, ob, smb) = (
                t.to_le_bytes(),
                and_mask.to_le_bytes(),
                e.old.to_le_bytes(),
                shifted.to_le_bytes(),
            );
            for i in 0..4 {
                r.t_and[i] = F::from_u8(bytes.add(ByteOp::And, tb[i], amb[i]));
                if ins {
                    r.old_and[i] = F::from_u8(bytes.add(ByteOp::And, ob[i], smb[i]));
                }
            }
            r.is_ext = F::from_bool(!ins);
            r.is_ins = F::from_bool(ins);
        }
        m
    }
}

impl BaseAir<F> for BitfieldChip {
    fn width(&self) -> usize {
        NUM_COLS
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
}

impl<AB: AirBuilder<F = F> + InteractionBuilder> Air<AB> for BitfieldChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let r: &BitfieldCols<AB::Var> = cols(main.current_slice());
        let ex = |v: AB::Var| -> AB::Expr { v.into() };
        let k = |v: u32| AB::Expr::from_u32(v);
        let is_real = one_hot_or_none(b, &[r.is_ext, r.is_ins]);
        let (ext, ins) = (ex(r.is_ext), ex(r.is_ins));

        // size − 1 = 8k + r from five bits; byte selector and 2^r as in the shift chip.
        let mut sm1 = AB::Expr::ZERO;
        for (i, bit) in r.size_bits.iter().enumerate() {
            b.assert_bool(*bit);
            sm1 += ex(*bit) * k(1 << i);
        }
        b.assert_eq(r.size_m1, sm1);
        let bit = |i: usize| ex(r.size_bits[i]);
        let one = AB::Expr::ONE;
        let want_sel = [
            (one.clone() - bit(3)) * (one.clone() - bit(4)),
            bit(3) * (one.clone() - bit(4)),
            (one.clone() - bit(3)) * bit(4),
            bit(3) * bit(4),
        ];
        for (sel, want) in r.byte_sel.iter().zip(want_sel) {
            b.assert_eq(*sel, want);
        }
        b.assert_eq(
            r.pow_r,
            (one.clone() + bit(0)) * (one.clone() + k(3) * bit(1)) * (one.clone() + k(15) * bit(2)),
        );
        for i in 0..4 {
            let full: AB::Expr =
                ((i + 1)..4).map(|kk| ex(r.byte_sel[kk])).sum::<AB::Expr>() * k(255);
            b.assert_eq(
                r.mask[i],
                full + ex(r.byte_sel[i]) * (k(2) * ex(r.pow_r) - one.clone()),
            );
        }

        // Shift requests to the ALU: t = b >> lsb (EXT) or b << lsb (INS); M = mask << lsb (INS).
        let lsb_word = [ex(r.lsb), AB::Expr::ZERO, AB::Expr::ZERO, AB::Expr::ZERO];
        let shift_op = ext.clone() * k(AluOp::Srl as u32) + ins.clone() * k(AluOp::Sll as u32);
        let mut tuple = vec![shift_op];
        tuple.extend(r.t.iter().chain(&r.b).map(|v| ex(*v)));
        tuple.extend(lsb_word.clone());
        ALU.lookup_key(b, tuple, Count::bounded(is_real.clone(), 1));
        let mut tuple = vec![k(AluOp::Sll as u32)];
        tuple.extend(r.shifted_mask.iter().chain(&r.mask).map(|v| ex(*v)));
        tuple.extend(lsb_word);
        ALU.lookup_key(b, tuple, Count::bounded(ins.clone(), 1));

        // The ANDs and the result.
        for i in 0..4 {
            b.assert_eq(
                r.and_mask[i],
                ext.clone() * ex(r.mask[i]) + ins.clone() * ex(r.shifted_mask[i]),
            );
            BYTE.lookup_key(
                b,
                [
                    k(ByteOp::And as u32),
                    r.t[i].into(),
                    r.and_mask[i].into(),
                    r.t_and[i].into(),
                ],
                Count::bounded(is_real.clone(), 1),
            );
            BYTE.lookup_key(
                b,
                [
                    k(ByteOp::And as u32),
                    r.old[i].into(),
                    r.shifted_mask[i].into(),
                    r.old_and[i].into(),
                ],
                Count::bounded(ins.clone(), 1),
            );
            b.assert_eq(
                r.a[i],
                ex(r.t_and[i]) + ins.clone() * (ex(r.old[i]) - ex(r.old_and[i])),
            );
        }

        let op = op_id::<AB>(&[
            (r.is_ext, BitfieldOp::Ext as u8),
            (r.is_ins, BitfieldOp::Ins as u8),
        ]);
        let mut tuple = vec![op];
        tuple.extend(r.a.iter().chain(&r.b).chain(&r.old).map(|v| ex(*v)));
        tuple.extend([ex(r.lsb), ex(r.size_m1)]);
        BITFIELD.table_entry(b, tuple, is_real);
    }
}
