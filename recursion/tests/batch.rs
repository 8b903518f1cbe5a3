//! One-batch proofs through the recursive verifier: the transcript replayed natively equals
//! `VerifyingKey::verify`'s element by element (p3-batch-stark's seeded preamble, then a
//! group's part); the native verifier accepts honest proofs, rejects every tampering of every
//! field kind that the reference rejects, and rejects a quotient shifted by a constant.

mod common;

use common::ShiftedQuotient;
use mipstark_air::machine::Machine;
use mipstark_prover_cpu_ref::challenger::transcript::{record, Event as RefEvent};
use mipstark_prover_cpu_ref::config::Dft;
use mipstark_prover_cpu_ref::machine::{prove, prove_traces_backend, MipsProof, VerifyingKey};
use mipstark_prover_cpu_ref::{val_mmcs, StarkParams};
use mipstark_recursion::batch::BatchTranscript;
use mipstark_recursion::challenger::Event;
use mipstark_recursion::{Challenger, Native};
use p3_field::PrimeField32;

fn one_batch(params: StarkParams) -> (Machine, MipsProof) {
    let (program, shards) = mipstark_tests::guests::record("fibonacci", Some(6), 100);
    let m = Machine::new(program).unwrap();
    let p = prove(&m, &shards, params).unwrap();
    (m, p)
}

fn native(vk: &VerifyingKey, proof: &MipsProof) -> Result<(), String> {
    let mut b = Native::new();
    let t = BatchTranscript::load(&mut b, vk, proof).map_err(|e| format!("shape: {e}"))?;
    t.verify(&mut b).map_err(|e| format!("shape: {e}"))?;
    b.finish().map_err(|e| format!("check: {e}"))
}

fn replays(params: StarkParams) {
    let (m, proof) = one_batch(params);
    let vk = VerifyingKey::new(&m, params);
    let (verdict, events) = record(|| vk.verify(&proof));
    verdict.unwrap();
    let reference: Vec<(bool, u32)> = events
        .into_iter()
        .flat_map(|e| match e {
            RefEvent::Observe(v) => v.into_iter().map(|x| (true, x)).collect(),
            RefEvent::Sample(v) => v.into_iter().map(|x| (false, x)).collect(),
            RefEvent::SampleBits(x) => vec![(false, x as u32 | 1 << 31)],
            RefEvent::Fork(_) => panic!("a one-batch proof does not fork"),
        })
        .collect();
    let mut b = Native::new();
    let t = BatchTranscript::load(&mut b, &vk, &proof).unwrap();
    let mut ch = Challenger::new(&mut b).recording();
    let _ = t.replay(&mut b, &mut ch);
    let ours: Vec<(bool, u32)> = ch
        .take_events()
        .into_iter()
        .map(|e| match e {
            Event::Observe(v) => (true, v.as_canonical_u32()),
            Event::Sample(v) => (false, v.as_canonical_u32()),
            Event::SampleBits(bits) => (false, Native::bits_value(&bits) as u32 | 1 << 31),
        })
        .collect();
    assert_eq!(ours.len(), reference.len());
    assert!(ours == reference, "the transcripts differ");
    native(&vk, &proof).unwrap();
}

#[test]
fn the_one_batch_transcript_replays_and_verifies() {
    replays(StarkParams::TESTING);
    replays(StarkParams {
        lookup_pow_bits: 3,
        deep_pow_bits: 2,
        batch_pow_bits: 2,
        query_pow_bits: 4,
        log_blowup: 2,
        log_final_poly_len: 1,
        num_queries: 5,
    });
}

#[test]
fn a_shifted_quotient_is_rejected_at_zeta() {
    let params = StarkParams::TESTING;
    let (program, shards) = mipstark_tests::guests::record("fibonacci", Some(6), 100);
    let m = Machine::new(program).unwrap();
    let t = m.generate_traces(&shards).unwrap();
    let proof = prove_traces_backend(
        &m,
        t,
        params,
        Dft::default(),
        val_mmcs(),
        &ShiftedQuotient("cpu"),
    )
    .unwrap();
    let vk = VerifyingKey::new(&m, params);
    assert!(vk.verify(&proof).is_err());
    let ours = native(&vk, &proof).unwrap_err();
    assert!(ours.starts_with("check:"), "{ours}");
}

#[test]
fn every_tampering_is_rejected_by_both() {
    let params = StarkParams::TESTING;
    let (m, proof) = one_batch(params);
    let vk = VerifyingKey::new(&m, params);
    common::agreement(
        &proof,
        Some(2),
        |p| MipsProof::from_bytes(&p.to_bytes()).ok(),
        |p| vk.verify(p).map_err(|e| e.to_string()),
        |p| native(&vk, p),
    );
}
