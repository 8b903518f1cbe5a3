//! Base-field operations: `out = a + b`, `a − b`, `a·b`, `1/a` (asserting `a ≠ 0`: no `out`
//! satisfies `out·a = 1` otherwise), `select(c; a, b) = a + c·(b − a)` with a bit `c` (bits
//! are written only by the bits chip, which constrains them boolean), and the assertion
//! `a = b` (no output).

use std::mem::size_of;

use p3_air::{Air, AirBuilder, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;

use super::{base_cell, preprocessed_chip, read, write, Preprocessed};
use crate::{cols, F};

#[repr(C)]
pub struct BaseAluPreCols<T> {
    pub a: T,
    pub b: T,
    pub c: T,
    pub out: T,
    pub mult: T,
    pub is_add: T,
    pub is_sub: T,
    pub is_mul: T,
    pub is_inv: T,
    pub is_select: T,
    pub is_assert: T,
}

#[repr(C)]
pub struct BaseAluCols<T> {
    pub a: T,
    pub b: T,
    pub c: T,
    pub out: T,
}

pub const NUM_PRE_COLS: usize = size_of::<BaseAluPreCols<u8>>();
pub const NUM_COLS: usize = size_of::<BaseAluCols<u8>>();

#[derive(Clone, Debug)]
pub struct BaseAluChip {
    pub pre: Preprocessed,
}

preprocessed_chip!(BaseAluChip, NUM_COLS, NUM_PRE_COLS);

impl<AB: AirBuilder<F = F> + InteractionBuilder> Air<AB> for BaseAluChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &BaseAluCols<AB::Var> = cols(main.current_slice());
        let pre = b.preprocessed().clone();
        let p: &BaseAluPreCols<AB::Var> = cols(pre.current_slice());
        let (a, bv, c, out): (AB::Expr, AB::Expr, AB::Expr, AB::Expr) =
            (l.a.into(), l.b.into(), l.c.into(), l.out.into());
        b.assert_zero(p.is_add * (out.clone() - a.clone() - bv.clone()));
        b.assert_zero(p.is_sub * (out.clone() - a.clone() + bv.clone()));
        b.assert_zero(p.is_mul * (out.clone() - a.clone() * bv.clone()));
        b.assert_zero(p.is_inv * (out.clone() * a.clone() - AB::Expr::ONE));
        b.assert_zero(
            p.is_select * (out.clone() - a.clone() - c.clone() * (bv.clone() - a.clone())),
        );
        b.assert_zero(p.is_assert * (a.clone() - bv.clone()));

        let two_operands: AB::Expr = [p.is_add, p.is_sub, p.is_mul, p.is_select, p.is_assert]
            .into_iter()
            .map(Into::into)
            .sum();
        let real = two_operands.clone() + p.is_inv;
        read(b, p.a, base_cell(a), real);
        read(b, p.b, base_cell(bv), two_operands);
        read(b, p.c, base_cell(c), p.is_select);
        write(b, p.out, base_cell(out), p.mult);
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BaseOp {
    Add,
    Sub,
    Mul,
    Inv,
    Select,
    AssertEq,
}

/// One base-field operation: operands `a`, `b`, the selecting bit `c` (addresses; unused
/// ones 0), the result's address and read count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BaseAluRow {
    pub op: BaseOp,
    pub a: u32,
    pub b: u32,
    pub c: u32,
    pub out: u32,
    pub mult: u32,
}

impl BaseAluRow {
    pub(crate) fn pre(&self) -> [F; NUM_PRE_COLS] {
        let is = |op| F::from_bool(self.op == op);
        [
            F::from_u32(self.a),
            F::from_u32(self.b),
            F::from_u32(self.c),
            F::from_u32(self.out),
            F::from_u32(self.mult),
            is(BaseOp::Add),
            is(BaseOp::Sub),
            is(BaseOp::Mul),
            is(BaseOp::Inv),
            is(BaseOp::Select),
            is(BaseOp::AssertEq),
        ]
    }

    pub(crate) fn main(&self, mem: &[[F; 4]]) -> [F; NUM_COLS] {
        let v = |addr: u32| mem[addr as usize][0];
        let (a, b, c) = (v(self.a), v(self.b), v(self.c));
        let out = match self.op {
            BaseOp::AssertEq => F::ZERO,
            _ => v(self.out),
        };
        [a, b, c, out]
    }
}
