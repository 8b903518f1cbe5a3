//! Launcher for `quotient.cu`. Twins: [`QuotientProgram::eval_row`] and Plonky3's
//! `quotient_values`.

use p3_field::BasedVectorSpace;
use p3_koala_bear::KoalaBear;
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;

use super::{as_words, download_ext};
use crate::error::GpuError;
use crate::quotient::QuotientProgram;
use crate::runtime::{Arg, DeviceRuntime};

type F = KoalaBear;
type EF = super::Ext;

/// The Lagrange selectors on the quotient domain (Plonky3's `selectors_on_coset`).
pub struct Selectors<'a> {
    pub is_first_row: &'a [F],
    pub is_last_row: &'a [F],
    pub is_transition: &'a [F],
    pub inv_vanishing: &'a [F],
}

/// Inputs of one quotient evaluation: the trace (and preprocessed trace) on the quotient
/// domain in natural order, with `next_step` rows between a row and its successor.
pub struct QuotientInputs<'a> {
    pub main: &'a RowMajorMatrix<F>,
    pub preprocessed: Option<&'a RowMajorMatrix<F>>,
    pub selectors: Selectors<'a>,
    pub public_values: &'a [F],
    /// Weight of each constraint, in emission order (`α^(K−1−k)` for base-only AIRs).
    pub weights: &'a [EF],
    pub next_step: usize,
}

/// `inv_vanishing · Σ weights[k]·C_k` on every row of the quotient domain.
pub fn quotient_values<R: DeviceRuntime>(
    rt: &R,
    prog: &QuotientProgram,
    q: &QuotientInputs<'_>,
) -> Result<Vec<EF>, GpuError> {
    let n = q.main.height();
    if !n.is_power_of_two() || q.weights.len() != prog.num_constraints {
        return Err(GpuError::Shape(format!(
            "quotient domain of {n} rows with {} weights for {} constraints",
            q.weights.len(),
            prog.num_constraints
        )));
    }
    let s = &q.selectors;
    let mut sels = Vec::with_capacity(4 * n);
    for v in [
        s.is_first_row,
        s.is_last_row,
        s.is_transition,
        s.inv_vanishing,
    ] {
        if v.len() < n {
            return Err(GpuError::Shape(
                "selector shorter than the quotient domain".into(),
            ));
        }
        sels.extend_from_slice(&v[..n]);
    }
    let weights: Vec<F> = q
        .weights
        .iter()
        .flat_map(|w| w.as_basis_coefficients_slice().to_vec())
        .collect();
    let main = rt.upload(as_words(&q.main.values))?;
    let (pre_vals, pre_w): (&[F], usize) = match q.preprocessed {
        Some(p) => (&p.values, p.width()),
        None => (&[], 0),
    };
    let pre = rt.upload(as_words(pre_vals))?;
    let dsels = rt.upload(as_words(&sels))?;
    let publics = rt.upload(as_words(q.public_values))?;
    let dweights = rt.upload(as_words(&weights))?;
    let code = rt.upload(&prog.words())?;
    let out = rt.alloc(4 * n)?;
    rt.launch(
        "quotient_eval",
        n,
        &[
            Arg::Buf(&main),
            Arg::U32(q.main.width() as u32),
            Arg::Buf(&pre),
            Arg::U32(pre_w as u32),
            Arg::Buf(&dsels),
            Arg::Buf(&publics),
            Arg::Buf(&dweights),
            Arg::Buf(&code),
            Arg::U32(prog.instrs.len() as u32),
            Arg::U64(n as u64),
            Arg::U64(q.next_step as u64),
            Arg::Buf(&out),
        ],
    )?;
    download_ext(rt, &out, n)
}
