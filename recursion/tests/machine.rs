//! Recorded programs proven on the recursion machine: a toy program that uses every kind of
//! instruction proves and verifies; its lowering is the same with and without values; a
//! witness the program rejects cannot be proven, and a memory that breaks one check gives no
//! proof the key accepts. The verifier's own recorded program, lowered, balances its memory
//! and satisfies every chip on an honest proof.

use mipstark_air::debug::{check_buses, check_chip, Interaction};
use mipstark_air::machine::{Machine, MipsAir};
use mipstark_air::F;
use mipstark_prover_cpu_ref::machine::VerifyingKey;
use mipstark_prover_cpu_ref::sharded::prove_sharded;
use mipstark_prover_cpu_ref::{Challenge, StarkParams, Val};
use mipstark_recursion::batch::BatchTranscript;
use mipstark_recursion::lower::lower;
use mipstark_recursion::machine::{RecursionError, RecursionKey, RecursionProof};
use mipstark_recursion::sharded::Transcript;
use mipstark_recursion::{Builder, Native, Program, Recorder};
use p3_air::BaseAir;
use p3_field::{BasedVectorSpace, PrimeCharacteristicRing};
use p3_matrix::dense::RowMajorMatrix;

/// A small program with every instruction kind; `secret` is its only witness, and it asserts
/// `secret · (1/secret) = 1` and a hash chain's output equal to `expected`.
fn toy<B: Builder>(b: &mut B, secret: Val, expected: Val) {
    let s = b.witness_f(secret);
    let inv = b.inv_f(s);
    let one = b.mul_f(s, inv);
    let c1 = b.constant_f(Val::ONE);
    b.assert_eq_f(one, c1);
    let mut state = [s; 16];
    for round in 0..3 {
        let k = b.constant_f(Val::from_u32(round));
        state[0] = b.add_f(state[0], k);
        state = b.poseidon2(state);
    }
    let e = b.witness_e(Challenge::from_basis_coefficients_fn(|i| {
        Val::from_u32(i as u32 + 2)
    }));
    let e2 = b.mul_e(e, e);
    let e_inv = b.inv_e(e2);
    let back = b.mul_e(e_inv, e2);
    let one_e = b.constant_e(Challenge::ONE);
    b.assert_eq_e(back, one_e);
    let sum = b.add_e(e2, e);
    let diff = b.sub_e(sum, e);
    b.assert_eq_e(diff, e2);
    let bits = b.bits(state[1], 31);
    let five = b.constant_f(Val::from_u32(5));
    let low = b.bits(five, 3);
    let x = b.exp_reverse_bits(&low);
    let bx = b.bit_f(bits[0]);
    let picked = b.select_f(bits[3], x, bx);
    let back = b.sub_f(picked, bx);
    let again = b.add_f(back, bx);
    b.assert_eq_f(again, picked);
    let digest = b.compress_ordered(
        std::array::from_fn(|i| state[i]),
        std::array::from_fn(|i| state[8 + i]),
        bits[2],
    );
    b.public(digest[1]);
    b.public(s);
    let want = b.constant_f(expected);
    b.assert_eq_f(digest[0], want);
}

/// The value the toy program's last assertion expects for `secret`.
fn expected(secret: Val) -> Val {
    // Record it against a placeholder, and read what the last assertion compared.
    let mut r = Recorder::with_values();
    toy(&mut r, secret, Val::ZERO);
    let (program, run) = r.finish();
    let (witnesses, _) = run.unwrap();
    let (values, _) = program.values(&witnesses);
    let last = program.instrs.len() - 1;
    match &program.instrs[last] {
        mipstark_recursion::builder::recorder::Instr::AssertEqF(a, _) => values.f[a.0 as usize],
        other => panic!("unexpected last instruction {other:?}"),
    }
}

fn record(secret: Val, values: bool) -> (Program, Vec<Val>) {
    let want = expected(Val::from_u32(11));
    let mut r = if values {
        Recorder::with_values()
    } else {
        Recorder::shape_only()
    };
    toy(&mut r, secret, want);
    let (program, run) = r.finish();
    (program, run.map(|(w, _)| w).unwrap_or_default())
}

#[test]
fn a_toy_program_proves_and_verifies() {
    let (program, witnesses) = record(Val::from_u32(11), true);
    assert_eq!(program.execute(&witnesses), Ok(()));
    let key = RecursionKey::new(program).unwrap();
    let mut proof = key.prove(&witnesses, StarkParams::TESTING).unwrap();
    assert_eq!(proof.publics[1], Val::from_u32(11), "the exposed witness");
    key.verify(&proof, StarkParams::TESTING).unwrap();
    // The proof states its public values: another value, or one more or fewer, is rejected.
    proof.publics[1] = Val::from_u32(12);
    assert!(key.verify(&proof, StarkParams::TESTING).is_err());
    proof.publics[1] = Val::from_u32(11);
    proof.publics.push(Val::ZERO);
    assert!(key.verify(&proof, StarkParams::TESTING).is_err());
    proof.publics.truncate(1);
    assert!(key.verify(&proof, StarkParams::TESTING).is_err());
}

