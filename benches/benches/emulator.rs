//! Emulator throughput: instructions per second in fast mode and in recording mode.
//!
//! Targets (one core of the 2-core dev machine): >= 50 M instr/s fast, >= 10 M instr/s recording.
//! Criterion reports "elements/s" = instructions per second.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use mipstark_benches::guest;
use mipstark_emulator::{ExecConfig, ExecutionRecord, Executor};

/// Recording runs in chunks like the prover's shards, reusing the record buffer.
const SHARD: u64 = 1 << 20;

fn bench_emulator(c: &mut Criterion) {
    for (name, param) in [("sha2-chain", 200u32), ("loop", 1_000_000)] {
        let (program, input) = guest(name, param);
        let cycles = Executor::new(program.clone(), input.clone(), ExecConfig::default())
            .run()
            .unwrap()
            .cycles;
        let mut g = c.benchmark_group(format!("emulator/{name}"));
        g.throughput(Throughput::Elements(cycles));
        g.sample_size(20);
        g.bench_function("fast", |b| {
            b.iter_batched(
                || Executor::new(program.clone(), input.clone(), ExecConfig::default()),
                |mut ex| ex.run().unwrap(),
                BatchSize::LargeInput,
            )
        });
        // Steady state, as in the prover: the record buffer is reused across shards and runs,
        // so page-faulting fresh memory is not what is measured.
        g.bench_function("recording", |b| {
            let mut buffer = ExecutionRecord::default();
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let mut ex =
                        Executor::new(program.clone(), input.clone(), ExecConfig::default());
                    ex.reuse_record_buffer(std::mem::take(&mut buffer));
                    let start = Instant::now();
                    loop {
                        let done = ex.run_recording(SHARD).unwrap();
                        black_box(ex.record().steps.len());
                        if done.is_some() {
                            break;
                        }
                        ex.clear_record();
                    }
                    total += start.elapsed();
                    buffer = ex.take_record();
                }
                total
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench_emulator);
criterion_main!(benches);
