//! DIV and DIVU: `b = q·c + r` with `|r| < |c|` and `r` of the sign of `b` (or 0); a zero
//! divisor, and DIV of INT_MIN by −1, give `q = b, r = 0` (mipstark's documented rule, qemu's).
//!
//! - Product: `q·c + r = b` over operands sign-extended to 8 bytes (DIV) or zero-extended
//!   (DIVU), as one byte convolution and carry chain — exact as integers, so no wrap-around.
//! - Bound: magnitudes `|r|` (negated when `b < 0`) and `|c|` (negated when `c < 0`) by
//!   conditional two's-complement negation chains, then `|r| + 1 + d = |c|` with no carry out.
//!   Since `|c| ≤ 2^31`, `|r| < |c|` also pins `r`'s sign to `b`'s.
//! - Special rows: `c_zero` (all divisor bytes 0; otherwise `Σ c_i` has an inverse) and
//!   `overflow` (b = INT_MIN, c = −1, DIV only) replace both with `q = b, r = 0`; an honest
//!   overflow row cannot be proven otherwise, because `q = 2^31` has no 32-bit signed encoding.

use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

use super::events::DivEvent;
use super::word_bytes;
use crate::bus::{ByteOp, DivOp, BYTE, DIVREM};
use crate::byte::ByteLookups;
use crate::gadgets::{one_hot_or_none, op_id, range_check_word};
use crate::{cols, cols_mut, F};

#[repr(C)]
pub struct DivRemCols<T> {
    pub b: [T; 4],
    pub c: [T; 4],
    pub q: [T; 4],
    pub r: [T; 4],
    pub b_sign: T,
    pub c_sign: T,
    pub q_sign: T,
    pub r_sign: T,
    pub c_zero: T,
    pub c_inv: T,
    pub overflow: T,
    /// Carries of the product chain, as two bytes each.
    pub carry_lo: [T; 8],
    pub carry_hi: [T; 8],
    pub abs_r: [T; 4],
    pub abs_c: [T; 4],
    pub neg_r_carry: [T; 4],
    pub neg_c_carry: [T; 4],
    /// `|c| − |r| − 1`.
    pub gap: [T; 4],
    pub gap_carry: [T; 4],
    pub is_div: T,
    pub is_divu: T,
}

pub const NUM_COLS: usize = std::mem::size_of::<DivRemCols<u8>>();

#[derive(Clone, Copy, Debug, Default)]
pub struct DivRemChip;

/// Byte carries of `x + y + cin` (cin for byte 0), as field elements.
fn add_carries(x: u32, y: u32, cin: u32) -> [F; 4] {
    let (xb, yb) = (x.to_le_bytes(), y.to_le_bytes());
    let mut carry = cin;
    core::array::from_fn(|i| {
        carry = (xb[i] as u32 + yb[i] as u32 + carry) >> 8;
        F::from_u32(carry)
    })
}