#[test]
fn lowering_does_not_depend_on_values() {
    let (with, _) = record(Val::from_u32(11), true);
    let (without, _) = record(Val::from_u32(11), false);
    let (other, _) = record(Val::from_u32(12), true);
    assert_eq!(lower(&with), lower(&without));
    assert_eq!(lower(&with), lower(&other));
}

#[test]
fn a_rejected_witness_cannot_be_proven() {
    let (program, witnesses) = record(Val::from_u32(12), true);
    let key = RecursionKey::new(program).unwrap();
    assert!(matches!(
        key.prove(&witnesses, StarkParams::TESTING),
        Err(RecursionError::Rejected(_))
    ));
}

#[test]
fn a_forged_memory_gives_no_accepted_proof() {
    // The honest run for secret 12 fails only its last assertion (digest[0] = expected for 11).
    // Forge the memory so that the assertion's two cells agree: the assertion row is
    // satisfied, but the Poseidon2 row's output no longer matches the cell it writes.
    let (program, witnesses) = record(Val::from_u32(12), true);
    let key = RecursionKey::new(program.clone()).unwrap();
    let (values, verdict) = program.values(&witnesses);
    assert!(verdict.is_err());
    let mut cells = key.lowered().cells(&values);
    let assert_row = key
        .lowered()
        .program
        .base_alu
        .iter()
        .rev()
        .find(|r| r.op == mipstark_air::recursion::base_alu::BaseOp::AssertEq)
        .copied()
        .unwrap();
    cells[assert_row.a as usize] = cells[assert_row.b as usize];
    let verdict = std::panic::catch_unwind(|| {
        key.prove_cells(&cells, StarkParams::TESTING)
            .map(|proof| key.verify(&proof, StarkParams::TESTING).is_ok())
    });
    assert!(
        !matches!(verdict, Ok(Ok(true))),
        "a forged memory gave a proof the key accepts"
    );
}

/// Every chip's constraints and the memory bus on a lowered program's traces.
fn debug_check(airs: &[MipsAir], traces: &[RowMajorMatrix<F>]) {
    let mut all: Vec<(String, Vec<Interaction>)> = Vec::new();
    for (air, main) in airs.iter().zip(traces) {
        let pre = BaseAir::<F>::preprocessed_trace(air);
        let ints = check_chip(air.name(), air, main, pre.as_ref(), &[]).unwrap();
        all.push((air.name().to_string(), ints));
    }
    let view: Vec<(&str, &[Interaction])> = all.iter().map(|(n, i)| (n.as_str(), &i[..])).collect();
    check_buses(&view).unwrap();
}

/// The sharded verifier's program on a TESTING proof of a small fibonacci run, and its
/// witnesses.
fn verifier_program() -> (Program, Vec<Val>) {
    let (program, shards) = mipstark_tests::guests::record("fibonacci", Some(6), 100);
    let m = Machine::new(program).unwrap();
    let proof = prove_sharded(&m, &shards, StarkParams::TESTING).unwrap();
    let vk = VerifyingKey::new(&m, StarkParams::TESTING);
    let mut r = Recorder::with_values();
    let t = Transcript::load(&mut r, &vk, &proof).unwrap();
    t.verify(&mut r).unwrap();
    let (program, run) = r.finish();
    let (witnesses, verdict) = run.unwrap();
    verdict.unwrap();
    (program, witnesses)
}

/// Records the verification of the recursion proof `proof` (of `inner`'s program), exposing
/// the public values it states.
fn record_outer(
    inner: &RecursionKey,
    proof: &RecursionProof,
    values: bool,
) -> (Program, Option<(Vec<Val>, bool)>) {
    let mut r = if values {
        Recorder::with_values()
    } else {
        Recorder::shape_only()
    };
    let publics = inner.instance_publics(&proof.publics);
    let t = BatchTranscript::load_airs(
        &mut r,
        inner.airs(),
        &proof.proof,
        &publics,
        StarkParams::TESTING,
    )
    .unwrap();
    t.verify(&mut r).unwrap();
    for &p in t.publics.last().unwrap() {
        r.public(p);
    }
    let (program, run) = r.finish();
    (program, run.map(|(w, verdict)| (w, verdict.is_ok())))
}

