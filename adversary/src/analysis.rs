//! The questions the adversary asks of every chip, each one SMT query with a timeout: (a) a
//! self-cancelling row, (b) an extra row, (c) determinism, and (d) the timestamp bound of every
//! memory send.

use std::collections::HashSet;

use mipstark_air::bus::{LsOp, BYTE, DISPATCH, MEMORY, MEM_INSTR, SYSCALL};
use mipstark_air::memory::access::TS_BOUND;
use mipstark_air::recursion::RMEM;
use p3_air::symbolic::{BaseEntry, BaseLeaf};
use p3_field::PrimeField32;

use crate::cases::Case;
use crate::collect::{ChipSystem, Expr, Side, TOKEN_BUSES};
use crate::smt::Smt;

/// What z3 said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome<T> {
    /// A row (or pair of rows) exists; `T` says what it does.
    Found(T),
    /// No such row: the query is unsatisfiable.
    None,
    /// The solver gave up within its timeout.
    Unknown,
}

/// Runs SMT-LIB text and returns z3's printed answer (`sat` then the `get-value` list).
pub type Solve<'a> = &'a (dyn Fn(&str) -> String + Sync);

fn run(
    smt: &Smt,
    label: &str,
    query: &str,
    names: &[String],
    solve: Solve,
) -> Outcome<Vec<String>> {
    let mut text = format!("; {} {label}\n", smt.sys.name);
    text.push_str(&smt.text);
    text.push_str(query);
    text.push_str("(check-sat)\n");
    if !names.is_empty() {
        text.push_str(&format!("(get-value ({}))\n", names.join(" ")));
    }
    if let Ok(dir) = std::env::var("ADVERSARY_DUMP") {
        let _ = std::fs::create_dir_all(&dir);
        let file = format!("{dir}/{}-{:016x}.smt2", smt.sys.name, fxhash(&text));
        let _ = std::fs::write(file, &text);
    }
    let out = solve(&text);
    let mut lines = out.lines();
    match lines.next().map(str::trim) {
        Some("unsat") => Outcome::None,
        Some("sat") => {
            let rest: String = lines.collect::<Vec<_>>().join(" ");
            Outcome::Found(parse_values(&rest, names))
        }
        _ => Outcome::Unknown,
    }
}

fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

