//! Whole-execution proofs: complete, reproducible byte for byte, and bound to their statement.

use std::sync::Arc;

use mipstark_air::machine::{Machine, StatementError};
use mipstark_emulator::{ExecConfig, ExecutionRecord, Executor, GuestInput, Program};
use mipstark_prover_cpu_ref::machine::{prove, verify, MipsProof, VerifyError};
use mipstark_prover_cpu_ref::StarkParams;

const P: StarkParams = StarkParams::TESTING;

fn run(name: &str, hint: Option<u32>, shard: u64) -> (Machine, Vec<ExecutionRecord>) {
    let (program, shards) = mipstark_tests::guests::record(name, hint, shard);
    (Machine::new(program).unwrap(), shards)
}

/// Proves and verifies a hand-written program (entry at its first word).
fn prove_words(words: &[u32]) -> (Machine, MipsProof, mipstark_emulator::GuestOutput) {
    let elf = mipstark_tests::elfgen::program_elf(words);
    let program = Arc::new(Program::from_elf(&elf).unwrap());
    let mut ex = Executor::new(
        program.clone(),
        GuestInput::default(),
        ExecConfig::default(),
    );
    let (shards, _) = ex.record_shards(1 << 10).unwrap();
    let m = Machine::new(program).unwrap();
    let proof = prove(&m, &shards, P).unwrap();
    verify(&m, &proof, P).unwrap();
    (m, proof, ex.take_output())
}

fn fib() -> (Machine, Vec<ExecutionRecord>) {
    run("fibonacci", Some(10), 127)
}

#[test]
fn fibonacci_in_shards_proves_verifies_and_reproduces() {
    let (m, shards) = fib();
    assert!(shards.len() >= 3, "{} shards", shards.len());
    let proof = prove(&m, &shards, P).unwrap();
    verify(&m, &proof, P).unwrap();
    let bytes = proof.to_bytes();
    let again = prove(&m, &shards, P).unwrap().to_bytes();
    assert!(bytes == again, "two proofs of the same run differ");
    let back = MipsProof::from_bytes(&bytes).unwrap();
    verify(&m, &back, P).unwrap();
    assert_eq!(back.statement.exit_code, 0);
}

#[test]
fn statement_is_bound() {
    let (m, shards) = fib();
    let proof = prove(&m, &shards, P).unwrap();
    let bytes = proof.to_bytes();

    let mut p = MipsProof::from_bytes(&bytes).unwrap();
    p.statement.exit_code ^= 1;
    assert!(matches!(verify(&m, &p, P), Err(VerifyError::Stark(_))));

    let mut p = MipsProof::from_bytes(&bytes).unwrap();
    if p.statement.public_values.is_empty() {
        p.statement.public_values.push(0);
    } else {
        p.statement.public_values[0] ^= 1;
    }
    assert!(verify(&m, &p, P).is_err());

    let mut p = MipsProof::from_bytes(&bytes).unwrap();
    p.statement.shards.swap(0, 1);
    assert!(verify(&m, &p, P).is_err());

    let mut p = MipsProof::from_bytes(&bytes).unwrap();
    p.statement.shards.pop();
    assert!(verify(&m, &p, P).is_err());

    // A duplicated shard, an appended empty shard after the halt, a clock past 2^29.
    let mut p = MipsProof::from_bytes(&bytes).unwrap();
    let s1 = p.statement.shards[1];
    p.statement.shards.insert(1, s1);
    assert!(verify(&m, &p, P).is_err());
    let mut p = MipsProof::from_bytes(&bytes).unwrap();
    let end = p.statement.shards.last().unwrap().1;
    p.statement.shards.push((end, end));
    assert!(matches!(
        verify(&m, &p, P),
        Err(VerifyError::Statement(StatementError::EmptyShard(_)))
    ));
    let mut p = MipsProof::from_bytes(&bytes).unwrap();
    p.statement.shards.last_mut().unwrap().1.clk = 1 << 29;
    assert!(matches!(
        verify(&m, &p, P),
        Err(VerifyError::Statement(StatementError::OutOfRange(_)))
    ));

    let (other, _) = run("hello", None, 1 << 12);
    let p = MipsProof::from_bytes(&bytes).unwrap();
    assert!(
        verify(&other, &p, P).is_err(),
        "a proof verified against another program"
    );

    assert!(matches!(
        verify(
            &m,
            &MipsProof::from_bytes(&bytes).unwrap(),
            StarkParams::DEFAULT
        ),
        Err(VerifyError::Params { .. })
    ));
}

