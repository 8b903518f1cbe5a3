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

/// Whether every `byte`-bus tuple a chip looks up is a row of the byte table.
fn byte_lookups_valid(ints: &[mipstark_air::debug::Interaction]) -> bool {
    use mipstark_air::bus::ByteOp;
    use p3_field::PrimeField32;
    ints.iter()
        .filter(|i| i.bus == "byte" && i.count != mipstark_air::F::new(0))
        .all(|i| {
            let f: Vec<u32> = i.fields.iter().map(|x| x.as_canonical_u32()).collect();
            let Some(op) = ByteOp::ALL.iter().find(|o| **o as u32 == f[0]) else {
                return false;
            };
            f[1] < 256 && f[2] < 256 && op.eval(f[1] as u8, f[2] as u8) as u32 == f[3]
        })
}

/// A chip's verdict on a forged trace: a failed constraint, or a byte lookup outside the table.
fn rejected(
    verdict: Result<Vec<mipstark_air::debug::Interaction>, mipstark_air::debug::DebugError>,
) -> bool {
    verdict
        .map(|ints| !byte_lookups_valid(&ints))
        .unwrap_or(true)
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
        r.slots[0].value[0] = F::ONE;
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
        r.slots[2].value = r.slots[2].prev;
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

/// Linux error returns are provable only where the emulator returns them: EBADF for a write to
/// fd 1 and ENOSYS for an implemented call (brk) violate the syscall chip.
#[test]
fn linux_errors_only_where_due() {
    use mipstark_air::byte::ByteLookups;
    use mipstark_air::debug::check_chip;
    use mipstark_air::syscall::{linux_err, PublicStream, SyscallChip, SyscallCols};
    use mipstark_air::{cols_mut, F};
    use mipstark_tests::asm::*;
    use p3_field::PrimeCharacteristicRing;
    // write(1, 0, 0); syscall 4054 (ioctl: ENOSYS); halt.
    let mut w = vec![addiu(4, 0, 1), addiu(5, 0, 0), addiu(6, 0, 0)];
    w.extend(li(2, 4004));
    w.push(SYSCALL);
    w.extend(li(2, 4054));
    w.push(SYSCALL);
    w.extend([addiu(4, 0, 0), addiu(2, 0, 0), SYSCALL]);
    let program = std::sync::Arc::new(
        mipstark_emulator::Program::from_elf(&mipstark_tests::elfgen::program_elf(&w)).unwrap(),
    );
    let mut ex = mipstark_emulator::Executor::new(
        program,
        mipstark_emulator::GuestInput::default(),
        mipstark_emulator::ExecConfig::default(),
    );
    let chip = SyscallChip::new(ex.program());
    let (mut shards, _) = ex.record_shards(1 << 10).unwrap();
    let verdict = |rec: &mipstark_emulator::ExecutionRecord, edit: &dyn Fn(&mut [F])| {
        let mut t = chip
            .generate_traces(
                rec,
                &rec.syscalls,
                &mut PublicStream::default(),
                &mut ByteLookups::default(),
            )
            .unwrap();
        let width = t.syscalls.width;
        for row in t.syscalls.values.chunks_exact_mut(width) {
            edit(row);
        }
        rejected(check_chip(
            "syscall",
            &chip,
            &t.syscalls,
            None,
            &[F::ZERO; 4],
        ))
    };
    assert!(!verdict(&shards[0], &|_| {}), "the honest run");
    let honest = shards[0].clone();
    // The successful write to fd 1 claimed as EBADF.
    let ev = &mut shards[0].syscalls[0];
    ev.regs[0].value = 9;
    ev.regs[4].value = 1;
    ev.mem_end = ev.mem_start;
    assert!(verdict(&shards[0], &|_| {}), "EBADF for fd 1");
    // The ENOSYS row re-labelled, with every witness recomputed: as another unimplemented
    // call it still holds; as brk (4045) it does not.
    let relabel = |n: u32| {
        move |row: &mut [F]| {
            let r: &mut SyscallCols<F> = cols_mut(row);
            if r.err.enosys == F::ONE {
                r.regs[0].prev = n.to_le_bytes().map(F::from_u8);
                linux_err::fill(&mut r.err, n, 0, F::ZERO, F::ZERO);
            }
        }
    };
    assert!(!verdict(&honest, &relabel(4055)), "ENOSYS for 4055");
    assert!(verdict(&honest, &relabel(4045)), "ENOSYS for brk");
}

/// A guest program's syscall records, and the syscall and sysmem chips' verdicts on traces
/// regenerated from edited records and then edited rows (the cheater's recomputed witnesses).
struct SyscallForgery {
    chip: mipstark_air::syscall::SyscallChip,
    rec: ExecutionRecord,
    publics: [mipstark_air::F; 4],
}

type EditEvent<'a> = &'a dyn Fn(&mut mipstark_emulator::record::SyscallEvent);
type EditRow<'a> = &'a dyn Fn(&mut mipstark_air::syscall::SyscallCols<mipstark_air::F>);
type EditMem<'a> = &'a dyn Fn(&mut mipstark_air::syscall::SysMemCols<mipstark_air::F>);

impl SyscallForgery {
    fn new(words: &[u32]) -> Self {
        use p3_field::PrimeCharacteristicRing;
        let program = std::sync::Arc::new(
            mipstark_emulator::Program::from_elf(&mipstark_tests::elfgen::program_elf(words))
                .unwrap(),
        );
        let chip = mipstark_air::syscall::SyscallChip::new(&program);
        let (mut shards, exit) = mipstark_emulator::Executor::new(
            program,
            mipstark_emulator::GuestInput::default(),
            mipstark_emulator::ExecConfig::default(),
        )
        .record_shards(1 << 12)
        .unwrap();
        SyscallForgery {
            chip,
            rec: shards.remove(0),
            publics: exit.exit_code.to_le_bytes().map(mipstark_air::F::from_u8),
        }
    }

    /// (syscall chip rejects, sysmem chip rejects).
    fn verdicts(&self, edit_ev: EditEvent, edit_sys: EditRow, edit_mem: EditMem) -> (bool, bool) {
        use mipstark_air::byte::ByteLookups;
        use mipstark_air::cols_mut;
        use mipstark_air::debug::check_chip;
        use mipstark_air::syscall::{PublicStream, SysMemChip};
        let mut rec = self.rec.clone();
        rec.syscalls.iter_mut().for_each(edit_ev);
        let mut t = self
            .chip
            .generate_traces(
                &rec,
                &rec.syscalls,
                &mut PublicStream::default(),
                &mut ByteLookups::default(),
            )
            .unwrap();
        let w = t.syscalls.width;
        for row in t.syscalls.values.chunks_exact_mut(w) {
            edit_sys(cols_mut(row));
        }
        let w = t.sysmem.width;
        for row in t.sysmem.values.chunks_exact_mut(w) {
            edit_mem(cols_mut(row));
        }
        let sys = check_chip("syscall", &self.chip, &t.syscalls, None, &self.publics);
        let mem = check_chip("sysmem", &SysMemChip, &t.sysmem, None, &[]);
        (rejected(sys), rejected(mem))
    }

    /// Whether the syscall chip rejects the rows edited by `edit_sys`.
    fn rejects(&self, edit_sys: EditRow) -> bool {
        self.verdicts(&|_| {}, edit_sys, &|_| {}).0
    }
}

/// brk's result is forced by its argument, the initial break and the mmap top: a break that
/// moves when it must not (or stays when it must move), a high-water mark that does not follow,
/// regrowth that skips the zeroing, and a zeroed word that is not zero are all rejected.
#[test]
fn brk_results_are_forced() {
    use mipstark_air::syscall::{SysMemCols, SyscallCols};
    use mipstark_air::F;
    use mipstark_emulator::record::SyscallEvent;
    use mipstark_emulator::syscall::nr;
    use p3_field::PrimeCharacteristicRing;
    let f = SyscallForgery::new(&mipstark_tests::asm::brk_program());
    let rec = &f.rec;
    let verdicts = |e: EditEvent, s: EditRow, m: EditMem| f.verdicts(e, s, m);
    let brk_calls: Vec<usize> = (0..rec.syscalls.len())
        .filter(|&i| rec.syscalls[i].number == nr::LINUX_BRK)
        .collect();
    assert_eq!(brk_calls.len(), 5);
    let none = |_: &mut SyscallEvent| {};
    assert_eq!(verdicts(&none, &|_| {}, &|_| {}), (false, false), "honest");
    // Claim call `k` set the break (and the result) to `v`, with the mark following.
    let moved = |k: usize, v: u32| {
        let at = brk_calls[k];
        move |ev: &mut SyscallEvent| {
            if ev.step == rec.syscalls[at].step {
                ev.regs[0].value = v;
                let [Some((_, b)), Some((_, h)), _] = &mut ev.state else {
                    unreachable!()
                };
                b.value = v;
                h.value = h.prev_value.max(v);
            }
        }
    };
    // The cheater's best `ok`: the one that explains the claimed break.
    let cheat_ok = |r: &mut SyscallCols<F>| {
        if r.lbrk == F::ONE {
            r.brk.ok = F::from_bool(r.st.value == r.regs[1].prev);
        }
    };
    let initial = rec.syscalls[brk_calls[0]].regs[0].value;
    for (what, k, v) in [
        ("brk(0) moved the break to 0", 0, 0),
        ("a request below the initial break moved it", 0, initial - 4),
        ("a growth did not move the break", 1, initial),
        ("a growth went elsewhere", 1, initial + 0x1000),
        (
            "a request beyond the mmap area moved the break",
            4,
            0xffff_f000,
        ),
    ] {
        assert!(verdicts(&moved(k, v), &cheat_ok, &|_| {}).0, "{what}");
    }
    // The growth claims the mark stayed.
    let at = rec.syscalls[brk_calls[1]].step;
    let stale_mark = move |ev: &mut SyscallEvent| {
        if ev.step == at {
            let Some((_, h)) = &mut ev.state[1] else {
                unreachable!()
            };
            h.value = h.prev_value;
        }
    };
    assert!(verdicts(&stale_mark, &|_| {}, &|_| {}).0, "the mark stayed");
    // The regrowth claims nothing to zero.
    let skip_zeroing = |r: &mut SyscallCols<F>| {
        if r.lbrk == F::ONE && r.len != [F::ZERO; 4] {
            r.len = [F::ZERO; 4];
            r.end = r.buf;
            r.carry = [F::ZERO; 4];
            r.end_off = r.buf_off;
            r.end_q = r.buf_q;
        }
    };
    assert!(
        verdicts(&none, &skip_zeroing, &|_| {}).0,
        "regrowth not zeroed"
    );
    // A zeroed word keeps a nonzero byte.
    let keep = |m: &mut SysMemCols<F>| {
        if m.zero == F::ONE {
            m.mem.value = m.mem.prev;
        }
    };
    assert!(
        verdicts(&none, &|_| {}, &keep).1,
        "a zeroed word is not zero"
    );
}

/// An anonymous map is exactly the page-rounded length below the mmap top, never below the
/// break's mark, and only for MAP_ANONYMOUS without MAP_FIXED; munmap succeeds only on an
/// aligned, nonempty, non-wrapping range and returns 0. Every other claim is rejected, with the
/// cheater's best witnesses recomputed for it.
#[test]
fn mmap_results_are_forced() {
    use mipstark_air::alu::word_bytes;
    use mipstark_air::byte::ByteLookups;
    use mipstark_air::syscall::{mmap, SyscallCols};
    use mipstark_air::F;
    use p3_field::PrimeCharacteristicRing;
    use p3_field::PrimeField32;
    let f = SyscallForgery::new(&mipstark_tests::asm::mmap_program());
    assert!(!f.rejects(&|_| {}), "honest");
    let word = |w: &[F; 4]| {
        w.iter()
            .rev()
            .fold(0u32, |acc, b| (acc << 8) | b.as_canonical_u32())
    };
    // The first map (mmap, 5000 bytes) claims another start, or another mark; the witnesses
    // are recomputed from the claim.
    let remap = |start_delta: i64, flags: Option<u32>, hwm: Option<u32>| {
        move |r: &mut SyscallCols<F>| {
            if r.lmmap != F::ONE || r.mmap.is2 != F::ZERO {
                return;
            }
            let top = word(&r.st.prev);
            let start = (word(&r.st.value) as i64 + start_delta) as u32;
            r.st.value = word_bytes(start);
            r.regs[0].value = word_bytes(start);
            if let Some(fl) = flags {
                r.regs[4].prev = word_bytes(fl);
            }
            if let Some(h) = hwm {
                r.st1.prev = word_bytes(h);
                r.st1.value = word_bytes(h);
            }
            let (len, fl) = (word(&r.regs[2].prev), word(&r.regs[4].prev));
            let hwm = word(&r.st1.prev);
            let mut bytes = ByteLookups::default();
            mmap::fill_mmap(&mut r.mmap, 4090, len, fl, (top, start), hwm, &mut bytes);
        }
    };
    assert!(
        !f.rejects(&remap(0, None, None)),
        "recomputing changes nothing"
    );
    for (what, edit) in [
        ("a map one page short", remap(4096, None, None)),
        ("a map one page too long", remap(-4096, None, None)),
        ("a map off the page grid", remap(-4, None, None)),
        ("MAP_FIXED", remap(0, Some(0x812), None)),
        ("no MAP_ANONYMOUS", remap(0, Some(0x002), None)),
        (
            "a map below the break's mark",
            remap(0, None, Some(0x6fff_f000)),
        ),
    ] {
        assert!(f.rejects(&edit), "{what}");
    }
    // The number, the result and the mark, each changed alone on the first map's row.
    let first = |edit: fn(&mut SyscallCols<F>)| {
        move |r: &mut SyscallCols<F>| {
            if r.lmmap == F::ONE && r.mmap.is2 == F::ZERO && r.regs[0].prev[0] == F::from_u8(0xfa) {
                edit(r)
            }
        }
    };
    for (what, edit) in [
        ("mmap claimed as mmap2", first(|r| r.mmap.is2 = F::ONE)),
        (
            "a result other than the new top",
            first(|r| r.regs[0].value[1] += F::from_u8(16)),
        ),
        ("the mark moved", first(|r| r.st1.value[3] += F::ONE)),
        (
            "MAP_FIXED hidden in a low part of 18 (only the range lookup objects)",
            first(|r| {
                r.regs[4].prev[0] = F::from_u8(0x12);
                r.regs[4].value[0] = F::ZERO;
                r.mmap.f0_lo = F::from_u8(18);
                r.mmap.f0_hi = F::ZERO;
            }),
        ),
    ] {
        assert!(f.rejects(&edit), "{what}");
    }
    // munmap: misaligned, empty, wrapping, or a nonzero result.
    let unmap = |addr: Option<u32>, len: Option<u32>, result: u32| {
        move |r: &mut SyscallCols<F>| {
            if r.lmunmap != F::ONE {
                return;
            }
            if let Some(a) = addr {
                r.regs[1].prev = word_bytes(a);
                r.regs[1].value = word_bytes(a);
            }
            if let Some(l) = len {
                r.regs[2].prev = word_bytes(l);
                r.regs[2].value = word_bytes(l);
            }
            r.regs[0].value = word_bytes(result);
            let (a, l) = (word(&r.regs[1].prev), word(&r.regs[2].prev));
            mmap::fill_munmap(&mut r.munmap, a, l, &mut ByteLookups::default());
        }
    };
    assert!(
        !f.rejects(&unmap(None, None, 0)),
        "recomputing changes nothing"
    );
    assert!(
        !f.rejects(&unmap(Some(0xffff_f000), Some(0x1000), 0)),
        "a range ending exactly at 2^32"
    );
    for (what, edit) in [
        ("a misaligned address", unmap(Some(0x6fff_f010), None, 0)),
        ("an empty range", unmap(None, Some(0), 0)),
        (
            "a wrapping range",
            unmap(Some(0xffff_f000), Some(0x2000), 0),
        ),
        ("a nonzero result", unmap(None, None, 22)),
    ] {
        assert!(f.rejects(&edit), "{what}");
    }
}
