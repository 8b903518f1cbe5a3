//! Kernel sources for mipstark's GPU backend, written once in the portable C subset of
//! `device/portable.h` so the same text compiles as CUDA C++ (nvcc/NVRTC) and as OpenCL C.
//!
//! Field elements are Plonky3's Montgomery words (`KoalaBear` is `#[repr(transparent)]` over
//! the u32 `x·2^32 mod p`), so host slices move to the device as raw u32s. Every constant the
//! kernels use is generated from the Rust crates into `device/constants.h` by
//! [`constants::generate_header`]; a test regenerates it and fails on any difference.

pub mod constants;
pub mod quotient_ops;

use p3_koala_bear::KoalaBear;

/// Views field elements as their Montgomery words.
pub fn as_words(x: &[KoalaBear]) -> &[u32] {
    // SAFETY: KoalaBear is `#[repr(transparent)]` over its u32 Montgomery word (pinned by
    // the `koalabear_memory_is_the_montgomery_word` test in `constants`).
    unsafe { std::slice::from_raw_parts(x.as_ptr() as *const u32, x.len()) }
}

/// Turns Montgomery words read back from the device into field elements.
pub fn from_words(w: Vec<u32>) -> Vec<KoalaBear> {
    // Every word a kernel writes is a reduced Montgomery word (< p), the invariant KoalaBear needs.
    let mut w = std::mem::ManuallyDrop::new(w);
    // SAFETY: same layout as above; the allocation is handed over with its length and capacity.
    unsafe { Vec::from_raw_parts(w.as_mut_ptr() as *mut KoalaBear, w.len(), w.capacity()) }
}

/// A kernel source file (or header) by name.
#[derive(Clone, Copy, Debug)]
pub struct Source {
    pub name: &'static str,
    pub text: &'static str,
}

macro_rules! sources {
    ($($name:literal),* $(,)?) => {
        /// Every file under `device/`, headers included.
        pub const SOURCES: &[Source] = &[$(Source { name: $name, text: include_str!(concat!("../device/", $name)) }),*];
    };
}

sources!(
    "portable.h",
    "constants.h",
    "koalabear.h",
    "poseidon2.h",
    "bits.h",
    "field_ops.cu",
    "poseidon2.cu",
    "merkle.cu",
    "ntt.cu",
    "quotient.cu",
    "fri.cu",
);

/// Kernel files (the `.cu` sources, which hold the `KERNEL` entry points), one per concern.
pub fn kernel_files() -> impl Iterator<Item = &'static str> {
    SOURCES
        .iter()
        .map(|s| s.name)
        .filter(|n| n.ends_with(".cu"))
}

/// Looks a source up by file name.
pub fn source(name: &str) -> Option<&'static Source> {
    SOURCES.iter().find(|s| s.name == name)
}

/// The text of `name` with every `#include "file"` of another source replaced by that file's
/// (recursively expanded) text, each file at most once — what runtime compilers (OpenCL,
/// NVRTC) need when they cannot read our directory.
pub fn expanded(name: &str) -> Option<String> {
    let mut seen = Vec::new();
    let mut out = String::new();
    expand_into(name, &mut seen, &mut out)?;
    Some(out)
}

fn expand_into(name: &str, seen: &mut Vec<String>, out: &mut String) -> Option<()> {
    if seen.iter().any(|s| s == name) {
        return Some(());
    }
    seen.push(name.to_string());
    let src = source(name)?;
    for line in src.text.lines() {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix("#include \"") {
            let inc = rest.split('"').next()?;
            expand_into(inc, seen, out)?;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn includes_expand_once_each() {
        for k in kernel_files() {
            let text = expanded(k).unwrap_or_else(|| panic!("{k} does not expand"));
            assert!(!text.contains("#include \""), "{k}: unexpanded include");
            assert_eq!(text.matches("#define MIPSTARK_PORTABLE_H").count(), 1);
            assert!(text.contains("KERNEL void"), "{k} has no kernel");
        }
    }

    #[test]
    fn every_file_in_device_is_listed() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("device");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        on_disk.sort();
        let mut listed: Vec<String> = SOURCES.iter().map(|s| s.name.to_string()).collect();
        listed.sort();
        assert_eq!(on_disk, listed, "kernels/device and SOURCES disagree");
    }

    #[test]
    fn committed_constants_header_is_current() {
        let committed = source("constants.h").unwrap().text;
        let fresh = constants::generate_header();
        if committed != fresh {
            let line = committed
                .lines()
                .zip(fresh.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            panic!(
                "kernels/device/constants.h is stale (first difference at line {}); regenerate with \
                 `cargo run -p mipstark-kernels --example gen_constants > kernels/device/constants.h`",
                line + 1
            );
        }
    }
}
