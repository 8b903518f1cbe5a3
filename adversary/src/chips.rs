//! The chips the adversary examines: every variant of `MipsAir`, built as `Machine::airs`
//! builds them (for a one-instruction program: symbolic evaluation reads no trace, and the
//! preprocessed tables enter only as free columns), and the known-bad fixture.

use std::sync::Arc;

use mipstark_air::machine::{Machine, MipsAir};
use mipstark_emulator::Program;

use crate::collect::ChipSystem;
use crate::fixture::PreFixSysMemChip;

/// One chip of every kind, in `Machine::airs` order.
pub fn machine_airs() -> Vec<MipsAir> {
    // `syscall` (0x0000000c): the program's content does not matter here.
    let elf = mipstark_tests::elfgen::program_elf(&[0x0000_000c]);
    let program = Arc::new(Program::from_elf(&elf).expect("one-instruction ELF"));
    Machine::new(program).expect("machine").airs(1)
}

/// The row systems of every chip of the machine.
pub fn machine_systems() -> Vec<ChipSystem> {
    machine_airs()
        .iter()
        .map(|a| ChipSystem::collect(a.name(), a))
        .collect()
}

/// The row system of the pre-fix syscall-buffer chip (issue 14), named `sysmem`.
pub fn prefix_sysmem() -> ChipSystem {
    ChipSystem::collect("sysmem", &PreFixSysMemChip)
}
