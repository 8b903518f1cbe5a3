//! Multiplication: MUL (low word, on the `alu` bus) and MULT/MULTU/MADD/MADDU/MSUB/MSUBU (HI:LO,
//! on the `mul64` bus).
//!
//! Operands are extended to 8 bytes (sign bytes `255·s` for the signed ops, with the sign from
//! the byte table's MSB lookup); the byte convolution `p_k = Σ_{i+j=k} b_i·c_j` (k < 8) is the
//! product mod 2^64. One carry chain `p_k + x_k + carry_{k−1} = z_k + 256·carry_k` then proves
//! `r = p` (MUL, MULT), `r = acc + p` (MADD: x = acc, z = r) or `acc = r + p` (MSUB: x = r,
//! z = acc). Carries stay below 2^11 and are range-checked as two bytes each, results as bytes,
//! which makes the chain's solution unique. Every constraint has degree ≤ 2.

use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

use super::events::{AluEvent, Mul64Event};
use crate::bus::{AluOp, ByteOp, Mul64Op, BYTE, MUL64};
use crate::byte::ByteLookups;
use crate::gadgets::{one_hot_or_none, op_id, range_check_word, receive_alu};
use crate::{cols, cols_mut, F};

#[repr(C)]
pub struct MulCols<T> {
    pub b: [T; 4],
    pub c: [T; 4],
    /// The result: low word then high word.
    pub r: [T; 8],
    /// HI:LO before, low word first: the accumulator of MADD/MSUB (MULT/MULTU ignore it, MUL
    /// has none).
    pub acc: [T; 8],
    pub b_sign: T,
    pub c_sign: T,
    pub carry_lo: [T; 8],
    pub carry_hi: [T; 8],
    pub is_mul: T,
    pub is_mult: T,
    pub is_multu: T,
    pub is_madd: T,
    pub is_maddu: T,
    pub is_msub: T,
    pub is_msubu: T,
}

pub const NUM_COLS: usize = std::mem::size_of::<MulCols<u8>>();

