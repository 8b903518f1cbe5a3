//! The committed guest ELFs in `tests/guests/elf`.

use std::path::PathBuf;

/// Directory of the guest sources and build script.
pub fn guests_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("guests")
}

/// Reads `tests/guests/elf/NAME.elf` (zkVM runtime) — panics in tests if it is missing.
pub fn zkvm_elf(name: &str) -> Vec<u8> {
    read(&format!("{name}.elf"))
}

/// Reads `tests/guests/elf/NAME.linux.elf` (Linux runtime, runs under qemu too).
pub fn linux_elf(name: &str) -> Vec<u8> {
    read(&format!("{name}.linux.elf"))
}

fn read(file: &str) -> Vec<u8> {
    let path = guests_dir().join("elf").join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Every guest the prover tests run, with its hint (a u32 parameter, or none) sized so that a
/// proof stays quick in debug builds.
pub const PROVABLE: &[(&str, Option<u32>)] = &[
    ("fibonacci", Some(10)),
    ("hello", None),
    ("insn_arith", None),
    ("insn_bits", None),
    ("insn_branch", None),
    ("insn_llsc", None),
    ("insn_muldiv", None),
    ("insn_unaligned", None),
    ("sha256", Some(64)),
    ("keccak256", Some(16)),
    ("sha2-chain", Some(1)),
    ("bigmem", Some(4)),
    ("loop", Some(100)),
    ("heap", Some(4)),
];

/// The zkVM build of guest `name` run on `hint`, recorded in shards of `steps_per_shard`.
pub fn record(
    name: &str,
    hint: Option<u32>,
    steps_per_shard: u64,
) -> (
    std::sync::Arc<mipstark_emulator::Program>,
    Vec<mipstark_emulator::ExecutionRecord>,
) {
    use mipstark_emulator::{ExecConfig, Executor, GuestInput, Program};
    let program = std::sync::Arc::new(Program::from_elf(&zkvm_elf(name)).unwrap());
    let input = match hint {
        Some(h) => GuestInput::default().with_u32_hint(h),
        None => GuestInput::default(),
    };
    let (shards, _) = Executor::new(program.clone(), input, ExecConfig::default())
        .record_shards(steps_per_shard)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    (program, shards)
}

/// Names of all guest programs (from `programs/*.c`).
pub fn program_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(guests_dir().join("programs"))
        .expect("tests/guests/programs exists")
        .filter_map(|e| {
            let p = e.ok()?.path();
            (p.extension()? == "c").then(|| p.file_stem().unwrap().to_string_lossy().into_owned())
        })
        .collect();
    names.sort();
    names
}

/// Encodes hint buffers the way the Linux runtime reads them from stdin: each buffer as a
/// little-endian u32 length, then its bytes.
pub fn frame_hints(hints: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for h in hints {
        out.extend_from_slice(&(h.len() as u32).to_le_bytes());
        out.extend_from_slice(h);
    }
    out
}
