//! Tampered proofs: every field of a proof, altered one at a time, is rejected by a typed
//! verifier error — never accepted, never a panic (not even one the verifier catches).
//!
//! The proof is walked as a serde tree, so no field can be forgotten: each number (a
//! commitment's digest element, an opened value, a Merkle sibling, a FRI layer value, a final
//! polynomial coefficient, the PoW witness, a lookup terminal, a height, a statement field…)
//! is changed by one, and each list (instances, openings, queries, paths, coefficients,
//! shards…) loses its last element or gains a copy of it. A systematic pass also flips single
//! bits across the serialized bytes. CI tries every field kind at a few positions; the
//! `--ignored` tests try every position.

use std::collections::BTreeMap;

use mipstark_air::machine::Machine;
use mipstark_prover_cpu_ref::machine::{prove, verify, MipsProof, VerifyError, VerifyingKey};
use mipstark_prover_cpu_ref::sharded::{prove_sharded, ShardedProof};
use mipstark_prover_cpu_ref::StarkParams;
use mipstark_tests::tamper::{chosen_sites, donors, sites, tamperings};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

const P: StarkParams = StarkParams::TESTING;

/// Either proof layout, as these tests handle it.
trait Subject: Serialize + DeserializeOwned {
    /// Where the batch proofs sit in the serde tree.
    const BATCHES: &'static str;
    fn bytes(&self) -> Vec<u8>;
    fn parse(bytes: &[u8]) -> Result<Self, VerifyError>;
    fn check(&self, vk: &VerifyingKey) -> Result<(), VerifyError>;
}

impl Subject for MipsProof {
    const BATCHES: &'static str = ".proof";
    fn bytes(&self) -> Vec<u8> {
        self.to_bytes()
    }
    fn parse(bytes: &[u8]) -> Result<Self, VerifyError> {
        MipsProof::from_bytes(bytes)
    }
    fn check(&self, vk: &VerifyingKey) -> Result<(), VerifyError> {
        vk.verify(self)
    }
}

impl Subject for ShardedProof {
    const BATCHES: &'static str = ".groups[]";
    fn bytes(&self) -> Vec<u8> {
        self.to_bytes()
    }
    fn parse(bytes: &[u8]) -> Result<Self, VerifyError> {
        ShardedProof::from_bytes(bytes)
    }
    fn check(&self, vk: &VerifyingKey) -> Result<(), VerifyError> {
        vk.verify_sharded(self)
    }
}

/// A small proof across three shards (so shard lists have something to reorder).
fn proof() -> (Machine, MipsProof) {
    let (program, shards) = mipstark_tests::guests::record("fibonacci", Some(6), 100);
    assert!(shards.len() >= 3);
    let m = Machine::new(program).unwrap();
    let p = prove(&m, &shards, P).unwrap();
    verify(&m, &p, P).unwrap();
    (m, p)
}

/// The same run, proved shard by shard.
fn sharded_proof() -> (Machine, ShardedProof) {
    let (program, shards) = mipstark_tests::guests::record("fibonacci", Some(6), 100);
    let m = Machine::new(program).unwrap();
    let p = prove_sharded(&m, &shards, P).unwrap();
    VerifyingKey::new(&m, P).verify_sharded(&p).unwrap();
    (m, p)
}

/// How a tampered proof fared.
fn verdict<T: Subject>(vk: &VerifyingKey, tree: Value) -> Result<&'static str, String> {
    let Ok(p) = serde_json::from_value::<T>(tree) else {
        return Ok("unreadable");
    };
    // Through the bytes, as a proof file would arrive.
    let p = match T::parse(&p.bytes()) {
        Ok(p) => p,
        Err(_) => return Ok("unreadable"),
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| p.check(vk))) {
        Ok(Ok(())) => Err("accepted".into()),
        Ok(Err(VerifyError::VerifierPanic(msg))) => Err(format!("verifier panicked: {msg}")),
        Ok(Err(VerifyError::Malformed(_))) => Ok("malformed"),
        Ok(Err(VerifyError::Params { .. })) => Ok("params"),
        Ok(Err(VerifyError::Statement(_))) => Ok("statement"),
        Ok(Err(VerifyError::Shape { .. } | VerifyError::Count { .. })) => Ok("shape"),
        Ok(Err(VerifyError::Height { .. })) => Ok("height"),
        Ok(Err(VerifyError::Stark(_))) => Ok("stark"),
        Err(_) => Err("panicked through verify".into()),
    }
}

