//! Whole guest programs: results against Rust references, the instruction self-tests, and the
//! Linux-runtime builds against qemu-mipsel (same stdout, same exit code).

use mipstark_emulator::{execute, ExecConfig, GuestInput};
use mipstark_tests::{guests, qemu};
use sha2::{Digest, Sha256};

fn run_zkvm(name: &str, param: u32) -> mipstark_emulator::Execution {
    let input = GuestInput::default().with_u32_hint(param);
    execute(&guests::zkvm_elf(name), input, ExecConfig::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn pattern(n: u32) -> Vec<u8> {
    (0..n)
        .map(|i| (i.wrapping_mul(7).wrapping_add(3)) as u8)
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn fibonacci_matches_reference() {
    for n in [0u32, 1, 2, 10, 1000, 12345] {
        let r = run_zkvm("fibonacci", n);
        let (mut a, mut b) = (0u32, 1u32);
        for _ in 0..n {
            (a, b) = (b, a.wrapping_add(b));
        }
        assert_eq!(r.exit.exit_code, 0);
        assert_eq!(r.output.public_values, a.to_le_bytes());
        assert_eq!(
            String::from_utf8_lossy(&r.output.stdout),
            format!("fib({n}) mod 2^32 = {a}\n")
        );
    }
}

#[test]
fn sha256_matches_reference() {
    for n in [0u32, 1, 55, 56, 63, 64, 65, 1000] {
        let r = run_zkvm("sha256", n);
        let want = Sha256::digest(pattern(n));
        assert_eq!(
            r.output.public_values,
            want.as_slice(),
            "sha256 of {n} bytes"
        );
    }
}

#[test]
fn sha2_chain_matches_reference() {
    let r = run_zkvm("sha2-chain", 100);
    let mut h = [5u8; 32];
    for _ in 0..100 {
        h = Sha256::digest(h).into();
    }
    assert_eq!(r.output.public_values, h);
    assert_eq!(
        String::from_utf8_lossy(&r.output.stdout),
        format!("sha2-chain: {}\n", hex(&h))
    );
}

#[test]
fn keccak256_matches_reference() {
    use tiny_keccak::{Hasher, Keccak};
    for n in [0u32, 1, 135, 136, 137, 500] {
        let r = run_zkvm("keccak256", n);
        let mut k = Keccak::v256();
        k.update(&pattern(n));
        let mut want = [0u8; 32];
        k.finalize(&mut want);
        assert_eq!(r.output.public_values, want, "keccak256 of {n} bytes");
    }
}

#[test]
fn loop_and_bigmem_match_reference() {
    let n = 5000u32;
    let mut acc = 0x9e37_79b9u32;
    for i in 0..n {
        acc = (acc ^ i).wrapping_add(acc >> 3);
    }
    assert_eq!(run_zkvm("loop", n).output.public_values, acc.to_le_bytes());

    let kib = 64u32;
    let words = kib * 256;
    let mut a = vec![0u32; words as usize];
    let mut x = 12345u32;
    for w in a.iter_mut() {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        *w = x;
    }
    let mut sum = 0u32;
    for i in 0..words {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let j = ((x >> 8) % words) as usize;
        a[j] ^= a[i as usize].wrapping_add(i);
        sum = sum.wrapping_add(a[j]);
    }
    assert_eq!(
        run_zkvm("bigmem", kib).output.public_values,
        sum.to_le_bytes()
    );
}

#[test]
fn instruction_self_tests_pass() {
    for name in guests::program_names()
        .iter()
        .filter(|n| n.starts_with("insn_"))
    {
        let r = execute(
            &guests::zkvm_elf(name),
            GuestInput::default(),
            ExecConfig::default(),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let out = String::from_utf8_lossy(&r.output.stdout);
        assert_eq!(r.exit.exit_code, 0, "{name} reported failures:\n{out}");
        assert!(out.ends_with("ok\n"), "{name}: {out}");
    }
}

#[test]
fn hello_sees_argv() {
    let args = vec!["hello".to_string(), "a".into(), "b".into()];
    let config = ExecConfig {
        args,
        ..Default::default()
    };
    let r = execute(&guests::zkvm_elf("hello"), GuestInput::default(), config).unwrap();
    assert_eq!(r.exit.exit_code, 2);
    assert_eq!(
        String::from_utf8_lossy(&r.output.stdout),
        "hello from mipstark, argv[0]=hello\n"
    );
    assert_eq!(r.output.public_values, b"hello");
}

/// The parameter each program gets in the differential run (small, so qemu is quick).
fn qemu_param(name: &str) -> Option<u32> {
    Some(match name {
        "fibonacci" => 5000,
        "sha256" | "keccak256" => 777,
        "sha2-chain" => 20,
        "loop" => 10_000,
        "bigmem" => 256,
        n if n.starts_with("insn_") || n == "hello" => return None,
        _ => 100,
    })
}

#[test]
fn linux_builds_match_qemu() {
    let Some(q) = qemu::require() else { return };
    for name in guests::program_names() {
        let elf = guests::linux_elf(&name);
        let hints: Vec<Vec<u8>> = qemu_param(&name)
            .map(|p| p.to_le_bytes().to_vec())
            .into_iter()
            .collect();
        let stdin = guests::frame_hints(&hints);
        let args = ["x", "y"];
        let qr = qemu::run(&q, &elf, &args, &stdin, false);
        let mut argv = vec!["guest.elf".to_string()];
        argv.extend(args.iter().map(|s| s.to_string()));
        let config = ExecConfig {
            args: argv,
            ..Default::default()
        };
        let ours = execute(
            &elf,
            GuestInput {
                stdin,
                hints: vec![],
            },
            config,
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        // argv[0] differs (qemu passes the path it was given), so compare from the first line
        // that does not print it.
        let strip = |b: &[u8]| {
            String::from_utf8_lossy(b)
                .lines()
                .filter(|l| !l.contains("argv[0]"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(
            strip(&ours.output.stdout),
            strip(&qr.stdout),
            "{name}: stdout differs from qemu"
        );
        assert_eq!(
            Some((ours.exit.exit_code & 0xff) as i32),
            qr.exit_code,
            "{name}: exit code differs from qemu"
        );
        assert!(!ours.output.stdout.is_empty(), "{name} printed nothing");
    }
}

/// The committed ELFs are exactly what build.sh produces (checked where the cross compiler is
/// installed, as in CI).
#[test]
fn committed_elfs_match_a_rebuild() {
    if std::process::Command::new("mipsel-linux-gnu-gcc")
        .arg("--version")
        .output()
        .is_err()
    {
        if std::env::var_os("CI").is_some() {
            panic!("CI must have mipsel-linux-gnu-gcc to check the committed guest ELFs");
        }
        eprintln!("mipsel-linux-gnu-gcc not installed: skipping the rebuild check");
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("bash")
        .arg(guests::guests_dir().join("build.sh"))
        .arg(out.path())
        .status()
        .expect("run build.sh");
    assert!(status.success(), "build.sh failed");
    let committed = guests::guests_dir().join("elf");
    let mut n = 0;
    for e in std::fs::read_dir(out.path()).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap();
        let old = std::fs::read(committed.join(name)).unwrap_or_default();
        assert!(
            old == std::fs::read(&p).unwrap(),
            "{name:?} differs from a rebuild: run tests/guests/build.sh and commit"
        );
        n += 1;
    }
    assert_eq!(
        n,
        std::fs::read_dir(&committed).unwrap().count(),
        "stale ELFs in tests/guests/elf"
    );
}
