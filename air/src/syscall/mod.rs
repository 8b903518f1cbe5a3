//! Syscalls: the zkVM calls HALT, WRITE, COMMIT, SYSHINTLEN and SYSHINTREAD.
//!
//! [`SyscallChip`] has one row per syscall: the number in `$v0`, the five register accesses the
//! emulator records (`$v0`, `$a0..$a3` at `clk + 0..=4`), each call's result, the exit code of
//! HALT (a public value), and the buffer of WRITE / SYSHINTREAD as tokens on the `sysmem` bus.
//! [`SysMemChip`] has one row per buffer word: the memory access, which bytes are inside the
//! buffer, hint bytes written into them, and — for WRITE to fd 13 — each byte on the `public`
//! bus at its index in the public-values stream. That index lives in a register of the memory
//! argument ([`crate::memory::REG_PV_LEN`]) that WRITE(13) advances at `clk + 5`.
//!
//! COMMIT writes word `a1` into commit register `a0 < 8` (at `clk + 6`); the public-values chip
//! owns those registers' boundary, so the final committed words are public values.
//!
//! Linux calls: exit, exit_group, write (fd 1, 2, 13, 14), read (fd 0) and set_thread_area
//! when they succeed, brk ([`brk`]: the break and its high-water mark are registers; regrown
//! memory is zeroed through the buffer chain), anonymous mmap/mmap2 and munmap when they succeed
//! ([`mmap`]: the mmap top is a register), and the error returns EBADF of write/read, ENOSYS,
//! those of mmap/mmap2/munmap, and read's EFAULT ([`linux_err`], [`mmap`]); a `MAP_FIXED`
//! map zeroes its range through the buffer chain and moves the mmap top by the emulator's rule
//! ([`mmap::FixedCols`]). brk has no error return.

pub mod brk;
pub mod linux_err;
pub mod mmap;
mod trace;

use mipstark_emulator::record::{REG_BRK, REG_BRK_HWM, REG_MMAP_TOP, REG_TLS};
use mipstark_emulator::syscall::nr;
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};

use crate::bus::{MEMORY, PUBLIC, REG_SPACE, SYSCALL, SYSMEM};
use crate::gadgets::{
    assert_add_bytes, assert_sub_bytes, one_hot_or_none, range_check_word, SubCols,
};
use crate::memory::access::{access, range_pair, word_value, Clock, SlotCols};
use crate::memory::{COMMIT_BASE, NUM_COMMIT, REG_PV_LEN};
use crate::{cols, F};

pub use trace::{PublicStream, SyscallTraceError, SyscallTraces};

/// Registers of the five recorded slots.
pub const SLOT_REGS: [u32; 5] = [2, 4, 5, 6, 7];
/// The public-values file descriptor.
pub const FD_PUBLIC: u32 = 13;
/// Public-values bytes a proof can carry.
pub const PV_CAPACITY: usize = 256;

