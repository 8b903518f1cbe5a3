//! Launcher for `quotient.cu`. Twins: [`QuotientProgram::eval_row`] and Plonky3's
//! `quotient_values`.

use p3_field::BasedVectorSpace;
use p3_koala_bear::KoalaBear;
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

/// Inputs of one quotient evaluation: the traces on the quotient domain in natural order, with
/// `next_step` rows between a row and its successor (wrapping around).
pub struct QuotientInputs<'a, M> {
    pub main: &'a M,
    pub preprocessed: Option<&'a M>,
    /// Lookup columns in base coordinates (4 per extension column).
    pub permutation: Option<&'a M>,
    pub selectors: Selectors<'a>,
    pub public_values: &'a [F],
    /// [`QuotientProgram::ext_table`] of the job.
    pub ext_table: &'a [EF],
    /// Weight of each constraint, in the program's order (`α^(K−1−k)` by global index).
    pub weights: &'a [EF],
    pub next_step: usize,
}

/// `inv_vanishing · Σ weights[k]·C_k` on every row of the quotient domain.
pub fn quotient_values<R: DeviceRuntime, M: Matrix<F> + Sync>(
    rt: &R,
    prog: &QuotientProgram,
    q: &QuotientInputs<'_, M>,
) -> Result<Vec<EF>, GpuError> {
    quotient_values_within(rt, prog, q, None)
}

/// Rows `[start, start + rows)` of `m` (wrapping), row-major.
fn window<M: Matrix<F> + Sync>(m: Option<&M>, start: usize, rows: usize) -> Vec<F> {
    use rayon::prelude::*;
    let Some(m) = m.filter(|m| m.width() > 0) else {
        return Vec::new();
    };
    let (n, w) = (m.height(), m.width());
    let mut out = vec![F::default(); rows * w];
    out.par_chunks_mut(w).enumerate().for_each(|(k, dst)| {
        let row = m.row((start + k) % n).expect("row in range");
        for (d, v) in dst.iter_mut().zip(row) {
            *d = v;
        }
    });
    out
}

/// [`quotient_values`] in chunks of rows whose device buffers fit `budget` bytes (and whose
/// host staging stays within the Merkle uploads' bound): each chunk uploads its rows and the
/// `next_step` rows after them.
pub fn quotient_values_within<R: DeviceRuntime, M: Matrix<F> + Sync>(
    rt: &R,
    prog: &QuotientProgram,
    q: &QuotientInputs<'_, M>,
    budget: Option<u64>,
) -> Result<Vec<EF>, GpuError> {
    let n = q.main.height();
    let widths = [Some(q.main), q.preprocessed, q.permutation].map(|m| m.map_or(0, |m| m.width()));
    let consistent = [q.preprocessed, q.permutation]
        .iter()
        .all(|m| m.is_none_or(|m| m.height() == n));
    if !n.is_power_of_two() || q.weights.len() != prog.num_constraints || !consistent {
        return Err(GpuError::Shape(format!(
            "quotient domain of {n} rows with {} weights for {} constraints",
            q.weights.len(),
            prog.num_constraints
        )));
    }
    let s = &q.selectors;
    let sels = [
        s.is_first_row,
        s.is_last_row,
        s.is_transition,
        s.inv_vanishing,
    ];
    if sels.iter().any(|v| v.len() < n) {
        return Err(GpuError::Shape(
            "selector shorter than the quotient domain".into(),
        ));
    }
    let step = q.next_step % n;
    let width: usize = widths.iter().sum();
    // Words per chunk row: traces (each row also read as someone's next), selectors, output.
    let (base_spills, ext_spills) = prog.spills();
    let spill_words = base_spills + 4 * ext_spills;
    let row_words = (width + 4 + 4 + spill_words) as u64;
    // Host staging is bounded like the Merkle uploads': a chunk copies its rows once.
    let staged = (super::merkle::STAGING_BYTES / (4 * (width + 4).max(1))).max(1);
    let rows = match budget {
        None => n.min(staged),
        Some(b) => {
            let fixed = 4 * (step as u64 * width as u64 + 8 * prog.num_constraints as u64);
            let rows = (b.saturating_sub(fixed) / (4 * row_words)) as usize;
            if rows == 0 {
                return Err(GpuError::Shape(format!(
                    "a quotient chunk of one row needs more than the {b}-byte budget"
                )));
            }
            rows.min(n).min(staged)
        }
    };
    let weights: Vec<F> = q
        .weights
        .iter()
        .flat_map(|w| w.as_basis_coefficients_slice().to_vec())
        .collect();
    let etab: Vec<F> = crate::quotient::ext_words(q.ext_table);
    let publics = rt.upload(as_words(q.public_values))?;
    let dweights = rt.upload(as_words(&weights))?;
    let detab = rt.upload(as_words(&etab))?;
    let code = rt.upload(&prog.words())?;
    let mut out = Vec::with_capacity(n);
    let mut start = 0;
    while start < n {
        let len = rows.min(n - start);
        let main = rt.upload(as_words(&window(Some(q.main), start, len + step)))?;
        let pre = rt.upload(as_words(&window(q.preprocessed, start, len + step)))?;
        let perm = rt.upload(as_words(&window(q.permutation, start, len + step)))?;
        let chunk_sels: Vec<F> = sels
            .iter()
            .flat_map(|v| v[start..start + len].iter().copied())
            .collect();
        let dsels = rt.upload(as_words(&chunk_sels))?;
        let dout = rt.alloc(4 * len)?;
        let spill = rt.alloc(spill_words * len)?;
        rt.launch(
            "quotient_eval",
            len,
            &[
                Arg::Buf(&main),
                Arg::U32(widths[0] as u32),
                Arg::Buf(&pre),
                Arg::U32(widths[1] as u32),
                Arg::Buf(&perm),
                Arg::U32(widths[2] as u32),
                Arg::Buf(&dsels),
                Arg::Buf(&publics),
                Arg::Buf(&detab),
                Arg::Buf(&dweights),
                Arg::Buf(&code),
                Arg::U32(prog.instrs.len() as u32),
                Arg::Buf(&spill),
                Arg::U32(base_spills as u32),
                Arg::U64(len as u64),
                Arg::U64(step as u64),
                Arg::Buf(&dout),
            ],
        )?;
        out.extend(download_ext(rt, &dout, len)?);
        start += len;
    }
    Ok(out)
}
