//! The recorded program: the verifier run through the recording backend gives one program per
//! proof shape — the same with and without values, the same for every proof of that shape,
//! the same on every run — and executing it on the recorded witnesses gives the native
//! verifier's verdict.

use mipstark_air::machine::Machine;
use mipstark_prover_cpu_ref::machine::{prove, VerifyingKey};
use mipstark_prover_cpu_ref::sharded::{prove_sharded, ShardedProof};
use mipstark_prover_cpu_ref::{Challenge, StarkParams, Val};
use mipstark_recursion::batch::BatchTranscript;
use mipstark_recursion::sharded::Transcript;
use mipstark_recursion::{Native, Program, Recorder};
use p3_field::PrimeCharacteristicRing;

fn sharded() -> (Machine, ShardedProof) {
    let (program, shards) = mipstark_tests::guests::record("fibonacci", Some(6), 100);
    let m = Machine::new(program).unwrap();
    let p = prove_sharded(&m, &shards, StarkParams::TESTING).unwrap();
    (m, p)
}

/// Records the verifier on `proof`; with values, also the witnesses and their verdict.
/// A program, and with values its witnesses and whether they satisfy it.
type Recorded = (Program, Option<(Vec<Val>, bool)>);

/// A proof whose pruned Merkle openings do not restore for the indices its transcript draws
/// has no witness at all: that is an `Err` here (a rejection, before any program runs).
fn record(vk: &VerifyingKey, proof: &ShardedProof, values: bool) -> Result<Recorded, String> {
    let mut b = if values {
        Recorder::with_values()
    } else {
        Recorder::shape_only()
    };
    let t = Transcript::load(&mut b, vk, proof).map_err(|e| e.to_string())?;
    t.verify(&mut b).map_err(|e| e.to_string())?;
    let (program, run) = b.finish();
    Ok((program, run.map(|(w, verdict)| (w, verdict.is_ok()))))
}

fn native(vk: &VerifyingKey, proof: &ShardedProof) -> bool {
    let mut b = Native::new();
    let Ok(t) = Transcript::load(&mut b, vk, proof) else {
        return false;
    };
    t.verify(&mut b).is_ok() && b.finish().is_ok()
}

fn copy(proof: &ShardedProof) -> ShardedProof {
    ShardedProof::from_bytes(&proof.to_bytes()).unwrap()
}

/// Value changes that keep the proof's shape (each is rejected).
fn tampered(proof: &ShardedProof) -> Vec<(&'static str, ShardedProof)> {
    let mut out = Vec::new();
    let mut p = copy(proof);
    p.groups[1].opening_proof.final_poly[0] += Challenge::ONE;
    out.push(("final polynomial", p));
    let mut p = copy(proof);
    p.groups[0].opened_values.instances[2]
        .base_opened_values
        .trace_local[0] += Challenge::ONE;
    out.push(("an opened value", p));
    let mut p = copy(proof);
    p.groups[2].opening_proof.commit_phase_openings[1].sibling_values[3][0] += Challenge::ONE;
    out.push(("a fold sibling", p));
    let mut p = copy(proof);
    p.groups[3].opening_proof.input_openings[0].opened_values[0][0][0] += Val::ONE;
    out.push(("an opened row", p));
    let mut p = copy(proof);
    p.groups[3].opening_proof.input_openings[1]
        .opening_proof
        .sibling_hashes[2][5] += Val::ONE;
    out.push(("an input path's digest", p));
    let mut p = copy(proof);
    p.groups[0].opening_proof.commit_phase_openings[2]
        .opening_proof
        .sibling_hashes[0][0] += Val::ONE;
    out.push(("a fold path's digest", p));
    let mut p = copy(proof);
    p.groups[0].opening_proof.query_pow_witness += Val::ONE;
    out.push(("the query grind", p));
    out
}

/// The one-batch verifier records one program too, and its execution accepts the honest proof.
#[test]
fn a_one_batch_proof_records_one_program() {
    let (program, shards) = mipstark_tests::guests::record("fibonacci", Some(6), 100);
    let m = Machine::new(program).unwrap();
    let proof = prove(&m, &shards, StarkParams::TESTING).unwrap();
    let vk = VerifyingKey::new(&m, StarkParams::TESTING);
    let run = |mut b: Recorder| {
        let t = BatchTranscript::load(&mut b, &vk, &proof).unwrap();
        t.verify(&mut b).unwrap();
        b.finish()
    };
    let (with, values) = run(Recorder::with_values());
    let (shape, _) = run(Recorder::shape_only());
    assert!(
        with == shape,
        "shape-only recording differs from the recording with values"
    );
    let (witnesses, verdict) = values.unwrap();
    assert_eq!(verdict, Ok(()));
    assert_eq!(with.execute(&witnesses), Ok(()));
    let mut wrong = witnesses.clone();
    let last = wrong.len() - 1;
    wrong[last] += Val::ONE;
    assert!(
        with.execute(&wrong).is_err(),
        "a changed witness still satisfies the program"
    );
}

#[test]
fn one_program_per_shape_and_its_execution_is_the_native_verdict() {
    let (m, proof) = sharded();
    let vk = VerifyingKey::new(&m, StarkParams::TESTING);
    let (program, run) = record(&vk, &proof, true).unwrap();
    let (witnesses, ok) = run.unwrap();
    assert!(ok, "the honest proof's recorded run fails");
    assert_eq!(witnesses.len(), program.num_witnesses as usize);
    assert_eq!(program.execute(&witnesses), Ok(()));
    eprintln!(
        "{} instructions for {} groups: {:?}",
        program.instrs.len(),
        proof.groups.len(),
        program.census()
    );

    let (shape, _) = record(&vk, &proof, false).unwrap();
    assert!(
        shape == program,
        "shape-only recording differs from the recording with values"
    );
    let (again, _) = record(&vk, &proof, false).unwrap();
    assert!(again == shape, "two recordings differ");

    let mut executed = 0;
    for (what, p) in tampered(&proof) {
        let (recorded, _) = record(&vk, &p, false).unwrap();
        assert!(
            recorded == program,
            "{what}: another program for the same shape"
        );
        let reference = native(&vk, &p);
        assert!(!reference, "{what}: the native verifier accepts");
        let (recorded, run) = match record(&vk, &p, true) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{what}: no witness ({e})");
                continue;
            }
        };
        assert!(recorded == program, "{what}: another program with values");
        let (witnesses, ok) = run.unwrap();
        assert_eq!(ok, reference, "{what}: the recorded run's verdict");
        assert_eq!(
            program.execute(&witnesses).is_ok(),
            reference,
            "{what}: the program's execution"
        );
        executed += 1;
    }
    // A changed Merkle digest leaves the transcript (so the paths' shape) intact: those run.
    assert!(
        executed >= 2,
        "only {executed} tampered proofs had witnesses"
    );
}
