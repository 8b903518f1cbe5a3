//! See `mipstark_tests::fuzzing::elf_loader`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mipstark_tests::fuzzing::elf_loader(data));
