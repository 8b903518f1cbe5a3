//! Linux `mmap`/`mmap2` of anonymous memory (not `MAP_FIXED`) and `munmap`: their successes
//! and their error returns.
//!
//! An anonymous map is carved downwards from the mmap top, a register of the memory argument
//! (accessed at `clk + 5`): the row proves `start + aligned = top` without a carry, where
//! `aligned` is the length rounded up to whole pages (`len + pad` with `pad < 4096` and the low
//! twelve bits of `aligned` zero), and `start ≥ hwm` (the break's high-water mark, read at
//! `clk + 6`). Nothing below the mark was ever a map, and the area is never reused, so the new
//! region is memory no instruction has mapped before: nothing is written. The flags are split
//! around `MAP_ANONYMOUS` (bit 11, set) and `MAP_FIXED` (bit 4, clear). `$v0` = start.
//!
//! The errors, in the emulator's order, each proven from the arguments: EINVAL when the length
//! is 0; EBADF when `MAP_ANONYMOUS` is clear; ENOMEM when the rounded length is 2^32, exceeds
//! the top, or would start the map below the mark (the top and the mark are read, unchanged).
//! A `MAP_FIXED` map (and its EINVAL) is not provable.
//!
//! `munmap(addr, len)` succeeds (returns 0, no effect) when `addr` is page aligned, `len ≠ 0` and
//! `addr + len ≤ 2^32`, and returns EINVAL otherwise; the row proves which.

use mipstark_emulator::memory::PAGE_SIZE;
use mipstark_emulator::syscall::nr;
use p3_air::AirBuilder;
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::InteractionBuilder;

use crate::alu::word_bytes;
use crate::bus::ByteOp;
use crate::byte::ByteLookups;
use crate::gadgets::{
    add_carries, assert_add_bytes, assert_sub_bytes, byte_sum_inverse, fill_sub, range_check_word,
    SubCols,
};
use crate::memory::access::{range_pair, SlotCols};
use crate::F;

#[repr(C)]
pub struct MmapCols<T> {
    /// The call is `mmap2` (4210), not `mmap` (4090).
    pub is2: T,
    /// Flags byte 0 = `f0_lo + 16·fixed + 32·f0_hi` (`f0_lo < 16`, `f0_hi < 8`); byte 1 =
    /// `f1_lo + 8·anon + 16·f1_hi` (`f1_lo < 8`, `f1_hi < 16`): the `MAP_FIXED` and
    /// `MAP_ANONYMOUS` bits.
    pub f0_lo: T,
    pub f0_hi: T,
    pub f1_lo: T,
    pub f1_hi: T,
    pub fixed: T,
    pub anon: T,
    /// The inverse of the length's byte sum (the length is not 0).
    pub len_inv: T,
    /// `pad = aligned − len` as bytes `[pad0, pad1 < 16, 0, 0]`; `aligned` as bytes
    /// `[0, 16·t, al2, al3]`; the carries of `len + pad` (a carry out: the length rounds up
    /// to 2^32).
    pub pad: [T; 2],
    pub t: T,
    pub al: [T; 2],
    pub al_carry: [T; 4],
    /// `start = top − aligned` and the carries of `start + aligned` (a carry out: `aligned`
    /// exceeds the top).
    pub start: [T; 4],
    pub start_carry: [T; 4],
    /// `start − hwm` (a borrow: the map would start below the mark).
    pub gap: SubCols<T>,
    /// ENOMEM: `start_carry[3] ∨ borrow of gap`.
    pub short: T,
}

/// The selectors of the mmap/mmap2 rows: success, and the EINVAL (zero length), EBADF (not
/// anonymous) and ENOMEM (no room) returns.
pub struct MmapRows<T> {
    pub ok: T,
    pub inval: T,
    pub badf: T,
    pub nomem: T,
}