#[repr(C)]
pub struct SyscallCols<T> {
    pub halt: T,
    pub write: T,
    pub commit: T,
    /// Linux o32 exit / exit_group, write (to fd 1, 2, 13 or 14) and read (from fd 0): the
    /// successful cases (their error returns are rows of `err`).
    pub lexit: T,
    pub lexit_group: T,
    pub lwrite: T,
    pub lread: T,
    /// Linux set_thread_area: the thread-pointer register gets `a0` (RDHWR reads it).
    pub lset_tls: T,
    /// Linux brk.
    pub lbrk: T,
    /// Linux mmap/mmap2 of anonymous memory (not MAP_FIXED), and munmap, when they succeed
    /// (their error returns are rows of `err`).
    pub lmmap: T,
    /// Linux mmap/mmap2 with MAP_FIXED, when it succeeds.
    pub lmmap_fixed: T,
    pub lmunmap: T,
    pub hintlen: T,
    pub hintread: T,
    pub clk: T,
    /// `clk`'s high limb (`memory::access::Clock`).
    pub clk_hi: T,
    pub regs: [SlotCols<T>; 5],
    /// The public-values counter (accessed by WRITE to fd 13).
    pub pv: SlotCols<T>,
    /// The commit register COMMIT writes.
    pub cm: SlotCols<T>,
    /// The machine-state registers a Linux call accesses, at `clk + 5`, `+ 6`, `+ 7`
    /// (set_thread_area: the thread pointer; brk: the break, its high-water mark, the mmap top
    /// (read); mmap: the mmap top, the mark (read)).
    pub st: SlotCols<T>,
    pub st1: SlotCols<T>,
    pub st2: SlotCols<T>,
    /// WRITE to fd 13, and the inverse witnessing `a0 ≠ 13` otherwise.
    pub is_pv: T,
    pub fd_inv: T,
    /// The buffer `(buf, len)` and `buf + len` (no wrap, except on read's EFAULT row).
    pub buf: [T; 4],
    pub len: [T; 4],
    pub end: [T; 4],
    pub carry: [T; 4],
    /// Low two bits and the rest of the low byte, of `buf` and of `end`.
    pub buf_off: T,
    pub buf_q: T,
    pub end_off: T,
    pub end_q: T,
    /// Linux write's fd `x`: `(x − 1)(x − 2)` and `(x − 13)(x − 14)`.
    pub fd_lo: T,
    pub fd_hi: T,
    /// Linux read: `a2 − n` (room left in the buffer; no borrow: `n ≤ a2`).
    pub room: SubCols<T>,
    /// Linux error returns (EBADF, ENOSYS, mmap/munmap's errnos, read's EFAULT).
    pub err: linux_err::LinuxErrCols<T>,
    /// Linux brk's comparisons.
    pub brk: brk::BrkCols<T>,
    /// Linux mmap's and munmap's arguments.
    pub mmap: mmap::MmapCols<T>,
    pub munmap: mmap::MunmapCols<T>,
    /// Linux mmap's MAP_FIXED case.
    pub fixed: mmap::FixedCols<T>,
}

pub const NUM_SYSCALL_COLS: usize = std::mem::size_of::<SyscallCols<u8>>();

/// The syscall chip. Its constraints are the same for every program: `brk` compares against
/// the program's initial break, which is a public value ([`SYSCALL_PV_INITIAL_BRK`]) that the
/// verifier takes from its key, not a constant compiled into the chip. So one recursion program
/// verifies shards of any ELF.
#[derive(Clone, Copy, Debug, Default)]
pub struct SyscallChip;

/// The syscall instance's public values: the exit code's four bytes, then the initial break's.
pub const SYSCALL_PV_EXIT_CODE: usize = 0;
pub const SYSCALL_PV_INITIAL_BRK: usize = 4;
pub const NUM_SYSCALL_PUBLICS: usize = 8;

/// The syscall instance's public values for a run's exit code and its program's initial break.
pub fn syscall_publics(exit_code: u32, initial_brk: u32) -> Vec<F> {
    let mut pv = exit_code.to_le_bytes().map(F::from_u8).to_vec();
    pv.extend(initial_brk.to_le_bytes().map(F::from_u8));
    pv
}

