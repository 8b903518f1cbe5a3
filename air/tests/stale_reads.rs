//! Issue 14's soundness break and its variants: a read made to return a stale version of its
//! location through self-cancelling sysmem rows that carry the overwriting version around the
//! field (`common::cycle`). Each forgery must be rejected by `debug_check`, naming the sysmem
//! chip's constraint that a real row holds a buffer byte, and by the verifier of a proof a
//! cheating prover makes from the forged traces. The honest control runs the same harness
//! without the lie and must be accepted, so a rejection is the lie's and not the harness's.

mod common;

use std::mem::offset_of;

use common::cycle::{Forge, CPU, LOAD_STORE, SYSCALL as SYSCALL_CHIP, SYSMEM};
use mipstark_air::bus::{ByteOp, REG_SPACE};
use mipstark_air::cpu::CpuCols;
use mipstark_air::debug::{all_interactions, DebugError};
use mipstark_air::load_store::LoadStoreCols;
use mipstark_air::machine::NUM_GLOBAL;
use mipstark_air::memory::COMMIT_BASE;
use mipstark_air::syscall::{SysMemCols, SyscallCols};
use mipstark_air::{F, F_ORDER};
use mipstark_emulator::syscall::nr;
use mipstark_tests::asm::{addiu, addu, lui, sw, SYSCALL};
use p3_air::BaseAir;
use p3_field::{Field, PrimeCharacteristicRing, PrimeField32};
use p3_matrix::dense::RowMajorMatrix;
use rand::{Rng, SeedableRng};

const A0: u32 = 4;
const V0: u32 = 2;

/// Exits with `$a0` = 2 after writing 1 then 2.
fn exit_program() -> Vec<u32> {
    vec![addiu(A0, 0, 1), addiu(A0, 0, 2), addiu(V0, 0, 0), SYSCALL]
}

/// COMMITs 7 then 9 to commit register 0, then halts.
fn commit_program() -> Vec<u32> {
    let c = nr::COMMIT as u16;
    vec![
        addiu(A0, 0, 0),
        addiu(5, 0, 7),
        addiu(V0, 0, c),
        SYSCALL, // clk 32
        addiu(5, 0, 9),
        addiu(V0, 0, c),
        SYSCALL, // clk 56
        addiu(V0, 0, 0),
        SYSCALL,
    ]
}

const DATA: u32 = 0x1000_0000;

/// Stores 'A' then 'B' at DATA, writes that byte to fd 13, halts.
fn public_program() -> Vec<u32> {
    vec![
        lui(8, (DATA >> 16) as u16),
        addiu(9, 0, 0x41),
        sw(9, 8, 0), // clk 24
        addiu(9, 0, 0x42),
        sw(9, 8, 0), // clk 40
        addiu(A0, 0, 13),
        addu(5, 8, 0),
        addiu(6, 0, 1),
        addiu(V0, 0, nr::WRITE as u16),
        SYSCALL, // clk 80
        addiu(V0, 0, 0),
        addiu(A0, 0, 0),
        SYSCALL,
    ]
}

/// The second `addiu` overwrites `$a0`; HALT reads the stale 1.
fn forged_exit() -> Forge {
    let mut f = Forge::run(&exit_program());
    assert_eq!(f.t.statement.exit_code, 2);
    let writer = f.cpu_write(16, A0);
    let reader = f.syscall_reg(32, A0);
    let (v, _) = f.stale_read(REG_SPACE + A0, writer, Some((reader, true)));
    assert_eq!(v, 1);
    f.set_final(REG_SPACE + A0, v, F::from_u32(33));
    f.t.statement.exit_code = 1;
    f.finish();
    f
}

/// The second COMMIT's word is overwritten by nothing: the first one's 7 is the final word.
fn forged_commit() -> Forge {
    let mut f = Forge::run(&commit_program());
    assert_eq!(f.t.statement.committed[0], 9);
    let writer = f.syscall_commit(56);
    let (v, ts) = f.stale_read(COMMIT_BASE, writer, None);
    assert_eq!(v, 7);
    f.set_commit_ts(0, ts);
    f.t.statement.committed[0] = v;
    f.finish();
    f
}

