//! SLL, SRL, SRA and ROTR by `s = c & 31`, written `s = 8k + r`.
//!
//! The low byte of `c` is decomposed into bits; `k` selects a byte shift (one-hot `byte_sel`),
//! `r` a bit shift through `pow_r = 2^r` (and `pow_8r = 2^(8−r)`, with `pow_r · pow_8r = 256`).
//! 1. Byte shift: `t` = `b` moved by `k` bytes (left for SLL; right for SRL/SRA with 0 or sign
//!    fill; rotated for ROTR), plus a fifth byte `t[4]` (0, the fill byte, or `t[0]` for ROTR).
//! 2. Bit shift: one carry chain `t[i]·m + carry[i−1] = u[i] + 256·carry[i]` with `m = 2^r`
//!    (SLL) or `2^(8−r)` (right shifts, which are "shift left by 8−r, drop the low byte").
//! 3. `a = u[0..4]` for SLL, `u[1..5]` otherwise. All `u` and carries are range-checked bytes,
//!    which makes every step's decomposition unique. Every constraint has degree ≤ 3.

use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

use super::events::AluEvent;
use super::word_bytes;
use crate::bus::{AluOp, ByteOp, BYTE};
use crate::byte::ByteLookups;
use crate::gadgets::{one_hot_or_none, op_id, range_check_word, receive_alu};
use crate::{cols, cols_mut, F};

#[repr(C)]
pub struct ShiftCols<T> {
    pub a: [T; 4],
    pub b: [T; 4],
    pub c: [T; 4],
    pub c0_bits: [T; 8],
    pub byte_sel: [T; 4],
    pub pow_r: T,
    pub pow_8r: T,
    /// Sign bit of `b` (for SRA's fill).
    pub b_sign: T,
    pub t: [T; 5],
    pub u: [T; 5],
    pub carry: [T; 5],
    pub is_sll: T,
    pub is_srl: T,
    pub is_sra: T,
    pub is_rotr: T,
}

pub const NUM_COLS: usize = std::mem::size_of::<ShiftCols<u8>>();

const OPS: [AluOp; 4] = [AluOp::Sll, AluOp::Srl, AluOp::Sra, AluOp::Rotr];