#[repr(C)]
pub struct MunmapCols<T> {
    /// Address byte 1 = `16·u + r` (`u, r < 16`): page aligned when byte 0 and `r` are 0.
    pub u: T,
    pub r: T,
    /// The inverse of the length's byte sum (success), or of the value an EINVAL row shows
    /// nonzero.
    pub len_inv: T,
    /// `addr + len` and its carries; success allows a carry out only onto exactly 2^32.
    pub end: [T; 4],
    pub carry: [T; 4],
    /// EINVAL because the address is not page aligned, the length is 0, or the range wraps
    /// past 2^32 (one of them).
    pub why: [T; 3],
}

fn sum<AB: AirBuilder>(w: &[AB::Var; 4]) -> AB::Expr {
    w.iter().map(|v| (*v).into()).sum()
}

/// The constraints of the mmap/mmap2 rows: `v0` the number and result, `len` = `$a1`,
/// `flags` = `$a3`, `top` the mmap-top access (written with the start on success, read on
/// ENOMEM), `hwm` the mark (read). The errno of an error row is set by [`super::linux_err`].
#[allow(clippy::too_many_arguments)]
pub fn eval_mmap<AB: AirBuilder<F = F> + InteractionBuilder>(
    b: &mut AB,
    c: &MmapCols<AB::Var>,
    rows: &MmapRows<AB::Var>,
    v0: &SlotCols<AB::Var>,
    len: &[AB::Var; 4],
    flags: &[AB::Var; 4],
    top: &SlotCols<AB::Var>,
    hwm: &[AB::Var; 4],
) {
    let k = |v: u32| AB::Expr::from_u32(v);
    let any: AB::Expr = rows.ok.into() + rows.inval.into() + rows.badf.into() + rows.nomem.into();
    // Rows whose flags and length are read, and rows that size the map.
    let parsed: AB::Expr = rows.ok.into() + rows.badf.into() + rows.nomem.into();
    let sized: AB::Expr = rows.ok.into() + rows.nomem.into();
    // The number: 4090 or 4210.
    b.assert_bool(c.is2);
    b.assert_zero(c.is2.into() * (AB::Expr::ONE - any.clone()));
    let (n1, n2) = (nr::LINUX_MMAP.to_le_bytes(), nr::LINUX_MMAP2.to_le_bytes());
    for i in 0..4 {
        let want = k(n1[i] as u32) + c.is2.into() * (k(n2[i] as u32) - k(n1[i] as u32));
        b.when(any.clone()).assert_eq(v0.prev[i], want);
    }
    // EINVAL: the length is 0 (checked first).
    for v in len {
        b.when(rows.inval).assert_zero(*v);
    }
    // Otherwise the length is not 0, and the flags' two bits are read.
    b.when(parsed.clone())
        .assert_one(sum::<AB>(len) * c.len_inv.into());
    b.assert_bool(c.fixed);
    b.assert_bool(c.anon);
    b.when(parsed.clone()).assert_eq(
        flags[0],
        c.f0_lo.into() + c.fixed.into() * k(16) + c.f0_hi.into() * k(32),
    );
    b.when(parsed.clone()).assert_eq(
        flags[1],
        c.f1_lo.into() + c.anon.into() * k(8) + c.f1_hi.into() * k(16),
    );
    for (x, scale) in [(c.f0_lo, 16), (c.f0_hi, 32), (c.f1_lo, 32), (c.f1_hi, 16)] {
        range_pair(b, x.into(), x.into() * k(scale), parsed.clone());
    }
    // EBADF: not anonymous (there are no files). A map: anonymous, not MAP_FIXED.
    b.when(rows.badf).assert_zero(c.anon);
    b.when(sized.clone()).assert_one(c.anon);
    b.when(sized.clone()).assert_zero(c.fixed);
    // aligned = len + pad, a multiple of 4096, pad < 4096.
    let aligned = [
        AB::Expr::ZERO,
        c.t.into() * k(16),
        c.al[0].into(),
        c.al[1].into(),
    ];
    assert_add_bytes(
        b,
        len.map(|v| v.into() * sized.clone()),
        [
            c.pad[0].into(),
            c.pad[1].into(),
            AB::Expr::ZERO,
            AB::Expr::ZERO,
        ],
        aligned.clone(),
        c.al_carry,
    );
    b.when(rows.ok).assert_zero(c.al_carry[3]);
    range_pair(b, c.pad[0].into(), c.al[0].into(), sized.clone());
    range_pair(b, c.al[1].into(), c.pad[1].into() * k(16), sized.clone());
    range_pair(b, c.pad[1].into(), c.t.into() * k(16), sized.clone());
    range_pair(b, c.t.into(), AB::Expr::ZERO, sized.clone());
    // start + aligned = top (+ 2^32 when aligned exceeds it); hwm + gap = start.
    assert_add_bytes(
        b,
        c.start.map(|v| v.into() * sized.clone()),
        aligned,
        top.prev.map(|v| v.into() * sized.clone()),
        c.start_carry,
    );
    range_check_word(b, c.start.map(Into::into), sized.clone());
    let below_mark = assert_sub_bytes(
        b,
        &sized,
        hwm.map(Into::into),
        c.start.map(Into::into),
        &c.gap,
    );
    let wraps: AB::Expr = c.start_carry[3].into();
    b.when(sized.clone()).assert_eq(
        c.short,
        wraps.clone() + below_mark.clone() - wraps * below_mark,
    );
    // Success: it fits; the top moves down to the start, which is the result.
    b.when(rows.ok).assert_zero(c.short);
    for i in 0..4 {
        b.when(rows.ok).assert_eq(top.value[i], c.start[i]);
        b.when(rows.ok).assert_eq(v0.value[i], c.start[i]);
        b.when(rows.nomem).assert_eq(top.value[i], top.prev[i]);
    }
    // ENOMEM: the rounded length is 2^32, or the map does not fit above the mark.
    let big: AB::Expr = c.al_carry[3].into();
    b.when(rows.nomem)
        .assert_one(big.clone() + c.short.into() - big * c.short.into());
}

