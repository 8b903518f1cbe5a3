//! The backend seam inside Plonky3's prover: a [`TwoAdicSubgroupDft`] whose LDEs and DFTs run
//! on the device, so `TwoAdicFriPcs` commits device-computed LDEs. The results are exact field
//! values, identical to Plonky3's own DFT, so the proof bytes do not change.
//!
//! The trait cannot return errors, so a device failure falls back to Plonky3's DFT for that
//! call and is recorded in the [`DeviceStats`] it shares with the other device stages.
//!
//! With a device-memory budget ([`GpuDft::with_budget`]) a batch whose buffers would not fit
//! is transformed a group of columns at a time (columns are independent), so a shard's traces
//! need not fit on the device at once.

use std::sync::Arc;

use p3_dft::{Radix2DitParallel, TwoAdicSubgroupDft};
use p3_field::PrimeCharacteristicRing;
use p3_matrix::bitrev::{BitReversedMatrixView, BitReversibleMatrix};
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;

use crate::kernels::ntt::{coset_lde_bitrev, dft_bitrev};
use crate::{DeviceRuntime, DeviceStats, GpuError};

type F = p3_koala_bear::KoalaBear;

/// LDEs on a device. `Default` (required by Plonky3's trait) has no device and computes on the
/// CPU; construct with [`GpuDft::new`].
pub struct GpuDft<R> {
    rt: Option<Arc<R>>,
    stats: Arc<DeviceStats>,
    /// Device bytes one call may use (`None`: no limit).
    budget: Option<u64>,
}

impl<R> Clone for GpuDft<R> {
    fn clone(&self) -> Self {
        GpuDft {
            rt: self.rt.clone(),
            stats: self.stats.clone(),
            budget: self.budget,
        }
    }
}

impl<R> Default for GpuDft<R> {
    fn default() -> Self {
        GpuDft {
            rt: None,
            stats: Arc::default(),
            budget: None,
        }
    }
}

/// Words a device call needs: `per_column` for each column, plus `shared` (twiddles).
#[derive(Clone, Copy)]
struct Footprint {
    per_column: usize,
    shared: usize,
}

impl<R: DeviceRuntime> GpuDft<R> {
    pub fn new(rt: Arc<R>) -> Self {
        GpuDft {
            rt: Some(rt),
            stats: Arc::default(),
            budget: None,
        }
    }

    /// Limits each device call to `bytes` of device memory.
    pub fn with_budget(mut self, bytes: u64) -> Self {
        self.budget = Some(bytes);
        self
    }

    /// A budget of `fraction` of the device's memory.
    pub fn with_memory_fraction(self, fraction: f64) -> Result<Self, GpuError> {
        let budget = match &self.rt {
            Some(rt) => rt.memory_budget(fraction)?,
            None => return Ok(self),
        };
        Ok(self.with_budget(budget))
    }

    /// Columns per device call within the budget.
    fn columns_per_call(&self, width: usize, f: Footprint) -> Result<usize, GpuError> {
        let Some(budget) = self.budget else {
            return Ok(width.max(1));
        };
        let bytes = |words: usize| 4 * words as u64;
        let need = bytes(f.per_column + f.shared);
        if need > budget {
            return Err(GpuError::Budget {
                unit: "one column",
                need,
                budget,
            });
        }
        let fit = (budget - bytes(f.shared)) / bytes(f.per_column);
        Ok((fit as usize).clamp(1, width.max(1)))
    }

    /// `call` on groups of at most `per_call` columns of `mat`, reassembled: each call maps
    /// `k` columns to a matrix of `out_height` rows and `k` columns.
    fn by_columns(
        rt: &R,
        mat: &RowMajorMatrix<F>,
        per_call: usize,
        out_height: usize,
        call: impl Fn(&R, &RowMajorMatrix<F>) -> Result<RowMajorMatrix<F>, GpuError>,
    ) -> Result<RowMajorMatrix<F>, GpuError> {
        let w = mat.width();
        if per_call >= w {
            return call(rt, mat);
        }
        let mut out = RowMajorMatrix::new(F::zero_vec(out_height * w), w);
        for c0 in (0..w).step_by(per_call) {
            let c1 = (c0 + per_call).min(w);
            let k = c1 - c0;
            let part: Vec<F> = mat
                .values
                .chunks_exact(w)
                .flat_map(|row| row[c0..c1].iter().copied())
                .collect();
            let done = call(rt, &RowMajorMatrix::new(part, k))?;
            for (dst, src) in out
                .values
                .chunks_exact_mut(w)
                .zip(done.values.chunks_exact(k))
            {
                dst[c0..c1].copy_from_slice(src);
            }
        }
        Ok(out)
    }

    pub fn stats(&self) -> &DeviceStats {
        &self.stats
    }

    /// Records into `stats` (shared with the other device stages of a proof).
    pub fn with_stats(mut self, stats: Arc<DeviceStats>) -> Self {
        self.stats = stats;
        self
    }

    fn on_device(
        &self,
        f: impl FnOnce(&R) -> Result<RowMajorMatrix<F>, GpuError>,
    ) -> Option<RowMajorMatrix<F>> {
        self.stats.record(f(self.rt.as_ref()?))
    }
}

impl<R: DeviceRuntime + Send + Sync> TwoAdicSubgroupDft<F> for GpuDft<R> {
    type Evaluations = BitReversedMatrixView<RowMajorMatrix<F>>;

    fn dft_batch(&self, mat: RowMajorMatrix<F>) -> Self::Evaluations {
        let _span = tracing::debug_span!("device dft").entered();
        let n = mat.height();
        let fp = Footprint {
            per_column: n,
            shared: n,
        };
        match self.on_device(|rt| {
            let per_call = self.columns_per_call(mat.width(), fp)?;
            Self::by_columns(rt, &mat, per_call, n, |rt, m| dft_bitrev(rt, m))
        }) {
            Some(bitrev) => bitrev.bit_reverse_rows(),
            None => Radix2DitParallel::default().dft_batch(mat),
        }
    }

    fn coset_lde_batch(
        &self,
        mat: RowMajorMatrix<F>,
        added_bits: usize,
        shift: F,
    ) -> Self::Evaluations {
        let _span = tracing::debug_span!("device coset lde").entered();
        // The input, its coefficients and the extended column; the two twiddle tables.
        let (n, big) = (mat.height(), mat.height() << added_bits);
        let fp = Footprint {
            per_column: 2 * n + big,
            shared: n + big,
        };
        match self.on_device(|rt| {
            let per_call = self.columns_per_call(mat.width(), fp)?;
            Self::by_columns(rt, &mat, per_call, big, |rt, m| {
                coset_lde_bitrev(rt, m, added_bits as u32, shift)
            })
        }) {
            Some(bitrev) => bitrev.bit_reverse_rows(),
            None => Radix2DitParallel::default().coset_lde_batch(mat, added_bits, shift),
        }
    }
}