/// The values of `names` from `((name value) …)`, in order (`true`/`false` or a numeral).
fn parse_values(s: &str, names: &[String]) -> Vec<String> {
    let toks: Vec<String> = s
        .replace(['(', ')'], " ")
        .split_whitespace()
        .map(String::from)
        .collect();
    names
        .iter()
        .map(|n| {
            toks.iter()
                .position(|t| t == n)
                .and_then(|k| toks.get(k + 1))
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

/// One interaction, for reports: `bus side #index`.
pub fn describe(sys: &ChipSystem, i: usize) -> String {
    let it = &sys.interactions[i];
    let side = match it.side {
        Side::Send => "send",
        Side::Receive => "receive",
        Side::Query => "query",
        Side::Answer => "answer",
    };
    format!("{} {side} #{i}", it.bus)
}

/// Whether an interaction is an effect a row must not have when it cancels on another bus:
/// every token-bus interaction, and every table answer. `with_queries` counts lookups too
/// (they only restrict the row; they act on nothing).
fn is_effect(side: Side, with_queries: bool) -> bool {
    with_queries || side != Side::Query
}

/// Whether a question (a) is about rows that answer no dispatch request, or about rows that
/// answer one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    /// Every dispatch answer of the row has multiplicity 0: a row nothing asks for. A found
    /// row is a finding.
    Unanchored,
    /// Some dispatch answer is live: the row is the one answering a CPU instruction's request
    /// (a table entry offered `is_real` times must be looked up that many times, and the CPU
    /// asks once per executed instruction, keyed by its unique `clk`). A found row is
    /// *anchored by dispatch*: not extra, and its effects are question (c)'s to pin.
    Dispatch,
}

/// Question (a): a row in `case` satisfying the chip's constraints, live on `bus`, whose
/// interactions on `bus` cancel as a multiset, and with a nonzero count on some effect on
/// another bus; `anchor` says whether it answers a dispatch request. Found: the live
/// interactions of the model.
pub fn self_cancel(
    sys: &ChipSystem,
    bus: &str,
    with_queries: bool,
    anchor: Anchor,
    case: &Case,
    solve: Solve,
) -> Outcome<Vec<usize>> {
    let mut smt = Smt::new(sys);
    let mut c = smt.copy("a");
    smt.added_row(&mut c);
    smt.fix(&c, case);
    let on: Vec<usize> = (0..sys.interactions.len())
        .filter(|&i| sys.interactions[i].bus == bus)
        .collect();
    let other: Vec<usize> = (0..sys.interactions.len())
        .filter(|&i| {
            let it = &sys.interactions[i];
            it.bus != bus && is_effect(it.side, with_queries)
        })
        .collect();
    let answers: Vec<usize> = (0..sys.interactions.len())
        .filter(|&i| {
            let it = &sys.interactions[i];
            it.bus == DISPATCH.name() && it.side == Side::Answer
        })
        .collect();
    let live = smt.any_live(&mut c, &on);
    let cancel = smt.cancels(&mut c, &on);
    let effect = smt.any_live(&mut c, &other);
    let answering = smt.any_live(&mut c, &answers);
    let names = smt.count_names(&mut c);
    let mut q = format!("(assert {live})\n(assert {cancel})\n(assert {effect})\n");
    match anchor {
        Anchor::Unanchored => q.push_str(&format!("(assert (not {answering}))\n")),
        Anchor::Dispatch => q.push_str(&format!("(assert {answering})\n")),
    }
    let label = format!(
        "cancel-{bus}{}{} [{}]",
        if with_queries { "-any" } else { "" },
        if anchor == Anchor::Dispatch {
            "-anchored"
        } else {
            ""
        },
        case.label
    );
    live_of(run(&smt, &label, &q, &names, solve))
}

fn live_of(o: Outcome<Vec<String>>) -> Outcome<Vec<usize>> {
    match o {
        Outcome::Found(v) => Outcome::Found(
            v.iter()
                .enumerate()
                .filter(|(_, x)| x.as_str() != "0")
                .map(|(i, _)| i)
                .collect(),
        ),
        Outcome::None => Outcome::None,
        Outcome::Unknown => Outcome::Unknown,
    }
}

/// Question (b): a live row whose token-bus interactions all cancel within the row, so that
/// it can be added to a trace with only prover-chosen multiplicities (byte and program tables,
/// dispatch answers) balancing what remains. Found: its live interactions.
///
/// A chip with no token bus needs no solver: every interaction it has is a query or an answer,
/// balanced by multiplicities (an answer offered zero times, a query answered by a row whose
/// constraints compute it). Its answer is `Found([])`.
pub fn extra_row(sys: &ChipSystem, case: &Case, solve: Solve) -> Outcome<Vec<usize>> {
    if !sys.interactions.iter().any(|i| i.is_token()) {
        return Outcome::Found(vec![]);
    }
    let mut smt = Smt::new(sys);
    let mut c = smt.copy("a");
    smt.added_row(&mut c);
    smt.fix(&c, case);
    let all: Vec<usize> = (0..sys.interactions.len()).collect();
    let live = smt.any_live(&mut c, &all);
    let mut q = format!("(assert {live})\n");
    for bus in TOKEN_BUSES {
        let on: Vec<usize> = all
            .iter()
            .copied()
            .filter(|&i| sys.interactions[i].bus == bus)
            .collect();
        let cancel = smt.cancels(&mut c, &on);
        q.push_str(&format!("(assert {cancel})\n"));
    }
    let names = smt.count_names(&mut c);
    live_of(run(
        &smt,
        &format!("extra [{}]", case.label),
        &q,
        &names,
        solve,
    ))
}

/// The tuple positions a dispatch answer computes (its outputs); the rest are the request.
fn dispatch_outputs(fields: &[Expr]) -> Vec<usize> {
    let tag = match &fields[0] {
        Expr::Leaf(BaseLeaf::Constant(t)) => t.as_canonical_u32(),
        _ => return (1..fields.len()).collect(),
    };
    match tag {
        // ALU and bit-field: `a`; mul64: `hi, lo`; divrem: `q, r`.
        0 | 3 => (2..6).collect(),
        1 | 2 => (2..10).collect(),
        // Loads and stores: `rt_after` (and the link words: [`link_outputs`]).
        t if t == MEM_INSTR.tag as u32 => (15..19).collect(),
        // Syscalls: whether the machine halts.
        t if t == SYSCALL.tag as u32 => vec![2],
        _ => (1..fields.len()).collect(),
    }
}

/// Tuple positions that are outputs for one operation only: `(positions, op position, op)`.
/// A load/store answer's link words are LL's outputs (it writes the link); for SC they are the
/// link the CPU read, for every other operation the zeros the CPU sends — inputs both.
fn link_outputs(fields: &[Expr]) -> Option<(Vec<usize>, usize, u32)> {
    match &fields[0] {
        Expr::Leaf(BaseLeaf::Constant(t)) if t.as_canonical_u32() == MEM_INSTR.tag as u32 => {
            Some(((19..27).collect(), 1, LsOp::Ll as u32))
        }
        _ => None,
    }
}

/// Question (c): two rows with the same preprocessed values, public values, running state
/// (the columns read on the next row), received tokens, looked-up tuples and requests
/// answered, but different sent tokens or answers. Found: the outputs that differ.
///
/// In a case with selector `s`, the first row is in the case and the second either is too or
/// has `s = 0` (two queries; their union is every pair whose first row is in the case, and the
/// cases cover every first row). In the padding case both rows are padding: a pair of a
/// padding row and a selected one is, swapped, the other query of the selected case.
pub fn determinism(sys: &ChipSystem, case: &Case, solve: Solve) -> Outcome<Vec<usize>> {
    let mut seconds = vec![case.clone()];
    if let Some(s) = case.selected() {
        seconds.push(Case {
            label: format!("{} / other", case.label),
            fixed: vec![(s, 0)],
        });
    }
    if case.fixed.is_empty() {
        seconds = vec![Case::whole()];
    }
    let mut out = Outcome::None;
    for second in &seconds {
        match determinism_pair(sys, case, second, solve) {
            Outcome::Found(v) => return Outcome::Found(v),
            Outcome::Unknown => out = Outcome::Unknown,
            Outcome::None => {}
        }
    }
    out
}

fn determinism_pair(
    sys: &ChipSystem,
    first: &Case,
    second: &Case,
    solve: Solve,
) -> Outcome<Vec<usize>> {
    let mut smt = Smt::new(sys);
    let mut a = smt.copy("a");
    let mut b = smt.copy("b");
    smt.row_holds(&mut a);
    smt.row_holds(&mut b);
    smt.fix(&a, first);
    smt.fix(&b, second);
    let mut q = String::new();
    for &col in &sys.state_columns {
        let entry = BaseEntry::Main { offset: 0 };
        let (x, y) = (smt.var(&a, entry, col), smt.var(&b, entry, col));
        q.push_str(&format!("(assert (= {x} {y}))\n"));
    }
    let mut diffs = Vec::new();
    let mut outputs = Vec::new();
    for (i, it) in sys.interactions.iter().enumerate() {
        let (na, nb) = (
            smt.residue(&mut a, &it.count),
            smt.residue(&mut b, &it.count),
        );
        let fa = smt.residues(&mut a, &it.fields);
        let fb = smt.residues(&mut b, &it.fields);
        let answer = it.side == Side::Answer && it.bus == DISPATCH.name();
        // A recursion chip's write: the cell's value is its output (the address is the key's).
        let written = it.side == Side::Answer && it.bus == RMEM.name();
        let outs: Vec<usize> = match it.side {
            Side::Send => (0..it.fields.len()).collect(),
            _ if answer => dispatch_outputs(&it.fields),
            _ if written => (1..it.fields.len()).collect(),
            _ => vec![],
        };
        let cond = link_outputs(&it.fields).filter(|_| answer);
        let cond_pos = cond.as_ref().map_or(vec![], |c| c.0.clone());
        let pick = |f: &[String], keep: bool| -> Vec<String> {
            (0..f.len())
                .filter(|k| outs.contains(k) == keep && !cond_pos.contains(k))
                .map(|k| f[k].clone())
                .collect()
        };
        let ins_eq = smt.eq_lists(&pick(&fa, false), &pick(&fb, false));
        let mut outs_eq = smt.eq_lists(&pick(&fa, true), &pick(&fb, true));
        if let Some((pos, op_at, op)) = &cond {
            let sel = |f: &[String]| -> Vec<String> { pos.iter().map(|&k| f[k].clone()).collect() };
            let link_eq = smt.eq_lists(&sel(&fa), &sel(&fb));
            let is_out = format!("(= {} {op})", fa[*op_at]);
            q.push_str(&format!(
                "(assert (=> (and (not (= {na} 0)) (not {is_out})) {link_eq}))\n"
            ));
            outs_eq = format!("(and {outs_eq} (=> {is_out} {link_eq}))");
        }
        if it.side == Side::Send {
            // The count is an output too.
            diffs.push(format!(
                "(or (not (= {na} {nb})) (and (not (= {na} 0)) (not {outs_eq})))"
            ));
            outputs.push(i);
        } else {
            q.push_str(&format!(
                "(assert (and (= {na} {nb}) (=> (not (= {na} 0)) {ins_eq})))\n"
            ));
            if !outs.is_empty() {
                diffs.push(format!("(and (not (= {na} 0)) (not {outs_eq}))"));
                outputs.push(i);
            }
        }
    }
    if diffs.is_empty() {
        return Outcome::None;
    }
    let mut names = Vec::new();
    for (k, d) in diffs.iter().enumerate() {
        let n = format!("diff{k}");
        q.push_str(&format!("(define-fun {n} () Bool {d})\n"));
        names.push(n);
    }
    q.push_str(&format!("(assert (or {}))\n", names.join(" ")));
    match run(
        &smt,
        &format!("determinism [{}]", second.label),
        &q,
        &names,
        solve,
    ) {
        Outcome::Found(v) => Outcome::Found(
            v.iter()
                .zip(&outputs)
                .filter(|(x, _)| x.as_str() == "true")
                .map(|(_, &i)| i)
                .collect(),
        ),
        Outcome::None => Outcome::None,
        Outcome::Unknown => Outcome::Unknown,
    }
}

/// Question (d), issue 14's root: a row whose constraints and byte queries hold, with a live
/// send on the memory bus whose timestamp is at or past [`TS_BOUND`]. Every access proves
/// `prev_ts < ts` from a difference below 2^29 + 2^16, which means it only while both
/// timestamps are below the bound; the bound must hold on each sending row by that row's own
/// constraints (the receive's `prev_ts` is some other row's send, or a boundary chip's 0).
/// One query per send, in `case`; found: the sends that can exceed the bound.
pub fn timestamp_bound(sys: &ChipSystem, case: &Case, solve: Solve) -> Outcome<Vec<usize>> {
    let sends: Vec<usize> = (0..sys.interactions.len())
        .filter(|&i| {
            let it = &sys.interactions[i];
            it.bus == MEMORY.name() && it.side == Side::Send
        })
        .collect();
    let mut found = Vec::new();
    let mut unknown = false;
    for i in sends {
        let it = &sys.interactions[i];
        let ts_expr = it.fields.last().expect("a memory tuple ends with ts");
        // First a slice of the row around the timestamp ([`clock_slice`]): a relaxation whose
        // *none* is already a proof, small enough for z3 on the big chips. Then the whole row,
        // whose *found* is the only one that counts.
        let mut verdict = Outcome::Unknown;
        for sliced in [true, false] {
            let mut smt = Smt::new(sys);
            let mut c = smt.copy("d");
            if sliced {
                let (cons, queries) = clock_slice(sys, ts_expr, &it.count);
                smt.some_row(&mut c, &cons, &queries);
            } else {
                smt.any_row(&mut c);
            }
            smt.fix(&c, case);
            let ts = smt.residue(&mut c, ts_expr);
            let n = smt.residue(&mut c, &it.count);
            let q = format!("(assert (not (= {n} 0)))\n(assert (>= {ts} {TS_BOUND}))\n");
            let label = format!(
                "ts-bound #{i}{} [{}]",
                if sliced { " sliced" } else { "" },
                case.label
            );
            verdict = run(&smt, &label, &q, &[], solve);
            if verdict == Outcome::None {
                break;
            }
        }
        match verdict {
            Outcome::Found(_) => found.push(i),
            Outcome::Unknown => unknown = true,
            Outcome::None => {}
        }
    }
    if !found.is_empty() {
        Outcome::Found(found)
    } else if unknown {
        Outcome::Unknown
    } else {
        Outcome::None
    }
}

/// The columns an expression reads.
fn columns_of(e: &Expr, out: &mut HashSet<(BaseEntry, usize)>) {
    match e {
        Expr::Leaf(BaseLeaf::Variable(v)) => {
            out.insert((v.entry, v.index));
        }
        Expr::Leaf(_) => {}
        Expr::Add { x, y, .. } | Expr::Sub { x, y, .. } | Expr::Mul { x, y, .. } => {
            columns_of(x, out);
            columns_of(y, out);
        }
        Expr::Neg { x, .. } => columns_of(x, out),
    }
}

fn columns(es: &[&Expr]) -> HashSet<(BaseEntry, usize)> {
    let mut s = HashSet::new();
    for e in es {
        columns_of(e, &mut s);
    }
    s
}

/// The part of a row that bounds a timestamp: the byte queries whose *fields* reach the
/// timestamp's columns through other such queries (the clock's limbs: `clk − 2^16·hi`, then
/// `8·hi`), and the constraints over the columns of the send's count and those queries' counts
/// alone (the selector algebra that ties a live send to live range checks). Any subset of the
/// row's facts is a relaxation, so this slice's *none* is a proof.
fn clock_slice(sys: &ChipSystem, ts: &Expr, count: &Expr) -> (Vec<usize>, Vec<usize>) {
    let mut reach = columns(&[ts]);
    let mut taken = vec![false; sys.interactions.len()];
    let mut counts = columns(&[count]);
    // Each byte query's field columns, once.
    let fields: Vec<Option<HashSet<_>>> = sys
        .interactions
        .iter()
        .map(|i| (i.bus == BYTE.name()).then(|| columns(&i.fields.iter().collect::<Vec<_>>())))
        .collect();
    loop {
        let mut grew = false;
        for (k, f) in fields.iter().enumerate() {
            let Some(f) = f.as_ref().filter(|f| !taken[k] && !f.is_disjoint(&reach)) else {
                continue;
            };
            taken[k] = true;
            reach.extend(f.iter().copied());
            counts.extend(columns(&[&sys.interactions[k].count]));
            grew = true;
        }
        if !grew {
            break;
        }
    }
    let cons = (0..sys.constraints.len())
        .filter(|&k| columns(&[&sys.constraints[k]]).is_subset(&counts))
        .collect();
    let queries = (0..taken.len()).filter(|&k| taken[k]).collect();
    (cons, queries)
}