impl DivRemChip {
    pub fn generate_trace(events: &[DivEvent], bytes: &mut ByteLookups) -> RowMajorMatrix<F> {
        let height = events.len().next_power_of_two().max(4);
        let mut m = RowMajorMatrix::new(F::zero_vec(height * NUM_COLS), NUM_COLS);
        for (row, e) in m.values.chunks_exact_mut(NUM_COLS).zip(events) {
            let r: &mut DivRemCols<F> = cols_mut(row);
            let signed = e.op == DivOp::Div;
            let msb = |bytes: &mut ByteLookups, w: u32| {
                if signed {
                    bytes.add(ByteOp::Msb, (w >> 24) as u8, 0)
                } else {
                    0
                }
            };
            let (sb, sc, sq, sr) = (
                msb(bytes, e.b),
                msb(bytes, e.c),
                msb(bytes, e.q),
                msb(bytes, e.r),
            );
            let c_zero = e.c == 0;
            let overflow = signed && e.b == 0x8000_0000 && e.c == u32::MAX;
            r.b = word_bytes(e.b);
            r.c = word_bytes(e.c);
            r.q = word_bytes(e.q);
            r.r = word_bytes(e.r);
            (r.b_sign, r.c_sign, r.q_sign, r.r_sign) = (
                F::from_u8(sb),
                F::from_u8(sc),
                F::from_u8(sq),
                F::from_u8(sr),
            );
            r.c_zero = F::from_bool(c_zero);
            let csum: u32 = e.c.to_le_bytes().iter().map(|x| *x as u32).sum();
            r.c_inv = if c_zero {
                F::ZERO
            } else {
                F::from_u32(csum).inverse()
            };
            r.overflow = F::from_bool(overflow);
            // Product chain (only meaningful on normal rows; zero otherwise).
            if !c_zero && !overflow {
                let ext = |w: u32, s: u8| -> [u64; 8] {
                    core::array::from_fn(|i| {
                        if i < 4 {
                            (w >> (8 * i)) as u8 as u64
                        } else {
                            255 * s as u64
                        }
                    })
                };
                let (qe, ce, re) = (ext(e.q, sq), ext(e.c, sc), ext(e.r, sr));
                let mut carry = 0u64;
                for k in 0..8 {
                    let p: u64 = (0..=k).map(|i| qe[i] * ce[k - i]).sum::<u64>() + re[k] + carry;
                    carry = p >> 8;
                    r.carry_lo[k] = F::from_u8(carry as u8);
                    r.carry_hi[k] = F::from_u8((carry >> 8) as u8);
                }
            }
            for k in 0..8 {
                use p3_field::PrimeField32;
                bytes.add(
                    ByteOp::Range,
                    r.carry_lo[k].as_canonical_u32() as u8,
                    r.carry_hi[k].as_canonical_u32() as u8,
                );
            }
            // Magnitudes and the bound.
            let abs_r = if sb == 1 { e.r.wrapping_neg() } else { e.r };
            let abs_c = if sc == 1 { e.c.wrapping_neg() } else { e.c };
            r.abs_r = word_bytes(abs_r);
            r.abs_c = word_bytes(abs_c);
            if sb == 1 {
                r.neg_r_carry = add_carries(e.r, abs_r, 0);
            }
            if sc == 1 {
                r.neg_c_carry = add_carries(e.c, abs_c, 0);
            }
            let gap = if !c_zero && !overflow {
                abs_c.wrapping_sub(abs_r).wrapping_sub(1)
            } else {
                0
            };
            r.gap = word_bytes(gap);
            if !c_zero && !overflow {
                r.gap_carry = add_carries(abs_r, gap, 1);
            }
            r.is_div = F::from_bool(signed);
            r.is_divu = F::from_bool(!signed);
            for w in [e.b, e.c, e.q, e.r, abs_r, abs_c, gap] {
                bytes.range_word(w);
            }
        }
        m
    }
}

impl BaseAir<F> for DivRemChip {
    fn width(&self) -> usize {
        NUM_COLS
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
}

/// `neg ? (x + y = 0 mod 2^32) : (y = x)` with boolean carries (zero when not negating).
fn assert_cond_neg<AB: AirBuilder>(
    b: &mut AB,
    neg: AB::Expr,
    x: [AB::Var; 4],
    y: [AB::Var; 4],
    carry: [AB::Var; 4],
) {
    let mut cin = AB::Expr::ZERO;
    for i in 0..4 {
        b.assert_bool(carry[i]);
        b.assert_zero((AB::Expr::ONE - neg.clone()) * carry[i].into());
        let sum = x[i].into() + y[i].into() + cin - AB::Expr::from_u32(256) * carry[i].into();
        let same = y[i].into() - x[i].into();
        b.assert_zero(neg.clone() * sum + (AB::Expr::ONE - neg.clone()) * same);
        cin = carry[i].into();
    }
}

impl<AB: AirBuilder<F = F> + InteractionBuilder> Air<AB> for DivRemChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let r: &DivRemCols<AB::Var> = cols(main.current_slice());
        let ex = |v: AB::Var| -> AB::Expr { v.into() };
        let k = |v: u32| AB::Expr::from_u32(v);
        let is_real = one_hot_or_none(b, &[r.is_div, r.is_divu]);
        let signed: AB::Expr = r.is_div.into();

