//! The opening arguments, checked over the builder, agree with the reference verifier: run
//! natively, [`Transcript::verify_openings`] accepts honest sharded proofs (several parameter
//! sets), and rejects — cleanly, never by a panic — every tampering of a proof's fields that
//! `VerifyingKey::verify_sharded` rejects. (The reference also checks the constraints at ζ,
//! which the native verifier does not yet: `docs/recursion.md` §6, step 3. Every tampering
//! below is caught before that check anyway, because each field reaches the transcript or a
//! Merkle root.)

use mipstark_air::machine::Machine;
use mipstark_prover_cpu_ref::machine::VerifyingKey;
use mipstark_prover_cpu_ref::sharded::{prove_sharded, ShardedProof};
use mipstark_prover_cpu_ref::StarkParams;
use mipstark_recursion::sharded::Transcript;
use mipstark_recursion::Native;
use mipstark_tests::tamper::{chosen_sites, donors, sites, tamperings};

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
    t.verify_openings(&mut b, proof)
        .map_err(|e| format!("shape: {e}"))?;
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

/// Each field kind tampered at `per_pattern` sites; both verifiers must reject every one.
fn agreement(per_pattern: Option<usize>) {
    let params = StarkParams::TESTING;
    let (m, proof) = sharded(params);
    let vk = VerifyingKey::new(&m, params);
    let tree = serde_json::to_value(&proof).unwrap();
    let mut all = Vec::new();
    sites(&tree, String::new(), String::new(), &mut all);
    let donors = donors(&tree, &all);
    let (jobs, kinds) = chosen_sites(&all, per_pattern);
    use rayon::prelude::*;
    let outcomes: Vec<Option<String>> = jobs
        .par_iter()
        .flat_map_iter(|(pattern, site)| {
            tamperings(site, &tree, &donors)
                .into_iter()
                .map(move |(what, t)| (pattern, site, what, t))
        })
        .filter_map(|(pattern, site, what, t)| {
            let p = serde_json::from_value::<ShardedProof>(t).ok()?;
            let p = ShardedProof::from_bytes(&p.to_bytes()).ok()?;
            let reference = vk.verify_sharded(&p);
            let ours = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| native(&vk, &p)));
            let place = format!("{} ({pattern}) {what}", site.pointer);
            Some(match (reference, ours) {
                (_, Err(_)) => Some(format!("{place}: the native verifier panicked")),
                (Err(_), Ok(Err(_))) => None,
                (Ok(()), Ok(Ok(()))) => Some(format!("{place}: both accept")),
                (r, Ok(o)) => Some(format!("{place}: reference {r:?}, native {o:?}")),
            })
        })
        .collect();
    let tried = outcomes.len();
    let failures: Vec<String> = outcomes.into_iter().flatten().collect();
    eprintln!(
        "{} sites in {kinds} field kinds; {tried} tamperings",
        all.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {tried} tamperings disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_tampering_is_rejected_by_both() {
    agreement(Some(2));
}

/// Every site of every field kind (slow: `scripts/` runs the ignored tests).
#[test]
#[ignore]
fn every_tampering_everywhere_is_rejected_by_both() {
    agreement(None);
}
