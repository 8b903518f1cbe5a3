//! Stage timings of a proof, read from the prover's tracing spans (Plonky3 marks its LDEs,
//! Merkle trees, quotient evaluation and FRI with spans), plus peak memory.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tracing::span::{Attributes, Id};
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// The stages reported, and the span names that make them up.
pub const STAGES: &[(&str, &[&str])] = &[
    (
        "lde",
        &[
            "coset_lde_batch_with_transform",
            "coset_lde_batch_with_blocks",
        ],
    ),
    ("merkle", &["build merkle tree"]),
    ("quotient", &["compute quotient polynomial"]),
    ("fri", &["FRI prover"]),
];

/// Summed span time per stage (spans of one stage never nest in each other).
#[derive(Clone, Debug, Default)]
pub struct StageTimes(Arc<Mutex<Vec<Duration>>>);

impl StageTimes {
    pub fn get(&self) -> Vec<(&'static str, Duration)> {
        let v = self.0.lock().unwrap_or_else(|e| e.into_inner());
        STAGES
            .iter()
            .enumerate()
            .map(|(i, (n, _))| (*n, v.get(i).copied().unwrap_or_default()))
            .collect()
    }
}

struct Started(Instant, usize);

/// A tracing layer adding each stage span's duration to a [`StageTimes`]; `on_stage` hears
/// the name of each stage as it starts (for a progress display).
pub struct TimingLayer {
    times: StageTimes,
    on_stage: Box<dyn Fn(&'static str) + Send + Sync>,
}

impl TimingLayer {
    pub fn new(times: StageTimes, on_stage: impl Fn(&'static str) + Send + Sync + 'static) -> Self {
        TimingLayer {
            times,
            on_stage: Box::new(on_stage),
        }
    }
}

fn stage_of(name: &str) -> Option<usize> {
    STAGES.iter().position(|(_, spans)| spans.contains(&name))
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for TimingLayer {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if let (Some(stage), Some(span)) = (stage_of(attrs.metadata().name()), ctx.span(id)) {
            span.extensions_mut().insert(Started(Instant::now(), stage));
            (self.on_stage)(STAGES[stage].0);
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let ext = span.extensions();
        if let Some(Started(t, stage)) = ext.get::<Started>() {
            let mut v = self.times.0.lock().unwrap_or_else(|e| e.into_inner());
            if v.len() < STAGES.len() {
                v.resize(STAGES.len(), Duration::ZERO);
            }
            v[*stage] += t.elapsed();
        }
    }
}

/// Peak resident memory of this process in bytes (Linux; `None` elsewhere).
pub fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
