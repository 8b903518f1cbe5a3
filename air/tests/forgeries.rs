//! Forged executions: executions that are false in one place, with every trace generated from
//! the false record (so all chips agree with the lie, as a cheating prover would make them),
//! must be rejected. Three kinds of lie:
//!
//! - **results**: one instruction writes a different value to its destination (an ALU result,
//!   a loaded value, HI/LO, a link, a syscall's result), and the machine runs on honestly from
//!   the forged state ([`Executor::inject_fault`]); the memory argument balances, every later
//!   instruction is right, so the rows that compute that one result must object;
//! - **reads**: a register or memory read returns something other than what was last written
//!   there; the memory argument must object;
//! - **timestamps**: an access claims a different previous timestamp; the memory argument's
//!   ordering must object.
//!
//! Tallies per instruction and per catching chip are printed with `--nocapture`.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use mipstark_air::machine::{debug_check, Machine};
use mipstark_emulator::record::flags;
use mipstark_emulator::{ExecConfig, ExecutionRecord, Executor, GuestInput};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const RUNS: &[(&str, Option<u32>, u64)] = &[
    ("insn_arith", None, 1 << 12),
    ("insn_bits", None, 1 << 12),
    ("insn_branch", None, 1 << 12),
    ("insn_llsc", None, 1 << 12),
    ("insn_muldiv", None, 1 << 12),
    ("insn_unaligned", None, 1 << 12),
    ("hello", None, 1 << 12),
    ("fibonacci", Some(10), 400),
    ("heap", Some(1), 1 << 15),
];

/// Where an access sits: (shard, step, slot); slot 4.. are a syscall's five registers.
type At = (usize, usize, usize);

/// The outcome of checking a forged execution.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    /// The named chip's constraint, or the named bus, rejects it.
    Caught(String),
    /// Our trace generator cannot even lay it out (not a soundness check: noted separately).
    Refused,
    /// Every constraint holds and every bus balances: a false execution is provable.
    Accepted,
    /// Accepted, and rightly: SYSHINTLEN's answer is untrusted input (the statement is "for
    /// some hint stream"), as in every zkVM's hint channel.
    HintAnswer,
}

fn check(m: &Machine, shards: &[ExecutionRecord]) -> Outcome {
    let traces = catch_unwind(AssertUnwindSafe(|| m.generate_traces(shards)));
    let Ok(Ok(t)) = traces else {
        return Outcome::Refused;
    };
    if t.statement.check_chain(m.program.entry).is_err() {
        return Outcome::Caught("statement".into());
    }
    match debug_check(&m.airs(shards.len()), &t.traces, &t.publics) {
        Ok(()) => Outcome::Accepted,
        Err(mipstark_air::debug::DebugError::Constraint { chip, .. }) => {
            Outcome::Caught(chip.split('#').next().unwrap_or_default().to_string())
        }
        Err(mipstark_air::debug::DebugError::Bus { bus, .. }) => {
            Outcome::Caught(format!("{bus} bus"))
        }
        Err(e) => Outcome::Caught(e.to_string()),
    }
}

/// Every register access in execution order: (where, register, is a write).
fn register_accesses(shards: &[ExecutionRecord]) -> Vec<(At, u8, bool)> {
    let mut out = Vec::new();
    for (s, rec) in shards.iter().enumerate() {
        let mut sys = rec.syscalls.iter().peekable();
        for (i, step) in rec.steps.iter().enumerate() {
            for (k, (reg, a)) in step.reg_accesses().enumerate() {
                out.push(((s, i, k), reg, a.value != a.prev_value));
            }
            if step.flags & flags::SYSCALL != 0 {
                let ev = sys.next().expect("a syscall step has its event");
                assert_eq!(ev.step as usize, i);
                const REGS: [u8; 5] = [2, 4, 5, 6, 7];
                for (k, a) in ev.regs.iter().enumerate() {
                    out.push(((s, i, 4 + k), REGS[k], a.value != a.prev_value));
                }
            }
        }
    }
    out
}

