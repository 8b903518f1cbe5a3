//! Test support for mipstark: guest ELFs, a MIPS encoder and ELF writer for generated programs,
//! and the qemu-mipsel differential harness.

pub mod asm;
pub mod elfgen;
pub mod fuzzing;
pub mod guests;
pub mod lockstep;
pub mod qemu;
pub mod records;
pub mod tamper;