fn native_accepts(inner: &RecursionKey, proof: &RecursionProof) -> bool {
    let mut b = Native::new();
    let publics = inner.instance_publics(&proof.publics);
    let Ok(t) = BatchTranscript::load_airs(
        &mut b,
        inner.airs(),
        &proof.proof,
        &publics,
        StarkParams::TESTING,
    ) else {
        return false;
    };
    t.verify(&mut b).is_ok() && b.finish().is_ok()
}

#[test]
fn a_recursion_proof_is_proven_valid_by_another() {
    // Level 1: the sharded verifier's program on a fibonacci proof, proven.
    let (program, witnesses) = verifier_program();
    let inner = RecursionKey::new(program).unwrap();
    let start = std::time::Instant::now();
    let proof = inner.prove(&witnesses, StarkParams::TESTING).unwrap();
    let proving = start.elapsed();
    inner.verify(&proof, StarkParams::TESTING).unwrap();
    let bytes = bincode::serialize(&proof).unwrap().len();
    eprintln!("level 1: proven in {proving:.2?}, {bytes} bytes");

    // Level 2: the batch verifier over the builder, on that proof: natively it accepts, and
    // rejects a changed proof or changed public values.
    assert!(native_accepts(&inner, &proof));
    let mut changed =
        bincode::deserialize::<RecursionProof>(&bincode::serialize(&proof).unwrap()).unwrap();
    changed.proof.opening_proof.final_poly[0] += Challenge::ONE;
    assert!(!native_accepts(&inner, &changed));
    let mut changed =
        bincode::deserialize::<RecursionProof>(&bincode::serialize(&proof).unwrap()).unwrap();
    changed.publics.push(Val::ZERO);
    assert!(!native_accepts(&inner, &changed));

    // Recorded, lowered and proven: a proof that the level-1 proof verifies, stating its
    // public values. Its program does not depend on the proof's values.
    let (outer, run) = record_outer(&inner, &proof, true);
    let (witnesses, accepted) = run.unwrap();
    assert!(accepted);
    assert_eq!(outer, record_outer(&inner, &proof, false).0);
    let outer = RecursionKey::new(outer).unwrap();
    eprintln!("level 2: {}", rows(&outer.lowered().program));
    let start = std::time::Instant::now();
    let outer_proof = outer.prove(&witnesses, StarkParams::TESTING).unwrap();
    let proving = start.elapsed();
    outer.verify(&outer_proof, StarkParams::TESTING).unwrap();
    assert_eq!(outer_proof.publics, proof.publics);
    let bytes = bincode::serialize(&outer_proof).unwrap().len();
    eprintln!("level 2: proven in {proving:.2?}, {bytes} bytes");
}

#[test]
fn the_verifiers_program_lowers_to_satisfied_chips() {
    let (program, witnesses) = verifier_program();
    let key = RecursionKey::new(program).unwrap();
    let cells = key.cells(&witnesses).unwrap();
    let l = &key.lowered().program;
    l.check_layout().unwrap();
    eprintln!("lowered: {}", rows(l));
    debug_check(key.airs(), &l.traces(&cells));
}

/// Lowers what `f` records.
fn lowered(f: impl FnOnce(&mut Recorder)) -> mipstark_air::recursion::program::RecursionProgram {
    let mut r = Recorder::shape_only();
    f(&mut r);
    let program = lower(&r.finish().0).program;
    program.check_layout().unwrap();
    program
}

#[test]
fn assertions_stay_and_unread_values_go() {
    let p = lowered(|b| {
        let x = b.witness_f(Val::ONE);
        b.inv_f(x); // unread, but asserts x ≠ 0
        b.bits(x, 4); // unread, but asserts x < 16
        let y = b.witness_f(Val::ONE);
        b.assert_eq_f(x, y);
        b.poseidon2([x; 16]); // unread: dead
        let bits = b.bits(y, 2);
        b.select_f(bits[0], x, y); // unread: dead
        b.witness_f(Val::ONE); // unread: dead
    });
    assert_eq!(p.mem.len(), 2);
    assert_eq!(p.base_alu.len(), 2, "the inverse and the assertion");
    assert_eq!(p.bits.len(), 2);
    assert!(p.poseidon2.is_empty());
}

#[test]
fn a_bit_read_as_a_field_element_is_read_from_its_bit_cell() {
    let p = lowered(|b| {
        let x = b.witness_f(Val::from_u32(2));
        let bits = b.bits(x, 2);
        let f = b.bit_f(bits[1]);
        let g = b.add_f(f, x);
        b.assert_eq_f(g, x);
    });
    let first = p.bits[0].first;
    assert_eq!(p.bits[0].mults[..2], [0, 1]);
    assert_eq!(p.base_alu[0].a, first + 1, "the add reads bit 1's cell");
}