impl BaseAir<F> for SyscallChip {
    fn width(&self) -> usize {
        NUM_SYSCALL_COLS
    }
    fn num_public_values(&self) -> usize {
        NUM_SYSCALL_PUBLICS
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
}

fn bytes_of(v: u32) -> [u32; 4] {
    v.to_le_bytes().map(u32::from)
}

/// Word address `q + 2^6·w1 + 2^14·w2 + 2^22·w3` of a byte address `w` with low byte `4q + o`.
fn word_addr<AB: AirBuilder>(q: AB::Var, w: &[AB::Var; 4]) -> AB::Expr {
    q.into()
        + w[1].into() * AB::Expr::from_u32(1 << 6)
        + w[2].into() * AB::Expr::from_u32(1 << 14)
        + w[3].into() * AB::Expr::from_u32(1 << 22)
}

impl<AB: AirBuilder<F = F> + InteractionBuilder> Air<AB> for SyscallChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let r: &SyscallCols<AB::Var> = cols(main.current_slice());
        let publics: Vec<AB::Expr> = b.public_values().iter().map(|&p| p.into()).collect();
        let is_real = one_hot_or_none(
            b,
            &[
                r.halt,
                r.write,
                r.commit,
                r.hintlen,
                r.hintread,
                r.lexit,
                r.lexit_group,
                r.lwrite,
                r.lread,
                r.lset_tls,
                r.lbrk,
                r.lmmap,
                r.lmmap_fixed,
                r.lmunmap,
                r.err.badf_write,
                r.err.badf_read,
                r.err.enosys,
                r.err.mmap_inval,
                r.err.mmap_badf,
                r.err.mmap_nomem,
                r.err.munmap_inval,
                r.err.read_fault,
                r.err.mmap_fixed_inval,
            ],
        );
        let [v0, a0, a1, a2, a3] = &r.regs;
        let halts: AB::Expr = r.halt.into() + r.lexit.into() + r.lexit_group.into();
        let linux_ok: AB::Expr = r.lwrite.into()
            + r.lread.into()
            + r.lset_tls.into()
            + r.lbrk.into()
            + r.lmmap.into()
            + r.lmmap_fixed.into()
            + r.lmunmap.into();
        let linux_err: AB::Expr = r.err.selectors().iter().map(|s| (*s).into()).sum();
        let writes: AB::Expr = r.write.into() + r.lwrite.into();
        let clock = Clock::new(b, r.clk, r.clk_hi, is_real.clone());

        // The number, and the registers each call reads or writes.
        for (sel, num) in [
            (r.halt, nr::HALT),
            (r.write, nr::WRITE),
            (r.commit, nr::COMMIT),
            (r.hintlen, nr::SYSHINTLEN),
            (r.hintread, nr::SYSHINTREAD),
            (r.lexit, nr::LINUX_EXIT),
            (r.lexit_group, nr::LINUX_EXIT_GROUP),
            (r.lwrite, nr::LINUX_WRITE),
            (r.lread, nr::LINUX_READ),
            (r.lset_tls, nr::LINUX_SET_THREAD_AREA),
            (r.lbrk, nr::LINUX_BRK),
            (r.lmunmap, nr::LINUX_MUNMAP),
            (r.err.munmap_inval, nr::LINUX_MUNMAP),
            (r.err.read_fault, nr::LINUX_READ),
        ] {
            for (i, byte) in bytes_of(num).into_iter().enumerate() {
                b.when(sel).assert_eq(v0.prev[i], AB::Expr::from_u32(byte));
            }
        }
        for (k, slot) in r.regs.iter().enumerate() {
            access(
                b,
                slot,
                AB::Expr::from_u32(REG_SPACE + SLOT_REGS[k]),
                clock.at(k as u32),
                is_real.clone(),
            );
            for i in 0..4 {
                if k == 4 {
                    // $a3: kept by zkVM calls, the error flag of a Linux call (0 or 1).
                    b.when(AB::Expr::ONE - linux_ok.clone() - linux_err.clone())
                        .assert_eq(slot.value[i], slot.prev[i]);
                    b.when(linux_ok.clone()).assert_zero(a3.value[i]);
                    b.when(linux_err.clone())
                        .assert_eq(a3.value[i], AB::Expr::from_bool(i == 0));
                } else if k > 0 {
                    b.assert_eq(slot.value[i], slot.prev[i]);
                }
            }
        }
        for (i, exit_byte) in publics[SYSCALL_PV_EXIT_CODE..][..4].iter().enumerate() {
            b.when(halts.clone()).assert_eq(v0.value[i], v0.prev[i]);
            b.when(writes.clone()).assert_eq(v0.value[i], a2.prev[i]);
            b.when(r.hintread).assert_eq(v0.value[i], a1.prev[i]);
            b.when(r.commit).assert_zero(v0.value[i]);
            b.when(r.lset_tls).assert_zero(v0.value[i]);
            b.when(r.lset_tls).assert_eq(r.st.value[i], a0.prev[i]);
            b.when(r.commit).assert_eq(r.cm.value[i], a1.prev[i]);
            // The exit code is the statement's.
            b.when(halts.clone())
                .assert_eq(a0.prev[i], exit_byte.clone());
        }
        range_check_word(
            b,
            v0.value.map(Into::into),
            r.hintlen.into() + r.lread.into(),
        );
        SYSCALL.table_entry(b, [r.clk.into(), halts], is_real.clone());

