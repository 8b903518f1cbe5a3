//! Replays the fuzz corpora and saved crash inputs (`fuzz/corpus/*`, `fuzz/regressions/*`)
//! through the fuzz target bodies, so every input the fuzzer ever found stays a test.

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut n = 0;
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            let data = std::fs::read(&p).unwrap();
            let r = std::panic::catch_unwind(|| run(&data));
            assert!(r.is_ok(), "fuzz input {} fails", p.display());
            n += 1;
        }
    }
    n
}

#[test]
fn elf_loader_inputs() {
    let n = replay("elf_loader", mipstark_tests::fuzzing::elf_loader);
    eprintln!("replayed {n} elf_loader inputs");
}

#[test]
fn executor_inputs() {
    let n = replay("executor", mipstark_tests::fuzzing::executor);
    eprintln!("replayed {n} executor inputs");
}

#[test]
fn proof_inputs() {
    let n = replay("proof", mipstark_tests::fuzzing::proof);
    eprintln!("replayed {n} proof inputs");
}
