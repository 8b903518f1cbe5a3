//! Whole proofs with the LDEs, Merkle trees and quotients on the OpenCL device (PoCL in CI): the same bytes as the CPU
//! reference for every guest, and accepted by the CPU verifier.
#![cfg(feature = "opencl")]

use std::sync::atomic::Ordering;
use std::sync::Arc;

use mipstark_air::machine::Machine;
use mipstark_prover_cpu_ref::machine::{first_difference, prove_traces, verify};
use mipstark_prover_cpu_ref::StarkParams;
use prover_gpu::runtime::opencl::OpenClRuntime;
use prover_gpu::{GpuBackend, GpuDft};

const P: StarkParams = StarkParams::TESTING;

#[test]
fn opencl_proofs_equal_cpu_proofs_for_every_guest() {
    let rt = Arc::new(OpenClRuntime::new().expect("an OpenCL device (install pocl-opencl-icd)"));
    for (name, hint) in mipstark_tests::guests::PROVABLE {
        let (program, shards) = mipstark_tests::guests::record(name, *hint, (1 << 11) - 1);
        let m = Machine::new(program).unwrap();
        let cpu = prove_traces(&m, m.generate_traces(&shards).unwrap(), P).unwrap();
        let gpu = GpuBackend::new(rt.clone());
        let proof = gpu
            .prove(&m, m.generate_traces(&shards).unwrap(), P)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        // Every LDE and every tree (traces, lookups, quotients, one per FRI layer) and every
        // instance's quotient.
        let calls = gpu.stats().device_calls.load(Ordering::Relaxed);
        let fri_layers = proof.proof.opening_proof.commit_phase_commits.len();
        let instances = proof.proof.degree_bits.len();
        assert!(
            calls >= 4 + fri_layers + instances,
            "{name}: only {calls} device calls"
        );
        if let Some(field) = first_difference(&cpu, &proof) {
            panic!("{name}: the OpenCL proof differs from the CPU proof first in: {field}");
        }
        verify(&m, &proof, P).unwrap();
    }
}

/// A sharded proof (every shard its own batch) on the device: the CPU reference's bytes.
#[test]
fn opencl_sharded_proof_equals_cpu_proof() {
    use mipstark_prover_cpu_ref::sharded::{prove_sharded, verify_sharded};
    let rt = Arc::new(OpenClRuntime::new().expect("an OpenCL device (install pocl-opencl-icd)"));
    let (program, shards) = mipstark_tests::guests::record("fibonacci", Some(10), 127);
    assert!(shards.len() >= 3);
    let m = Machine::new(program).unwrap();
    let cpu = prove_sharded(&m, &shards, P).unwrap();
    let gpu = GpuBackend::new(rt);
    let proof = gpu.prove_sharded(&m, &shards, P).unwrap();
    assert!(gpu.stats().device_calls.load(Ordering::Relaxed) > 0);
    assert!(
        cpu.to_bytes() == proof.to_bytes(),
        "the OpenCL sharded proof differs from the CPU one"
    );
    verify_sharded(&m, &proof, P).unwrap();
}

/// A whole proof under a budget that splits every LDE into column groups and every leaf layer
/// into row groups: the same bytes.
#[test]
fn budgeted_proof_equals_cpu_proof() {
    let rt = Arc::new(OpenClRuntime::new().expect("an OpenCL device (install pocl-opencl-icd)"));
    let (program, shards) = mipstark_tests::guests::record("fibonacci", Some(30), (1 << 9) - 1);
    let m = Machine::new(program).unwrap();
    let cpu = prove_traces(&m, m.generate_traces(&shards).unwrap(), P).unwrap();
    // The fixed tables have 2^16 rows: 4 MiB holds two of their LDE columns at a time.
    let gpu = GpuBackend::new(rt).with_budget(4 << 20);
    let proof = gpu
        .prove(&m, m.generate_traces(&shards).unwrap(), P)
        .unwrap();
    assert_eq!(first_difference(&cpu, &proof), None);
}

/// Under a device-memory budget that fits only a few columns, LDEs and DFTs run a group of
/// columns at a time and still equal Plonky3's; a budget below one column is a recorded
/// failure, and the result (computed on the CPU instead) stays right.
#[test]
fn budgeted_transforms_equal_plonky3() {
    use p3_dft::{Radix2DitParallel, TwoAdicSubgroupDft};
    use p3_field::{Field, PrimeCharacteristicRing};
    use p3_matrix::dense::RowMajorMatrix;
    use p3_matrix::Matrix;
    type F = p3_koala_bear::KoalaBear;
    let rt = Arc::new(OpenClRuntime::new().expect("an OpenCL device (install pocl-opencl-icd)"));
    let (log_n, width) = (8, 13);
    let n = 1 << log_n;
    let values: Vec<F> = (0..n * width as u32)
        .map(|i| F::from_u32(i.wrapping_mul(0x9e37_79b9) % 0x7f00_0001))
        .collect();
    let mat = RowMajorMatrix::new(values, width);
    let shift = F::GENERATOR;
    let cpu_lde = Radix2DitParallel::default()
        .coset_lde_batch(mat.clone(), 1, shift)
        .to_row_major_matrix();
    let cpu_dft = Radix2DitParallel::default()
        .dft_batch(mat.clone())
        .to_row_major_matrix();
    // An LDE column needs (2n + 2n) words, the twiddles (n + 2n): 3 columns fit in 64 KiB.
    let dft = GpuDft::new(rt.clone()).with_budget(4 * (3 * 4 * n + 3 * n) as u64);
    let lde = dft
        .coset_lde_batch(mat.clone(), 1, shift)
        .to_row_major_matrix();
    let fwd = dft.dft_batch(mat.clone()).to_row_major_matrix();
    assert_eq!(
        dft.stats().failures.load(Ordering::Relaxed),
        0,
        "{:?}",
        dft.stats().first_error()
    );
    assert_eq!(dft.stats().device_calls.load(Ordering::Relaxed), 2);
    assert!(lde.values == cpu_lde.values, "chunked LDE differs");
    assert!(fwd.values == cpu_dft.values, "chunked DFT differs");
    let starved = GpuDft::new(rt).with_budget(1024);
    let lde = starved.coset_lde_batch(mat, 1, shift).to_row_major_matrix();
    assert_eq!(starved.stats().failures.load(Ordering::Relaxed), 1);
    assert!(starved.stats().first_error().unwrap().contains("budget"));
    assert!(lde.values == cpu_lde.values);
}