        // Linux write: fd in {1, 2, 13, 14}. Linux read: fd 0, and n = v0 ≤ a2.
        let x: AB::Expr = a0.prev[0].into();
        let c = |v: u8| AB::Expr::from_u8(v);
        let fd_write: AB::Expr = r.lwrite.into() + r.err.badf_write.into();
        b.when(fd_write.clone())
            .assert_eq(r.fd_lo, (x.clone() - c(1)) * (x.clone() - c(2)));
        b.when(fd_write)
            .assert_eq(r.fd_hi, (x.clone() - c(13)) * (x.clone() - c(14)));
        b.when(r.lwrite)
            .assert_zero(r.fd_lo.into() * r.fd_hi.into());
        for i in 1..4 {
            b.when(r.lwrite).assert_zero(a0.prev[i]);
        }
        let from_stdin: AB::Expr = r.lread.into() + r.err.read_fault.into();
        for i in 0..4 {
            b.when(from_stdin.clone()).assert_zero(a0.prev[i]);
        }
        let lread: AB::Expr = r.lread.into();
        let overread = assert_sub_bytes(
            b,
            &lread,
            v0.value.map(Into::into),
            a2.prev.map(Into::into),
            &r.room,
        );
        b.when(r.lread).assert_zero(overread);
        linux_err::eval(b, &r.err, v0, a0, r.fd_lo, r.fd_hi);

        // COMMIT: a0 < 8 names the register; a1 is written to it.
        for i in 1..4 {
            b.when(r.commit).assert_zero(a0.prev[i]);
        }
        range_pair(
            b,
            a0.prev[0].into() * AB::Expr::from_u8(32),
            AB::Expr::ZERO,
            r.commit.into(),
        );
        access(
            b,
            &r.cm,
            AB::Expr::from_u32(COMMIT_BASE) + a0.prev[0].into(),
            clock.at(6),
            r.commit.into(),
        );

        // The state registers, after the argument slots: set_thread_area's thread pointer;
        // brk's break, high-water mark and mmap top; mmap's top and mark (also read by
        // ENOMEM).
        let reg = |r: u8| AB::Expr::from_u32(REG_SPACE + r as u32);
        let ts = |k: u32| clock.at(k);
        // MAP_FIXED writes the top and reads the mark like a carved map.
        let sized: AB::Expr = r.lmmap.into() + r.err.mmap_nomem.into() + r.lmmap_fixed.into();
        access(
            b,
            &r.st,
            r.lset_tls.into() * reg(REG_TLS)
                + r.lbrk.into() * reg(REG_BRK)
                + sized.clone() * reg(REG_MMAP_TOP),
            ts(5),
            r.lset_tls.into() + r.lbrk.into() + sized.clone(),
        );
        access(
            b,
            &r.st1,
            reg(REG_BRK_HWM),
            ts(6),
            r.lbrk.into() + sized.clone(),
        );
        access(b, &r.st2, reg(REG_MMAP_TOP), ts(7), r.lbrk.into());
        for i in 0..4 {
            b.when(sized.clone())
                .assert_eq(r.st1.value[i], r.st1.prev[i]);
            b.assert_eq(r.st2.value[i], r.st2.prev[i]);
        }
        mmap::eval_mmap(
            b,
            &r.mmap,
            &mmap::MmapRows {
                ok: r.lmmap,
                inval: r.err.mmap_inval,
                badf: r.err.mmap_badf,
                nomem: r.err.mmap_nomem,
                fixed_ok: r.lmmap_fixed,
                fixed_inval: r.err.mmap_fixed_inval,
            },
            v0,
            &a1.prev,
            &a3.prev,
            &r.st,
            &r.st1.prev,
        );
        mmap::eval_fixed(
            b,
            &r.fixed,
            &r.mmap,
            r.lmmap_fixed,
            r.err.mmap_fixed_inval,
            &a0.prev,
            &r.end,
            r.carry[3],
            &r.st,
            &r.st1.prev,
            &v0.value,
        );
        mmap::eval_munmap(
            b,
            &r.munmap,
            r.lmunmap,
            r.err.munmap_inval,
            &a0.prev,
            &a1.prev,
            &v0.value,
        );
        brk::eval(
            b,
            &r.brk,
            r.lbrk,
            std::array::from_fn(|i| publics[SYSCALL_PV_INITIAL_BRK + i].clone()),
            &a0.prev,
            &r.st,
            &r.st1,
            &r.st2.prev,
            &v0.value,
            &r.buf,
            &r.len,
        );

