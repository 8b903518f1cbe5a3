//! The prover's quotient stage on a device: each instance's constraints (the AIR's and its
//! lookups') compiled to bytecode and interpreted by `quotient.cu` on every point of the
//! quotient domain. The values are exact field elements, so the proof is the reference's.
//!
//! Like the other device stages, a failure falls back to the reference evaluation for that
//! instance and is recorded in the shared [`DeviceStats`].

use std::sync::{Arc, Mutex};

use mipstark_prover_cpu_ref::protocol::{
    reference_quotient_values, QuotientEvaluator, QuotientJob,
};
use mipstark_prover_cpu_ref::{Challenge, Val};
use p3_commit::PolynomialSpace;
use p3_field::PrimeCharacteristicRing;
use p3_matrix::Matrix;

use crate::kernels::quotient::{quotient_values_within, QuotientInputs, Selectors};
use crate::quotient::CompiledAir;
use crate::{DeviceRuntime, DeviceStats, GpuError};

/// Quotient evaluation on a device.
pub struct GpuQuotient<R> {
    rt: Arc<R>,
    stats: Arc<DeviceStats>,
    /// Device bytes one call may use (`None`: no limit).
    budget: Option<u64>,
    /// The protocol evaluates instances in parallel; their device calls take turns, so the
    /// budget bounds what the stage holds on the device, not what each of many threads does.
    turn: Arc<Mutex<()>>,
}

impl<R> Clone for GpuQuotient<R> {
    fn clone(&self) -> Self {
        GpuQuotient {
            rt: self.rt.clone(),
            stats: self.stats.clone(),
            budget: self.budget,
            turn: self.turn.clone(),
        }
    }
}

impl<R: DeviceRuntime> GpuQuotient<R> {
    pub fn new(rt: Arc<R>) -> Self {
        GpuQuotient {
            rt,
            stats: Arc::default(),
            budget: None,
            turn: Arc::default(),
        }
    }

    /// Limits each device call to `bytes` of device memory (the quotient domain is then
    /// evaluated a chunk of rows at a time).
    pub fn with_budget(mut self, bytes: u64) -> Self {
        self.budget = Some(bytes);
        self
    }

    /// Records into `stats` (shared with the backend's other stages).
    pub fn with_stats(mut self, stats: Arc<DeviceStats>) -> Self {
        self.stats = stats;
        self
    }

    pub fn stats(&self) -> &DeviceStats {
        &self.stats
    }

    /// The quotient values of `job`, computed by the device.
    pub fn on_device<M: Matrix<Val> + Sync>(
        &self,
        job: &QuotientJob<'_, M>,
    ) -> Result<Vec<Challenge>, GpuError> {
        let compiled = CompiledAir::new(
            job.air,
            job.layout,
            job.lookups,
            job.lookup_challenges.len(),
            job.permutation_values.len(),
        )
        .map_err(|e| GpuError::Shape(format!("{}: {e}", job.air.name())))?;
        let prog = &compiled.program;
        let powers: Vec<Challenge> = job.alpha.powers().take(compiled.num_emitted()).collect();
        let weights = compiled.weights(&powers);
        let sels = job.trace_domain.selectors_on_coset(job.quotient_domain);
        let table = prog.ext_table(job.lookup_challenges, job.permutation_values)?;
        let inputs = QuotientInputs {
            main: job.main,
            preprocessed: job.preprocessed,
            permutation: job.permutation,
            selectors: Selectors {
                is_first_row: &sels.is_first_row,
                is_last_row: &sels.is_last_row,
                is_transition: &sels.is_transition,
                inv_vanishing: &sels.inv_vanishing,
            },
            public_values: job.public_values,
            ext_table: &table,
            weights: &weights,
            next_step: job.quotient_domain.size() / job.trace_domain.size(),
        };
        let _turn = self.turn.lock().unwrap_or_else(|e| e.into_inner());
        quotient_values_within(&*self.rt, prog, &inputs, self.budget)
    }
}

impl<R: DeviceRuntime + Send + Sync> QuotientEvaluator for GpuQuotient<R> {
    fn quotient_values<M: Matrix<Val> + Sync>(&self, job: &QuotientJob<'_, M>) -> Vec<Challenge> {
        let _span = tracing::info_span!("device quotient", air = job.air.name()).entered();
        self.stats
            .record(self.on_device(job))
            .unwrap_or_else(|| reference_quotient_values(job))
    }
}