fn access_mut(
    shards: &mut [ExecutionRecord],
    (s, i, k): At,
) -> &mut mipstark_emulator::record::RegAccess {
    let rec = &mut shards[s];
    if k < 4 {
        &mut rec.steps[i].regs[k]
    } else {
        let ev = rec
            .syscalls
            .iter_mut()
            .find(|e| e.step as usize == i)
            .expect("a syscall step has its event");
        &mut ev.regs[k - 4]
    }
}

/// The run of `name` with a fault injected after global step `at` (see
/// [`Executor::inject_fault`]), in shards of `shard` steps after the fault.
fn faulted_run(
    name: &str,
    hint: Option<u32>,
    shard: u64,
    at: u64,
    mask: u32,
) -> Vec<ExecutionRecord> {
    let elf = mipstark_tests::guests::zkvm_elf(name);
    let program = std::sync::Arc::new(mipstark_emulator::Program::from_elf(&elf).unwrap());
    let input = match hint {
        Some(h) => GuestInput::default().with_u32_hint(h),
        None => GuestInput::default(),
    };
    // A forged state may loop forever: allow a little more than the honest run needs.
    let config = ExecConfig {
        max_cycles: 4 * (at + 1) + 100_000,
        ..ExecConfig::default()
    };
    let mut ex = Executor::new(program, input, config);
    let mut shards = Vec::new();
    // Whole shards before the faulted one, then the faulted shard up to the fault.
    for _ in 0..at / shard {
        ex.run_recording(shard).unwrap();
        shards.push(ex.take_record());
    }
    let done = ex.run_recording(at % shard + 1).unwrap();
    ex.inject_fault(mask);
    if done.is_none() {
        // The rest of the faulted shard, then whole shards; a forged state may also fault.
        let _ = ex.run_recording(shard - at % shard - 1).map(|done| {
            shards.push(ex.take_record());
            if done.is_none() {
                if let Ok((rest, _)) = ex.record_shards(shard) {
                    shards.extend(rest);
                }
            }
        });
    } else {
        shards.push(ex.take_record());
    }
    shards
}

#[derive(Default)]
struct Tally {
    tried: usize,
    outcomes: BTreeMap<Outcome, usize>,
}

/// Every (instruction, lie) once over all runs: the sample CI runs.
#[test]
fn forged_executions_are_rejected() {
    campaign(1, true);
}

/// `per_op` forgeries of every (instruction, lie) in every run, and more timestamps (minutes).
#[test]
#[ignore = "exhaustive: run with --ignored"]
fn forged_executions_are_rejected_exhaustive() {
    campaign(4, false);
}

