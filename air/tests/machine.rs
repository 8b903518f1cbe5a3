//! The whole machine on real guest runs: every constraint holds on every row of honest traces,
//! every bus balances across all chips and shards.

mod common;

use common::{byte_lookups_valid, rejected};
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

/// Review finding: a load's word offset `q` must be an integer (`4q` alone being a byte let a
/// prover shift the accessed word by a quarter modulo p and read a zero word instead).
#[test]
fn load_store_word_offset_is_an_integer() {
    use mipstark_air::bus::LsOp;
    use mipstark_air::byte::ByteLookups;
    use mipstark_air::debug::check_chip;
    use mipstark_air::load_store::{LoadStoreChip, LoadStoreCols, MemInstrEvent, NUM_COLS};
    use p3_field::{Field, PrimeCharacteristicRing};
    let addr = 0x1000_0011u32; // offset 1 in its word
    let ev = MemInstrEvent {
        op: LsOp::Lbu,
        clk: 80,
        base: addr,
        offset: 0,
        rt_before: 0,
        rt_after: 0x22,
        mem_prev: 0x4433_2211,
        mem_new: 0x4433_2211,
        prev_ts: 16,
        sc_ok: false,
        link_addr: 0,
        link_val: 0,
    };
    let honest = LoadStoreChip::generate_trace(&[ev], &mut ByteLookups::default());
    let ints = check_chip("load_store", &LoadStoreChip, &honest, None, &[]).unwrap();
    assert!(byte_lookups_valid(&ints));
    // Claim offset 2 instead of 1: addr0 = 2 + 4q forces q = (0x11 − 2)/4, not an integer.
    let mut bad = honest.clone();
    {
        let r: &mut LoadStoreCols<mipstark_air::F> =
            mipstark_air::cols_mut(&mut bad.values[..NUM_COLS]);
        r.k = [0, 0, 1, 0].map(mipstark_air::F::from_u8);
        r.q = mipstark_air::F::from_u8(0x11 - 2) * mipstark_air::F::from_u8(4).inverse();
        r.rt_after[0] = r.mem.prev[2];
    }
    let verdict = check_chip("load_store", &LoadStoreChip, &bad, None, &[]);
    assert!(rejected(verdict), "a fractional word offset passed");
}

/// Review finding: memory-chip addresses are bounded, so the sorted table cannot wrap modulo p
/// to hold a location twice, and cannot hold the COMMIT words' locations.
#[test]
fn memory_addresses_are_bounded() {
    use mipstark_air::byte::ByteLookups;
    use mipstark_air::debug::check_chip;
    use mipstark_air::memory::{final_state, MemoryChip, COMMIT_BASE};
    let ok = final_state(&[], [(5u32, 1u32, 8u64), (0x4000_0002, 3, 9)].into_iter());
    let t = MemoryChip::generate_trace(&ok, &mut ByteLookups::default());
    let ints = check_chip("memory", &MemoryChip, &t, None, &[]).unwrap();
    assert!(byte_lookups_valid(&ints));
    // `final_state` drops COMMIT locations; build the table by hand to include one.
    let mut bad = std::collections::BTreeMap::new();
    bad.insert(5u32, (1u32, 8u64, false));
    bad.insert(COMMIT_BASE, (0, 0, false));
    let t = MemoryChip::generate_trace(&bad, &mut ByteLookups::default());
    let verdict = check_chip("memory", &MemoryChip, &t, None, &[]);
    assert!(
        rejected(verdict),
        "an address at the COMMIT locations passed"
    );
}

