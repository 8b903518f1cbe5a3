//! Every way a program or its ELF can be wrong is a typed error naming the problem: one test
//! per error kind, and none of them panics.

use mipstark_emulator::{execute, ElfError, Error, ExecConfig, ExecErrorKind, GuestInput, Program};
use mipstark_tests::asm::*;
use mipstark_tests::elfgen::{
    words_to_bytes, write_elf, write_elf_raw, GenSegment, MIPS32R2_O32_FLAGS,
};

const TEXT: u32 = 0x0040_0000;
const DATA: u32 = 0x1000_0000;

fn text(words: &[u32]) -> GenSegment {
    GenSegment {
        vaddr: TEXT,
        data: words_to_bytes(words),
        bss: 0,
        executable: true,
        writable: false,
    }
}

fn data() -> GenSegment {
    GenSegment {
        vaddr: DATA,
        data: vec![0xab; 64],
        bss: 4096,
        executable: false,
        writable: true,
    }
}

fn elf(words: &[u32]) -> Vec<u8> {
    write_elf(TEXT, &[text(words), data()])
}

/// `li $v0, n; syscall`.
fn sys(n: u32) -> Vec<u32> {
    let mut v = li(2, n).to_vec();
    v.push(SYSCALL);
    v
}

fn halt() -> Vec<u32> {
    let mut v = vec![addiu(4, 0, 0)];
    v.extend(sys(0));
    v
}

fn run_words(
    words: &[u32],
    input: GuestInput,
    config: ExecConfig,
) -> Result<mipstark_emulator::Execution, Error> {
    execute(&elf(words), input, config)
}

fn exec_err(words: &[u32]) -> (ExecErrorKind, u32) {
    exec_err_with(words, GuestInput::default(), ExecConfig::default())
}

fn exec_err_with(words: &[u32], input: GuestInput, config: ExecConfig) -> (ExecErrorKind, u32) {
    match run_words(words, input, config) {
        Err(Error::Exec(e)) => {
            // The message names the pc and instruction in the fixed format users see.
            let msg = e.to_string();
            assert!(msg.contains(&format!("at pc {:#010x}", e.pc)), "{msg}");
            (e.kind, e.pc)
        }
        other => panic!("expected an execution error, got {other:?}"),
    }
}

fn pc(i: u32) -> u32 {
    TEXT + 4 * i
}

#[test]
fn illegal_fpu_and_privileged_instructions() {
    assert_eq!(
        exec_err(&[NOP, 0xffff_ffff]),
        (ExecErrorKind::Illegal, pc(1))
    );
    // add.s $f0, $f1, $f2
    assert_eq!(exec_err(&[0x4602_0840]), (ExecErrorKind::Fpu, pc(0)));
    // lwc1 $f0, 0($gp)
    assert_eq!(exec_err(&[0xc780_0000]), (ExecErrorKind::Fpu, pc(0)));
    // mfc0 $t0, $12 (COP0)
    assert_eq!(
        exec_err(&[0x4008_6000]),
        (ExecErrorKind::Unsupported, pc(0))
    );
    // rdhwr $3, $2 (cycle counter: host-dependent, so refused)
    assert_eq!(
        exec_err(&[0x7c03_103b]),
        (ExecErrorKind::Unsupported, pc(0))
    );
    let e = run_words(&[0x4602_0840], GuestInput::default(), ExecConfig::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "unsupported instruction (FPU; build the guest with -msoft-float) at pc 0x00400000 (instruction 0x46020840)"
    );
}

#[test]
fn fetch_errors() {
    // jr $zero → fetch from 0.
    assert_eq!(
        exec_err(&[jr(0), NOP]),
        (ExecErrorKind::UnmappedFetch(0), 0)
    );
    // Falling off the end of the text.
    assert_eq!(
        exec_err(&[NOP]),
        (ExecErrorKind::UnmappedFetch(pc(1)), pc(1))
    );
    // jr to an odd address.
    let mut w = li(8, TEXT + 2).to_vec();
    w.extend([jr(8), NOP]);
    assert_eq!(
        exec_err(&w),
        (ExecErrorKind::MisalignedFetch(TEXT + 2), TEXT + 2)
    );
}

