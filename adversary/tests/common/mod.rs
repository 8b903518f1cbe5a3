//! z3 through its C API (system libz3; `z3-sys` 0.6 has no bindgen step), and the report the
//! adversary's tests print and pin.
#![allow(dead_code)] // each test binary uses a part

use std::ffi::{CStr, CString};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use mipstark_adversary::analysis::{self, describe, Outcome};
use mipstark_adversary::collect::{ChipSystem, TOKEN_BUSES};

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
    /// (a) per token bus the chip uses: acting effects found (or none / unknown), and whether a
    /// row cancelling there with only lookups beside it exists.
    pub cancel: Vec<(String, Named, Named)>,
    /// (b) a live row balanced on the token buses by itself: its live interactions.
    pub extra: Outcome<Vec<String>>,
    /// (c) outputs two rows with equal inputs can disagree on.
    pub determinism: Outcome<Vec<String>>,
    pub seconds: f64,
}

fn named(sys: &ChipSystem, o: Outcome<Vec<usize>>) -> Outcome<Vec<String>> {
    match o {
        Outcome::Found(v) => Outcome::Found(v.into_iter().map(|i| describe(sys, i)).collect()),
        Outcome::None => Outcome::None,
        Outcome::Unknown => Outcome::Unknown,
    }
}

/// Which questions to ask.
#[derive(Clone, Copy)]
pub struct Ask {
    pub cancel: bool,
    pub extra: bool,
    pub determinism: bool,
}

/// Asks every question of one chip.
pub fn examine(sys: &ChipSystem, ask: Ask, timeout: Duration) -> ChipReport {
    let t0 = Instant::now();
    let solve = move |s: &str| z3(s, timeout);
    let mut cancel = Vec::new();
    if ask.cancel {
        for bus in TOKEN_BUSES {
            if !sys.interactions.iter().any(|i| i.bus == bus) {
                continue;
            }
            let acting = named(sys, analysis::self_cancel(sys, bus, false, &solve));
            let any = named(sys, analysis::self_cancel(sys, bus, true, &solve));
            cancel.push((bus.to_string(), acting, any));
        }
    }
    let extra = if ask.extra {
        named(sys, analysis::extra_row(sys, &solve))
    } else {
        Outcome::Unknown
    };
    let determinism = if ask.determinism {
        named(sys, analysis::determinism(sys, &solve))
    } else {
        Outcome::Unknown
    };
    ChipReport {
        chip: sys.name.clone(),
        cancel,
        extra,
        determinism,
        seconds: t0.elapsed().as_secs_f64(),
    }
}

/// Examines `systems` on two threads (the development machine's cores), in input order.
pub fn examine_all(systems: &[ChipSystem], ask: Ask, timeout: Duration) -> Vec<ChipReport> {
    let next = Mutex::new(0usize);
    let out: Mutex<Vec<Option<ChipReport>>> = Mutex::new(vec![None; systems.len()]);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let k = {
                    let mut n = next.lock().unwrap();
                    let k = *n;
                    *n += 1;
                    k
                };
                let Some(sys) = systems.get(k) else { break };
                let r = examine(sys, ask, timeout);
                out.lock().unwrap()[k] = Some(r);
            });
        }
    });
    out.into_inner()
        .unwrap()
        .into_iter()
        .map(|r| r.unwrap())
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
        println!("== {} ({:.1} s)", r.chip, r.seconds);
        for (bus, acting, any) in &r.cancel {
            println!(
                "  (a) cancels on {bus}: acting {}; with queries {}",
                short(acting),
                short(any)
            );
        }
        println!("  (b) extra row: {}", short(&r.extra));
        println!("  (c) determinism: {}", short(&r.determinism));
    }
}
