//! Grinding before the DEEP point ζ ([`StarkParams::deep_pow_bits`]): both proof layouts
//! grind, deterministically, and both verifiers reject a proof whose witness is wrong.
//!
//! A wrong witness can only be caught if it fails the check: with b bits, one in 2^b witnesses
//! passes. The witnesses tried here are fixed (the proofs are byte-reproducible), so with 8
//! bits a test either always passes or always fails.

use mipstark_air::machine::Machine;
use mipstark_prover_cpu_ref::machine::{prove, MipsProof, VerifyError, VerifyingKey};
use mipstark_prover_cpu_ref::sharded::{prove_sharded, ShardedProof};
use mipstark_prover_cpu_ref::{StarkParams, Val};
use p3_field::PrimeCharacteristicRing;

const P: StarkParams = StarkParams {
    deep_pow_bits: 8,
    ..StarkParams::TESTING
};

fn fib() -> (Machine, Vec<mipstark_emulator::ExecutionRecord>) {
    let (program, shards) = mipstark_tests::guests::record("fibonacci", Some(6), 100);
    assert!(shards.len() >= 2, "{} shards", shards.len());
    (Machine::new(program).unwrap(), shards)
}

/// Rejected by a typed error, not a panic.
fn rejected(result: Result<(), VerifyError>, what: &str) {
    match result {
        Err(VerifyError::VerifierPanic(msg)) => panic!("{what}: the verifier panicked: {msg}"),
        Err(_) => {}
        Ok(()) => panic!("{what}: accepted"),
    }
}

/// The witnesses a cheater might send instead of the honest `w`: zero (no grinding at all), and
/// its neighbours.
fn wrong_witnesses(w: Val) -> Vec<Val> {
    let mut out = vec![Val::ZERO, w + Val::ONE, w - Val::ONE, w + Val::TWO];
    out.retain(|&x| x != w);
    out
}

#[test]
fn one_batch_proofs_grind_before_zeta_and_check_the_witness() {
    let (m, shards) = fib();
    let proof = prove(&m, &shards, P).unwrap();
    let vk = VerifyingKey::new(&m, P);
    vk.verify(&proof).unwrap();
    let again = prove(&m, &shards, P).unwrap();
    assert!(
        proof.to_bytes() == again.to_bytes(),
        "grinding is not deterministic"
    );

    // The same statement without the grind has another transcript from ζ on.
    let plain = prove(&m, &shards, StarkParams::TESTING).unwrap();
    assert_eq!(plain.proof.ood_pow_witness, Val::ZERO);
    let opened = |p: &MipsProof| serde_json::to_string(&p.proof.opened_values).unwrap();
    assert_ne!(
        opened(&plain),
        opened(&proof),
        "ζ does not follow the grind"
    );

    let honest = proof.proof.ood_pow_witness;
    for w in wrong_witnesses(honest) {
        let mut bad = MipsProof::from_bytes(&proof.to_bytes()).unwrap();
        bad.proof.ood_pow_witness = w;
        rejected(vk.verify(&bad), &format!("DEEP witness {w} for {honest}"));
    }
}

#[test]
fn sharded_proofs_grind_before_zeta_and_check_the_witness() {
    let (m, shards) = fib();
    let proof = prove_sharded(&m, &shards, P).unwrap();
    let vk = VerifyingKey::new(&m, P);
    vk.verify_sharded(&proof).unwrap();
    let again = prove_sharded(&m, &shards, P).unwrap();
    assert!(
        proof.to_bytes() == again.to_bytes(),
        "grinding is not deterministic"
    );

    // Every group draws its own ζ, after its own grind.
    for g in 0..proof.groups.len() {
        let honest = proof.groups[g].ood_pow_witness;
        for w in wrong_witnesses(honest) {
            let mut bad = ShardedProof::from_bytes(&proof.to_bytes()).unwrap();
            bad.groups[g].ood_pow_witness = w;
            rejected(
                vk.verify_sharded(&bad),
                &format!("group {g}: DEEP witness {w} for {honest}"),
            );
        }
    }
}

#[test]
fn a_proof_without_the_grind_is_refused_by_a_grinding_verifier() {
    let (m, shards) = fib();
    let plain = prove(&m, &shards, StarkParams::TESTING).unwrap();
    // Relabelled as made with the grinding parameters: the witness 0 must fail the check (or
    // be the one-in-256 valid nonce, which this fixed proof is not).
    let mut relabelled = MipsProof::from_bytes(&plain.to_bytes()).unwrap();
    relabelled.params = P;
    rejected(VerifyingKey::new(&m, P).verify(&relabelled), "no grind");
}