#[test]
fn flipped_bytes_are_rejected() {
    let (m, shards) = fib();
    let bytes = prove(&m, &shards, P).unwrap().to_bytes();
    // A spread of positions across the whole proof (the exhaustive pass is issue 4's).
    let step = (bytes.len() / 97).max(1);
    for pos in (0..bytes.len()).step_by(step) {
        let mut b = bytes.clone();
        b[pos] ^= 0x01;
        let ok = match MipsProof::from_bytes(&b) {
            Ok(p) => verify(&m, &p, P).is_ok(),
            Err(_) => false,
        };
        assert!(!ok, "flipping byte {pos} of {} still verifies", bytes.len());
    }
}

#[test]
fn every_guest_proves_and_verifies() {
    for (name, hint) in mipstark_tests::guests::PROVABLE {
        let (m, shards) = run(name, *hint, 1 << 11);
        let proof = prove(&m, &shards, P).unwrap_or_else(|e| panic!("{name}: {e}"));
        verify(&m, &proof, P).unwrap_or_else(|e| panic!("{name}: {e}"));
        eprintln!("{name}: {} shards", shards.len());
    }
}

#[test]
fn compare_traps_and_rdhwr_prove() {
    use mipstark_tests::asm::*;
    let mut w = Vec::new();
    w.extend(li(8, 5));
    w.extend(li(9, 0xffff_fffd));
    w.extend([
        special(0x30, 9, 8, 0, 0),   // tge -3, 5
        special(0x31, 8, 9, 0, 0),   // tgeu 5, 0xfffffffd
        special(0x32, 8, 9, 0, 0),   // tlt 5, -3
        special(0x33, 9, 8, 0, 0),   // tltu 0xfffffffd, 5
        regimm(0x08, 9, 0),          // tgei -3, 0
        regimm(0x09, 8, 6),          // tgeiu 5, 6
        regimm(0x0a, 8, 0),          // tlti 5, 0
        regimm(0x0b, 8, 5),          // tltiu 5, 5
        special3(0x3b, 0, 3, 29, 0), // rdhwr $3, $29
        special(0x21, 3, 0, 4, 0),   // addu $a0, $3, $0
        addiu(4, 4, 7),
        addiu(2, 0, 0), // HALT
        SYSCALL,
    ]);
    let (_, proof, _) = prove_words(&w);
    assert_eq!(proof.statement.exit_code, 7);
}

#[test]
fn committed_words_are_public_and_bound() {
    use mipstark_tests::asm::*;
    let mut w = Vec::new();
    for (index, word) in [(3u32, 0xdead_beefu32), (3, 0x1234_5678), (0, 42)] {
        w.extend(li(4, index));
        w.extend(li(5, word));
        w.extend([addiu(2, 0, 0x10), SYSCALL]); // COMMIT
    }
    w.extend([addiu(4, 0, 0), addiu(2, 0, 0), SYSCALL]); // HALT(0)
    let (m, proof, output) = prove_words(&w);
    assert_eq!(output.committed, [42, 0, 0, 0x1234_5678, 0, 0, 0, 0]);
    assert_eq!(
        proof.statement.committed,
        [42, 0, 0, 0x1234_5678, 0, 0, 0, 0]
    );
    for k in [0, 3, 7] {
        let mut p = MipsProof::from_bytes(&proof.to_bytes()).unwrap();
        p.statement.committed[k] ^= 1;
        assert!(
            verify(&m, &p, P).is_err(),
            "a changed commit word {k} verified"
        );
    }
}

#[test]
fn branch_right_after_a_nullified_delay_slot_proves() {
    use mipstark_tests::asm::*;
    let mut w = Vec::new();
    w.extend(li(8, 5));
    w.extend(li(9, 0xffff_fffd));
    w.extend([
        itype(0x14, 8, 9, 4), // beql $8, $9, +16: not taken, delay slot nullified
        addiu(4, 0, 99),      // (nullified)
        itype(0x04, 0, 0, 2), // beq $0, $0, +8: taken, right after the skipped slot
        NOP,                  // delay slot
        addiu(4, 0, 1),       // (jumped over)
        addiu(4, 4, 7),       // exit code 7 when neither ran
        addiu(2, 0, 0),
        SYSCALL,
    ]);
    let (_, proof, _) = prove_words(&w);
    assert_eq!(proof.statement.exit_code, 7);
}

