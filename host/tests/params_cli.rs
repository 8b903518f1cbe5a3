//! `mipstark params` as a user runs it: every preset, every regime, numbers a reader can check.

use std::process::Command;

#[test]
fn params_prints_every_preset_with_its_bits() {
    let o = Command::new(env!("CARGO_BIN_EXE_mipstark"))
        .arg("params")
        .output()
        .expect("run mipstark");
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8_lossy(&o.stdout);
    for head in [
        "testing: blowup 2, 8 queries",
        "secure: blowup 2, 84 queries, PoW bits 16 query",
        "provable: blowup 4, 124 queries, PoW bits 16 query + 14 batch + 12 lookup + 8 DEEP",
        "provable UDR",
        "provable Johnson m=",
        "FRI batching",
        "DEEP (OOD point)",
        "LogUp fingerprint",
    ] {
        assert!(out.contains(head), "missing {head:?} in:\n{out}");
    }
    // secure: 100 conjectured, 50.8 proven in unique decoding; provable: 100.0 (query-bound,
    // 100.08: the 8 bits ground before ζ lift DEEP from 99.95 to 107.95).
    let totals: Vec<Vec<&str>> = out
        .lines()
        .filter(|l| l.contains("total (min)"))
        .map(|l| l.split_whitespace().skip(2).collect())
        .collect();
    assert_eq!(totals.len(), 3, "{out}");
    assert_eq!(&totals[1][..2], ["100.0", "50.8"], "{out}");
    assert_eq!(totals[2][1], "100.0", "{out}");
}
