//! Whole proofs on a device: the reference prover's protocol with its LDEs ([`GpuDft`]), its
//! Merkle trees — of the traces, the quotients and the FRI layers — ([`GpuMmcs`]) and its
//! constraint evaluation ([`GpuQuotient`]) computed by the device. The proof is the reference
//! backend's, byte for byte.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use mipstark_air::machine::MipsAir;
use mipstark_air::machine::{Machine, MachineTraces};
use mipstark_emulator::ExecutionRecord;
use mipstark_prover_cpu_ref::machine::{
    prove_airs_backend, prove_traces_backend, MipsProof, ProveError,
};
use mipstark_prover_cpu_ref::sharded::{prove_sharded_backend, ShardProfile, ShardedProof};
use mipstark_prover_cpu_ref::StarkParams;
use mipstark_prover_cpu_ref::{MipsStarkConfig, Val};
use p3_batch_stark::BatchProof;
use p3_matrix::dense::RowMajorMatrix;
use thiserror::Error;

use crate::quotient::GpuQuotient;
use crate::{DeviceRuntime, DeviceStats, GpuDft, GpuError, GpuMmcs};

#[derive(Debug, Error)]
pub enum DeviceProveError {
    #[error(transparent)]
    Prove(#[from] ProveError),
    #[error(transparent)]
    Device(#[from] GpuError),
    /// A stage failed on the device and was computed on the CPU: the proof is right, but it is
    /// not the device's, which is what was asked for.
    #[error("the GPU failed during the proof: {0}")]
    DeviceFailed(String),
}

/// The device stages of a proof, sharing one runtime, budget and record.
pub struct GpuBackend<R> {
    rt: Arc<R>,
    dft: GpuDft<R>,
    mmcs: GpuMmcs<R>,
    quotient: GpuQuotient<R>,
    stats: Arc<DeviceStats>,
}

impl<R: DeviceRuntime + Send + Sync> GpuBackend<R> {
    pub fn new(rt: Arc<R>) -> Self {
        let stats = Arc::new(DeviceStats::default());
        GpuBackend {
            dft: GpuDft::new(rt.clone()).with_stats(stats.clone()),
            mmcs: GpuMmcs::new(rt.clone()).with_stats(stats.clone()),
            quotient: GpuQuotient::new(rt.clone()).with_stats(stats.clone()),
            rt,
            stats,
        }
    }

    /// Limits each device call to about `bytes` of device memory.
    pub fn with_budget(self, bytes: u64) -> Self {
        GpuBackend {
            rt: self.rt,
            dft: self.dft.with_budget(bytes),
            mmcs: self.mmcs.with_budget(bytes),
            quotient: self.quotient.with_budget(bytes),
            stats: self.stats,
        }
    }

    /// A budget of `fraction` of the device's memory.
    pub fn with_memory_fraction(self, fraction: f64) -> Result<Self, GpuError> {
        let budget = self.rt.memory_budget(fraction)?;
        Ok(self.with_budget(budget))
    }

    /// What the device did in every proof made with this backend so far.
    pub fn stats(&self) -> &DeviceStats {
        &self.stats
    }

    /// Proves `traces` (every shard in one batch) with the device's LDEs, trees and
    /// quotients; an error if a device call failed.
    pub fn prove(
        &self,
        machine: &Machine,
        traces: MachineTraces,
        params: StarkParams,
    ) -> Result<MipsProof, DeviceProveError> {
        self.checked(|| {
            prove_traces_backend(
                machine,
                traces,
                params,
                self.dft.clone(),
                self.mmcs.clone(),
                &self.quotient,
            )
        })
    }

    /// Proves the execution recorded in `shards` shard by shard (see
    /// [`mipstark_prover_cpu_ref::sharded`]) with the device's stages.
    pub fn prove_sharded(
        &self,
        machine: &Machine,
        shards: &[ExecutionRecord],
        params: StarkParams,
    ) -> Result<ShardedProof, DeviceProveError> {
        self.prove_sharded_profiled(machine, shards, params, None)
    }

    /// [`Self::prove_sharded`] with every shard padded to `profile` (see
    /// [`mipstark_prover_cpu_ref::sharded::ShardProfile`]).
    pub fn prove_sharded_profiled(
        &self,
        machine: &Machine,
        shards: &[ExecutionRecord],
        params: StarkParams,
        profile: Option<&ShardProfile>,
    ) -> Result<ShardedProof, DeviceProveError> {
        self.checked(|| {
            prove_sharded_backend(
                machine,
                shards,
                params,
                profile,
                self.dft.clone(),
                self.mmcs.clone(),
                &self.quotient,
            )
        })
    }

    /// Proves any instances of the machine's chips in one batch (a recursion program's, for
    /// one) with the device's stages: the reference's `prove_airs`, byte for byte.
    pub fn prove_airs(
        &self,
        airs: &[MipsAir],
        traces: Vec<RowMajorMatrix<Val>>,
        publics: &[Vec<Val>],
        params: StarkParams,
    ) -> Result<BatchProof<MipsStarkConfig>, DeviceProveError> {
        self.checked(|| {
            prove_airs_backend(
                airs,
                traces,
                publics,
                params,
                self.dft.clone(),
                self.mmcs.clone(),
                &self.quotient,
            )
        })
    }

    /// Runs one proof; an error if a device call failed during it.
    fn checked<T>(
        &self,
        prove: impl FnOnce() -> Result<T, ProveError>,
    ) -> Result<T, DeviceProveError> {
        let failures = || self.stats.failures.load(Ordering::Relaxed);
        let before = failures();
        let proof = prove()?;
        if failures() > before {
            // This proof's first failure (another proof sharing the backend may interleave).
            let e = self
                .stats
                .error_at(before)
                .unwrap_or_else(|| format!("{} device calls failed", failures() - before));
            return Err(DeviceProveError::DeviceFailed(e));
        }
        Ok(proof)
    }
}
