//! The sharded verifier written over the builder agrees with the reference verifier: run
//! natively, [`Transcript::verify`] accepts honest sharded proofs (several parameter sets),
//! rejects — cleanly, never by a panic — every tampering of a proof's fields that
//! `VerifyingKey::verify_sharded` rejects, and rejects a proof whose only fault is a quotient
//! that does not match the constraints (which nothing but the check at ζ can see).

mod common;

use common::ShiftedQuotient;
use mipstark_air::machine::Machine;
use mipstark_prover_cpu_ref::config::Dft;
use mipstark_prover_cpu_ref::machine::VerifyingKey;
use mipstark_prover_cpu_ref::sharded::{prove_sharded, prove_sharded_backend, ShardedProof};
use mipstark_prover_cpu_ref::{val_mmcs, StarkParams};
use mipstark_recursion::sharded::Transcript;
use mipstark_recursion::Native;

fn sharded(params: StarkParams) -> (Machine, ShardedProof) {
    let (program, shards) = mipstark_tests::guests::record("fibonacci", Some(6), 100);
    let m = Machine::new(program).unwrap();
    let p = prove_sharded(&m, &shards, params).unwrap();
    (m, p)
}

/// The native verdict: `Err` with the reason for a rejection.
fn native(vk: &VerifyingKey, proof: &ShardedProof) -> Result<(), String> {
    let mut b = Native::new();
    let t = Transcript::load(&mut b, vk, proof).map_err(|e| format!("shape: {e}"))?;
    t.verify(&mut b).map_err(|e| format!("shape: {e}"))?;
    b.finish().map_err(|e| format!("check: {e}"))
}

fn honest(params: StarkParams) {
    let (m, proof) = sharded(params);
    let vk = VerifyingKey::new(&m, params);
    vk.verify_sharded(&proof).unwrap();
    native(&vk, &proof).unwrap();
}

#[test]
fn honest_openings_verify() {
    honest(StarkParams::TESTING);
}

#[test]
fn honest_openings_verify_with_grinding_and_a_longer_final_polynomial() {
    honest(StarkParams {
        lookup_pow_bits: 3,
        deep_pow_bits: 3,
        batch_pow_bits: 3,
        query_pow_bits: 4,
        ..StarkParams::TESTING
    });
    honest(StarkParams {
        log_blowup: 2,
        log_final_poly_len: 1,
        num_queries: 5,
        ..StarkParams::TESTING
    });
}

#[test]
fn a_quotient_that_misses_the_constraints_is_rejected_at_zeta() {
    let params = StarkParams::TESTING;
    let (program, shards) = mipstark_tests::guests::record("fibonacci", Some(6), 100);
    let m = Machine::new(program).unwrap();
    let vk = VerifyingKey::new(&m, params);
    for chip in ["cpu", "program"] {
        let proof = prove_sharded_backend(
            &m,
            &shards,
            params,
            None,
            Dft::default(),
            val_mmcs(),
            &ShiftedQuotient(chip),
        )
        .unwrap();
        let reference = vk.verify_sharded(&proof).unwrap_err().to_string();
        assert!(
            reference.contains("the constraints do not match the quotient"),
            "{chip}: {reference}"
        );
        let ours = native(&vk, &proof).unwrap_err();
        assert!(ours.starts_with("check:"), "{chip}: {ours}");
    }
}

/// A run whose memory bus does not balance while every chip's own constraints hold: one full
/// word store claims a different previous value than memory held (nothing but the bus reads a
/// full store's previous value). Each group's proof is then valid on its own; only the sum of
/// the LogUp terminals over all groups is wrong.
#[test]
fn an_unbalanced_bus_is_rejected_by_the_terminal_sum() {
    use mipstark_emulator::insn::Op;
    let params = StarkParams::TESTING;
    let (program, mut shards) = mipstark_tests::guests::record("fibonacci", Some(6), 100);
    let step = shards[1]
        .steps
        .iter_mut()
        .find(|s| s.op == Op::Sw && s.mem.prev_value < u32::MAX)
        .expect("a full-word store");
    step.mem.prev_value += 1;
    let m = Machine::new(program).unwrap();
    let vk = VerifyingKey::new(&m, params);
    let proof = prove_sharded(&m, &shards, params).unwrap();
    let reference = vk.verify_sharded(&proof).unwrap_err().to_string();
    assert!(reference.contains("do not balance"), "{reference}");
    let ours = native(&vk, &proof).unwrap_err();
    assert!(ours.starts_with("check:"), "{ours}");
}

/// A commitment carrying a second root (which Plonky3 would absorb and otherwise ignore) is
/// rejected by both verifiers as a shape error, wherever it sits.
#[test]
fn a_commitment_with_two_roots_is_rejected_as_a_shape() {
    let params = StarkParams::TESTING;
    let (m, proof) = sharded(params);
    let vk = VerifyingKey::new(&m, params);
    let tree = serde_json::to_value(&proof).unwrap();
    for at in [
        "/groups/0/commitments/main",
        "/groups/2/commitments/quotient_chunks",
        "/groups/1/commitments/permutation",
        "/groups/3/opening_proof/commit_phase_commits/0",
    ] {
        let mut t = tree.clone();
        let cap = t.pointer_mut(at).unwrap_or_else(|| panic!("{at}"));
        let roots = match cap {
            serde_json::Value::Array(a) => a,
            serde_json::Value::Object(o) => o
                .values_mut()
                .find_map(|v| v.as_array_mut())
                .expect("a cap holds its roots"),
            other => panic!("{at}: {other}"),
        };
        let first = roots[0].clone();
        roots.push(first);
        let p: ShardedProof = serde_json::from_value(t).unwrap();
        let reference = vk.verify_sharded(&p).unwrap_err().to_string();
        assert!(
            reference.contains("other than one Merkle root"),
            "{at}: {reference}"
        );
        let ours = native(&vk, &p).unwrap_err();
        assert!(ours.contains("other than one Merkle root"), "{at}: {ours}");
    }
}

/// Each field kind tampered at `per_pattern` sites; both verifiers must reject every one.
fn agreement(per_pattern: Option<usize>) {
    let params = StarkParams::TESTING;
    let (m, proof) = sharded(params);
    let vk = VerifyingKey::new(&m, params);
    common::agreement(
        &proof,
        per_pattern,
        |p| ShardedProof::from_bytes(&p.to_bytes()).ok(),
        |p| vk.verify_sharded(p).map_err(|e| e.to_string()),
        |p| native(&vk, p),
    );
}

#[test]
fn every_tampering_is_rejected_by_both() {
    agreement(Some(2));
}

/// Twelve sites of every field kind (about 1 200 tamperings, some minutes: run by
/// `scripts/slow-tests.sh`).
#[test]
#[ignore]
fn many_tamperings_are_rejected_by_both() {
    agreement(Some(12));
}