#[test]
fn coordinates_are_all_written_and_counted_one_by_one() {
    let p = lowered(|b| {
        let e = b.witness_e(Challenge::ONE);
        let e2 = b.mul_e(e, e);
        let c = b.ext_coeffs(e2);
        let zero = b.constant_f(Val::ZERO);
        b.assert_eq_f(c[0], zero);
    });
    let unpack = p.pack.iter().find(|r| r.unpack).unwrap();
    assert_eq!(unpack.coeff_mults, [1, 0, 0, 0]);
    let packs = p.pack.iter().filter(|r| !r.unpack).count();
    assert_eq!(packs, 1, "the witness packed once");
}

/// A copy of a recursion proof (through its bytes).
fn copy(proof: &RecursionProof) -> RecursionProof {
    bincode::deserialize(&bincode::serialize(proof).unwrap()).unwrap()
}

#[test]
fn an_outer_proof_states_the_inner_proofs_public_values() {
    let (program, witnesses) = record(Val::from_u32(11), true);
    let inner = RecursionKey::new(program).unwrap();
    let proof = inner.prove(&witnesses, StarkParams::TESTING).unwrap();
    assert_eq!(proof.publics.len(), 2);
    let mut changed = copy(&proof);
    changed.publics[1] = Val::from_u32(12);
    assert!(!native_accepts(&inner, &changed), "a changed public value");

    let (outer, run) = record_outer(&inner, &proof, true);
    let (witnesses, accepted) = run.unwrap();
    assert!(accepted);
    let outer = RecursionKey::new(outer).unwrap();
    let outer_proof = outer.prove(&witnesses, StarkParams::TESTING).unwrap();
    assert_eq!(outer_proof.publics, proof.publics);
    outer.verify(&outer_proof, StarkParams::TESTING).unwrap();

    // The outer program's memory forged so that it exposes another value than the inner
    // proof states: no proof the outer key accepts.
    let mut cells = outer.cells(&witnesses).unwrap();
    let exposed = outer.lowered().program.public[1].addr as usize;
    cells[exposed][0] = Val::from_u32(12);
    let verdict = std::panic::catch_unwind(|| {
        outer
            .prove_cells(&cells, StarkParams::TESTING)
            .map(|p| outer.verify(&p, StarkParams::TESTING).is_ok())
    });
    assert!(
        !matches!(verdict, Ok(Ok(true))),
        "a forged outer memory gave a proof the key accepts"
    );
}

/// A lowered program's size, for the log.
fn rows(l: &mipstark_air::recursion::program::RecursionProgram) -> String {
    format!(
        "{} cells; rows: mem {}, base_alu {}, ext_alu {}, pack {}, bits {}, poseidon2 {}",
        l.num_cells,
        l.mem.len(),
        l.base_alu.len(),
        l.ext_alu.len(),
        l.pack.len(),
        l.bits.len(),
        l.poseidon2.len()
    )
}

/// The recorder's ordered compression (one Poseidon2 row) computes what the native backend's
/// (selects, then the permutation) computes, for both bits.
#[test]
fn an_ordered_compression_is_the_natives() {
    for bit in [false, true] {
        let node: [Val; 8] = std::array::from_fn(|i| Val::from_u32(3 * i as u32 + 1));
        let sibling: [Val; 8] = std::array::from_fn(|i| Val::from_u32(1000 + i as u32));
        let mut n = Native::new();
        let bits = n.bits(Val::from_bool(bit), 1);
        let want = n.compress_ordered(node, sibling, bits[0]);
        n.finish().unwrap();

        let mut r = Recorder::with_values();
        let node_v = node.map(|v| r.witness_f(v));
        let sibling_v = sibling.map(|v| r.witness_f(v));
        let x = r.witness_f(Val::from_bool(bit));
        let b = r.bits(x, 1);
        let got = r.compress_ordered(node_v, sibling_v, b[0]);
        assert_eq!(got.map(|v| r.value_f(v).unwrap()), want, "bit {bit}");
        let (program, run) = r.finish();
        assert!(program.instrs.iter().any(|i| matches!(
            i,
            mipstark_recursion::builder::recorder::Instr::Poseidon2Ordered(..)
        )));
        let (witnesses, verdict) = run.unwrap();
        verdict.unwrap();
        let key = RecursionKey::new(program).unwrap();
        let proof = key.prove(&witnesses, StarkParams::TESTING).unwrap();
        key.verify(&proof, StarkParams::TESTING).unwrap();
    }
}