/// Tampers `per_pattern` sites of each pattern (all of them when `None`).
fn campaign<T: Subject + Sync>((m, proof): (Machine, T), per_pattern: Option<usize>) {
    use rayon::prelude::*;
    let vk = VerifyingKey::new(&m, P);
    let tree = serde_json::to_value(&proof).unwrap();
    let mut all = Vec::new();
    sites(&tree, String::new(), String::new(), &mut all);
    let donors = donors(&tree, &all);
    let (jobs, kinds) = chosen_sites(&all, per_pattern);
    let verdicts: Vec<Vec<Result<&str, String>>> = jobs
        .par_iter()
        .map(|(pattern, site)| {
            tamperings(site, &tree, &donors)
                .into_iter()
                .map(|(what, t)| {
                    verdict::<T>(&vk, t)
                        .map_err(|e| format!("{} ({pattern}) {what}: {e}", site.pointer))
                })
                .collect()
        })
        .collect();
    let mut failures = Vec::new();
    let mut tally: BTreeMap<&str, usize> = BTreeMap::new();
    let mut tried = 0;
    for v in verdicts.into_iter().flatten() {
        tried += 1;
        match v {
            Ok(v) => *tally.entry(v).or_default() += 1,
            Err(e) => failures.push(e),
        }
    }
    eprintln!(
        "{} sites in {} field kinds; {tried} tamperings rejected as {tally:?}",
        all.len(),
        kinds
    );
    assert!(
        failures.is_empty(),
        "{} of {tried} tamperings not rejected cleanly:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_proof_field_is_checked() {
    campaign(proof(), Some(3));
}

#[test]
fn every_sharded_proof_field_is_checked() {
    campaign(sharded_proof(), Some(3));
}

#[test]
#[ignore = "exhaustive: every site of the proof (minutes); run with --ignored"]
fn every_proof_field_is_checked_everywhere() {
    campaign(tiny_proof(), None);
}

#[test]
#[ignore = "exhaustive: every site of the proof (minutes); run with --ignored"]
fn every_sharded_proof_field_is_checked_everywhere() {
    let (program, shards) = mipstark_tests::fuzzing::tiny_run();
    let m = Machine::new(program).unwrap();
    let p = prove_sharded(&m, &shards, P).unwrap();
    campaign((m, p), None);
}

/// A proof of a six-instruction program in two shards: the smallest proof with every part
/// (the exhaustive passes' subject).
fn tiny_proof() -> (Machine, MipsProof) {
    let (program, shards) = mipstark_tests::fuzzing::tiny_run();
    let m = Machine::new(program).unwrap();
    let p = prove(&m, &shards, P).unwrap();
    verify(&m, &p, P).unwrap();
    (m, p)
}

/// Flips bit `bit(pos)` of each byte at `positions` (in parallel): each must fail to parse or
/// to verify, with a typed error.
fn flip_pass<T: Subject>(
    (m, proof): (Machine, T),
    positions: impl Fn(usize) -> Vec<usize>,
    bit: impl Fn(usize) -> u8 + Sync,
) {
    use rayon::prelude::*;
    let vk = VerifyingKey::new(&m, P);
    let bytes = proof.bytes();
    let positions = positions(bytes.len());
    let failures: Vec<String> = positions
        .par_iter()
        .filter_map(|&pos| {
            let mut b = bytes.clone();
            b[pos] ^= 1 << bit(pos);
            let p = T::parse(&b).ok()?;
            match p.check(&vk) {
                Ok(()) => Some(format!("flipping a bit of byte {pos} still verifies")),
                Err(VerifyError::VerifierPanic(msg)) => Some(format!(
                    "flipping a bit of byte {pos} panics the verifier: {msg}"
                )),
                Err(_) => None,
            }
        })
        .collect();
    eprintln!(
        "{} bit flips over {} proof bytes: {} not rejected cleanly",
        positions.len(),
        bytes.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn flipped_bits_are_rejected() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let bits: Vec<u8> = (0..4096).map(|_| rng.gen_range(0..8)).collect();
    flip_pass(
        proof(),
        |len| (0..len).step_by(997).collect(),
        |pos| bits[pos % bits.len()],
    );
    flip_pass(
        sharded_proof(),
        |len| (0..len).step_by(1499).collect(),
        |pos| bits[pos % bits.len()],
    );
}

#[test]
#[ignore = "exhaustive: one bit of every byte of a proof (an hour on 2 cores); run with --ignored"]
fn flipped_bits_are_rejected_everywhere() {
    flip_pass(
        tiny_proof(),
        |len| (0..len).collect(),
        |pos| (pos % 8) as u8,
    );
}

/// Proof parts the verifier checks against a commitment instead of absorbing: the rows and
/// Merkle siblings opened at the FRI query positions, drawn after everything is absorbed.
/// Also the proof-of-work witnesses of zero-bit grinds, which are pinned to 0 and compared, not
/// absorbed (Plonky3's rule: a zero-bit grind absorbs nothing).
const CHECKED_NOT_ABSORBED: &[&str] = &[
    ".opening_proof.input_openings",
    ".opening_proof.commit_phase_openings",
    ".lookup_pow_witness",
    ".ood_pow_witness",
    ".opening_proof.batch_pow_witness",
    ".opening_proof.commit_pow_witnesses",
];

/// Transcript completeness: changing any prover message that precedes a challenge changes the
/// verifier's transcript at the point it is absorbed, and every challenge drawn after it (in a
/// sharded proof, every later challenge of the same group's fork; a change before the forks
/// changes every fork's).
#[test]
fn every_message_is_absorbed_before_the_next_challenge() {
    absorption(proof());
}

#[test]
fn every_sharded_message_is_absorbed_before_the_next_challenge() {
    absorption(sharded_proof());
}

fn absorption<T: Subject>((m, proof): (Machine, T)) {
    use mipstark_prover_cpu_ref::challenger::transcript::{record, Event};
    let tree = serde_json::to_value(&proof).unwrap();
    let vk = VerifyingKey::new(&m, P);
    let ((), honest) = record(|| proof.check(&vk).unwrap());
    assert!(honest.iter().any(|e| matches!(e, Event::Sample(_))));
    let mut all = Vec::new();
    sites(&tree, String::new(), String::new(), &mut all);
    let donors = donors(&tree, &all);
    let mut seen = std::collections::BTreeSet::new();
    let (mut absorbed, mut early, mut checked) = (0, 0, 0);
    let mut failures = Vec::new();
    for site in all.iter().filter(|s| !s.is_list) {
        if !seen.insert(site.pattern.clone()) {
            continue;
        }
        let Some((_, t)) = tamperings(site, &tree, &donors).into_iter().next() else {
            continue; // a type marker, or an absent option nothing could fill
        };
        let p = match serde_json::from_value::<T>(t) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("{}: {e}", site.pattern);
                continue; // not a value a proof file can hold
            }
        };
        let (result, events) = record(|| p.check(&vk));
        if result.is_ok() {
            failures.push(format!("{}: accepted", site.pattern));
            continue;
        }
        let Some(d) = honest.iter().zip(&events).position(|(a, b)| a != b) else {
            if events.is_empty() {
                early += 1; // rejected before any challenge was drawn
            } else if CHECKED_NOT_ABSORBED
                .iter()
                .any(|p| site.pattern.starts_with(&format!("{}{p}", T::BATCHES)))
            {
                checked += 1;
            } else {
                failures.push(format!("{}: never absorbed", site.pattern));
            }
            continue;
        };
        if !matches!(events[d], Event::Observe(_)) {
            failures.push(format!("{}: a challenge changed first", site.pattern));
            continue;
        }
        absorbed += 1;
        // A change inside a fork reaches the end of that fork; one before the forks, the end.
        let in_fork = honest[..d].iter().any(|e| matches!(e, Event::Fork(_)));
        let end = honest[d..]
            .iter()
            .position(|e| in_fork && matches!(e, Event::Fork(_)))
            .map_or(honest.len(), |k| d + k);
        let later: Vec<_> = honest[d..end].iter().zip(&events[d..]).collect();
        let same = later
            .iter()
            .filter(|(a, b)| matches!(a, Event::Sample(_)) && a == b)
            .count();
        let bits: Vec<_> = later
            .iter()
            .filter(|(a, _)| matches!(a, Event::SampleBits(_)))
            .collect();
        let bits_same = !bits.is_empty() && bits.iter().all(|(a, b)| a == b);
        if same > 0 || bits_same {
            failures.push(format!(
                "{}: {same} later challenges unchanged (query bits unchanged: {bits_same})",
                site.pattern
            ));
        }
    }
    eprintln!(
        "{} message kinds: {absorbed} absorbed (every later challenge changes), {early} checked \
         before the first challenge, {checked} checked against a commitment",
        seen.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A shard of another execution of the same program spliced in — its boundary in the
/// statement, its instances' heights and opened values in the proof — is rejected.
#[test]
fn a_spliced_shard_is_rejected() {
    let (m, a) = proof();
    let (program, shards) = mipstark_tests::guests::record("fibonacci", Some(7), 100);
    let b = prove(&Machine::new(program).unwrap(), &shards, P).unwrap();
    assert!(a.statement.shards.len() >= 3 && b.statement.shards.len() >= 3);
    let vk = VerifyingKey::new(&m, P);
    let globals = m.airs(0).len();
    let per_shard = (m.airs(1).len()) - globals;
    let mut donor = MipsProof::from_bytes(&b.to_bytes()).unwrap();
    let mut spliced = 0;
    for k in 0..3 {
        let mut p = MipsProof::from_bytes(&a.to_bytes()).unwrap();
        if p.statement.shards[k] == b.statement.shards[k] {
            continue; // the two runs agree up to here
        }
        spliced += 1;
        p.statement.shards[k] = b.statement.shards[k];
        let r = vk.verify(&p);
        assert!(r.is_err(), "shard {k}: boundary alone");
        for i in globals + k * per_shard..globals + (k + 1) * per_shard {
            p.proof.degree_bits[i] = b.proof.degree_bits[i];
            std::mem::swap(
                &mut p.proof.opened_values.instances[i],
                &mut donor.proof.opened_values.instances[i],
            );
        }
        let r = vk.verify(&p);
        assert!(
            matches!(r, Err(VerifyError::Stark(_) | VerifyError::Statement(_))),
            "shard {k}: {r:?}"
        );
    }
    assert!(spliced >= 1, "the two executions never differ");
}