/// Byte `i` of `b` moved by `k` bytes for `op`, with `fill` where bytes run out (`i` may be 4).
fn moved(op: AluOp, b: [u8; 4], fill: u8, i: usize, k: usize) -> u8 {
    match op {
        AluOp::Sll => {
            if i < 4 && i >= k {
                b[i - k]
            } else {
                0
            }
        }
        AluOp::Rotr => b[(i + k) % 4],
        _ => {
            if i + k < 4 {
                b[i + k]
            } else {
                fill
            }
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct ShiftChip;

impl ShiftChip {
    pub fn generate_trace(events: &[AluEvent], bytes: &mut ByteLookups) -> RowMajorMatrix<F> {
        let events: Vec<&AluEvent> = events.iter().filter(|e| OPS.contains(&e.op)).collect();
        let height = events.len().next_power_of_two().max(4);
        let mut m = RowMajorMatrix::new(F::zero_vec(height * NUM_COLS), NUM_COLS);
        // Padding rows shift 0 by 0: the amount decomposition must still hold on them.
        for row in m.values.chunks_exact_mut(NUM_COLS) {
            let r: &mut ShiftCols<F> = cols_mut(row);
            r.byte_sel[0] = F::ONE;
            r.pow_r = F::ONE;
            r.pow_8r = F::from_u32(256);
        }
        for (row, e) in m.values.chunks_exact_mut(NUM_COLS).zip(&events) {
            let r: &mut ShiftCols<F> = cols_mut(row);
            r.byte_sel[0] = F::ZERO;
            let (bb, c0) = (e.b.to_le_bytes(), e.c as u8);
            let s = e.c & 31;
            let (k, rr) = ((s >> 3) as usize, s & 7);
            let sign = bytes.add(ByteOp::Msb, bb[3], 0);
            let fill = if e.op == AluOp::Sra { 255 * sign } else { 0 };
            let t: [u8; 5] = core::array::from_fn(|i| {
                if e.op == AluOp::Rotr && i == 4 {
                    moved(e.op, bb, fill, 0, k)
                } else {
                    moved(e.op, bb, fill, i, k)
                }
            });
            let mult = if e.op == AluOp::Sll {
                1u32 << rr
            } else {
                256 >> rr
            };
            let mut carry = 0u32;
            for (i, &ti) in t.iter().enumerate() {
                let x = ti as u32 * mult + carry;
                r.u[i] = F::from_u32(x & 255);
                carry = x >> 8;
                r.carry[i] = F::from_u32(carry);
                r.t[i] = F::from_u8(ti);
            }
            for i in 0..8 {
                r.c0_bits[i] = F::from_u8((c0 >> i) & 1);
            }
            r.byte_sel[k] = F::ONE;
            r.pow_r = F::from_u32(1 << rr);
            r.pow_8r = F::from_u32(256 >> rr);
            r.b_sign = F::from_u8(sign);
            r.a = word_bytes(e.a);
            r.b = word_bytes(e.b);
            r.c = word_bytes(e.c);
            r.is_sll = F::from_bool(e.op == AluOp::Sll);
            r.is_srl = F::from_bool(e.op == AluOp::Srl);
            r.is_sra = F::from_bool(e.op == AluOp::Sra);
            r.is_rotr = F::from_bool(e.op == AluOp::Rotr);
            for w in [e.b, e.c] {
                bytes.range_word(w);
            }
            // The same pairs the AIR range-checks: u[0..4], (u[4], carry[4]), carry[0..4].
            for (x, y) in [
                (r.u[0], r.u[1]),
                (r.u[2], r.u[3]),
                (r.u[4], r.carry[4]),
                (r.carry[0], r.carry[1]),
                (r.carry[2], r.carry[3]),
            ] {
                bytes.add(ByteOp::Range, field_byte(x), field_byte(y));
            }
        }
        m
    }
}

fn field_byte(f: F) -> u8 {
    use p3_field::PrimeField32;
    f.as_canonical_u32() as u8
}

impl BaseAir<F> for ShiftChip {
    fn width(&self) -> usize {
        NUM_COLS
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
}

impl<AB: AirBuilder<F = F> + InteractionBuilder> Air<AB> for ShiftChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let r: &ShiftCols<AB::Var> = cols(main.current_slice());
        let k = |v: u32| AB::Expr::from_u32(v);
        let is_real = one_hot_or_none(b, &[r.is_sll, r.is_srl, r.is_sra, r.is_rotr]);

        // The shift amount: bits of c[0]; s = bits 0..5.
        let mut c0 = AB::Expr::ZERO;
        for (i, bit) in r.c0_bits.iter().enumerate() {
            b.assert_bool(*bit);
            let v: AB::Expr = (*bit).into();
            c0 += v * k(1 << i);
        }
        b.assert_eq(r.c[0], c0);
        let bit = |i: usize| -> AB::Expr { r.c0_bits[i].into() };
        let one = AB::Expr::ONE;
        let (b3, b4) = (bit(3), bit(4));
        let want_sel = [
            (one.clone() - b3.clone()) * (one.clone() - b4.clone()),
            b3.clone() * (one.clone() - b4.clone()),
            (one.clone() - b3.clone()) * b4.clone(),
            b3 * b4,
        ];
        for (sel, want) in r.byte_sel.iter().zip(want_sel) {
            b.assert_eq(*sel, want);
        }
        b.assert_eq(
            r.pow_r,
            (one.clone() + bit(0)) * (one.clone() + k(3) * bit(1)) * (one.clone() + k(15) * bit(2)),
        );
        b.assert_eq(r.pow_r.into() * r.pow_8r.into(), k(256));

        // 1. Byte shift.
        let fill: AB::Expr = r.b_sign.into() * k(255);
        for i in 0..5 {
            let mut t = AB::Expr::ZERO;
            for kk in 0..4 {
                let left = if i < 4 && i >= kk {
                    r.b[i - kk].into()
                } else {
                    AB::Expr::ZERO
                };
                let right = |f: AB::Expr| if i + kk < 4 { r.b[i + kk].into() } else { f };
                let rot: AB::Expr = r.b[(if i == 4 { kk } else { i + kk }) % 4].into();
                let src = r.is_sll.into() * left
                    + r.is_srl.into() * right(AB::Expr::ZERO)
                    + r.is_sra.into() * right(fill.clone())
                    + r.is_rotr.into() * rot;
                t += r.byte_sel[kk].into() * src;
            }
            b.assert_eq(r.t[i], t);
        }
        // 2. Bit shift as one carry chain.
        let mult: AB::Expr = r.is_sll.into() * r.pow_r.into()
            + (is_real.clone() - r.is_sll.into()) * r.pow_8r.into();
        let mut carry_in = AB::Expr::ZERO;
        for i in 0..5 {
            b.assert_zero(
                r.t[i].into() * mult.clone() + carry_in.clone()
                    - r.u[i].into()
                    - k(256) * r.carry[i].into(),
            );
            carry_in = r.carry[i].into();
        }
        // 3. The result bytes.
        for i in 0..4 {
            b.assert_zero(
                r.a[i].into()
                    - r.is_sll.into() * r.u[i].into()
                    - (is_real.clone() - r.is_sll.into()) * r.u[i + 1].into(),
            );
        }

        let range = |x: AB::Expr, y: AB::Expr| [k(ByteOp::Range as u32), x, y, AB::Expr::ZERO];
        let count = || Count::bounded(is_real.clone(), 1);
        BYTE.lookup_key(
            b,
            [
                k(ByteOp::Msb as u32),
                r.b[3].into(),
                AB::Expr::ZERO,
                r.b_sign.into(),
            ],
            count(),
        );
        for w in [r.b, r.c] {
            range_check_word(b, w.map(Into::into), is_real.clone());
        }
        BYTE.lookup_key(b, range(r.u[0].into(), r.u[1].into()), count());
        BYTE.lookup_key(b, range(r.u[2].into(), r.u[3].into()), count());
        BYTE.lookup_key(b, range(r.u[4].into(), r.carry[4].into()), count());
        BYTE.lookup_key(b, range(r.carry[0].into(), r.carry[1].into()), count());
        BYTE.lookup_key(b, range(r.carry[2].into(), r.carry[3].into()), count());

        let op = op_id::<AB>(&[
            (r.is_sll, AluOp::Sll as u8),
            (r.is_srl, AluOp::Srl as u8),
            (r.is_sra, AluOp::Sra as u8),
            (r.is_rotr, AluOp::Rotr as u8),
        ]);
        receive_alu(b, op, r.a, r.b, r.c, is_real);
    }
}
