//! Whole proofs with the LDEs on the OpenCL device (PoCL in CI): the same bytes as the CPU
//! reference for every guest, and accepted by the CPU verifier.
#![cfg(feature = "opencl")]

use std::sync::atomic::Ordering;
use std::sync::Arc;

use mipstark_air::machine::Machine;
use mipstark_prover_cpu_ref::machine::{first_difference, prove_traces, prove_traces_with, verify};
use mipstark_prover_cpu_ref::StarkParams;
use prover_gpu::runtime::opencl::OpenClRuntime;
use prover_gpu::GpuDft;

const P: StarkParams = StarkParams::TESTING;

#[test]
fn opencl_proofs_equal_cpu_proofs_for_every_guest() {
    let rt = Arc::new(OpenClRuntime::new().expect("an OpenCL device (install pocl-opencl-icd)"));
    for (name, hint) in mipstark_tests::guests::PROVABLE {
        let (program, shards) = mipstark_tests::guests::record(name, *hint, (1 << 11) - 1);
        let m = Machine::new(program).unwrap();
        let cpu = prove_traces(&m, m.generate_traces(&shards).unwrap(), P).unwrap();
        let dft = GpuDft::new(rt.clone());
        let gpu =
            prove_traces_with(&m, m.generate_traces(&shards).unwrap(), P, dft.clone()).unwrap();
        assert_eq!(
            dft.stats().failures.load(Ordering::Relaxed),
            0,
            "{name}: {:?}",
            dft.stats().first_error()
        );
        assert!(
            dft.stats().device_calls.load(Ordering::Relaxed) > 0,
            "{name}: nothing ran on the device"
        );
        if let Some(field) = first_difference(&cpu, &gpu) {
            panic!("{name}: the OpenCL proof differs from the CPU proof first in: {field}");
        }
        verify(&m, &gpu, P).unwrap();
    }
}
