//! Stage timings of a proof, read from the prover's tracing spans (Plonky3 marks its LDEs,
//! Merkle trees, quotient evaluation and FRI with spans), plus peak memory.

use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use tracing::span::{Attributes, Id};
use tracing::Subscriber;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// The stages reported, and the span names that make them up.
pub const STAGES: &[(&str, &[&str])] = &[
    (
        "lde",
        &[
            "coset_lde_batch_with_transform",
            "coset_lde_batch_with_blocks",
            "device coset lde",
            "device dft",
        ],
    ),
    ("merkle", &["build merkle tree", "device merkle tree"]),
    ("quotient", &["quotient evaluation"]),
    ("fri", &["FRI prover"]),
    (
        "traces",
        &["shard traces", "shard traces again", "global traces"],
    ),
];

/// Summed span time per stage (spans of one stage never nest in each other).
#[derive(Debug, Default)]
pub struct StageTimes(Mutex<Vec<Duration>>);

impl StageTimes {
    pub fn get(&self) -> Vec<(&'static str, Duration)> {
        let v = self.0.lock().unwrap_or_else(|e| e.into_inner());
        STAGES
            .iter()
            .enumerate()
            .map(|(i, (n, _))| (*n, v.get(i).copied().unwrap_or_default()))
            .collect()
    }

    fn add(&self, stage: usize, d: Duration) {
        let mut v = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if v.len() < STAGES.len() {
            v.resize(STAGES.len(), Duration::ZERO);
        }
        v[stage] += d;
    }

    fn reset(&self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

type StageHook = Box<dyn Fn(&'static str) + Send + Sync>;

/// The process-wide timing state: the prover runs its stages on rayon's worker threads, so
/// the layer must be the global subscriber, not a thread-local one.
#[derive(Default)]
pub struct Timing {
    pub times: StageTimes,
    hook: Mutex<Option<StageHook>>,
}

impl Timing {
    /// Clears the times and sets what hears each stage start (for a progress display).
    pub fn start(&self, hook: impl Fn(&'static str) + Send + Sync + 'static) {
        self.times.reset();
        *self.hook.lock().unwrap_or_else(|e| e.into_inner()) = Some(Box::new(hook));
    }

    /// Stops notifying the hook.
    pub fn stop(&self) {
        *self.hook.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Installs the timing layer as the global tracing subscriber (once) and returns its state.
pub fn install() -> &'static Timing {
    static STATE: OnceLock<&'static Timing> = OnceLock::new();
    STATE.get_or_init(|| {
        let state: &'static Timing = Box::leak(Box::default());
        let subscriber = tracing_subscriber::registry().with(TimingLayer { state });
        // Another global subscriber (a library user's) wins; timings then stay empty.
        let _ = tracing::subscriber::set_global_default(subscriber);
        state
    })
}

struct Started(Instant, usize);

struct TimingLayer {
    state: &'static Timing,
}

fn stage_of(name: &str) -> Option<usize> {
    STAGES.iter().position(|(_, spans)| spans.contains(&name))
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for TimingLayer {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if let (Some(stage), Some(span)) = (stage_of(attrs.metadata().name()), ctx.span(id)) {
            span.extensions_mut().insert(Started(Instant::now(), stage));
            if let Some(h) = self
                .state
                .hook
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_ref()
            {
                h(STAGES[stage].0);
            }
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let ext = span.extensions();
        if let Some(Started(t, stage)) = ext.get::<Started>() {
            self.state.times.add(*stage, t.elapsed());
        }
    }
}

/// A `/proc` field in kB, as bytes (Linux; `None` elsewhere).
fn proc_kb(file: &str, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(file).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Peak resident memory of this process in bytes (Linux; `None` elsewhere).
pub fn peak_memory() -> Option<u64> {
    proc_kb("/proc/self/status", "VmHWM:")
}

/// Memory this process could still use: its resident memory plus what the system has
/// available (Linux; `None` elsewhere).
pub fn usable_memory() -> Option<u64> {
    Some(proc_kb("/proc/self/status", "VmRSS:")? + proc_kb("/proc/meminfo", "MemAvailable:")?)
}

/// Bytes of peak memory the CPU prover needs per main-trace cell: measured 18.6 (sha2-chain,
/// 10^6 cycles) and 21 (fibonacci, 5·10^5 cycles) with the traces, their LDEs, lookup
/// columns, quotients and trees all alive in one batch; rounded up.
pub const PROVER_BYTES_PER_MAIN_CELL: u64 = 22;