#[test]
fn misaligned_data_access() {
    let mut w = li(8, DATA + 1).to_vec();
    w.push(itype(0x23, 8, 9, 0)); // lw $t1, 0($t0)
    assert_eq!(
        exec_err(&w),
        (
            ExecErrorKind::MisalignedAccess {
                addr: DATA + 1,
                size: 4
            },
            pc(2)
        )
    );
    let mut w = li(8, DATA + 3).to_vec();
    w.push(itype(0x29, 8, 9, 0)); // sh
    assert_eq!(
        exec_err(&w).0,
        ExecErrorKind::MisalignedAccess {
            addr: DATA + 3,
            size: 2
        }
    );
    let mut w = li(8, DATA + 2).to_vec();
    w.push(itype(0x38, 8, 9, 0)); // sc
    assert_eq!(
        exec_err(&w).0,
        ExecErrorKind::MisalignedAccess {
            addr: DATA + 2,
            size: 4
        }
    );
}

#[test]
fn branch_in_delay_slot() {
    // beq $0,$0,+1 ; (delay slot) j 0
    assert_eq!(
        exec_err(&[itype(4, 0, 0, 1), jtype(2, TEXT), NOP]),
        (ExecErrorKind::BranchInDelaySlot, pc(1))
    );
}

#[test]
fn overflow_trap_and_break() {
    let mut w = li(8, 0x7fff_ffff).to_vec();
    w.push(itype(0x08, 8, 9, 1)); // addi $t1, $t0, 1
    assert_eq!(exec_err(&w), (ExecErrorKind::IntegerOverflow, pc(2)));
    let mut w = li(8, 0x8000_0000).to_vec();
    w.extend(li(9, 1));
    w.push(special(0x22, 8, 9, 10, 0)); // sub
    assert_eq!(exec_err(&w).0, ExecErrorKind::IntegerOverflow);
    // teq $0, $0, 7 (gcc's divide-by-zero check)
    assert_eq!(
        exec_err(&[special(0x34, 0, 0, 0, 7)]),
        (ExecErrorKind::Trap(7), pc(0))
    );
    // tnei $0, 0 does not fire; then break 7
    assert_eq!(
        exec_err(&[regimm(0x0e, 0, 0), 0x0007_000d]),
        (ExecErrorKind::Break(7), pc(1))
    );
}

#[test]
fn cycle_limit() {
    // b . ; nop
    let config = ExecConfig {
        max_cycles: 1000,
        ..Default::default()
    };
    let (kind, _) = exec_err_with(
        &[itype(4, 0, 0, 0xffff), NOP],
        GuestInput::default(),
        config,
    );
    assert_eq!(kind, ExecErrorKind::CycleLimit(1000));
}

#[test]
fn hint_errors() {
    // SYSHINTLEN with an empty stream.
    assert_eq!(exec_err(&sys(0xf0)).0, ExecErrorKind::HintExhausted);
    // SYSHINTREAD(ptr, 8) of a 4-byte buffer.
    let mut w = li(4, DATA).to_vec();
    w.extend(li(5, 8));
    w.extend(sys(0xf1));
    let input = GuestInput::default().with_u32_hint(1);
    let (kind, _) = exec_err_with(&w, input, ExecConfig::default());
    assert_eq!(
        kind,
        ExecErrorKind::HintLengthMismatch {
            requested: 8,
            available: 4
        }
    );
    // Reading past the end: one buffer, two reads.
    let mut w = li(4, DATA).to_vec();
    w.extend(li(5, 4));
    w.extend(sys(0xf1));
    w.extend(li(5, 4));
    w.extend(sys(0xf1));
    let (kind, _) = exec_err_with(
        &w,
        GuestInput::default().with_u32_hint(1),
        ExecConfig::default(),
    );
    assert_eq!(kind, ExecErrorKind::HintExhausted);
}

#[test]
fn syscall_errors() {
    let mut w = li(4, 8).to_vec();
    w.extend(sys(0x10)); // COMMIT word 8
    assert_eq!(exec_err(&w).0, ExecErrorKind::CommitIndexOutOfRange(8));
    assert_eq!(
        exec_err(&sys(0x3001_0005)).0,
        ExecErrorKind::UnsupportedSyscall(0x3001_0005)
    );
    // WRITE(1, 0xfffffff0, 0x20) wraps around the address space.
    let mut w = li(4, 1).to_vec();
    w.extend(li(5, 0xffff_fff0));
    w.extend(li(6, 0x20));
    w.extend(sys(2));
    assert_eq!(
        exec_err(&w).0,
        ExecErrorKind::BufferWraps {
            addr: 0xffff_fff0,
            len: 0x20
        }
    );
    // Output beyond the configured bound: write 4 KiB to stdout in a loop.
    let mut w = li(4, 1).to_vec();
    w.extend(li(5, DATA));
    w.extend(li(6, 4096));
    w.extend(sys(2));
    w.extend([itype(4, 0, 0, (-6i16) as u16), NOP]);
    let config = ExecConfig {
        max_output: 100_000,
        ..Default::default()
    };
    let (kind, _) = exec_err_with(&w, GuestInput::default(), config);
    assert_eq!(kind, ExecErrorKind::OutputLimit(100_000));
}

