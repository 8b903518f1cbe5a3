//! The bodies of the cargo-fuzz targets, shared with the regression test that replays saved
//! inputs on every `cargo test`.

use std::sync::Arc;

use mipstark_emulator::elf::{Program, Segment};
use mipstark_emulator::{ExecConfig, Executor, GuestInput};

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