#[test]
fn malformed_proofs_are_errors_not_panics() {
    let (m, shards) = fib();
    let bytes = prove(&m, &shards, P).unwrap().to_bytes();
    let mut cases: Vec<(&str, MipsProof)> = Vec::new();
    let mut p = MipsProof::from_bytes(&bytes).unwrap();
    p.proof.opened_values.instances[5]
        .base_opened_values
        .trace_local
        .pop();
    cases.push(("an opened row one value short", p));
    let mut p = MipsProof::from_bytes(&bytes).unwrap();
    p.proof.opened_values.instances[5].permutation_local.clear();
    cases.push(("no LogUp openings", p));
    let mut p = MipsProof::from_bytes(&bytes).unwrap();
    p.proof.opening_proof.commit_phase_openings.pop();
    cases.push(("a FRI query missing", p));
    let mut p = MipsProof::from_bytes(&bytes).unwrap();
    p.proof.opening_proof.final_poly.push(Default::default());
    cases.push(("an extra final-polynomial coefficient", p));
    let mut p = MipsProof::from_bytes(&bytes).unwrap();
    p.proof.lookup_terminals.pop();
    cases.push(("a lookup terminal missing", p));
    let mut p = MipsProof::from_bytes(&bytes).unwrap();
    p.proof.degree_bits[6] += 1;
    cases.push(("a wrong instance height", p));
    for (what, p) in cases {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| verify(&m, &p, P)));
        match r {
            Ok(Err(_)) => {}
            Ok(Ok(())) => panic!("{what}: accepted"),
            Err(_) => panic!("{what}: the verifier panicked"),
        }
    }
}

/// Linux-runtime guests (hints framed on stdin, heap from `brk`) prove like zkVM ones.
#[test]
fn linux_guests_prove() {
    use mipstark_tests::guests::{frame_hints, linux_elf};
    for (name, stdin) in [
        ("hello", vec![]),
        ("fibonacci", frame_hints(&[10u32.to_le_bytes().to_vec()])),
        ("bigmem", frame_hints(&[1u32.to_le_bytes().to_vec()])),
    ] {
        let program = Arc::new(Program::from_elf(&linux_elf(name)).unwrap());
        let input = GuestInput {
            stdin,
            ..GuestInput::default()
        };
        let (shards, exit) = Executor::new(program.clone(), input, ExecConfig::default())
            .record_shards(1 << 12)
            .unwrap();
        let m = Machine::new(program).unwrap();
        let proof = prove(&m, &shards, P).unwrap_or_else(|e| panic!("{name}: {e}"));
        verify(&m, &proof, P).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(proof.statement.exit_code, exit.exit_code, "{name}");
    }
}

/// Anonymous mmap and mmap2, munmap, and a brk refused by the maps prove.
#[test]
fn mmap_proves() {
    let (_, proof, _) = prove_words(&mipstark_tests::asm::mmap_program());
    assert_eq!(proof.statement.exit_code, 0x3000 + 0x1234_5678);
}

/// Every kind of brk call proves, with the regrown memory zeroed exactly as the emulator does.
#[test]
fn mmap_fixed_proves() {
    let (_, proof, _) = prove_words(&mipstark_tests::asm::mmap_fixed_program());
    assert_eq!(proof.statement.exit_code, 0x1000 + 3 * 22);
}

#[test]
fn brk_proves() {
    let (_, proof, _) = prove_words(&mipstark_tests::asm::brk_program());
    assert_eq!(proof.statement.exit_code, 0xef + 0xde00_0000 + 0x2000);
}

/// The initial break is the verifier's, not the proof's: the syscall chip reads it from a public
/// value that the verifier fills in from its own program, so the chip's constraints are the same
/// for every ELF (one recursion program verifies them all). A brk proof checked against the same
/// program with another initial break is rejected, in both layouts.
#[test]
fn a_proof_is_bound_to_its_programs_initial_break() {
    use mipstark_prover_cpu_ref::machine::VerifyingKey;
    use mipstark_prover_cpu_ref::sharded::prove_sharded;
    let (m, proof, _) = prove_words(&mipstark_tests::asm::brk_program());
    let mut other = (*m.program).clone();
    other.initial_brk += 4;
    let moved = Machine::new(Arc::new(other)).unwrap();
    assert!(matches!(
        verify(&moved, &proof, P),
        Err(VerifyError::Stark(_))
    ));
    let elf = mipstark_tests::elfgen::program_elf(&mipstark_tests::asm::brk_program());
    let program = Arc::new(Program::from_elf(&elf).unwrap());
    let mut ex = Executor::new(program, GuestInput::default(), ExecConfig::default());
    let (shards, _) = ex.record_shards(16).unwrap();
    assert!(shards.len() > 1);
    let sharded = prove_sharded(&m, &shards, P).unwrap();
    VerifyingKey::new(&m, P).verify_sharded(&sharded).unwrap();
    assert!(VerifyingKey::new(&moved, P)
        .verify_sharded(&sharded)
        .is_err());
}

/// Linux set_thread_area writes the thread-pointer register that RDHWR $29 reads: both prove.
#[test]
fn set_thread_area_and_rdhwr_prove() {
    use mipstark_tests::asm::*;
    let mut w = Vec::new();
    w.extend(li(4, 0x1234_5678));
    w.extend(li(2, 4283)); // set_thread_area(0x12345678)
    w.push(SYSCALL);
    w.push(special3(0x3b, 0, 3, 29, 0)); // rdhwr $3, $29
    w.push(special(0x21, 3, 0, 4, 0)); // addu $a0, $3, $0
    w.extend([addiu(2, 0, 0), SYSCALL]); // HALT($a0)
    let (_, proof, _) = prove_words(&w);
    assert_eq!(proof.statement.exit_code, 0x1234_5678);
}

