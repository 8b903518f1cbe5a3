//! Operations in the degree-4 extension (`x^4 = W`, Plonky3's `BinomialExtensionField`
//! basis): `out = a + b`, `a − b`, `a·b`, and `1/a` asserting `a ≠ 0` (`a·out = 1` has no
//! solution otherwise). Each operand is one memory cell of four coordinates.

use std::mem::size_of;

use p3_air::{Air, AirBuilder, WindowAccess};
use p3_field::extension::BinomiallyExtendable;
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;

use super::{preprocessed_chip, read, write, Preprocessed, CELL};
use crate::{cols, F};

#[repr(C)]
pub struct ExtAluPreCols<T> {
    pub a: T,
    pub b: T,
    pub out: T,
    pub mult: T,
    pub is_add: T,
    pub is_sub: T,
    pub is_mul: T,
    pub is_inv: T,
}

#[repr(C)]
pub struct ExtAluCols<T> {
    pub a: [T; CELL],
    pub b: [T; CELL],
    pub out: [T; CELL],
}

pub const NUM_PRE_COLS: usize = size_of::<ExtAluPreCols<u8>>();
pub const NUM_COLS: usize = size_of::<ExtAluCols<u8>>();

/// The extension's `W`.
fn w() -> F {
    <F as BinomiallyExtendable<CELL>>::W
}

/// `a·b` in the extension, over any ring the base field embeds in.
pub fn ext_mul<E: PrimeCharacteristicRing + From<F>>(a: &[E; CELL], b: &[E; CELL]) -> [E; CELL] {
    std::array::from_fn(|k| {
        let mut low = E::ZERO;
        let mut high = E::ZERO;
        for (i, ai) in a.iter().enumerate() {
            for (j, bj) in b.iter().enumerate() {
                let term = ai.clone() * bj.clone();
                if i + j == k {
                    low += term;
                } else if i + j == k + CELL {
                    high += term;
                }
            }
        }
        low + high * E::from(w())
    })
}

#[derive(Clone, Debug)]
pub struct ExtAluChip {
    pub pre: Preprocessed,
}

preprocessed_chip!(ExtAluChip, NUM_COLS, NUM_PRE_COLS);

impl<AB: AirBuilder<F = F> + InteractionBuilder> Air<AB> for ExtAluChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &ExtAluCols<AB::Var> = cols(main.current_slice());
        let pre = b.preprocessed().clone();
        let p: &ExtAluPreCols<AB::Var> = cols(pre.current_slice());
        let e = |x: &[AB::Var; CELL]| -> [AB::Expr; CELL] { x.map(Into::into) };
        let (a, bv, out) = (e(&l.a), e(&l.b), e(&l.out));
        let prod = ext_mul(&a, &bv);
        let inv_check = ext_mul(&a, &out);
        for k in 0..CELL {
            let one = if k == 0 {
                AB::Expr::ONE
            } else {
                AB::Expr::ZERO
            };
            b.assert_zero(p.is_add * (out[k].clone() - a[k].clone() - bv[k].clone()));
            b.assert_zero(p.is_sub * (out[k].clone() - a[k].clone() + bv[k].clone()));
            b.assert_zero(p.is_mul * (out[k].clone() - prod[k].clone()));
            b.assert_zero(p.is_inv * (inv_check[k].clone() - one));
        }
        let two_operands: AB::Expr = [p.is_add, p.is_sub, p.is_mul]
            .into_iter()
            .map(Into::into)
            .sum();
        let real = two_operands.clone() + p.is_inv;
        read(b, p.a, a, real);
        read(b, p.b, bv, two_operands);
        write(b, p.out, out, p.mult);
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExtOp {
    Add,
    Sub,
    Mul,
    Inv,
}

/// One extension operation: operand and result addresses, the result's read count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExtAluRow {
    pub op: ExtOp,
    pub a: u32,
    pub b: u32,
    pub out: u32,
    pub mult: u32,
}

impl ExtAluRow {
    pub(crate) fn pre(&self) -> [F; NUM_PRE_COLS] {
        let is = |op| F::from_bool(self.op == op);
        [
            F::from_u32(self.a),
            F::from_u32(self.b),
            F::from_u32(self.out),
            F::from_u32(self.mult),
            is(ExtOp::Add),
            is(ExtOp::Sub),
            is(ExtOp::Mul),
            is(ExtOp::Inv),
        ]
    }

    pub(crate) fn main(&self, mem: &[[F; 4]]) -> [F; NUM_COLS] {
        let mut row = [F::ZERO; NUM_COLS];
        row[..CELL].copy_from_slice(&mem[self.a as usize]);
        row[CELL..2 * CELL].copy_from_slice(&mem[self.b as usize]);
        row[2 * CELL..].copy_from_slice(&mem[self.out as usize]);
        row
    }
}