        // fd 13: is_pv exactly when WRITE and a0 = 13.
        b.assert_bool(r.is_pv);
        b.when(r.is_pv).assert_one(writes.clone());
        let mut sq = AB::Expr::ZERO;
        for (i, byte) in bytes_of(FD_PUBLIC).into_iter().enumerate() {
            let d = a0.prev[i].into() - AB::Expr::from_u32(byte);
            b.when(r.is_pv).assert_zero(d.clone());
            sq += d.clone() * d;
        }
        // Degree 3: on other rows both sides are 0 (fd_inv is 0 there).
        b.assert_eq(
            writes.clone() * (AB::Expr::ONE - r.is_pv.into()),
            r.fd_inv.into() * sq,
        );

        // The buffer: (a1, a2) for WRITE, (a0, a1) for SYSHINTREAD; brk's and MAP_FIXED's
        // zeroed memory (a MAP_FIXED EINVAL row holds its range too, for the wrap check).
        let zeroes: AB::Expr = r.lbrk.into() + r.lmmap_fixed.into();
        let buffered: AB::Expr =
            writes.clone() + r.hintread.into() + lread.clone() + zeroes.clone();
        let fixed_rows: AB::Expr = r.lmmap_fixed.into() + r.err.mmap_fixed_inval.into();
        let aligned = mmap::aligned_bytes::<AB>(&r.mmap);
        for (i, al) in aligned.into_iter().enumerate() {
            b.when(fixed_rows.clone()).assert_eq(r.buf[i], a0.prev[i]);
            b.when(fixed_rows.clone()).assert_eq(r.len[i], al);
        }
        for i in 0..4 {
            b.when(writes.clone()).assert_eq(r.buf[i], a1.prev[i]);
            b.when(writes.clone()).assert_eq(r.len[i], a2.prev[i]);
            b.when(r.lread).assert_eq(r.buf[i], a1.prev[i]);
            b.when(r.lread).assert_eq(r.len[i], v0.value[i]);
            b.when(r.hintread).assert_eq(r.buf[i], a0.prev[i]);
            b.when(r.hintread).assert_eq(r.len[i], a1.prev[i]);
        }
        assert_add_bytes(
            b,
            r.buf.map(Into::into),
            r.len.map(Into::into),
            r.end.map(Into::into),
            r.carry,
        );
        b.when(buffered.clone()).assert_zero(r.carry[3]);
        // read's EFAULT: (a1, a2) runs past 2^32 — a carry out and a nonzero end — so some
        // stdin makes the read cross it (stdin is the prover's input, like the hints).
        let fault: AB::Expr = r.err.read_fault.into();
        for i in 0..4 {
            b.when(fault.clone()).assert_eq(r.buf[i], a1.prev[i]);
            b.when(fault.clone()).assert_eq(r.len[i], a2.prev[i]);
        }
        b.when(fault.clone()).assert_one(r.carry[3]);
        let end_sum: AB::Expr = r.end.iter().map(|v| (*v).into()).sum();
        b.when(fault.clone()).assert_one(r.err.inv.into() * end_sum);
        range_check_word(
            b,
            r.end.map(Into::into),
            buffered.clone() + fault + r.err.mmap_fixed_inval.into(),
        );
        for (w, off, q) in [(&r.buf, r.buf_off, r.buf_q), (&r.end, r.end_off, r.end_q)] {
            b.assert_eq(w[0], off.into() + q.into() * AB::Expr::from_u8(4));
            // Each value and a multiple of it are bytes: integers off < 4 and q < 64.
            range_pair(
                b,
                off.into(),
                off.into() * AB::Expr::from_u8(64),
                buffered.clone(),
            );
            range_pair(
                b,
                q.into(),
                q.into() * AB::Expr::from_u8(4),
                buffered.clone(),
            );
        }