/// The constraints of the `munmap(addr, len)` rows: success (`ok`, result 0) and EINVAL
/// (`inval`, its errno set by [`super::linux_err`]).
pub fn eval_munmap<AB: AirBuilder<F = F> + InteractionBuilder>(
    b: &mut AB,
    c: &MunmapCols<AB::Var>,
    ok: AB::Var,
    inval: AB::Var,
    addr: &[AB::Var; 4],
    len: &[AB::Var; 4],
    v0: &[AB::Var; 4],
) {
    let on: AB::Expr = ok.into() + inval.into();
    let k16 = AB::Expr::from_u8(16);
    b.when(on.clone())
        .assert_eq(addr[1], c.u.into() * k16.clone() + c.r.into());
    range_pair(b, c.u.into(), c.u.into() * k16.clone(), on.clone());
    range_pair(b, c.r.into(), c.r.into() * k16, on.clone());
    assert_add_bytes(
        b,
        addr.map(|v| v.into() * on.clone()),
        len.map(|v| v.into() * on.clone()),
        c.end.map(Into::into),
        c.carry,
    );
    range_check_word(b, c.end.map(Into::into), on);
    // Success: aligned, a nonzero length, a carry out only onto exactly 2^32 (end = 0).
    b.when(ok).assert_zero(addr[0]);
    b.when(ok).assert_zero(c.r);
    b.when(ok).assert_one(sum::<AB>(len) * c.len_inv.into());
    b.when(ok)
        .assert_zero(c.carry[3].into() * sum::<AB>(&c.end));
    for v in v0 {
        b.when(ok).assert_zero(*v);
    }
    // EINVAL: one of the three reasons holds.
    let mut why = AB::Expr::ZERO;
    for w in c.why {
        b.assert_bool(w);
        why += w.into();
    }
    b.assert_eq(why, inval.into());
    b.when(c.why[0])
        .assert_one(c.len_inv.into() * (addr[0].into() + c.r.into()));
    for v in len {
        b.when(c.why[1]).assert_zero(*v);
    }
    b.when(c.why[2]).assert_one(c.carry[3]);
    b.when(c.why[2])
        .assert_one(c.len_inv.into() * sum::<AB>(&c.end));
}

