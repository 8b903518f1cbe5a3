//! The statement over the builder: the chain is structural in the recorded program (each
//! shard's CPU starts on the variables the previous one ended on, the first on the key's
//! constants, the break is a key constant), and every rule the reference checks on the
//! statement in plain Rust fails the builder's run when broken — including the ones the
//! reference gets from Rust's types (bytes, booleans), which a circuit must check.

use mipstark_air::machine::{Machine, PUBLIC_VALUES_INSTANCE};
use mipstark_prover_cpu_ref::machine::VerifyingKey;
use mipstark_prover_cpu_ref::sharded::prove_sharded;
use mipstark_prover_cpu_ref::{StarkParams, Val};
use mipstark_recursion::builder::recorder::Instr;
use mipstark_recursion::sharded::Transcript;
use mipstark_recursion::statement::StatementVars;
use mipstark_recursion::{Builder, Native, Recorder};
use p3_field::PrimeCharacteristicRing;

const CPU: usize = 5;
const SYSCALL: usize = 5 + 11;
const PER_SHARD: usize = 13;

#[test]
fn the_chain_and_the_break_are_structural_in_the_program() {
    let (program, shards) = mipstark_tests::guests::record("fibonacci", Some(6), 100);
    let m = Machine::new(program).unwrap();
    let proof = prove_sharded(&m, &shards, StarkParams::TESTING).unwrap();
    let vk = VerifyingKey::new(&m, StarkParams::TESTING);
    let mut b = Recorder::shape_only();
    let t = Transcript::load(&mut b, &vk, &proof).unwrap();
    t.verify(&mut b).unwrap();
    let (program, _) = b.finish();
    let publics = &t.header.publics;
    let n = proof.statement.shards.len();
    assert!(n >= 3);
    for k in 0..n {
        let cpu = &publics[CPU + k * PER_SHARD];
        assert_eq!(cpu.len(), 10);
        if k == 0 {
            for &v in &cpu[..5] {
                assert!(
                    matches!(program.defining(v), Some(Instr::ConstF(_))),
                    "start: {v:?}"
                );
            }
        } else {
            let prev = &publics[CPU + (k - 1) * PER_SHARD];
            assert_eq!(
                cpu[..5],
                prev[5..],
                "shard {k} starts on shard {}'s end",
                k - 1
            );
        }
        let sys = &publics[SYSCALL + k * PER_SHARD];
        for &v in &sys[4..8] {
            assert!(
                matches!(program.defining(v), Some(Instr::ConstF(_))),
                "break: {v:?}"
            );
        }
        assert_eq!(sys[..4], publics[SYSCALL][..4], "one exit code");
    }
    assert_eq!(publics[PUBLIC_VALUES_INSTANCE], t.statement.public_values);
}

/// A change to the loaded statement.
type Edit = Box<dyn FnOnce(&mut Native, &mut StatementVars<Native>)>;

fn w(b: &mut Native, v: u64) -> Val {
    b.witness_f(Val::from_u64(v))
}

/// How many public-value bytes are in use.
fn used(b: &Native, s: &StatementVars<Native>) -> usize {
    use p3_field::PrimeField32;
    b.value_f(s.public_values[0]).unwrap().as_canonical_u32() as usize
}

/// Loads the honest statement, lets `edit` change it, and runs the checks natively.
fn run(edit: impl FnOnce(&mut Native, &mut StatementVars<Native>)) -> bool {
    let (program, shards) = mipstark_tests::guests::record("fibonacci", Some(6), 100);
    let m = Machine::new(program).unwrap();
    let proof = prove_sharded(&m, &shards, StarkParams::TESTING).unwrap();
    let mut b = Native::new();
    let mut st = StatementVars::load(&mut b, &proof.statement, m.program.entry);
    edit(&mut b, &mut st);
    st.check(&mut b);
    b.finish().is_ok()
}

#[test]
fn every_statement_rule_is_a_check() {
    assert!(run(|_, _| {}), "the honest statement");
    let cases: Vec<(&str, Edit)> = vec![
        (
            "a clock at 2^29",
            Box::new(|b, s| s.boundaries[2][2] = w(b, 1 << 29)),
        ),
        (
            "a shard that does not advance",
            Box::new(|b, s| {
                s.boundaries[2][2] = s.boundaries[1][2];
                let _ = b;
            }),
        ),
        (
            "the last shard not halted",
            Box::new(|b, s| {
                let last = s.boundaries.len() - 1;
                s.boundaries[last][4] = w(b, 0);
            }),
        ),
        ("a flag of 2", Box::new(|b, s| s.boundaries[1][3] = w(b, 2))),
        (
            "an exit byte of 256",
            Box::new(|b, s| s.exit[0] = w(b, 256)),
        ),
        (
            "a committed byte of 256",
            Box::new(|b, s| {
                let at = s.public_values.len() - 1;
                s.public_values[at] = w(b, 256);
            }),
        ),
        (
            "a byte past the length",
            Box::new(|b, s| s.public_values[200] = w(b, 7)),
        ),
        (
            "a length the flags do not count",
            Box::new(|b, s| s.public_values[0] = w(b, 300)),
        ),
        (
            "flags that are not a prefix",
            Box::new(|b, s| s.in_use[100] = w(b, 1)),
        ),
        ("a flag of 2 in use", Box::new(|b, s| s.in_use[0] = w(b, 2))),
        // Each of the next three breaks one rule only (the count, the other flags and the
        // bytes all still agree), so each is rejected by exactly one check.
        (
            "flags 1, −1 past the length",
            Box::new(|b, s| {
                let l = used(b, s);
                s.in_use[l] = w(b, 1);
                s.in_use[l + 1] = b.witness_f(-Val::ONE);
                s.public_values[1 + l] = w(b, 7);
            }),
        ),
        (
            "a flag moved past the length",
            Box::new(|b, s| {
                let l = used(b, s).max(1);
                s.public_values[0] = w(b, l as u64);
                for i in 0..l {
                    s.in_use[i] = w(b, 1);
                }
                s.in_use[0] = w(b, 0);
                s.public_values[1] = w(b, 0);
                s.in_use[l] = w(b, 1);
                s.public_values[1 + l] = w(b, 7);
            }),
        ),
        (
            "the last clock at 2^29",
            Box::new(|b, s| {
                let last = s.boundaries.len() - 1;
                s.boundaries[last][2] = w(b, 1 << 29);
            }),
        ),
    ];
    for (what, edit) in cases {
        assert!(!run(edit), "{what} passes the checks");
    }
}