/// Known zkVM bug class: an operand read from `$zero` not constrained to 0. Forge a
/// `beq $0, $0` (the unconditional `b`) into falling through by claiming `$0 = 1`: the CPU chip
/// must reject the row.
#[test]
fn zero_register_reads_are_zero() {
    use mipstark_air::cpu::{CpuCols, NUM_COLS};
    use mipstark_air::debug::DebugError;
    use mipstark_air::machine::MipsAir;
    use mipstark_emulator::insn::Op;
    use p3_field::PrimeCharacteristicRing;
    let (m, shards) = shards_of("fibonacci", Some(20), 1 << 12);
    let t = m.generate_traces(&shards).unwrap();
    let airs = m.airs(shards.len());
    let cpu_index = airs
        .iter()
        .position(|a| matches!(a, MipsAir::Cpu(_)))
        .unwrap();
    let row = shards[0]
        .steps
        .iter()
        .position(|s| {
            s.op == Op::Beq
                && m.program.decoded[((s.pc - m.program.text_base) / 4) as usize].rs == 0
                && m.program.decoded[((s.pc - m.program.text_base) / 4) as usize].rt == 0
        })
        .expect("the guest has an unconditional branch");
    let mut traces = t.traces.clone();
    {
        let r: &mut CpuCols<mipstark_air::F> = mipstark_air::cols_mut(
            &mut traces[cpu_index].values[row * NUM_COLS..(row + 1) * NUM_COLS],
        );
        type F = mipstark_air::F;
        // $0 "reads" 1, so the comparison says unequal and the branch falls through.
        r.read0.prev[0] = F::ONE;
        r.cmp_diff[0] = F::ONE;
        r.cmp_eq = F::ZERO;
        r.cmp_inv = F::ONE;
        r.taken = F::ZERO;
        r.new_npc = r.npc + F::from_u8(4);
    }
    match debug_check(&airs, &traces, &t.publics) {
        Err(DebugError::Constraint { chip, row: bad, .. }) => {
            assert_eq!(chip, format!("cpu#{cpu_index}"));
            assert_eq!(bad, row);
        }
        other => panic!("a forged $0 read was not caught at the row: {other:?}"),
    }
}

/// Known zkVM bug class: a MULT/MADD whose HI write is skipped. Keep HI's old value on a MULT
/// row: the `mul64` request no longer matches what the multiply chip proves.
#[test]
fn mult_must_write_hi() {
    use mipstark_air::cpu::{CpuCols, NUM_COLS};
    use mipstark_air::machine::MipsAir;
    use mipstark_emulator::insn::Op;
    let (m, shards) = shards_of("insn_muldiv", None, 1 << 14);
    let t = m.generate_traces(&shards).unwrap();
    let airs = m.airs(shards.len());
    let cpu_index = airs
        .iter()
        .position(|a| matches!(a, MipsAir::Cpu(_)))
        .unwrap();
    let row = shards[0]
        .steps
        .iter()
        .position(|s| s.op == Op::Mult && s.regs[2].prev_value != s.regs[2].value)
        .expect("a MULT that changes HI");
    let mut traces = t.traces.clone();
    {
        let r: &mut CpuCols<mipstark_air::F> = mipstark_air::cols_mut(
            &mut traces[cpu_index].values[row * NUM_COLS..(row + 1) * NUM_COLS],
        );
        r.slots[1].value = r.slots[1].prev;
    }
    assert!(
        debug_check(&airs, &traces, &t.publics).is_err(),
        "a MULT that skipped its HI write was accepted"
    );
}

/// Review finding: a syscall buffer's word offset must be an integer, or WRITE(13) could read
/// its public bytes from a shifted, zero-filled word and forge the public values.
#[test]
fn syscall_buffer_offset_is_an_integer() {
    use mipstark_air::debug::check_chip;
    use mipstark_air::machine::MipsAir;
    use mipstark_air::syscall::{SyscallCols, NUM_SYSCALL_COLS};
    use p3_field::{Field, PrimeCharacteristicRing, PrimeField32};
    type F = mipstark_air::F;
    let (m, shards) = shards_of("sha2-chain", Some(1), 1 << 14);
    let t = m.generate_traces(&shards).unwrap();
    let airs = m.airs(shards.len());
    let i = airs
        .iter()
        .position(|a| matches!(a, MipsAir::Syscall(_)))
        .unwrap();
    let rows = t.traces[i].values.len() / NUM_SYSCALL_COLS;
    let row = (0..rows)
        .find(|r| {
            let c: &SyscallCols<F> = mipstark_air::cols(
                &t.traces[i].values[r * NUM_SYSCALL_COLS..(r + 1) * NUM_SYSCALL_COLS],
            );
            c.is_pv == F::ONE
        })
        .expect("a WRITE to fd 13");
    let honest = check_chip("syscall", &airs[i], &t.traces[i], None, &t.publics[i]).unwrap();
    assert!(byte_lookups_valid(&honest));
    let mut bad = t.traces[i].clone();
    {
        let c: &mut SyscallCols<F> = mipstark_air::cols_mut(
            &mut bad.values[row * NUM_SYSCALL_COLS..(row + 1) * NUM_SYSCALL_COLS],
        );
        let off = (c.buf_off.as_canonical_u32() + 1) % 4;
        c.buf_off = F::from_u32(off);
        c.buf_q = (c.buf[0] - F::from_u32(off)) * F::from_u8(4).inverse();
    }
    let verdict = check_chip("syscall", &airs[i], &bad, None, &t.publics[i]);
    assert!(rejected(verdict), "a fractional buffer offset passed");
}

