//! The bodies of the cargo-fuzz targets, shared with the regression test that replays saved
//! inputs on every `cargo test`.

use std::sync::Arc;

use mipstark_emulator::elf::{Program, Segment};
use mipstark_emulator::{ExecConfig, ExecErrorKind, Executor, GuestInput};
use mipstark_prover_cpu_ref::machine::{VerifyError, VerifyingKey};
use mipstark_prover_cpu_ref::proof::Proof;
use mipstark_prover_cpu_ref::StarkParams;

const TEXT: u32 = 0x0040_0000;
const DATA: u32 = 0x1000_0000;

/// Arbitrary bytes as an ELF: a typed error or a valid program, which then survives a short run.
pub fn elf_loader(data: &[u8]) {
    if let Ok(p) = Program::from_elf(data) {
        let config = ExecConfig {
            max_cycles: 2_000,
            ..Default::default()
        };
        let mut ex = Executor::new(Arc::new(p), GuestInput::default(), config);
        let _ = ex.run();
    }
}

/// Arbitrary instruction words (the first 4 bytes are a hint buffer; the code doubles as a data
/// segment) run in fast and in recording mode, which must agree.
pub fn executor(data: &[u8]) {
    if data.len() < 8 {
        return;
    }
    let (hint, code) = data.split_at(4);
    let segments = vec![
        Segment {
            vaddr: TEXT,
            memsz: code.len() as u32,
            data: code.to_vec(),
            executable: true,
            writable: false,
        },
        Segment {
            vaddr: DATA,
            memsz: 4096,
            data: code[..code.len().min(4096)].to_vec(),
            executable: false,
            writable: true,
        },
    ];
    let Ok(program) = Program::from_segments(TEXT, segments) else {
        return;
    };
    let program = Arc::new(program);
    let input = GuestInput::default().with_hint(hint.to_vec());
    let config = ExecConfig {
        max_cycles: 5_000,
        max_output: 1 << 16,
        ..Default::default()
    };
    let mut fast = Executor::new(program.clone(), input.clone(), config.clone());
    let a = fast.run();
    let mut rec = Executor::new(program, input, config);
    let b = loop {
        match rec.run_recording(777) {
            Ok(Some(exit)) => break Ok(exit),
            Ok(None) => continue,
            Err(e) => break Err(e),
        }
    };
    if let Err(e) = &b {
        if matches!(
            e.kind,
            ExecErrorKind::RegrowthTooLarge(_) | ExecErrorKind::FixedMapTooLarge(_)
        ) {
            return; // the recording mode's documented bound (the fast mode has none)
        }
    }
    assert_eq!(a, b, "fast and recording modes disagree");
    assert_eq!(
        fast.gprs(),
        rec.gprs(),
        "fast and recording modes end in different states"
    );
    assert_eq!(
        fast.output(),
        rec.output(),
        "fast and recording modes produce different output"
    );
}

/// A six-instruction program recorded in two shards: the smallest run whose proof has every
/// part (shard chaining included), the subject of the proof fuzzer and the exhaustive passes.
pub fn tiny_run() -> (Arc<Program>, Vec<mipstark_emulator::ExecutionRecord>) {
    use crate::asm::*;
    let mut w = Vec::new();
    w.extend(li(4, 0x1234_5678));
    w.extend([addiu(4, 4, 7), addiu(2, 0, 0), SYSCALL]);
    let program = Arc::new(Program::from_elf(&crate::elfgen::program_elf(&w)).unwrap());
    let mut ex = Executor::new(
        program.clone(),
        GuestInput::default(),
        ExecConfig::default(),
    );
    let (shards, _) = ex.record_shards(3).unwrap();
    assert_eq!(shards.len(), 2);
    (program, shards)
}

/// A small honest proof file (a six-instruction program in two shards, so proved shard by
/// shard, as `mipstark prove` would; testing parameters) and the key it is checked with: what
/// the `proof` target mutates.
pub fn honest_proof() -> (&'static VerifyingKey<'static>, &'static [u8]) {
    use mipstark_air::machine::Machine;
    use mipstark_prover_cpu_ref::proof::{prove_with_layout, Layout};
    static PROOF: std::sync::OnceLock<(Machine, Vec<u8>)> = std::sync::OnceLock::new();
    static KEY: std::sync::OnceLock<VerifyingKey<'static>> = std::sync::OnceLock::new();
    let (m, bytes) = PROOF.get_or_init(|| {
        let (program, shards) = tiny_run();
        let m = Machine::new(program).unwrap();
        let bytes = prove_with_layout(&m, &shards, StarkParams::TESTING, Layout::Auto)
            .unwrap()
            .to_bytes();
        (m, bytes)
    });
    (
        KEY.get_or_init(|| VerifyingKey::new(m, StarkParams::TESTING)),
        bytes,
    )
}

/// Untrusted proof bytes: parsing and verifying must end in a typed error (or acceptance of
/// the honest proof), never a panic — not even one the verifier catches itself.
///
/// A first byte 0 makes the rest the proof file; otherwise the input is a list of 4-byte
/// edits `(position: u24 little-endian, xor: u8)` applied to the honest proof, which keeps
/// most inputs deep inside the verifier.
pub fn proof(data: &[u8]) {
    let (vk, honest) = honest_proof();
    let bytes = match data.split_first() {
        None => return,
        Some((0, raw)) => raw.to_vec(),
        Some((_, edits)) => {
            let mut b = honest.to_vec();
            for e in edits.chunks_exact(4) {
                let pos = u32::from_le_bytes([e[0], e[1], e[2], 0]) as usize % b.len();
                b[pos] ^= e[3];
            }
            b
        }
    };
    let Ok(p) = Proof::from_bytes(&bytes) else {
        return;
    };
    match vk.verify_proof(&p) {
        Ok(()) => assert!(bytes == honest, "an altered proof verifies"),
        Err(VerifyError::VerifierPanic(msg)) => panic!("the STARK verifier panicked: {msg}"),
        Err(_) => {}
    }
}