/// Runs `words` to the halt: the final GPRs, and the program's initial break.
fn run_to_halt(words: &[u32]) -> (Vec<u32>, u32) {
    let program = std::sync::Arc::new(Program::from_elf(&elf(words)).unwrap());
    let initial_brk = program.initial_brk;
    let mut ex =
        mipstark_emulator::Executor::new(program, GuestInput::default(), ExecConfig::default());
    ex.run().unwrap();
    (ex.gprs().to_vec(), initial_brk)
}

/// The Linux subset behaves as documented (deterministic addresses and errno values).
#[test]
fn linux_subset() {
    // brk(0) → initial break; brk(+1 MiB) → moved; mmap anonymous 8 KiB; unknown → ENOSYS;
    // set_thread_area(x) then rdhwr $3, $29; exit_group(v0 of ENOSYS).
    let mut w = Vec::new();
    w.extend([addiu(4, 0, 0)]);
    w.extend(sys(4045));
    w.push(special(0x21, 2, 0, 16, 0)); // move $s0, $v0
    w.extend(li(4, 0));
    w.push(special(0x21, 16, 0, 4, 0));
    w.push(lui(8, 0x10)); // $t0 = 1 MiB
    w.push(special(0x21, 4, 8, 4, 0)); // a0 = brk + 1 MiB
    w.extend(sys(4045));
    w.push(special(0x21, 2, 0, 17, 0)); // $s1 = new brk
    w.extend([
        addiu(4, 0, 0),
        ori(5, 0, 0x2000),
        addiu(6, 0, 3),
        ori(7, 0, 0x802),
    ]);
    w.extend(sys(4090));
    w.push(special(0x21, 2, 0, 18, 0)); // $s2 = mmap result
    w.extend(sys(4999));
    w.push(special(0x21, 2, 0, 19, 0)); // $s3 = ENOSYS
    w.push(special(0x21, 7, 0, 20, 0)); // $s4 = a3 error flag
    w.extend(li(4, 0x1234_5678));
    w.extend(sys(4283));
    w.push(0x7c03_e83b); // rdhwr $3, $29
    w.extend([special(0x21, 3, 0, 21, 0)]);
    w.extend(halt());
    let (r, initial_brk) = run_to_halt(&w);
    assert_eq!(r[16], initial_brk);
    assert_eq!(r[17], initial_brk + 0x10_0000);
    assert_eq!(r[18], mipstark_emulator::executor::MMAP_TOP - 0x2000);
    assert_eq!((r[19], r[20]), (89, 1));
    assert_eq!(r[21], 0x1234_5678);
}

#[test]
fn linux_read_from_stdin_and_bad_fd() {
    // read(0, DATA, 100) → 5 bytes; read(3, ...) → EBADF; exit_group(n).
    let mut w = vec![addiu(4, 0, 0)];
    w.extend(li(5, DATA));
    w.push(addiu(6, 0, 100));
    w.extend(sys(4003));
    w.push(special(0x21, 2, 0, 16, 0));
    w.push(addiu(4, 0, 3));
    w.extend(sys(4003));
    w.push(special(0x21, 2, 0, 17, 0));
    w.push(special(0x21, 16, 0, 4, 0));
    w.extend(sys(4246));
    let input = GuestInput {
        stdin: b"hello".to_vec(),
        hints: vec![],
    };
    let program = std::sync::Arc::new(Program::from_elf(&elf(&w)).unwrap());
    let mut ex = mipstark_emulator::Executor::new(program, input, ExecConfig::default());
    let exit = ex.run().unwrap();
    assert_eq!(exit.exit_code, 5);
    assert_eq!(ex.gprs()[17], 9);
    assert_eq!(ex.memory().read_bytes(DATA, 6), b"hello\xab");
}

// ---- ELF loader -------------------------------------------------------------------------

fn good_elf() -> Vec<u8> {
    elf(&halt())
}

fn load(bytes: &[u8]) -> Result<Program, ElfError> {
    Program::from_elf(bytes)
}