        // The public-values counter advances by len on WRITE(13).
        let pv_ts = clock.at(5);
        access(
            b,
            &r.pv,
            AB::Expr::from_u32(REG_SPACE + REG_PV_LEN),
            pv_ts,
            r.is_pv.into(),
        );
        let pv_start = word_value::<AB>(&r.pv.prev);
        let pv_end = word_value::<AB>(&r.pv.value);
        b.when(r.is_pv)
            .assert_eq(pv_end.clone(), pv_start.clone() + word_value::<AB>(&r.len));
        range_check_word(b, r.pv.value.map(Into::into), r.is_pv.into());
        let pv: AB::Expr = r.is_pv.into();
        let token = |w: AB::Expr, off: AB::Var, idx: AB::Expr| {
            vec![
                r.clk.into(),
                w,
                off.into(),
                idx,
                r.hintread.into() + r.lread.into() + zeroes.clone(),
                r.is_pv.into(),
                zeroes.clone(),
            ]
        };
        SYSMEM.send(
            b,
            token(
                word_addr::<AB>(r.buf_q, &r.buf),
                r.buf_off,
                pv.clone() * pv_start,
            ),
            Count::bounded(buffered.clone(), 1),
        );
        SYSMEM.receive(
            b,
            token(word_addr::<AB>(r.end_q, &r.end), r.end_off, pv * pv_end),
            Count::bounded(buffered, 1),
        );
    }
}

#[repr(C)]
pub struct SysMemCols<T> {
    pub clk: T,
    /// `clk`'s high limb (`memory::access::Clock`).
    pub clk_hi: T,
    pub word: T,
    /// One-hot first byte in the buffer, and one-hot last byte in the buffer.
    pub first: [T; 4],
    pub last: [T; 4],
    pub idx: T,
    pub writes: T,
    pub public: T,
    /// The written bytes are zeros (brk's regrown memory).
    pub zero: T,
    /// The word access at `clk`.
    pub mem: SlotCols<T>,
}

pub const NUM_SYSMEM_COLS: usize = std::mem::size_of::<SysMemCols<u8>>();

#[derive(Clone, Copy, Debug, Default)]
pub struct SysMemChip;

impl BaseAir<F> for SysMemChip {
    fn width(&self) -> usize {
        NUM_SYSMEM_COLS
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
}

impl<AB: AirBuilder<F = F> + InteractionBuilder> Air<AB> for SysMemChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let r: &SysMemCols<AB::Var> = cols(main.current_slice());
        let is_real = one_hot_or_none(b, &r.first);
        let last_sum = one_hot_or_none(b, &r.last);
        b.assert_eq(last_sum, is_real.clone());
        b.assert_bool(r.writes);
        b.assert_bool(r.public);
        b.assert_bool(r.zero);
        b.when(r.zero).assert_one(r.writes);
        // active[j] = [first ≤ j] − [last < j], boolean (so first ≤ last + 1).
        let active: Vec<AB::Expr> = (0..4)
            .map(|j| {
                let started: AB::Expr = (0..=j).map(|i| r.first[i].into()).sum();
                let ended: AB::Expr = (0..j).map(|i| r.last[i].into()).sum();
                started - ended
            })
            .collect();
        for a in &active {
            b.assert_bool(a.clone());
        }
        // A real row holds at least one buffer byte (first ≤ last): its own first byte is
        // active. Without this, `first = last + 1` leaves every byte inactive, the token the
        // row sends equals the one it receives, and the row cancels itself on the chain while
        // still making a memory access at a word and clock nothing ties to a syscall.
        let first_active: AB::Expr = (0..4).map(|j| r.first[j].into() * active[j].clone()).sum();
        b.assert_eq(first_active, is_real.clone());
        let start: AB::Expr = (0..4)
            .map(|j| r.first[j].into() * AB::Expr::from_usize(j))
            .sum();
        let next_off: AB::Expr = (0..3)
            .map(|j| r.last[j].into() * AB::Expr::from_usize(j + 1))
            .sum();
        let count: AB::Expr = active.iter().cloned().sum();
        let flags = [r.writes.into(), r.public.into(), r.zero.into()];
        let mut inp = vec![r.clk.into(), r.word.into(), start, r.idx.into()];
        inp.extend(flags.clone());
        SYSMEM.receive(b, inp, Count::bounded(is_real.clone(), 1));
        let mut out = vec![
            r.clk.into(),
            r.word.into() + r.last[3].into(),
            next_off,
            r.idx.into() + r.public.into() * count,
        ];
        out.extend(flags);
        SYSMEM.send(b, out, Count::bounded(is_real.clone(), 1));