/// WRITE(13) publishes the stale 'A' instead of 'B'.
fn forged_public() -> Forge {
    let mut f = Forge::run(&public_program());
    assert_eq!(f.t.statement.public_values, b"B");
    let writer = f.load_store(40);
    let reader = f.sysmem_word(80);
    let (v, _) = f.stale_read(DATA >> 2, writer, Some((reader, true)));
    assert_eq!(v, 0x41);
    f.set_final(DATA >> 2, v, F::from_u32(80));
    f.t.statement.public_values = b"A".to_vec();
    f.finish();
    f
}

fn assert_rejected(f: Forge) {
    match f.debug() {
        Err(DebugError::Constraint { ref chip, .. }) if chip.starts_with("sysmem") => {
            eprintln!("{}", f.debug().unwrap_err());
        }
        other => panic!("debug_check must name the sysmem chip's constraint: {other:?}"),
    }
    let verdict = f.prove_and_verify();
    eprintln!("{verdict:?}");
    assert!(verdict.is_err(), "the verifier accepted a forged proof");
}

#[test]
fn honest_traces_pass_the_harness() {
    for words in [exit_program(), commit_program(), public_program()] {
        let mut f = Forge::run(&words);
        f.finish();
        f.debug().unwrap();
        f.prove_and_verify().unwrap();
    }
}

#[test]
fn forged_exit_code_is_rejected() {
    assert_rejected(forged_exit());
}

#[test]
fn forged_commit_word_is_rejected() {
    assert_rejected(forged_commit());
}

#[test]
fn forged_public_values_are_rejected() {
    assert_rejected(forged_public());
}

/// The clock bound is the AIR's, not only `Clock`'s arithmetic (its unit test pins that): on a
/// real row of every chip that makes a `Clock`, a clock past the bound leaves a byte lookup no
/// row of the table holds, whatever its high limb — the one that zeroes the low limb (caught
/// by the high limb's check), zero (by the low limb's) or any other `8·hi` below 2^16. A chip
/// that dropped or ungated either check of `Clock::new` fails here.
#[test]
fn a_clock_past_the_bound_fails_a_byte_lookup_on_every_chip() {
    let f = Forge::run(&public_program());
    let airs = f.m.airs(1);
    // Each chip's instance offset and the columns of its clock and clock limb.
    macro_rules! clock_of {
        ($k:expr, $cols:ty) => {
            ($k, offset_of!($cols, clk), offset_of!($cols, clk_hi))
        };
    }
    let chips = [
        clock_of!(CPU, CpuCols<u8>),
        clock_of!(LOAD_STORE, LoadStoreCols<u8>),
        clock_of!(SYSCALL_CHIP, SyscallCols<u8>),
        clock_of!(SYSMEM, SysMemCols<u8>),
    ];
    let (inv8, inv16) = (F::from_u8(8).inverse(), F::from_u32(1 << 16).inverse());
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(29);
    for (k, clk_col, hi_col) in chips {
        let inst = NUM_GLOBAL + k;
        let (air, tr) = (&airs[inst], &f.t.traces[inst]);
        let pre = air.preprocessed_trace();
        let failing_lookups = |row: &[F]| {
            let m = RowMajorMatrix::new(row.to_vec(), tr.width);
            all_interactions(air, &m, pre.as_ref(), &f.t.publics[inst])
                .iter()
                .filter(|it| it.bus == "byte" && it.count != F::ZERO)
                .filter(|it| {
                    let t: Vec<u32> = it.fields.iter().map(|x| x.as_canonical_u32()).collect();
                    !ByteOp::table_holds(t.try_into().unwrap())
                })
                .count()
        };
        let honest = &tr.values[..tr.width];
        assert_ne!(honest[clk_col], F::ZERO, "instance {inst}: row 0 is real");
        assert_eq!(
            failing_lookups(honest),
            0,
            "instance {inst}: the honest row"
        );
        for clk in [
            1_073_741_857,
            (1 << 29) + (1 << 16) - (1 << 13),
            F_ORDER - 1,
        ] {
            let c = F::from_u32(clk);
            let mut highs = vec![c * inv16, F::ZERO];
            highs.extend((0..16).map(|_| F::from_u32(rng.gen_range(0..1 << 16)) * inv8));
            for hi in highs {
                let mut row = honest.to_vec();
                (row[clk_col], row[hi_col]) = (c, hi);
                assert!(
                    failing_lookups(&row) > 0,
                    "instance {inst}: clock {clk} with high limb {hi} passes every byte lookup"
                );
            }
        }
    }
}