#[test]
fn elf_good_loads() {
    let p = load(&good_elf()).unwrap();
    assert_eq!(p.entry, TEXT);
    assert_eq!(p.initial_brk, DATA + 0x2000);
}

#[test]
fn elf_rejections_name_the_problem() {
    assert!(matches!(
        load(b"not an elf at all"),
        Err(ElfError::Malformed(_))
    ));
    assert!(matches!(load(&[]), Err(ElfError::Malformed(_))));
    let mut b = good_elf();
    b[4] = 2;
    assert_eq!(load(&b).unwrap_err(), ElfError::Not32Bit);
    let mut b = good_elf();
    b[5] = 2;
    assert_eq!(load(&b).unwrap_err(), ElfError::BigEndian);
    let mut b = good_elf();
    b[18] = 3; // EM_386
    assert!(matches!(load(&b), Err(ElfError::NotMips(3, _))));
    let b = write_elf_raw(TEXT, &[text(&halt())], 0x6000_1000); // MIPS64
    assert_eq!(load(&b).unwrap_err(), ElfError::UnsupportedIsa(0x6000_1000));
    let b = write_elf_raw(TEXT, &[text(&halt())], MIPS32R2_O32_FLAGS | 0x0200_0000); // microMIPS
    assert!(matches!(load(&b), Err(ElfError::UnsupportedIsa(_))));
    let mut b = good_elf();
    b[16] = 3; // ET_DYN
    assert_eq!(load(&b).unwrap_err(), ElfError::NotExecutable(3));
    // Truncated: cut the file inside the data segment.
    let b = good_elf();
    assert!(matches!(
        load(&b[..b.len() - 10]),
        Err(ElfError::Truncated { index: 1, .. })
    ));
    // Overlapping segments.
    let b = write_elf(
        TEXT,
        &[
            text(&halt()),
            GenSegment {
                vaddr: TEXT + 4,
                data: vec![1; 8],
                bss: 0,
                executable: false,
                writable: true,
            },
        ],
    );
    assert_eq!(
        load(&b).unwrap_err(),
        ElfError::Overlap {
            first: 0,
            second: 1
        }
    );
    // No loadable segment.
    let b = write_elf(TEXT, &[]);
    assert_eq!(load(&b).unwrap_err(), ElfError::NoLoadableSegment);
    // Entry outside any executable segment, and misaligned.
    let b = write_elf(DATA, &[text(&halt()), data()]);
    assert_eq!(load(&b).unwrap_err(), ElfError::EntryNotExecutable(DATA));
    let b = write_elf(TEXT + 2, &[text(&halt())]);
    assert_eq!(load(&b).unwrap_err(), ElfError::EntryMisaligned(TEXT + 2));
    // A segment running past 4 GiB.
    let b = write_elf(
        TEXT,
        &[
            text(&halt()),
            GenSegment {
                vaddr: 0xffff_f000,
                data: vec![],
                bss: 0x2000,
                executable: false,
                writable: true,
            },
        ],
    );
    assert!(matches!(
        load(&b),
        Err(ElfError::OutOfAddressSpace { index: 1, .. })
    ));
    // filesz > memsz: patch the text segment's p_memsz (program header 0, offset 20).
    let mut b = good_elf();
    b[52 + 20..52 + 24].copy_from_slice(&4u32.to_le_bytes());
    assert!(matches!(
        load(&b),
        Err(ElfError::FileSizeExceedsMemSize { index: 0, .. })
    ));
    // A PT_INTERP header makes it dynamic: turn the data segment into PT_INTERP (type 3).
    let mut b = good_elf();
    b[52 + 32..52 + 36].copy_from_slice(&3u32.to_le_bytes());
    assert_eq!(load(&b).unwrap_err(), ElfError::Dynamic);
}

/// Arbitrary bytes never panic the loader, and arbitrary words never panic the executor.
mod fuzzish {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

        #[test]
        fn loader_never_panics(mut bytes in proptest::collection::vec(any::<u8>(), 0..600), patch in any::<bool>()) {
            if patch && bytes.len() >= 52 {
                // Make many inputs get past the identification check.
                bytes[..7].copy_from_slice(b"\x7fELF\x01\x01\x01");
            }
            let _ = load(&bytes);
        }

        #[test]
        fn executor_never_panics(words in proptest::collection::vec(any::<u32>(), 1..64)) {
            let config = ExecConfig { max_cycles: 10_000, ..Default::default() };
            let _ = run_words(&words, GuestInput::default(), config);
        }
    }
}

