//! The values a recursion proof states: row `j` reads the cell exposed `j`-th and equals it to
//! public value `j`. Which row states which public value is a preprocessed one-hot column, so
//! every public value is tied to exactly the cell the program exposed.

use std::sync::Arc;

use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;

use super::{base_cell, read, Preprocessed};
use crate::F;

/// Preprocessed: the cell, the row's flag, then one column per public value.
const PRE_FIXED: usize = 2;

/// The public-values chip of a program exposing `n` values.
#[derive(Clone, Debug)]
pub struct PublicChip {
    pub n: usize,
    pub pre: Preprocessed,
}

impl PublicChip {
    /// The chip exposing the cells `rows` (in order), on a table of `height` rows.
    pub fn new(rows: &[PublicRow], height: usize) -> Self {
        let n = rows.len();
        let width = PRE_FIXED + n;
        let mut values = vec![F::ZERO; height * width];
        for (j, r) in rows.iter().enumerate() {
            let row = &mut values[j * width..(j + 1) * width];
            row[0] = F::from_u32(r.addr);
            row[1] = F::ONE;
            row[PRE_FIXED + j] = F::ONE;
        }
        PublicChip {
            n,
            pre: Preprocessed(Arc::new(RowMajorMatrix::new(values, width))),
        }
    }
}

impl BaseAir<F> for PublicChip {
    fn width(&self) -> usize {
        1
    }
    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<F>> {
        Some((*self.pre.0).clone())
    }
    fn preprocessed_width(&self) -> usize {
        PRE_FIXED + self.n
    }
    fn num_public_values(&self) -> usize {
        self.n
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
    fn preprocessed_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
}

impl<AB: AirBuilder<F = F> + InteractionBuilder> Air<AB> for PublicChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let value: AB::Expr = main.current_slice()[0].into();
        let pre = b.preprocessed().clone();
        let p = pre.current_slice();
        let publics: Vec<AB::Expr> = b.public_values().iter().map(|&x| x.into()).collect();
        // Every verifier checks the count first; a mismatch here is a caller's bug, and a
        // shorter list would leave rows unconstrained.
        assert_eq!(
            publics.len(),
            self.n,
            "the public chip states {} values",
            self.n
        );
        let mut stated = AB::Expr::ZERO;
        let mut any = AB::Expr::ZERO;
        for (j, pv) in publics.into_iter().enumerate() {
            stated += pv * p[PRE_FIXED + j];
            any += p[PRE_FIXED + j].into();
        }
        b.assert_zero(value.clone() * any - stated);
        read(b, p[0], base_cell(value), p[1]);
    }
}

/// One exposed value: its cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PublicRow {
    pub addr: u32,
}
