//! The interpreter seam: what a run of the bytecode computes with, and the CPU twin's values.

use crate::{Op, RowInputs, EF, F};

/// What [`QuotientProgram::run`] computes with: base and extension values, their loads and
/// arithmetic, and what becomes of each constraint's value (`emit`, with the constraint's
/// index in the program's order: base constraints, then extension constraints).
pub trait Interp {
    type Base: Copy;
    type Ext: Copy;
    /// A base leaf: `op` is a column, public-value or selector load, `index` its column or
    /// public value.
    fn load(&mut self, op: Op, index: u32) -> Self::Base;
    fn constant(&mut self, c: F) -> Self::Base;
    fn add(&mut self, a: Self::Base, b: Self::Base) -> Self::Base;
    fn sub(&mut self, a: Self::Base, b: Self::Base) -> Self::Base;
    fn mul(&mut self, a: Self::Base, b: Self::Base) -> Self::Base;
    fn neg(&mut self, a: Self::Base) -> Self::Base;
    fn emit(&mut self, constraint: usize, v: Self::Base);
    /// An extension leaf: a lookup column (`PermLocal`/`PermNext`) or an entry of the job's
    /// extension table (`ExtLoad`, [`QuotientProgram::ext_table`]'s order).
    fn load_ext(&mut self, op: Op, index: u32) -> Self::Ext;
    fn lift(&mut self, a: Self::Base) -> Self::Ext;
    fn add_ext(&mut self, a: Self::Ext, b: Self::Ext) -> Self::Ext;
    fn sub_ext(&mut self, a: Self::Ext, b: Self::Ext) -> Self::Ext;
    fn mul_ext(&mut self, a: Self::Ext, b: Self::Ext) -> Self::Ext;
    fn neg_ext(&mut self, a: Self::Ext) -> Self::Ext;
    fn mul_ext_base(&mut self, a: Self::Ext, b: Self::Base) -> Self::Ext;
    fn emit_ext(&mut self, constraint: usize, v: Self::Ext);
}

/// The CPU twin's values: one row's inputs, the weighted sum of the constraints.
pub(crate) struct RowInterp<'a, 'r> {
    pub(crate) row: &'a RowInputs<'r>,
    pub(crate) weights: &'a [EF],
    pub(crate) acc: EF,
}

impl Interp for RowInterp<'_, '_> {
    type Base = F;
    type Ext = EF;
    fn load(&mut self, op: Op, index: u32) -> F {
        let (row, a) = (self.row, index as usize);
        match op {
            Op::MainLocal => row.main_local[a],
            Op::MainNext => row.main_next[a],
            Op::PreLocal => row.pre_local[a],
            Op::PreNext => row.pre_next[a],
            Op::Public => row.public_values[a],
            Op::IsFirst => row.is_first,
            Op::IsLast => row.is_last,
            Op::IsTransition => row.is_transition,
            other => unreachable!("{other:?} is not a base load"),
        }
    }
    fn constant(&mut self, c: F) -> F {
        c
    }
    fn add(&mut self, a: F, b: F) -> F {
        a + b
    }
    fn sub(&mut self, a: F, b: F) -> F {
        a - b
    }
    fn mul(&mut self, a: F, b: F) -> F {
        a * b
    }
    fn neg(&mut self, a: F) -> F {
        -a
    }
    fn emit(&mut self, k: usize, v: F) {
        self.acc += self.weights[k] * v;
    }
    fn load_ext(&mut self, op: Op, index: u32) -> EF {
        let a = index as usize;
        match op {
            Op::PermLocal => self.row.perm_local[a],
            Op::PermNext => self.row.perm_next[a],
            Op::ExtLoad => self.row.ext_table[a],
            other => unreachable!("{other:?} is not an extension load"),
        }
    }
    fn lift(&mut self, a: F) -> EF {
        EF::from(a)
    }
    fn add_ext(&mut self, a: EF, b: EF) -> EF {
        a + b
    }
    fn sub_ext(&mut self, a: EF, b: EF) -> EF {
        a - b
    }
    fn mul_ext(&mut self, a: EF, b: EF) -> EF {
        a * b
    }
    fn neg_ext(&mut self, a: EF) -> EF {
        -a
    }
    fn mul_ext_base(&mut self, a: EF, b: F) -> EF {
        a * b
    }
    fn emit_ext(&mut self, k: usize, v: EF) {
        self.acc += self.weights[k] * v;
    }
}