/// Huge `brk` and `mmap` requests end in errno values (or a no-op break), quickly, without
/// allocating what they ask for.
#[test]
fn huge_brk_and_mmap_are_clean() {
    let mut w = Vec::new();
    // brk(0xffff_f000): beyond the mmap area, so the break stays.
    w.extend(li(4, 0xffff_f000));
    w.extend(sys(4045));
    w.push(special(0x21, 2, 0, 16, 0)); // $s0 = brk result
                                        // mmap(0, 0xffff_f000, RW, ANON|PRIVATE): ENOMEM.
    w.extend([addiu(4, 0, 0)]);
    w.extend(li(5, 0xffff_f000));
    w.extend([addiu(6, 0, 3), ori(7, 0, 0x802)]);
    w.extend(sys(4090));
    w.push(special(0x21, 2, 0, 17, 0)); // $s1 = errno
    w.push(special(0x21, 7, 0, 18, 0)); // $s2 = error flag
                                        // mmap(0x8000_0000, 0x7fff_f000, RW, ANON|FIXED): 2 GiB zeroed by dropping pages.
    w.extend(li(4, 0x8000_0000));
    w.extend(li(5, 0x7fff_f000));
    w.extend([addiu(6, 0, 3), ori(7, 0, 0x812)]);
    w.extend(sys(4090));
    w.push(special(0x21, 2, 0, 19, 0)); // $s3 = address
                                        // mmap(0, 0, ...): EINVAL.
    w.extend([
        addiu(4, 0, 0),
        addiu(5, 0, 0),
        addiu(6, 0, 3),
        ori(7, 0, 0x802),
    ]);
    w.extend(sys(4090));
    w.push(special(0x21, 2, 0, 20, 0)); // $s4 = errno
    w.extend(halt());
    let (r, initial_brk) = run_to_halt(&w);
    assert_eq!(r[16], initial_brk);
    assert_eq!((r[17], r[18]), (12, 1));
    assert_eq!(r[19], 0x8000_0000);
    assert_eq!(r[20], 22);
}

/// A brk that regrows more earlier heap than one shard can zero: fine without recording, a
/// typed error (not gigabytes of records) when recording for a proof.
#[test]
fn huge_regrowth_is_refused_when_recording() {
    use mipstark_emulator::syscall::MAX_RECORDED_ZEROING;
    let grown = 2 * MAX_RECORDED_ZEROING;
    let mut w = Vec::new();
    w.extend([addiu(4, 0, 0)]);
    w.extend(sys(4045));
    w.push(special(0x21, 2, 0, 16, 0)); // $s0 = initial break
    for target in [grown, 0, grown] {
        w.extend(li(8, target));
        w.push(special(0x21, 16, 8, 4, 0)); // $a0 = s0 + target
        w.extend(sys(4045));
    }
    w.push(special(0x23, 2, 16, 17, 0)); // $s1 = break − s0
    w.extend(halt());
    let (r, _) = run_to_halt(&w);
    assert_eq!(r[17], grown, "the fast mode regrows");
    let program = std::sync::Arc::new(Program::from_elf(&elf(&w)).unwrap());
    let mut ex =
        mipstark_emulator::Executor::new(program, GuestInput::default(), ExecConfig::default());
    let err = ex.record_shards(1 << 20).map(|_| ()).unwrap_err();
    assert_eq!(err.kind, ExecErrorKind::RegrowthTooLarge(grown));
}

/// A MAP_FIXED map larger than one shard can zero: fine without recording, a typed error when
/// recording for a proof.
#[test]
fn huge_fixed_map_is_refused_when_recording() {
    use mipstark_emulator::syscall::MAX_RECORDED_ZEROING;
    let len = 2 * MAX_RECORDED_ZEROING;
    let mut w = Vec::new();
    w.extend(li(4, 0x4000_0000));
    w.extend(li(5, len));
    w.extend(li(7, 0x812)); // MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED
    w.extend(sys(4090));
    w.push(special(0x21, 2, 0, 17, 0)); // $s1 = the result
    w.extend(halt());
    let (r, _) = run_to_halt(&w);
    assert_eq!(r[17], 0x4000_0000, "the fast mode maps");
    let program = std::sync::Arc::new(Program::from_elf(&elf(&w)).unwrap());
    let mut ex =
        mipstark_emulator::Executor::new(program, GuestInput::default(), ExecConfig::default());
    let err = ex.record_shards(1 << 20).map(|_| ()).unwrap_err();
    assert_eq!(err.kind, ExecErrorKind::FixedMapTooLarge(len));
}
