//! See `mipstark_tests::fuzzing::proof`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mipstark_tests::fuzzing::proof(data));
