//! The backend seam inside Plonky3's prover: a [`TwoAdicSubgroupDft`] whose LDEs and DFTs run
//! on the device, so `TwoAdicFriPcs` commits device-computed LDEs. The results are exact field
//! values, identical to Plonky3's own DFT, so the proof bytes do not change.
//!
//! The trait cannot return errors, so a device failure falls back to Plonky3's DFT for that
//! call and is recorded in [`DftStats`]; callers check [`GpuDft::stats`] after proving and
//! treat any failure as an error (a proof made partly on the CPU is still correct, but the
//! user asked for the GPU).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use p3_dft::{Radix2DitParallel, TwoAdicSubgroupDft};
use p3_matrix::bitrev::{BitReversedMatrixView, BitReversibleMatrix};
use p3_matrix::dense::RowMajorMatrix;

use crate::kernels::ntt::{coset_lde_bitrev, dft_bitrev};
use crate::{DeviceRuntime, GpuError};

type F = p3_koala_bear::KoalaBear;

/// What the device did during a proof.
#[derive(Debug, Default)]
pub struct DftStats {
    pub device_calls: AtomicUsize,
    pub failures: AtomicUsize,
    first_error: Mutex<Option<String>>,
}

impl DftStats {
    /// The first device error, if any call failed.
    pub fn first_error(&self) -> Option<String> {
        self.first_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// LDEs on a device. `Default` (required by Plonky3's trait) has no device and computes on the
/// CPU; construct with [`GpuDft::new`].
pub struct GpuDft<R> {
    rt: Option<Arc<R>>,
    stats: Arc<DftStats>,
}

impl<R> Clone for GpuDft<R> {
    fn clone(&self) -> Self {
        GpuDft {
            rt: self.rt.clone(),
            stats: self.stats.clone(),
        }
    }
}

impl<R> Default for GpuDft<R> {
    fn default() -> Self {
        GpuDft {
            rt: None,
            stats: Arc::default(),
        }
    }
}

impl<R: DeviceRuntime> GpuDft<R> {
    pub fn new(rt: Arc<R>) -> Self {
        GpuDft {
            rt: Some(rt),
            stats: Arc::default(),
        }
    }

    pub fn stats(&self) -> &DftStats {
        &self.stats
    }

    fn on_device(
        &self,
        f: impl FnOnce(&R) -> Result<RowMajorMatrix<F>, GpuError>,
    ) -> Option<RowMajorMatrix<F>> {
        let rt = self.rt.as_ref()?;
        match f(rt) {
            Ok(m) => {
                self.stats.device_calls.fetch_add(1, Ordering::Relaxed);
                Some(m)
            }
            Err(e) => {
                self.stats.failures.fetch_add(1, Ordering::Relaxed);
                let mut first = self
                    .stats
                    .first_error
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                first.get_or_insert_with(|| e.to_string());
                None
            }
        }
    }
}

impl<R: DeviceRuntime + Send + Sync> TwoAdicSubgroupDft<F> for GpuDft<R> {
    type Evaluations = BitReversedMatrixView<RowMajorMatrix<F>>;

    fn dft_batch(&self, mat: RowMajorMatrix<F>) -> Self::Evaluations {
        let _span = tracing::debug_span!("device dft").entered();
        match self.on_device(|rt| dft_bitrev(rt, &mat)) {
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
        match self.on_device(|rt| coset_lde_bitrev(rt, &mat, added_bits as u32, shift)) {
            Some(bitrev) => bitrev.bit_reverse_rows(),
            None => Radix2DitParallel::default().coset_lde_batch(mat, added_bits, shift),
        }
    }
}