        // Signs (DIV only).
        for (s, w) in [
            (r.b_sign, r.b),
            (r.c_sign, r.c),
            (r.q_sign, r.q),
            (r.r_sign, r.r),
        ] {
            b.assert_bool(s);
            b.when(r.is_divu).assert_zero(s);
            BYTE.lookup_key(
                b,
                [k(ByteOp::Msb as u32), w[3].into(), AB::Expr::ZERO, s.into()],
                Count::bounded(signed.clone(), 1),
            );
        }

        // Special rows.
        b.assert_bool(r.c_zero);
        b.assert_bool(r.overflow);
        b.when(r.is_divu).assert_zero(r.overflow);
        let c_sum: AB::Expr = r.c.iter().map(|v| ex(*v)).sum();
        for c in r.c {
            b.when(r.c_zero).assert_zero(c);
        }
        b.assert_eq(c_sum * ex(r.c_inv), is_real.clone() - ex(r.c_zero));
        for (i, want) in [0u32, 0, 0, 0x80].into_iter().enumerate() {
            b.when(r.overflow).assert_eq(r.b[i], k(want));
            b.when(r.overflow).assert_eq(r.c[i], k(0xff));
        }
        let special = ex(r.c_zero) + ex(r.overflow);
        let normal = is_real.clone() - special.clone();
        for i in 0..4 {
            b.when(special.clone()).assert_eq(r.q[i], r.b[i]);
            b.when(special.clone()).assert_zero(r.r[i]);
        }

        // q·c + r = b over 8 bytes.
        let ext = |w: [AB::Var; 4], s: AB::Var, i: usize| -> AB::Expr {
            if i < 4 {
                w[i].into()
            } else {
                ex(s) * k(255)
            }
        };
        let mut cin = AB::Expr::ZERO;
        for kk in 0..8 {
            let p: AB::Expr = (0..=kk)
                .map(|i| ext(r.q, r.q_sign, i) * ext(r.c, r.c_sign, kk - i))
                .sum();
            let carry = ex(r.carry_lo[kk]) + k(256) * ex(r.carry_hi[kk]);
            b.when(normal.clone()).assert_zero(
                p + ext(r.r, r.r_sign, kk) + cin - ext(r.b, r.b_sign, kk) - k(256) * carry.clone(),
            );
            cin = carry;
            BYTE.lookup_key(
                b,
                [
                    k(ByteOp::Range as u32),
                    r.carry_lo[kk].into(),
                    r.carry_hi[kk].into(),
                    AB::Expr::ZERO,
                ],
                Count::bounded(is_real.clone(), 1),
            );
        }

        // |r| < |c|: |r| + gap + 1 = |c| without carry out.
        assert_cond_neg(b, r.b_sign.into(), r.r, r.abs_r, r.neg_r_carry);
        assert_cond_neg(b, r.c_sign.into(), r.c, r.abs_c, r.neg_c_carry);
        let mut cin = normal.clone();
        for i in 0..4 {
            b.assert_bool(r.gap_carry[i]);
            let sum =
                ex(r.abs_r[i]) + ex(r.gap[i]) + cin - ex(r.abs_c[i]) - k(256) * ex(r.gap_carry[i]);
            b.when(normal.clone()).assert_zero(sum);
            cin = r.gap_carry[i].into();
        }
        b.assert_zero(r.gap_carry[3]);

        for w in [r.b, r.c, r.q, r.r, r.abs_r, r.abs_c, r.gap] {
            range_check_word(b, w.map(Into::into), is_real.clone());
        }
        let op = op_id::<AB>(&[(r.is_div, DivOp::Div as u8), (r.is_divu, DivOp::Divu as u8)]);
        let mut tuple = vec![op];
        tuple.extend(
            r.q.iter()
                .chain(&r.r)
                .chain(&r.b)
                .chain(&r.c)
                .map(|v| (*v).into()),
        );
        DIVREM.table_entry(b, tuple, is_real);
    }
}