/// Tries `per_op` forgeries per (instruction, lie) in each run (`once`: over all runs).
fn campaign(per_op: usize, once: bool) {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut by_lie: BTreeMap<String, Tally> = BTreeMap::new();
    let mut accepted = Vec::new();
    let mut seen: BTreeMap<(String, &str), usize> = BTreeMap::new();
    for &(name, hint, shard) in RUNS {
        if !once {
            seen.clear();
        }
        let (program, honest) = mipstark_tests::guests::record(name, hint, shard);
        let m = Machine::new(program).unwrap();
        assert_eq!(check(&m, &honest), Outcome::Accepted, "{name}: honest run");
        let all = register_accesses(&honest);
        // Pick up to PER_OP accesses per (instruction, lie).
        let mut picks: BTreeMap<(String, &str), Vec<usize>> = BTreeMap::new();
        for (idx, &((s, i, k), reg, write)) in all.iter().enumerate() {
            if reg == 0 {
                continue;
            }
            let op = match honest[s].syscalls.iter().find(|e| e.step as usize == i) {
                Some(e) => format!("Syscall {:#x}", e.number),
                None => format!("{:?}", honest[s].steps[i].op),
            };
            let lie = if write { "result" } else { "read" };
            let mut pick = |key: (String, &'static str)| {
                let n = seen.entry(key.clone()).or_default();
                if *n < per_op {
                    *n += 1;
                    picks.entry(key).or_default().push(idx);
                }
            };
            pick((op.clone(), lie));
            if k == 0 && honest[s].steps[i].flags & flags::HAS_MEM != 0 {
                pick((op, "memory"));
            }
        }
        for ((op, lie), idxs) in picks {
            for idx in idxs {
                let mut forged = honest.clone();
                let ((s, i, _), _, _) = all[idx];
                match lie {
                    "result" => {
                        let at = honest[..s]
                            .iter()
                            .map(|r| r.steps.len() as u64)
                            .sum::<u64>()
                            + i as u64;
                        forged = faulted_run(name, hint, shard, at, 1 << rng.gen_range(0..32));
                    }
                    "read" => {
                        let a = access_mut(&mut forged, all[idx].0);
                        let v = a.value ^ (1 << rng.gen_range(0..32));
                        a.prev_value = v;
                        a.value = v;
                    }
                    _ => {
                        // The memory word the instruction accessed had another value before.
                        let m = &mut forged[s].steps[i].mem;
                        let flip = 1 << rng.gen_range(0..32);
                        let was_read = m.value == m.prev_value;
                        m.prev_value ^= flip;
                        if was_read {
                            m.value ^= flip;
                        }
                    }
                }
                let mut out = check(&m, &forged);
                let hintlen = format!("Syscall {:#x}", mipstark_emulator::syscall::nr::SYSHINTLEN);
                if out == Outcome::Accepted && lie == "result" && op == hintlen {
                    out = Outcome::HintAnswer;
                }
                let t = by_lie.entry(format!("{lie:<6} {op}")).or_default();
                t.tried += 1;
                if out == Outcome::Accepted {
                    accepted.push(format!("{name}: {lie} of {op} at shard {s} step {i}"));
                }
                *t.outcomes.entry(out).or_default() += 1;
            }
        }
        // Timestamps: a few accesses claim a later previous timestamp.
        for _ in 0..2 * per_op {
            let idx = rng.gen_range(0..all.len());
            if all[idx].1 == 0 {
                continue;
            }
            // One later by a cycle, and one after the access itself (a read of the future:
            // the trace generator lays it out, with a difference the range check rejects).
            for (lie, later) in [("prev_ts (registers)", 1), ("prev_ts after ts", 1 << 30)] {
                let mut forged = honest.clone();
                access_mut(&mut forged, all[idx].0).prev_ts += later;
                let out = check(&m, &forged);
                let t = by_lie.entry(lie.into()).or_default();
                t.tried += 1;
                if !matches!(out, Outcome::Caught(_)) {
                    accepted.push(format!("{name}: {lie} of access {:?}: {out:?}", all[idx].0));
                }
                *t.outcomes.entry(out).or_default() += 1;
            }
        }
    }
    let mut catchers: BTreeMap<Outcome, usize> = BTreeMap::new();
    let mut tried = 0;
    for (lie, t) in &by_lie {
        let outs: Vec<String> = t
            .outcomes
            .iter()
            .map(|(o, n)| format!("{o:?}×{n}"))
            .collect();
        eprintln!("{lie:<28} {:>3}  {}", t.tried, outs.join(", "));
        tried += t.tried;
        for (o, n) in &t.outcomes {
            *catchers.entry(o.clone()).or_default() += n;
        }
    }
    eprintln!("{tried} forgeries: {catchers:?}");
    assert!(
        accepted.is_empty(),
        "forged executions accepted:\n{}",
        accepted.join("\n")
    );
    let refused = catchers.get(&Outcome::Refused).copied().unwrap_or(0);
    assert!(
        refused * 10 < tried,
        "trace generation refused {refused} of {tried} forgeries"
    );
}
