//! Linux `mmap`/`mmap2` of anonymous memory, `MAP_FIXED` maps ([`FixedCols`]) and `munmap`:
//! their successes and their error returns.
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
//! A `MAP_FIXED` map shares the flags split and the rounding, and has its own rows.
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
/// anonymous) and ENOMEM (no room) returns; a `MAP_FIXED` map's success and EINVAL.
pub struct MmapRows<T> {
    pub ok: T,
    pub inval: T,
    pub badf: T,
    pub nomem: T,
    pub fixed_ok: T,
    pub fixed_inval: T,
}

/// A `MAP_FIXED` map at `addr` (`$a0`): EINVAL when the address is not page aligned, the
/// rounded length is 2^32 or the map runs past 2^32; otherwise the range `[addr, end)` is
/// zeroed word by word through the buffer chain (the syscall chip's buffer is `(addr,
/// aligned)`), the result is `addr`, and the mmap top moves to `max(addr, round_up(hwm))` when
/// the map lands in the free area (`addr < top` and `end > hwm`), so later maps stay below it.
#[repr(C)]
pub struct FixedCols<T> {
    /// Address byte 1 = `16·u + r` (`u, r < 16`): page aligned when byte 0 and `r` are 0.
    pub u: T,
    pub r: T,
    /// The inverse witnessing an EINVAL row's nonzero value.
    pub inv: T,
    /// EINVAL because the address is not page aligned, the rounded length is 2^32, or the map
    /// runs past 2^32 (one of them).
    pub why: [T; 3],
    /// `top − addr` (borrow: the map starts below the top).
    pub below_top: SubCols<T>,
    /// `end − hwm` (borrow: the map ends above the mark).
    pub over_mark: SubCols<T>,
    /// The mark rounded up to a page: `hwm + hpad = [0, 16·ht, hal0, hal1]`, `hpad < 4096`.
    pub hpad: [T; 2],
    pub ht: T,
    pub hal: [T; 2],
    pub hcarry: [T; 4],
    /// `hwm_up − addr` (borrow: the address is below the rounded mark).
    pub low: SubCols<T>,
    /// The map lands in the free area.
    pub lands: T,
    /// `max(addr, hwm_up)`.
    pub mx: [T; 4],
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

/// The rounded length's bytes `[0, 16·t, al0, al1]` (a multiple of 4096).
pub fn aligned_bytes<AB: AirBuilder>(c: &MmapCols<AB::Var>) -> [AB::Expr; 4] {
    [
        AB::Expr::ZERO,
        c.t.into() * AB::Expr::from_u8(16),
        c.al[0].into(),
        c.al[1].into(),
    ]
}

/// `x` rounded up to a page on `sel` rows: `x + pad = [0, 16·t, al0, al1]` with `pad < 4096`
/// (its carries in `carries`; a carry out means the rounding reaches 2^32), all range-checked
/// so the rounding is unique; returns the rounded bytes. The columns are 0 on other rows.
fn eval_round_up<AB: AirBuilder<F = F> + InteractionBuilder>(
    b: &mut AB,
    x: &[AB::Var; 4],
    pad: &[AB::Var; 2],
    t: AB::Var,
    al: &[AB::Var; 2],
    carries: [AB::Var; 4],
    sel: AB::Expr,
) -> [AB::Expr; 4] {
    let k16 = AB::Expr::from_u8(16);
    let up = [
        AB::Expr::ZERO,
        t.into() * k16.clone(),
        al[0].into(),
        al[1].into(),
    ];
    assert_add_bytes(
        b,
        x.map(|v| v.into() * sel.clone()),
        [pad[0].into(), pad[1].into(), AB::Expr::ZERO, AB::Expr::ZERO],
        up.clone(),
        carries,
    );
    range_pair(b, pad[0].into(), al[0].into(), sel.clone());
    range_pair(b, al[1].into(), pad[1].into() * k16.clone(), sel.clone());
    range_pair(b, pad[1].into(), t.into() * k16, sel.clone());
    range_pair(b, t.into(), AB::Expr::ZERO, sel);
    up
}

/// The constraints of a `MAP_FIXED` map's rows (see [`FixedCols`]): `addr` = `$a0`, `end` and
/// `carry_out` the syscall chip's `addr + aligned` (its buffer), `top` the mmap-top access
/// (written on success), `hwm` the mark (read), `v0` the result.
#[allow(clippy::too_many_arguments)]
pub fn eval_fixed<AB: AirBuilder<F = F> + InteractionBuilder>(
    b: &mut AB,
    c: &FixedCols<AB::Var>,
    mm: &MmapCols<AB::Var>,
    ok: AB::Var,
    inval: AB::Var,
    addr: &[AB::Var; 4],
    end: &[AB::Var; 4],
    carry_out: AB::Var,
    top: &SlotCols<AB::Var>,
    hwm: &[AB::Var; 4],
    v0: &[AB::Var; 4],
) {
    let k = |v: u32| AB::Expr::from_u32(v);
    let on: AB::Expr = ok.into() + inval.into();
    let w = |x: &[AB::Var; 4]| x.map(Into::into);
    b.when(on.clone())
        .assert_eq(addr[1], c.u.into() * k(16) + c.r.into());
    range_pair(b, c.u.into(), c.u.into() * k(16), on.clone());
    range_pair(b, c.r.into(), c.r.into() * k(16), on);
    // Success: aligned, the rounded length below 2^32 (checked with the rounding), the map
    // below 2^32 (the buffer's no-wrap check); the result is the address.
    b.when(ok).assert_zero(addr[0]);
    b.when(ok).assert_zero(c.r);
    b.when(ok).assert_zero(carry_out);
    for i in 0..4 {
        b.when(ok).assert_eq(v0[i], addr[i]);
    }
    // EINVAL: one of the three reasons holds.
    let mut why = AB::Expr::ZERO;
    for x in c.why {
        b.assert_bool(x);
        why += x.into();
    }
    b.assert_eq(why, inval.into());
    b.when(c.why[0])
        .assert_one(c.inv.into() * (addr[0].into() + c.r.into()));
    b.when(c.why[1]).assert_one(mm.al_carry[3]);
    b.when(c.why[2]).assert_one(carry_out);
    b.when(c.why[2]).assert_one(c.inv.into() * sum::<AB>(end));
    // The top: max(addr, round_up(hwm)) when addr < top and end > hwm, else unchanged.
    let sel: AB::Expr = ok.into();
    let below = assert_sub_bytes(b, &sel, w(&top.prev), w(addr), &c.below_top);
    let over = assert_sub_bytes(b, &sel, w(end), w(hwm), &c.over_mark);
    b.when(ok).assert_eq(c.lands, below * over);
    let hwm_up = eval_round_up(b, hwm, &c.hpad, c.ht, &c.hal, c.hcarry, sel.clone());
    b.when(ok).assert_zero(c.hcarry[3]);
    let under = assert_sub_bytes(b, &sel, hwm_up.clone(), w(addr), &c.low);
    for i in 0..4 {
        b.when(ok).assert_eq(
            c.mx[i],
            under.clone() * hwm_up[i].clone() + (AB::Expr::ONE - under.clone()) * addr[i].into(),
        );
        b.when(ok).assert_eq(
            top.value[i],
            c.lands.into() * c.mx[i].into() + (AB::Expr::ONE - c.lands.into()) * top.prev[i].into(),
        );
    }
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
    let fixed: AB::Expr = rows.fixed_ok.into() + rows.fixed_inval.into();
    let any: AB::Expr =
        rows.ok.into() + rows.inval.into() + rows.badf.into() + rows.nomem.into() + fixed.clone();
    // Rows whose flags and length are read, rows that round the length up, and rows that
    // carve the map below the top.
    let parsed: AB::Expr = rows.ok.into() + rows.badf.into() + rows.nomem.into() + fixed.clone();
    let rounded: AB::Expr = rows.ok.into() + rows.nomem.into() + fixed.clone();
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
    b.when(rounded.clone()).assert_one(c.anon);
    b.when(sized.clone()).assert_zero(c.fixed);
    b.when(fixed.clone()).assert_one(c.fixed);
    // aligned = len + pad, a multiple of 4096, pad < 4096.
    let aligned = eval_round_up(b, len, &c.pad, c.t, &c.al, c.al_carry, rounded.clone());
    b.when(rows.ok).assert_zero(c.al_carry[3]);
    b.when(rows.fixed_ok).assert_zero(c.al_carry[3]);
    // start + aligned = top (+ 2^32 when aligned exceeds it); hwm + gap = start.
    assert_add_bytes(
        b,
        c.start.map(|v| v.into() * sized.clone()),
        aligned.clone().map(|v| v * sized.clone()),
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
    let aligned = fill_round_up(&mut c.pad, &mut c.t, &mut c.al, &mut c.al_carry, len, bytes);
    let start = top.wrapping_sub(aligned);
    c.start = word_bytes(start);
    c.start_carry = add_carries(start, aligned);
    bytes.range_word(start);
    let below = fill_sub(&mut c.gap, hwm, start, bytes);
    c.short = F::from_bool(c.start_carry[3] == F::ONE || below);
}

/// Fills `x` rounded up to a page (`x + pad = [0, 16·t, al0, al1]`, its carries) and its
/// range checks; returns the rounded value (0 when it is 2^32).
fn fill_round_up(
    pad: &mut [F; 2],
    t: &mut F,
    al: &mut [F; 2],
    carries: &mut [F; 4],
    x: u32,
    bytes: &mut ByteLookups,
) -> u32 {
    let aligned = x.wrapping_add(PAGE_SIZE - 1) & !(PAGE_SIZE - 1);
    let p = aligned.wrapping_sub(x);
    let [p0, p1, _, _] = p.to_le_bytes();
    let [_, a1, a2, a3] = aligned.to_le_bytes();
    *pad = [F::from_u8(p0), F::from_u8(p1)];
    *t = F::from_u8(a1 >> 4);
    *al = [F::from_u8(a2), F::from_u8(a3)];
    *carries = add_carries(x, p);
    bytes.add(ByteOp::Range, p0, a2);
    bytes.add(ByteOp::Range, a3, p1.wrapping_mul(16));
    bytes.add(ByteOp::Range, p1, a1);
    bytes.add(ByteOp::Range, a1 >> 4, 0);
    aligned
}

/// Fills a `MAP_FIXED` map's row: the flags and rounded length (in `mm`), and `c`; `state`
/// (the top before and after, and the mark) on success. Returns the rounded length (0 when
/// it is 2^32). The selector and the buffer columns are set by the caller.
#[allow(clippy::too_many_arguments)]
pub fn fill_fixed(
    mm: &mut MmapCols<F>,
    c: &mut FixedCols<F>,
    number: u32,
    addr: u32,
    len: u32,
    flags: u32,
    state: Option<((u32, u32), u32)>,
    bytes: &mut ByteLookups,
) -> u32 {
    fill_mmap(mm, number, len, flags, None, bytes);
    let aligned = fill_round_up(
        &mut mm.pad,
        &mut mm.t,
        &mut mm.al,
        &mut mm.al_carry,
        len,
        bytes,
    );
    let [a0, a1, _, _] = addr.to_le_bytes();
    let (u, r) = (a1 >> 4, a1 & 15);
    c.u = F::from_u8(u);
    c.r = F::from_u8(r);
    bytes.add(ByteOp::Range, u, u * 16);
    bytes.add(ByteOp::Range, r, r * 16);
    let end = addr.wrapping_add(aligned);
    match state {
        None => {
            let misaligned = a0 as u32 + r as u32;
            if misaligned != 0 {
                c.why[0] = F::ONE;
                c.inv = F::from_u32(misaligned).inverse();
            } else if mm.al_carry[3] == F::ONE {
                c.why[1] = F::ONE;
            } else {
                c.why[2] = F::ONE;
                c.inv = byte_sum_inverse(end);
            }
        }
        Some(((top, _), hwm)) => {
            let below = fill_sub(&mut c.below_top, top, addr, bytes);
            let over = fill_sub(&mut c.over_mark, end, hwm, bytes);
            c.lands = F::from_bool(below && over);
            let hwm_up = fill_round_up(
                &mut c.hpad,
                &mut c.ht,
                &mut c.hal,
                &mut c.hcarry,
                hwm,
                bytes,
            );
            let under = fill_sub(&mut c.low, hwm_up, addr, bytes);
            c.mx = word_bytes(if under { hwm_up } else { addr });
        }
    }
    aligned
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