/// Fills an mmap/mmap2 row with `len`, `flags`; a sized row (success, ENOMEM) also with the
/// mmap top before and after and the mark. The selector is set by the caller.
pub fn fill_mmap(
    c: &mut MmapCols<F>,
    number: u32,
    len: u32,
    flags: u32,
    sized: Option<((u32, u32), u32)>,
    bytes: &mut ByteLookups,
) {
    c.is2 = F::from_bool(number == nr::LINUX_MMAP2);
    if len == 0 {
        return; // EINVAL: nothing else is read
    }
    let [b0, b1, _, _] = flags.to_le_bytes();
    let parts = [(b0 & 15, 16), (b0 >> 5, 32), (b1 & 7, 32), (b1 >> 4, 16)];
    for (col, (x, scale)) in [&mut c.f0_lo, &mut c.f0_hi, &mut c.f1_lo, &mut c.f1_hi]
        .into_iter()
        .zip(parts)
    {
        *col = F::from_u8(x);
        bytes.add(ByteOp::Range, x, x.wrapping_mul(scale));
    }
    c.fixed = F::from_bool(b0 & 16 != 0);
    c.anon = F::from_bool(b1 & 8 != 0);
    c.len_inv = byte_sum_inverse(len);
    let Some(((top, _), hwm)) = sized else {
        return; // EBADF
    };
    let aligned = len.wrapping_add(PAGE_SIZE - 1) & !(PAGE_SIZE - 1);
    let pad = aligned.wrapping_sub(len);
    let [p0, p1, _, _] = pad.to_le_bytes();
    let [_, a1, a2, a3] = aligned.to_le_bytes();
    c.pad = [F::from_u8(p0), F::from_u8(p1)];
    c.t = F::from_u8(a1 >> 4);
    c.al = [F::from_u8(a2), F::from_u8(a3)];
    c.al_carry = add_carries(len, pad);
    bytes.add(ByteOp::Range, p0, a2);
    bytes.add(ByteOp::Range, a3, p1.wrapping_mul(16));
    bytes.add(ByteOp::Range, p1, a1);
    bytes.add(ByteOp::Range, a1 >> 4, 0);
    let start = top.wrapping_sub(aligned);
    c.start = word_bytes(start);
    c.start_carry = add_carries(start, aligned);
    bytes.range_word(start);
    let below = fill_sub(&mut c.gap, hwm, start, bytes);
    c.short = F::from_bool(c.start_carry[3] == F::ONE || below);
}

/// Fills a `munmap(addr, len)` row (success or EINVAL; the selector is set by the caller).
pub fn fill_munmap(c: &mut MunmapCols<F>, addr: u32, len: u32, bytes: &mut ByteLookups) {
    let [a0, a1, _, _] = addr.to_le_bytes();
    let (u, r) = (a1 >> 4, a1 & 15);
    c.u = F::from_u8(u);
    c.r = F::from_u8(r);
    bytes.add(ByteOp::Range, u, u * 16);
    bytes.add(ByteOp::Range, r, r * 16);
    let end = addr.wrapping_add(len);
    c.end = word_bytes(end);
    c.carry = add_carries(addr, len);
    bytes.range_word(end);
    let misaligned = a0 as u32 + r as u32;
    let wraps = addr as u64 + len as u64 > 1 << 32;
    c.len_inv = if misaligned != 0 {
        c.why[0] = F::ONE;
        F::from_u32(misaligned).inverse()
    } else if len == 0 {
        c.why[1] = F::ONE;
        F::ZERO
    } else if wraps {
        c.why[2] = F::ONE;
        byte_sum_inverse(end)
    } else {
        byte_sum_inverse(len)
    };
}