        // The word access; only buffer bytes of a read change, to zeros for brk.
        let clock = Clock::new(b, r.clk, r.clk_hi, is_real.clone());
        access(b, &r.mem, r.word.into(), clock.at(0), is_real.clone());
        for (j, a) in active.iter().enumerate() {
            b.when(AB::Expr::ONE - r.writes.into() * a.clone())
                .assert_eq(r.mem.value[j], r.mem.prev[j]);
            b.when(r.zero.into() * a.clone())
                .assert_zero(r.mem.value[j]);
        }
        range_check_word(b, r.mem.value.map(Into::into), r.writes.into());

        // Public bytes at their index in the stream.
        let mut before = AB::Expr::ZERO;
        for (j, a) in active.iter().enumerate() {
            PUBLIC.send(
                b,
                [r.idx.into() + before.clone(), r.mem.prev[j].into()],
                Count::bounded(r.public.into() * a.clone(), 1),
            );
            before += a.clone();
        }
    }
}

/// The public values: `[len, byte_0, …, byte_{CAP−1}, commit_0[4], …, commit_7[4]]` (unused
/// bytes 0). The first row receives `(i, byte_i)` for every `i < len`, and owns the boundary of
/// the eight commit registers: it sends their initial `(addr, 0, 0)` and receives their final
/// `(addr, commit_k, ts_k)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct PublicValuesChip;

/// Main columns: `PV_CAPACITY` byte flags, the commit registers' final timestamps, and a
/// first-row flag.
pub const PV_COLS: usize = PV_CAPACITY + NUM_COMMIT + 1;
pub const NUM_PV_PUBLIC: usize = 1 + PV_CAPACITY + 4 * NUM_COMMIT;

impl BaseAir<F> for PublicValuesChip {
    fn width(&self) -> usize {
        PV_COLS
    }
    fn num_public_values(&self) -> usize {
        NUM_PV_PUBLIC
    }
}

impl<AB: AirBuilder<F = F> + InteractionBuilder> Air<AB> for PublicValuesChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let c = main.current_slice().to_vec();
        let n = main.next_slice().to_vec();
        let publics: Vec<AB::Expr> = b.public_values().iter().map(|&p| p.into()).collect();
        let first = c[PV_COLS - 1];
        b.when_first_row().assert_one(first);
        b.assert_bool(first);
        let mut sum = AB::Expr::ZERO;
        for i in 0..PV_CAPACITY {
            b.assert_bool(c[i]);
            if i + 1 < PV_CAPACITY {
                b.when(c[i + 1]).assert_one(c[i]);
            }
            sum += c[i].into();
            PUBLIC.receive(
                b,
                [AB::Expr::from_usize(i), publics[1 + i].clone()],
                Count::bounded(c[i].into(), 1),
            );
        }
        // Only the first row carries anything.
        for v in &n {
            b.when_transition().assert_zero(*v);
        }
        b.when_first_row().assert_eq(sum, publics[0].clone());
        for k in 0..NUM_COMMIT {
            let addr = AB::Expr::from_u32(COMMIT_BASE + k as u32);
            let mut init = vec![addr.clone()];
            init.extend([AB::Expr::ZERO; 5]);
            MEMORY.send(b, init, Count::bounded(first.into(), 1));
            let mut fin = vec![addr];
            fin.extend((0..4).map(|i| publics[1 + PV_CAPACITY + 4 * k + i].clone()));
            fin.push(c[PV_CAPACITY + k].into());
            MEMORY.receive(b, fin, Count::bounded(first.into(), 1));
        }
    }
}
