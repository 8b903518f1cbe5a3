//! `mipstark prove` / `mipstark verify` as a user runs them.

use std::process::{Command, Output};

fn mipstark(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mipstark"))
        .args(args)
        .output()
        .expect("run mipstark")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn one_line_error(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(1), "stderr: {}", text(&o.stderr));
    let err = text(&o.stderr);
    assert_eq!(err.lines().count(), 1, "not one line: {err}");
    assert!(err.starts_with("error: "), "{err}");
    err
}

#[test]
fn prove_then_verify_in_shards() {
    let dir = tempfile::tempdir().unwrap();
    let proof = dir.path().join("fib.proof");
    let proof = proof.to_str().unwrap();
    let o = mipstark(&[
        "prove",
        "--guest",
        "sha2-chain",
        "--hint-u32",
        "2",
        "--shard-size",
        "12",
        "--params",
        "testing",
        "-q",
        "--debug",
        "-o",
        proof,
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    for want in [
        "shard(s), proved shard by shard",
        "execute:",
        "trace generation:",
        "lde",
        "merkle",
        "quotient",
        "fri",
        "total:",
        "kHz",
        "peak memory:",
    ] {
        assert!(err.contains(want), "summary lacks {want}: {err}");
    }
    // The stages are read from the prover's spans: a renamed span would read as zero.
    for stage in ["lde", "merkle", "quotient"] {
        let secs: f64 = err
            .lines()
            .find_map(|l| l.trim_start().strip_prefix(stage))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|t| t.parse().ok())
            .unwrap_or_else(|| panic!("no {stage} time: {err}"));
        assert!(secs > 0.0, "{stage} took no time: {err}");
    }
    let o = mipstark(&[
        "verify",
        "--guest",
        "sha2-chain",
        "--params",
        "testing",
        proof,
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("proof valid"), "{out}");
    assert!(out.contains("exit code: 0"), "{out}");
    // sha2-chain(2) commits its digest: 32 public bytes.
    assert!(out.contains("public values (32 bytes): "), "{out}");
    assert!(
        !out.contains("shards: 1\n"),
        "expected several shards: {out}"
    );

    // The same run in one batch: another proof layout, the same statement.
    let batch = dir.path().join("fib-batch.proof");
    let batch = batch.to_str().unwrap();
    let o = mipstark(&[
        "prove",
        "--guest",
        "sha2-chain",
        "--hint-u32",
        "2",
        "--shard-size",
        "12",
        "--params",
        "testing",
        "--layout",
        "one-batch",
        "-q",
        "-o",
        batch,
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("proved in one batch"));
    let o = mipstark(&[
        "verify",
        "--guest",
        "sha2-chain",
        "--params",
        "testing",
        batch,
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(
        text(&o.stdout),
        out,
        "the two layouts prove different statements"
    );

    // Another program, other parameters, a damaged file: one line, exit 1.
    let e = one_line_error(&mipstark(&[
        "verify",
        "--guest",
        "fibonacci",
        "--params",
        "testing",
        proof,
    ]));
    assert!(e.contains("rejected") || e.contains("statement"), "{e}");
    let e = one_line_error(&mipstark(&["verify", "--guest", "sha2-chain", proof]));
    assert!(e.contains("parameters"), "{e}");
    let mut bytes = std::fs::read(proof).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    let bad = dir.path().join("bad.proof");
    std::fs::write(&bad, bytes).unwrap();
    one_line_error(&mipstark(&[
        "verify",
        "--guest",
        "sha2-chain",
        "--params",
        "testing",
        bad.to_str().unwrap(),
    ]));
    one_line_error(&mipstark(&[
        "verify",
        "--guest",
        "sha2-chain",
        "/nonexistent.proof",
    ]));
}

#[test]
fn unprovable_inputs_are_clean_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.proof");
    let e = one_line_error(&mipstark(&[
        "prove",
        "--guest",
        "fibonacci",
        "--hint-u32",
        "5",
        "--shard-size",
        "40",
        "-o",
        p.to_str().unwrap(),
    ]));
    assert!(e.contains("--shard-size"), "{e}");
    // A backend this binary was built without.
    let missing = if cfg!(feature = "opencl") {
        "cuda"
    } else {
        "opencl"
    };
    if !(cfg!(feature = "opencl") && cfg!(feature = "cuda")) {
        let e = one_line_error(&mipstark(&[
            "prove",
            "--guest",
            "fibonacci",
            "--hint-u32",
            "5",
            "--backend",
            missing,
            "-o",
            p.to_str().unwrap(),
        ]));
        assert!(e.contains("backend"), "{e}");
    }
}

#[cfg(feature = "opencl")]
#[test]
fn opencl_backend_gives_the_cpu_proof() {
    let dir = tempfile::tempdir().unwrap();
    let (cpu, gpu) = (dir.path().join("cpu.proof"), dir.path().join("gpu.proof"));
    for (backend, out) in [("cpu", &cpu), ("opencl", &gpu)] {
        let o = mipstark(&[
            "prove",
            "--guest",
            "fibonacci",
            "--hint-u32",
            "30",
            "--shard-size",
            "7",
            "--params",
            "testing",
            "-q",
            "--backend",
            backend,
            "-o",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{backend}: {}", text(&o.stderr));
    }
    assert!(
        std::fs::read(&cpu).unwrap() == std::fs::read(&gpu).unwrap(),
        "proof bytes differ"
    );
    let o = mipstark(&[
        "verify",
        "--guest",
        "fibonacci",
        "--params",
        "testing",
        gpu.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
}