/// One row's request, whichever bus it came from.
struct Row {
    sel: usize,
    b: u32,
    c: u32,
    acc: u64,
    signed: bool,
    /// (x, z) roles of the chain: 0 = MUL/MULT (x = 0, z = r), 1 = MADD, 2 = MSUB.
    kind: u8,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct MulChip;

fn bytes8(v: u64) -> [u8; 8] {
    v.to_le_bytes()
}

impl MulChip {
    pub fn generate_trace(
        alu: &[AluEvent],
        mul64: &[Mul64Event],
        bytes: &mut ByteLookups,
    ) -> RowMajorMatrix<F> {
        let mut rows: Vec<Row> = alu
            .iter()
            .filter(|e| e.op == AluOp::Mul)
            .map(|e| Row {
                sel: 0,
                b: e.b,
                c: e.c,
                acc: 0,
                signed: false,
                kind: 0,
            })
            .collect();
        for e in mul64 {
            let kind = match e.op {
                Mul64Op::Mult | Mul64Op::Multu => 0,
                Mul64Op::Madd | Mul64Op::Maddu => 1,
                Mul64Op::Msub | Mul64Op::Msubu => 2,
            };
            rows.push(Row {
                sel: 1 + e.op as usize,
                b: e.b,
                c: e.c,
                acc: e.acc,
                signed: e.op.is_signed(),
                kind,
            });
        }
        let height = rows.len().next_power_of_two().max(4);
        let mut m = RowMajorMatrix::new(F::zero_vec(height * NUM_COLS), NUM_COLS);
        for (out, row) in m.values.chunks_exact_mut(NUM_COLS).zip(&rows) {
            let r: &mut MulCols<F> = cols_mut(out);
            let (sb, sc) = if row.signed {
                (
                    bytes.add(ByteOp::Msb, (row.b >> 24) as u8, 0),
                    bytes.add(ByteOp::Msb, (row.c >> 24) as u8, 0),
                )
            } else {
                (0, 0)
            };
            let ext = |v: u32, s: u8| -> [u64; 8] {
                core::array::from_fn(|i| {
                    if i < 4 {
                        (v >> (8 * i)) as u8 as u64
                    } else {
                        255 * s as u64
                    }
                })
            };
            let (be, ce) = (ext(row.b, sb), ext(row.c, sc));
            let prod: u64 = if row.signed {
                (row.b as i32 as i64).wrapping_mul(row.c as i32 as i64) as u64
            } else {
                row.b as u64 * row.c as u64
            };
            let result = match row.kind {
                0 => prod,
                1 => row.acc.wrapping_add(prod),
                _ => row.acc.wrapping_sub(prod),
            };
            let (rb, ab) = (bytes8(result), bytes8(row.acc));
            let mut carry = 0u64;
            for k in 0..8 {
                let p: u64 = (0..=k).map(|i| be[i] * ce[k - i]).sum();
                let (x, z) = match row.kind {
                    0 => (0u64, rb[k] as u64),
                    1 => (ab[k] as u64, rb[k] as u64),
                    _ => (rb[k] as u64, ab[k] as u64),
                };
                let total = p + x + carry;
                debug_assert_eq!(total & 255, z);
                carry = total >> 8;
                r.carry_lo[k] = F::from_u8(carry as u8);
                r.carry_hi[k] = F::from_u8((carry >> 8) as u8);
                bytes.add(ByteOp::Range, carry as u8, (carry >> 8) as u8);
            }
            r.b = row.b.to_le_bytes().map(F::from_u8);
            r.c = row.c.to_le_bytes().map(F::from_u8);
            r.r = rb.map(F::from_u8);
            r.acc = ab.map(F::from_u8);
            r.b_sign = F::from_u8(sb);
            r.c_sign = F::from_u8(sc);
            let sels = [
                &mut r.is_mul,
                &mut r.is_mult,
                &mut r.is_multu,
                &mut r.is_madd,
                &mut r.is_maddu,
                &mut r.is_msub,
                &mut r.is_msubu,
            ];
            *sels.into_iter().nth(row.sel).expect("selector index") = F::ONE;
            for w in [
                row.b,
                row.c,
                result as u32,
                (result >> 32) as u32,
                row.acc as u32,
                (row.acc >> 32) as u32,
            ] {
                bytes.range_word(w);
            }
        }
        m
    }
}

impl BaseAir<F> for MulChip {
    fn width(&self) -> usize {
        NUM_COLS
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
}

impl<AB: AirBuilder<F = F> + InteractionBuilder> Air<AB> for MulChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let r: &MulCols<AB::Var> = cols(main.current_slice());
        let ex = |v: AB::Var| -> AB::Expr { v.into() };
        let is_real = one_hot_or_none(
            b,
            &[
                r.is_mul, r.is_mult, r.is_multu, r.is_madd, r.is_maddu, r.is_msub, r.is_msubu,
            ],
        );
        let signed = ex(r.is_mult) + ex(r.is_madd) + ex(r.is_msub);
        let madd = ex(r.is_madd) + ex(r.is_maddu);
        let msub = ex(r.is_msub) + ex(r.is_msubu);
        let plain = ex(r.is_mul) + ex(r.is_mult) + ex(r.is_multu);
        // Signs only for the signed ops (their lookups count only then).
        b.assert_bool(r.b_sign);
        b.assert_bool(r.c_sign);
        b.when(AB::Expr::ONE - signed.clone()).assert_zero(r.b_sign);
        b.when(AB::Expr::ONE - signed.clone()).assert_zero(r.c_sign);
        let msb = AB::Expr::from_u8(ByteOp::Msb as u8);
        BYTE.lookup_key(
            b,
            [msb.clone(), r.b[3].into(), AB::Expr::ZERO, r.b_sign.into()],
            Count::bounded(signed.clone(), 1),
        );
        BYTE.lookup_key(
            b,
            [msb, r.c[3].into(), AB::Expr::ZERO, r.c_sign.into()],
            Count::bounded(signed, 1),
        );
        // MUL has no accumulator; MULT/MULTU carry HI:LO before them (the CPU sends it for
        // every mul64 request) and ignore it: only MADD/MSUB read `acc` below.
        for a in r.acc {
            b.when(r.is_mul).assert_zero(a);
        }
        let ext = |w: [AB::Var; 4], s: AB::Var, i: usize| -> AB::Expr {
            if i < 4 {
                w[i].into()
            } else {
                ex(s) * AB::Expr::from_u32(255)
            }
        };
        let mut carry_in = AB::Expr::ZERO;
        for k in 0..8 {
            let p: AB::Expr = (0..=k)
                .map(|i| ext(r.b, r.b_sign, i) * ext(r.c, r.c_sign, k - i))
                .sum();
            let x = madd.clone() * r.acc[k].into() + msub.clone() * r.r[k].into();
            let z = (plain.clone() + madd.clone()) * r.r[k].into() + msub.clone() * r.acc[k].into();
            let carry = ex(r.carry_lo[k]) + AB::Expr::from_u32(256) * ex(r.carry_hi[k]);
            b.assert_zero(p + x + carry_in - z - AB::Expr::from_u32(256) * carry.clone());
            carry_in = carry;
            BYTE.lookup_key(
                b,
                [
                    AB::Expr::from_u8(ByteOp::Range as u8),
                    r.carry_lo[k].into(),
                    r.carry_hi[k].into(),
                    AB::Expr::ZERO,
                ],
                Count::bounded(is_real.clone(), 1),
            );
        }
        let (lo, hi): ([AB::Var; 4], [AB::Var; 4]) = (
            core::array::from_fn(|i| r.r[i]),
            core::array::from_fn(|i| r.r[4 + i]),
        );
        let (acc_lo, acc_hi): ([AB::Var; 4], [AB::Var; 4]) = (
            core::array::from_fn(|i| r.acc[i]),
            core::array::from_fn(|i| r.acc[4 + i]),
        );
        for w in [r.b, r.c, lo, hi, acc_lo, acc_hi] {
            range_check_word(b, w.map(Into::into), is_real.clone());
        }
        receive_alu(
            b,
            ex(r.is_mul) * AB::Expr::from_u8(AluOp::Mul as u8),
            lo,
            r.b,
            r.c,
            r.is_mul.into(),
        );
        let op = op_id::<AB>(&[
            (r.is_mult, Mul64Op::Mult as u8),
            (r.is_multu, Mul64Op::Multu as u8),
            (r.is_madd, Mul64Op::Madd as u8),
            (r.is_maddu, Mul64Op::Maddu as u8),
            (r.is_msub, Mul64Op::Msub as u8),
            (r.is_msubu, Mul64Op::Msubu as u8),
        ]);
        let mut tuple = vec![op];
        tuple.extend(
            hi.iter()
                .chain(&lo)
                .chain(&r.b)
                .chain(&r.c)
                .chain(&acc_hi)
                .chain(&acc_lo)
                .map(|v| (*v).into()),
        );
        MUL64.table_entry(b, tuple, is_real - ex(r.is_mul));
    }
}
