//! Sharded proofs: each shard proved on its own, the buses balanced across all of them.

use mipstark_air::machine::Machine;
use mipstark_emulator::ExecutionRecord;
use mipstark_prover_cpu_ref::machine::{VerifyError, VerifyingKey};
use mipstark_prover_cpu_ref::sharded::{
    prove_sharded, prove_sharded_profiled, verify_sharded, ShardProfile, ShardedProof,
};
use mipstark_prover_cpu_ref::StarkParams;

const P: StarkParams = StarkParams::TESTING;

fn fib(shard: u64) -> (Machine, Vec<ExecutionRecord>) {
    let (program, shards) = mipstark_tests::guests::record("fibonacci", Some(10), shard);
    (Machine::new(program).unwrap(), shards)
}

#[test]
fn shards_prove_verify_and_reproduce() {
    let (m, shards) = fib(127);
    assert!(shards.len() >= 3, "{} shards", shards.len());
    let proof = prove_sharded(&m, &shards, P).unwrap();
    assert_eq!(proof.groups.len(), shards.len() + 1);
    verify_sharded(&m, &proof, P).unwrap();
    let bytes = proof.to_bytes();
    let again = prove_sharded(&m, &shards, P).unwrap().to_bytes();
    assert!(bytes == again, "two proofs of the same run differ");
    let back = ShardedProof::from_bytes(&bytes).unwrap();
    verify_sharded(&m, &back, P).unwrap();
    assert_eq!(back.statement.exit_code, 0);
}

fn reject(m: &Machine, p: &ShardedProof, what: &str) {
    let vk = VerifyingKey::new(m, P);
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| vk.verify_sharded(p))) {
        Ok(Err(VerifyError::VerifierPanic(msg))) => panic!("{what}: the verifier panicked: {msg}"),
        Ok(Err(_)) => {}
        Ok(Ok(())) => panic!("{what}: accepted"),
        Err(_) => panic!("{what}: panicked through verify"),
    }
}

/// Shards reordered, dropped, duplicated or taken from another run, and a wrong statement, are
/// all rejected.
/// A profiled proof pads every shard to one shape and is an ordinary sharded proof; a profile
/// that a shard outgrows is refused with the chip's name.
#[test]
fn profiled_shards_share_one_shape_and_verify() {
    let (m, shards) = fib(127);
    let profile = ShardProfile::covering(&m, &shards).unwrap();
    let proof = prove_sharded_profiled(&m, &shards, P, Some(&profile)).unwrap();
    for g in &proof.groups[1..] {
        assert_eq!(g.degree_bits, profile.log_heights);
    }
    let plain = prove_sharded(&m, &shards, P).unwrap();
    assert!(plain.groups[1..]
        .iter()
        .any(|g| g.degree_bits != profile.log_heights));
    verify_sharded(&m, &proof, P).unwrap();
    // One more row everywhere is still a valid proof of the same statement.
    let bigger = ShardProfile {
        log_heights: profile.log_heights.iter().map(|h| h + 1).collect(),
    };
    let padded = prove_sharded_profiled(&m, &shards, P, Some(&bigger)).unwrap();
    verify_sharded(&m, &padded, P).unwrap();
    assert_eq!(padded.statement, proof.statement);

    let mut small = profile.clone();
    small.log_heights[0] -= 1;
    let err = prove_sharded_profiled(&m, &shards, P, Some(&small))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("cpu") && err.contains("profile"), "{err}");
}

#[test]
fn shard_groups_are_bound_to_their_place() {
    let (m, shards) = fib(127);
    let bytes = prove_sharded(&m, &shards, P).unwrap().to_bytes();
    let fresh = || ShardedProof::from_bytes(&bytes).unwrap();
    assert!(fresh().groups.len() >= 4);

    let mut p = fresh();
    p.groups.swap(1, 2);
    reject(&m, &p, "two shard groups swapped");
    let mut p = fresh();
    p.groups.swap(1, 2);
    p.statement.shards.swap(0, 1);
    reject(&m, &p, "two shards swapped with their boundaries");
    let mut p = fresh();
    p.groups.remove(2);
    p.statement.shards.remove(1);
    reject(&m, &p, "a shard dropped with its boundary");
    let mut p = fresh();
    p.groups.pop();
    reject(&m, &p, "the last shard's group dropped");
    let mut p = fresh();
    let dup = ShardedProof::from_bytes(&bytes).unwrap().groups.remove(2);
    p.groups.insert(2, dup);
    let s = p.statement.shards[1];
    p.statement.shards.insert(1, s);
    reject(&m, &p, "a shard duplicated with its boundary");
    let mut p = fresh();
    p.groups.swap(0, 1);
    reject(&m, &p, "the global group swapped with a shard's");
    let mut p = fresh();
    p.statement.exit_code ^= 1;
    reject(&m, &p, "another exit code");
    let mut p = fresh();
    p.statement.committed[0] ^= 1;
    reject(&m, &p, "other committed words");
    let mut p = fresh();
    p.groups[1].lookup_terminals.swap(0, 1);
    reject(&m, &p, "terminals moved between instances");

    // A shard of another execution of the same program, with its boundary.
    let (program, other_shards) = mipstark_tests::guests::record("fibonacci", Some(11), 127);
    let donor = prove_sharded(&Machine::new(program).unwrap(), &other_shards, P).unwrap();
    let mut spliced = 0;
    for k in 0..shards.len().min(other_shards.len()) {
        let mut p = fresh();
        if p.statement.shards[k] == donor.statement.shards[k] {
            continue;
        }
        spliced += 1;
        p.statement.shards[k] = donor.statement.shards[k];
        p.groups[k + 1] = ShardedProof::from_bytes(&donor.to_bytes())
            .unwrap()
            .groups
            .remove(k + 1);
        reject(&m, &p, &format!("shard {k} of another run"));
    }
    assert!(spliced >= 1, "the two runs never differ");
    // The donor itself is a valid proof of the same program (another input).
    verify_sharded(&m, &donor, P).unwrap();
}

/// A forged execution whose every group satisfies its constraints but whose memory argument
/// does not balance (a register write claims a value before it that the register never held):
/// only the terminal sum over all groups can reject it, and it does.
#[test]
fn unbalanced_buses_across_shards_are_rejected() {
    let (m, mut shards) = fib(127);
    let step = shards[1]
        .steps
        .iter_mut()
        .find(|s| s.insn >> 26 == 0x09 && (s.insn >> 16) & 31 != 0 && s.nregs >= 2)
        .expect("shard 1 runs an ADDIU to a register");
    step.regs[1].prev_value ^= 1;
    let p = prove_sharded(&m, &shards, P).unwrap();
    match verify_sharded(&m, &p, P) {
        Err(VerifyError::Stark(msg)) => assert!(msg.contains("do not balance"), "{msg}"),
        other => panic!("{other:?}"),
    }
}
