//! The whole machine on real guest runs: every constraint holds on every row of honest traces,
//! every bus balances across all chips and shards.

use mipstark_air::machine::{debug_check, Machine};
use mipstark_emulator::ExecutionRecord;

fn shards_of(name: &str, hint: Option<u32>, shard: u64) -> (Machine, Vec<ExecutionRecord>) {
    let (program, shards) = mipstark_tests::guests::record(name, hint, shard);
    (Machine::new(program).unwrap(), shards)
}

fn check(name: &str, hint: Option<u32>, shard: u64) {
    let (m, shards) = shards_of(name, hint, shard);
    let t = m.generate_traces(&shards).unwrap();
    t.statement.check_chain(m.program.entry).unwrap();
    if let Err(e) = debug_check(&m.airs(shards.len()), &t.traces, &t.publics) {
        panic!("{name}: {e}");
    }
}

#[test]
fn fibonacci_constraints_hold() {
    check("fibonacci", Some(20), 1 << 20);
}

#[test]
fn fibonacci_in_shards() {
    check("fibonacci", Some(20), 100);
}

#[test]
fn every_guest_constraints_hold() {
    for (name, hint) in mipstark_tests::guests::PROVABLE {
        check(name, *hint, 1 << 11);
    }
}

/// SC's outcome is decided by the link, not chosen by the prover: a failed SC whose link still
/// holds (or a successful one whose link is broken) violates the load/store chip.
#[test]
fn sc_outcome_is_forced_by_the_link() {
    use mipstark_air::bus::LsOp;
    use mipstark_air::byte::ByteLookups;
    use mipstark_air::debug::{check_chip, DebugError};
    use mipstark_air::load_store::{LoadStoreChip, MemInstrEvent};
    let addr = 0x1000_0010u32;
    let ev = |ok: bool, link_addr: u32| MemInstrEvent {
        op: LsOp::Sc,
        clk: 80,
        base: addr,
        offset: 0,
        rt_before: 0xdead_beef,
        rt_after: ok as u32,
        mem_prev: 7,
        mem_new: if ok { 0xdead_beef } else { 7 },
        prev_ts: 16,
        sc_ok: ok,
        link_addr,
        link_val: 7,
    };
    let check = |e: MemInstrEvent| {
        let t = LoadStoreChip::generate_trace(&[e], &mut ByteLookups::default());
        check_chip("load_store", &LoadStoreChip, &t, None, &[]).map(|_| ())
    };
    check(ev(true, addr + 1)).expect("an honest successful SC");
    check(ev(false, addr + 5)).expect("an honest failed SC");
    assert!(matches!(
        check(ev(false, addr + 1)),
        Err(DebugError::Constraint { .. })
    ));
    assert!(matches!(
        check(ev(true, addr + 5)),
        Err(DebugError::Constraint { .. })
    ));
}

