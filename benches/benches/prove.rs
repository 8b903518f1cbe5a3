//! Proven cycles per second of the CPU reference prover (secure parameters), end to end:
//! execution, trace generation and the STARK. Criterion reports "elements/s" = MIPS cycles/s.
//! Larger sizes (2^20–2^22) run through `mipstark bench`, which also reports peak memory.
//!
//! Target (issue 3): >= 20 kHz on the 2-core reference machine.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mipstark::prove::{prove_elf, DEFAULT_SHARD_LOG};
use mipstark::StarkParams;
use mipstark_emulator::{ExecConfig, Executor};

fn bench_prove(c: &mut Criterion) {
    // Parameters giving about 2^18 cycles.
    for (name, param) in [("fibonacci", 52_000u32), ("sha2-chain", 52)] {
        let (program, input) = mipstark_benches::guest(name, param);
        let cycles = Executor::new(program, input.clone(), ExecConfig::default())
            .run()
            .unwrap()
            .cycles;
        let elf = mipstark::guests::find(name).unwrap().elf;
        let mut g = c.benchmark_group(format!("prove/{name}"));
        g.throughput(Throughput::Elements(cycles));
        g.sample_size(10);
        g.bench_function("cpu", |b| {
            b.iter(|| {
                prove_elf(
                    elf,
                    input.clone(),
                    ExecConfig::default(),
                    DEFAULT_SHARD_LOG,
                    StarkParams::DEFAULT,
                )
                .unwrap()
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench_prove);
criterion_main!(benches);
