//! Lockstep differential test against qemu-mipsel (see `mipstark_tests::lockstep`).

use mipstark_tests::{lockstep, qemu};

fn run_streams(first_seed: u64, count: u64, body_len: usize) {
    let Some(q) = qemu::require() else { return };
    let seeds: Vec<u64> = (first_seed..first_seed + count).collect();
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .min(8);
    let chunks: Vec<&[u64]> = seeds.chunks(seeds.len().div_ceil(workers)).collect();
    let results: Vec<(usize, usize, Vec<String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|chunk| {
                let q = q.clone();
                s.spawn(move || {
                    let (mut insns, mut traps, mut errs) = (0, 0, Vec::new());
                    for &seed in *chunk {
                        match lockstep::compare(&q, seed, body_len) {
                            Ok(c) => {
                                insns += c.instructions;
                                traps += c.trapped as usize;
                            }
                            Err(e) => errs.push(e),
                        }
                    }
                    (insns, traps, errs)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("worker"))
            .collect()
    });
    let insns: usize = results.iter().map(|r| r.0).sum();
    let traps: usize = results.iter().map(|r| r.1).sum();
    let errs: Vec<&String> = results.iter().flat_map(|r| &r.2).collect();
    eprintln!("lockstep: {count} streams, {insns} instructions compared, {traps} ended in a trap");
    assert!(
        errs.is_empty(),
        "{} of {count} streams differ:\n{}",
        errs.len(),
        errs.iter()
            .take(10)
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        insns as u64 > count * body_len as u64 / 4,
        "streams ended too early to test much"
    );
}

/// The CI sample: a couple of thousand streams. Seed base overridable to explore.
#[test]
fn lockstep_random_streams_match_qemu() {
    let base = std::env::var("MIPSTARK_LOCKSTEP_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let count = std::env::var("MIPSTARK_LOCKSTEP_STREAMS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    run_streams(base, count, 120);
}

/// The long run: many more and longer streams.
#[test]
#[ignore]
fn lockstep_random_streams_match_qemu_exhaustive() {
    run_streams(1_000_000, 50_000, 400);
}
