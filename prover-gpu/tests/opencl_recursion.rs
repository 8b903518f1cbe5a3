//! A recursion proof — a recorded program on the recursion machine's chips — with the LDEs,
//! Merkle trees and quotients on the OpenCL device (PoCL in CI): the CPU reference's bytes,
//! accepted by the recursion key.
#![cfg(feature = "opencl")]

use std::sync::atomic::Ordering;
use std::sync::Arc;

use mipstark_prover_cpu_ref::{Challenge, StarkParams, Val};
use mipstark_recursion::machine::{RecursionKey, RecursionProof};
use mipstark_recursion::{Builder, Recorder};
use p3_field::{BasedVectorSpace, PrimeCharacteristicRing};
use prover_gpu::runtime::opencl::OpenClRuntime;
use prover_gpu::GpuBackend;

const P: StarkParams = StarkParams::TESTING;

/// A program with a row of every chip: a hash chain, extension arithmetic with an inverse, a
/// canonical decomposition, a select, an ordered compression, and three exposed values.
fn program() -> (RecursionKey, Vec<Val>) {
    let mut b = Recorder::with_values();
    let s = b.witness_f(Val::from_u32(5));
    let mut state = [s; 16];
    for _ in 0..3 {
        state = b.poseidon2(state);
    }
    let e = b.witness_e(Challenge::from_basis_coefficients_fn(|i| {
        Val::from_u32(i as u32 + 1)
    }));
    let e2 = b.mul_e(e, e);
    let inv = b.inv_e(e2);
    let one = b.mul_e(inv, e2);
    let want = b.constant_e(Challenge::ONE);
    b.assert_eq_e(one, want);
    let bits = b.bits(state[0], 31);
    let picked = b.select_f(bits[0], state[1], state[2]);
    b.public(picked);
    let digest = b.compress_ordered(
        std::array::from_fn(|i| state[i]),
        std::array::from_fn(|i| state[8 + i]),
        bits[1],
    );
    b.public(digest[0]);
    b.public(s);
    let (program, run) = b.finish();
    let (witnesses, verdict) = run.unwrap();
    verdict.unwrap();
    (RecursionKey::new(program).unwrap(), witnesses)
}

#[test]
fn opencl_recursion_proof_equals_cpu_proof() {
    let rt = Arc::new(OpenClRuntime::new().expect("an OpenCL device (install pocl-opencl-icd)"));
    let (key, witnesses) = program();
    let cpu = key.prove(&witnesses, P).unwrap();
    let (traces, publics) = key.traces(&witnesses).unwrap();
    let gpu = GpuBackend::new(rt);
    let proof = gpu
        .prove_airs(key.airs(), traces, &key.instance_publics(&publics), P)
        .unwrap();
    assert!(gpu.stats().device_calls.load(Ordering::Relaxed) > 0);
    let proof = RecursionProof { publics, proof };
    assert!(
        bincode::serialize(&cpu).unwrap() == bincode::serialize(&proof).unwrap(),
        "the OpenCL recursion proof differs from the CPU one"
    );
    key.verify(&proof, P).unwrap();
}