/// Linux error returns prove: write and read on bad descriptors (EBADF) and unimplemented
/// calls (ENOSYS), each leaving `$v0` = errno and `$a3` = 1.
#[test]
fn linux_error_returns_prove() {
    use mipstark_tests::asm::*;
    let mut w = Vec::new();
    let call = |w: &mut Vec<u32>, n: u32, a0: u32| {
        w.extend(li(4, a0));
        w.extend([addiu(5, 0, 0), addiu(6, 0, 4)]);
        w.extend(li(2, n));
        w.push(SYSCALL);
        // $s0 += $v0 + $a3 (so every result reaches the exit code)
        w.push(special(0x21, 16, 2, 16, 0));
        w.push(special(0x21, 16, 7, 16, 0));
    };
    call(&mut w, 4004, 3); // write(3, ..) → EBADF
    call(&mut w, 4004, 0x100); // write(256, ..) → EBADF (a high byte)
    call(&mut w, 4003, 7); // read(7, ..) → EBADF
    call(&mut w, 4054, 1); // ioctl → ENOSYS
    call(&mut w, 4999, 0); // the last o32 number → ENOSYS
    call(&mut w, 4000, 0); // the first → ENOSYS
    w.push(special(0x21, 16, 0, 4, 0)); // a0 = $s0
    w.extend([addiu(2, 0, 0), SYSCALL]);
    let (_, proof, _) = prove_words(&w);
    assert_eq!(proof.statement.exit_code, 3 * (9 + 1) + 3 * (89 + 1));
}

/// read's EFAULT (a buffer running past 2^32, with stdin to read) proves, and its result
/// reaches the exit code.
#[test]
fn read_efault_proves() {
    use mipstark_tests::asm::*;
    let mut w = Vec::new();
    w.push(addiu(4, 0, 0)); // fd 0
    w.extend(li(5, 0xffff_fff0)); // 16 bytes below 2^32
    w.extend(li(6, 0x20)); // 32 bytes
    w.extend(li(2, 4003));
    w.push(SYSCALL);
    w.push(special(0x21, 2, 7, 4, 0)); // a0 = v0 + a3
    w.extend([addiu(2, 0, 0), SYSCALL]);
    let elf = mipstark_tests::elfgen::program_elf(&w);
    let program = Arc::new(Program::from_elf(&elf).unwrap());
    let input = GuestInput {
        stdin: vec![7; 64],
        ..GuestInput::default()
    };
    let (shards, _) = Executor::new(program.clone(), input, ExecConfig::default())
        .record_shards(1 << 10)
        .unwrap();
    let m = Machine::new(program).unwrap();
    let proof = prove(&m, &shards, P).unwrap();
    verify(&m, &proof, P).unwrap();
    assert_eq!(proof.statement.exit_code, 14 + 1);
}

/// Our protocol loop (`protocol::prove_batch_with`, which lets a backend evaluate quotients)
/// makes exactly the bytes of Plonky3's `prove_batch`, for guests with and without
/// preprocessed columns, lookups and several shards.
#[test]
fn protocol_loop_equals_plonky3_prove_batch() {
    use mipstark_prover_cpu_ref::protocol::{prove_batch_with, CpuQuotient};
    use p3_batch_stark::{prove_batch, ProverData, StarkInstance};
    let config = mipstark_prover_cpu_ref::make_config(P);
    for (name, hint, shard) in [("fibonacci", Some(10), 127), ("heap", Some(4), 1 << 11)] {
        let (m, shards) = run(name, hint, shard);
        let t = m.generate_traces(&shards).unwrap();
        let airs = m.airs(t.statement.shards.len());
        let inst: Vec<StarkInstance<'_, _, _>> = airs
            .iter()
            .zip(&t.traces)
            .zip(&t.publics)
            .map(|((air, trace), pv)| StarkInstance {
                air,
                trace,
                public_values: pv.clone(),
            })
            .collect();
        let pd = ProverData::from_instances(&config, &inst).unwrap();
        let theirs = prove_batch(&config, &inst, &pd).unwrap();
        let ours = prove_batch_with(
            &config,
            &airs,
            t.traces.clone(),
            &t.publics,
            &pd,
            &CpuQuotient,
        )
        .unwrap();
        assert!(
            bincode::serialize(&ours).unwrap() == bincode::serialize(&theirs).unwrap(),
            "{name}: the protocol loop's proof differs from prove_batch's"
        );
    }
}
