//! The `mipstark` binary as a user runs it.

use std::process::{Command, Output};

use mipstark_tests::asm::*;
use mipstark_tests::elfgen::program_elf;

fn mipstark(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mipstark"))
        .args(args)
        .output()
        .expect("run mipstark")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write_program(dir: &tempfile::TempDir, words: &[u32]) -> String {
    let p = dir.path().join("prog.elf");
    std::fs::write(&p, program_elf(words)).unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn execute_default_program() {
    let o = mipstark(&["execute", "--stats", "--public-values"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("sha2-chain: "), "{}", stdout(&o));
    let err = stderr(&o);
    for key in [
        "cycles:",
        "wall time:",
        "MHz",
        "instruction mix:",
        "addu",
        "public values (32 bytes): ",
    ] {
        assert!(err.contains(key), "missing {key:?} in:\n{err}");
    }
}

#[test]
fn execute_builtin_with_hint() {
    let o = mipstark(&["execute", "--guest", "fibonacci", "--hint-u32", "10"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "fib(10) mod 2^32 = 55\n");
    let o = mipstark(&["execute", "--guest", "nope"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no built-in guest named \"nope\""),
        "{}",
        stderr(&o)
    );
}

#[test]
fn execute_elf_with_hint_and_stdin_files() {
    let dir = tempfile::tempdir().unwrap();
    let hint = dir.path().join("n.bin");
    std::fs::write(&hint, 20u32.to_le_bytes()).unwrap();
    let elf = mipstark_tests::guests::guests_dir().join("elf/fibonacci.elf");
    let o = mipstark(&[
        "execute",
        elf.to_str().unwrap(),
        "--hint",
        hint.to_str().unwrap(),
    ]);
    assert_eq!(stdout(&o), "fib(20) mod 2^32 = 6765\n");
    // The Linux build reads the same hint framed on stdin.
    let stdin = dir.path().join("stdin.bin");
    std::fs::write(
        &stdin,
        mipstark_tests::guests::frame_hints(&[20u32.to_le_bytes().to_vec()]),
    )
    .unwrap();
    let elf = mipstark_tests::guests::guests_dir().join("elf/fibonacci.linux.elf");
    let o = mipstark(&[
        "execute",
        elf.to_str().unwrap(),
        "--stdin",
        stdin.to_str().unwrap(),
    ]);
    assert_eq!(stdout(&o), "fib(20) mod 2^32 = 6765\n");
}

#[test]
fn exit_code_is_the_guests() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = vec![addiu(4, 0, 42)];
    w.extend(li(2, 4246));
    w.push(SYSCALL);
    let p = write_program(&dir, &w);
    assert_eq!(mipstark(&["execute", &p]).status.code(), Some(42));
}

#[test]
fn errors_are_one_line_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let check = |o: Output, want: &str| {
        assert_eq!(o.status.code(), Some(1));
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "not one line: {err}");
        assert!(err.starts_with("error: ") && err.contains(want), "{err}");
    };
    check(
        mipstark(&["execute", "/nonexistent.elf"]),
        "cannot read ELF /nonexistent.elf",
    );
    let junk = dir.path().join("junk");
    std::fs::write(&junk, b"junk").unwrap();
    check(
        mipstark(&["execute", junk.to_str().unwrap()]),
        "not an ELF file",
    );
    let fpu = write_program(&dir, &[0x4602_0840]);
    check(
        mipstark(&["execute", &fpu]),
        "FPU; build the guest with -msoft-float) at pc 0x00400000",
    );
    let spin = write_program(&dir, &[itype(4, 0, 0, 0xffff), NOP]);
    check(
        mipstark(&["execute", &spin, "--max-cycles", "500"]),
        "cycle limit of 500 instructions",
    );
    check(
        mipstark(&[
            "execute",
            "--guest",
            "fibonacci",
            "--hint",
            "/nonexistent.bin",
        ]),
        "cannot read --hint",
    );
}
