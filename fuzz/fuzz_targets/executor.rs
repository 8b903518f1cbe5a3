//! See `mipstark_tests::fuzzing::executor`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mipstark_tests::fuzzing::executor(data));
