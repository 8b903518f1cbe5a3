//! Recording mode: records replay consistently (the offline memory argument's invariants) and
//! recording changes nothing about the execution.

use std::sync::Arc;

use mipstark_emulator::record::NUM_REGS;
use mipstark_emulator::{ExecConfig, Executor, GuestInput, Program};
use mipstark_tests::{guests, records::Replay};

fn check(name: &str, input: GuestInput, chunk: u64) -> u64 {
    let program = Arc::new(Program::from_elf(&guests::zkvm_elf(name)).unwrap());
    let mut fast = Executor::new(program.clone(), input.clone(), ExecConfig::default());
    let fast_exit = fast.run().unwrap();

    let mut ex = Executor::new(program, input, ExecConfig::default());
    let mut init = [0u32; NUM_REGS];
    init[..32].copy_from_slice(ex.gprs());
    let mut replay = Replay::new(init, ex.memory().clone());
    let exit = loop {
        let done = ex.run_recording(chunk).unwrap();
        let rec = ex.take_record();
        replay.feed(&rec).unwrap_or_else(|e| panic!("{name}: {e}"));
        if let Some(exit) = done {
            break exit;
        }
    };
    assert_eq!(exit, fast_exit, "{name}: recording changed the result");
    assert_eq!(
        ex.output(),
        fast.output(),
        "{name}: recording changed the output"
    );
    let mut regs = ex.gprs().to_vec();
    regs.extend([ex.hi_lo().0, ex.hi_lo().1]);
    let steps = replay
        .finish(&regs, ex.memory())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(steps, exit.cycles, "{name}: one step record per cycle");
    steps
}

#[test]
fn records_replay_for_every_guest() {
    for name in guests::program_names() {
        let input = match name.as_str() {
            "bigmem" => GuestInput::default().with_u32_hint(64),
            "sha2-chain" => GuestInput::default().with_u32_hint(10),
            n if n.starts_with("insn_") || n == "hello" => GuestInput::default(),
            _ => GuestInput::default().with_u32_hint(300),
        };
        // An odd chunk size so chunk boundaries fall everywhere, syscalls included.
        check(&name, input, 9_973);
    }
}

#[test]
fn records_replay_with_tiny_chunks() {
    check("sha256", GuestInput::default().with_u32_hint(70), 1);
}