/// Known bug class: a 32-bit value whose limbs are not range-checked. An ADD whose low limb
/// keeps the carry (`a0 = b0 + c0`, no carry out, `a1` one smaller — the same integer, and the
/// same field element) satisfies the carry chain; only the byte range check catches it.
#[test]
fn limbs_must_be_bytes() {
    use mipstark_air::alu::add_sub::{AddSubChip, AddSubCols};
    use mipstark_air::alu::events::AluEvent;
    use mipstark_air::bus::AluOp;
    use mipstark_air::byte::ByteLookups;
    use mipstark_air::debug::check_chip;
    use p3_field::PrimeCharacteristicRing;
    let ev = AluEvent {
        op: AluOp::Add,
        a: 0x0000_0150,
        b: 0x0000_00f0,
        c: 0x0000_0060,
    };
    let mut t = AddSubChip::generate_trace(&[ev], &mut ByteLookups::default());
    fn chip(
        t: &p3_matrix::dense::RowMajorMatrix<mipstark_air::F>,
    ) -> Result<Vec<mipstark_air::debug::Interaction>, mipstark_air::debug::DebugError> {
        check_chip("add_sub", &AddSubChip, t, None, &[])
    }
    assert!(!rejected(chip(&t)), "the honest ADD");
    let w = mipstark_air::alu::add_sub::NUM_COLS;
    let r: &mut AddSubCols<mipstark_air::F> = mipstark_air::cols_mut(&mut t.values[..w]);
    r.a[0] += mipstark_air::F::from_u32(256);
    r.a[1] -= mipstark_air::F::ONE;
    r.carry[0] = mipstark_air::F::ZERO;
    let verdict = chip(&t);
    assert!(verdict.is_ok(), "the carry chain alone accepts the forgery");
    assert!(
        rejected(verdict),
        "a limb of 0x150 passes the byte range check"
    );
}

/// Known bug class: DIV's special cases. Division by zero and INT_MIN / −1 have one answer
/// (LO = dividend, HI = 0); a proof of any other (say the hardware's LO = −1, HI = dividend)
/// is rejected, as is an ordinary quotient claimed through the special rule.
#[test]
fn div_special_cases_have_one_answer() {
    use mipstark_air::alu::divrem::DivRemChip;
    use mipstark_air::alu::events::DivEvent;
    use mipstark_air::bus::DivOp;
    use mipstark_air::byte::ByteLookups;
    use mipstark_air::debug::check_chip;
    let check = |e: DivEvent| {
        let t = DivRemChip::generate_trace(&[e], &mut ByteLookups::default());
        rejected(check_chip("divrem", &DivRemChip, &t, None, &[]))
    };
    let ev = |op, b, c, q, r| DivEvent { op, b, c, q, r };
    let min = 0x8000_0000u32;
    assert!(!check(ev(DivOp::Divu, 7, 0, 7, 0)), "DIVU by zero");
    assert!(!check(ev(DivOp::Div, 7, 0, 7, 0)), "DIV by zero");
    assert!(
        !check(ev(DivOp::Div, min, u32::MAX, min, 0)),
        "INT_MIN / -1"
    );
    assert!(
        check(ev(DivOp::Divu, 7, 0, u32::MAX, 7)),
        "DIVU by zero, hardware answer"
    );
    assert!(
        check(ev(DivOp::Div, 7, 0, 0, 7)),
        "DIV by zero, remainder kept"
    );
    assert!(
        check(ev(DivOp::Div, min, u32::MAX, 0x7fff_ffff, 0)),
        "INT_MIN / -1 saturated"
    );
    assert!(
        check(ev(DivOp::Div, min, u32::MAX, min, 1)),
        "INT_MIN / -1 with a remainder"
    );
}
