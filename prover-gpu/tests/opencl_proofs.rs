//! Whole proofs with the LDEs on the OpenCL device (PoCL in CI): the same bytes as the CPU
//! reference for every guest, and accepted by the CPU verifier.
#![cfg(feature = "opencl")]

use std::sync::atomic::Ordering;
use std::sync::Arc;

use mipstark_air::machine::Machine;
use mipstark_emulator::{ExecConfig, Executor, GuestInput, Program};
use mipstark_prover_cpu_ref::machine::{first_difference, prove_traces, prove_traces_with, verify};
use mipstark_prover_cpu_ref::StarkParams;
use prover_gpu::runtime::opencl::OpenClRuntime;
use prover_gpu::GpuDft;

const P: StarkParams = StarkParams::TESTING;

#[test]
fn opencl_proofs_equal_cpu_proofs_for_every_guest() {
    let rt = Arc::new(OpenClRuntime::new().expect("an OpenCL device (install pocl-opencl-icd)"));
    for (name, hint, shard) in [
        ("fibonacci", Some(10u32), 1u64 << 7),
        ("hello", None, 1 << 12),
        ("insn_arith", None, 1 << 12),
        ("insn_bits", None, 1 << 12),
        ("insn_branch", None, 1 << 12),
        ("insn_llsc", None, 1 << 12),
        ("insn_muldiv", None, 1 << 12),
        ("insn_unaligned", None, 1 << 12),
        ("sha256", Some(64), 1 << 12),
        ("keccak256", Some(16), 1 << 13),
        ("sha2-chain", Some(1), 1 << 12),
        ("bigmem", Some(4), 1 << 12),
        ("loop", Some(100), 1 << 12),
    ] {
        let program = Arc::new(Program::from_elf(&mipstark_tests::guests::zkvm_elf(name)).unwrap());
        let input = match hint {
            Some(h) => GuestInput::default().with_u32_hint(h),
            None => GuestInput::default(),
        };
        let mut ex = Executor::new(program.clone(), input, ExecConfig::default());
        let mut shards = Vec::new();
        loop {
            let done = ex.run_recording(shard - 1).unwrap();
            shards.push(ex.take_record());
            if done.is_some() {
                break;
            }
        }
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
