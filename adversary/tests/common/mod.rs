//! z3 through its C API (system libz3; `z3-sys` 0.6 has no bindgen step), and the report the
//! adversary's tests print and pin.
#![allow(dead_code)] // each test binary uses a part

use std::ffi::{CStr, CString};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use mipstark_adversary::analysis::{self, describe, Anchor, Outcome};
use mipstark_adversary::cases::{selector_cases, Case};
use mipstark_adversary::chips::column_name;
use mipstark_adversary::collect::{ChipSystem, Side, TOKEN_BUSES};
use mipstark_air::bus::DISPATCH;

/// Runs SMT-LIB text in a fresh z3 context with a timeout; returns what it printed. A syntax
/// error in the text is the adversary's bug, not an answer: it panics.
pub fn z3(text: &str, timeout: Duration) -> String {
    let key = CString::new("timeout").unwrap();
    let ms = CString::new(timeout.as_millis().to_string()).unwrap();
    let t0 = Instant::now();
    let head: String = text.lines().next().unwrap_or("").to_string();
    let text = format!("(set-option :timeout {})\n{text}", timeout.as_millis());
    let text = CString::new(text).unwrap();
    // SAFETY: a context of our own, used by this thread only and deleted before returning;
    // without an error handler, errors come back as text instead of aborting the process.
    let out = unsafe {
        let cfg = z3_sys::Z3_mk_config();
        z3_sys::Z3_set_param_value(cfg, key.as_ptr(), ms.as_ptr());
        let ctx = z3_sys::Z3_mk_context(cfg);
        z3_sys::Z3_del_config(cfg);
        z3_sys::Z3_set_error_handler(ctx, None);
        let out = z3_sys::Z3_eval_smtlib2_string(ctx, text.as_ptr());
        let s = if out.is_null() {
            String::new()
        } else {
            CStr::from_ptr(out).to_string_lossy().into_owned()
        };
        z3_sys::Z3_del_context(ctx);
        s
    };
    if std::env::var("ADVERSARY_VERBOSE").is_ok() {
        let first = out.lines().next().unwrap_or("");
        eprintln!("{head}: {first} in {:.2} s", t0.elapsed().as_secs_f64());
    }
    // `get-value` after unsat or unknown is an error too: only a model's must be clean.
    let first = out.lines().next().unwrap_or("").trim();
    assert!(
        matches!(first, "unsat" | "unknown") || (first == "sat" && !out.contains("(error")),
        "z3 rejected the query: {out}"
    );
    out
}

/// An answer naming interactions.
pub type Named = Outcome<Vec<String>>;

/// One chip's answers.
#[derive(Clone, Debug)]
pub struct ChipReport {
    pub chip: String,
    /// The cases asked (one, `all rows`, when not split).
    pub cases: usize,
    /// (a) per token bus the chip uses: acting effects found on a row that answers no dispatch
    /// request (or none / unknown), the same with lookups counted as effects, and rows that
    /// answer one (anchored by dispatch, for information: their unknown cases are not listed).
    pub cancel: Vec<(String, Named, Named, Named)>,
    /// (b) a live row balanced on the token buses by itself: its live interactions (`None`:
    /// not asked).
    pub extra: Option<Named>,
    /// (c) outputs two rows with equal inputs can disagree on.
    pub determinism: Option<Named>,
    /// The cases each question left unknown: `question: case`.
    pub unknown: Vec<String>,
    pub seconds: f64,
}

fn named(sys: &ChipSystem, o: Outcome<Vec<usize>>) -> Named {
    match o {
        Outcome::Found(v) => Outcome::Found(v.into_iter().map(|i| describe(sys, i)).collect()),
        Outcome::None => Outcome::None,
        Outcome::Unknown => Outcome::Unknown,
    }
}

/// Which questions to ask, and whether to split by the chip's one-hot selectors.
#[derive(Clone, Copy)]
pub struct Ask {
    pub cancel: bool,
    pub extra: bool,
    pub determinism: bool,
    pub split: bool,
}

/// The cases of a chip: split by its largest one-hot group, or the whole chip.
pub fn cases_of(sys: &ChipSystem, split: bool) -> Vec<Case> {
    if split {
        selector_cases(sys, &|c| column_name(&sys.name, c))
    } else {
        vec![Case::whole()]
    }
}

/// `question` over every case: *found* in some case (named `case: interaction`), else
/// *unknown* if some case is (listed in `unknown`), else *none*.
pub fn over_cases(
    sys: &ChipSystem,
    cases: &[Case],
    question: &str,
    unknown: &mut Vec<String>,
    ask: impl Fn(&Case) -> Outcome<Vec<usize>> + Sync,
) -> Named {
    let mut out = Outcome::None;
    let answers = par_map(cases, |c| named(sys, ask(c)));
    for (case, answer) in cases.iter().zip(answers) {
        match answer {
            Outcome::Found(v) => {
                let tag = if cases.len() > 1 {
                    format!("{}: ", case.label)
                } else {
                    String::new()
                };
                return Outcome::Found(v.into_iter().map(|n| format!("{tag}{n}")).collect());
            }
            Outcome::Unknown => {
                unknown.push(format!("{question}: {}", case.label));
                out = Outcome::Unknown;
            }
            Outcome::None => {}
        }
    }
    out
}

/// Asks every question of one chip.
pub fn examine(sys: &ChipSystem, ask: Ask, timeout: Duration) -> ChipReport {
    let t0 = Instant::now();
    let solve = move |s: &str| z3(s, timeout);
    let cases = cases_of(sys, ask.split);
    let mut unknown = Vec::new();
    let mut cancel = Vec::new();
    let answers = sys
        .interactions
        .iter()
        .any(|i| i.bus == DISPATCH.name() && i.side == Side::Answer);
    if ask.cancel {
        for bus in TOKEN_BUSES {
            if !sys.interactions.iter().any(|i| i.bus == bus) {
                continue;
            }
            let mut q = |any: bool| {
                let label = format!("(a) {bus}{}", if any { " with queries" } else { "" });
                over_cases(sys, &cases, &label, &mut unknown, |c| {
                    analysis::self_cancel(sys, bus, any, Anchor::Unanchored, c, &solve)
                })
            };
            let acting = q(false);
            let any = q(true);
            // For information: anchored rows are not findings.
            let anchored = if answers {
                over_cases(
                    sys,
                    &cases,
                    &format!("(a) {bus} anchored"),
                    &mut Vec::new(),
                    |c| analysis::self_cancel(sys, bus, false, Anchor::Dispatch, c, &solve),
                )
            } else {
                Outcome::None
            };
            cancel.push((bus.to_string(), acting, any, anchored));
        }
    }
    let extra = ask.extra.then(|| {
        over_cases(sys, &cases, "(b)", &mut unknown, |c| {
            analysis::extra_row(sys, c, &solve)
        })
    });
    let determinism = ask.determinism.then(|| {
        over_cases(sys, &cases, "(c)", &mut unknown, |c| {
            analysis::determinism(sys, c, &solve)
        })
    });
    ChipReport {
        chip: sys.name.clone(),
        cases: cases.len(),
        cancel,
        extra,
        determinism,
        unknown,
        seconds: t0.elapsed().as_secs_f64(),
    }
}

/// Examines `systems` one after another, the cases of each on two threads.
pub fn examine_all(systems: &[ChipSystem], ask: Ask, timeout: Duration) -> Vec<ChipReport> {
    systems.iter().map(|s| examine(s, ask, timeout)).collect()
}

/// `f` over `items` on two threads (the development machine's cores), in order.
pub fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let out: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let k = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(item) = items.get(k) else { break };
                *out[k].lock().unwrap() = Some(f(item));
            });
        }
    });
    out.into_iter()
        .map(|m| m.into_inner().unwrap().unwrap())
        .collect()
}

fn short(o: &Outcome<Vec<String>>) -> String {
    match o {
        Outcome::Found(v) => format!("FOUND [{}]", v.join(", ")),
        Outcome::None => "none".into(),
        Outcome::Unknown => "unknown".into(),
    }
}

pub fn print(reports: &[ChipReport]) {
    for r in reports {
        println!("== {} ({} cases, {:.1} s)", r.chip, r.cases, r.seconds);
        for (bus, acting, any, anchored) in &r.cancel {
            println!(
                "  (a) cancels on {bus}: acting {}; with queries {}; anchored by dispatch {}",
                short(acting),
                short(any),
                short(anchored)
            );
        }
        if let Some(e) = &r.extra {
            println!("  (b) extra row: {}", short(e));
        }
        if let Some(d) = &r.determinism {
            println!("  (c) determinism: {}", short(d));
        }
        for u in &r.unknown {
            println!("  unknown in {u}");
        }
    }
}
