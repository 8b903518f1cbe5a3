//! Linux `mmap`/`mmap2` of anonymous memory (not `MAP_FIXED`) and `munmap`, when they succeed.
//!
//! An anonymous map is carved downwards from the mmap top, a register of the memory argument
//! (accessed at `clk + 5`): the row proves `start + aligned = top` without a carry, where
//! `aligned` is the length rounded up to whole pages (`len + pad` with `pad < 4096` and the low
//! twelve bits of `aligned` zero), and `start ≥ hwm` (the break's high-water mark, read at
//! `clk + 6`). Nothing below the mark was ever a map, and the area is never reused, so the new
//! region is memory no instruction has mapped before: nothing is written. The flags are proven
//! to have `MAP_ANONYMOUS` (bit 11) set and `MAP_FIXED` (bit 4) clear by splitting their two
//! low bytes around those bits. `$v0` = start.
//!
//! `munmap(addr, len)` succeeds (returns 0, no effect) when `addr` is page aligned, `len ≠ 0` and
//! `addr + len ≤ 2^32`; the row proves exactly that.

use mipstark_emulator::syscall::nr;
use p3_air::AirBuilder;
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::InteractionBuilder;

use crate::alu::word_bytes;
use crate::bus::ByteOp;
use crate::byte::ByteLookups;
use crate::gadgets::{
    add_carries, assert_add_bytes, assert_sub_bytes, fill_sub, range_check_word, SubCols,
};
use crate::memory::access::{range_pair, SlotCols};
use crate::F;

#[repr(C)]
pub struct MmapCols<T> {
    /// The call is `mmap2` (4210), not `mmap` (4090).
    pub is2: T,
    /// Flags byte 0 = `f0_lo + 32·f0_hi` (`f0_lo < 16`, `f0_hi < 8`: bit 4 clear); byte 1 =
    /// `f1_lo + 8 + 16·f1_hi` (`f1_lo < 8`, `f1_hi < 16`: bit 3 set).
    pub f0_lo: T,
    pub f0_hi: T,
    pub f1_lo: T,
    pub f1_hi: T,
    /// The inverse of the length's byte sum (the length is not 0).
    pub len_inv: T,
    /// `pad = aligned − len` as bytes `[pad0, pad1 < 16, 0, 0]`; `aligned` as bytes
    /// `[0, 16·t, al2, al3]`; the carries of `len + pad`.
    pub pad: [T; 2],
    pub t: T,
    pub al: [T; 2],
    pub al_carry: [T; 4],
    /// The carries of `start + aligned = top`.
    pub start_carry: [T; 4],
    /// `start − hwm` (no borrow: the map starts at or above the mark).
    pub gap: SubCols<T>,
}

#[repr(C)]
pub struct MunmapCols<T> {
    /// Address byte 1 = `16·u` (`u < 16`; byte 0 is 0): page aligned.
    pub u: T,
    /// The inverse of the length's byte sum.
    pub len_inv: T,
    /// `addr + len` and its carries; a carry out only onto exactly 2^32.
    pub end: [T; 4],
    pub carry: [T; 4],
}

fn sum<AB: AirBuilder>(w: &[AB::Var; 4]) -> AB::Expr {
    w.iter().map(|v| (*v).into()).sum()
}

/// The constraints of an anonymous-map row (`sel`): `v0` the number and result, `len` = `$a1`,
/// `flags` = `$a3`, `top` the mmap-top access (written: the new top is the start), `hwm` the
/// mark (read).
#[allow(clippy::too_many_arguments)]
pub fn eval_mmap<AB: AirBuilder<F = F> + InteractionBuilder>(
    b: &mut AB,
    c: &MmapCols<AB::Var>,
    sel: AB::Var,
    v0: &SlotCols<AB::Var>,
    len: &[AB::Var; 4],
    flags: &[AB::Var; 4],
    top: &SlotCols<AB::Var>,
    hwm: &[AB::Var; 4],
) {
    let on: AB::Expr = sel.into();
    let k = |v: u32| AB::Expr::from_u32(v);
    // The number: 4090 or 4210.
    b.assert_bool(c.is2);
    b.assert_zero(c.is2.into() * (AB::Expr::ONE - on.clone()));
    let (n1, n2) = (nr::LINUX_MMAP.to_le_bytes(), nr::LINUX_MMAP2.to_le_bytes());
    for i in 0..4 {
        let want = k(n1[i] as u32) + c.is2.into() * (k(n2[i] as u32) - k(n1[i] as u32));
        b.when(sel).assert_eq(v0.prev[i], want);
    }
    // Flags: MAP_ANONYMOUS set, MAP_FIXED clear.
    b.when(sel)
        .assert_eq(flags[0], c.f0_lo.into() + c.f0_hi.into() * k(32));
    b.when(sel)
        .assert_eq(flags[1], c.f1_lo.into() + k(8) + c.f1_hi.into() * k(16));
    for (x, scale) in [(c.f0_lo, 16), (c.f0_hi, 32), (c.f1_lo, 32), (c.f1_hi, 16)] {
        range_pair(b, x.into(), x.into() * k(scale), on.clone());
    }
    // len ≠ 0; aligned = len + pad, a multiple of 4096, pad < 4096.
    b.when(sel).assert_one(sum::<AB>(len) * c.len_inv.into());
    let aligned = [
        AB::Expr::ZERO,
        c.t.into() * k(16),
        c.al[0].into(),
        c.al[1].into(),
    ];
    assert_add_bytes(
        b,
        len.map(|v| v.into() * on.clone()),
        [
            c.pad[0].into(),
            c.pad[1].into(),
            AB::Expr::ZERO,
            AB::Expr::ZERO,
        ],
        aligned.clone(),
        c.al_carry,
    );
    b.when(sel).assert_zero(c.al_carry[3]);
    range_pair(b, c.pad[0].into(), c.al[0].into(), on.clone());
    range_pair(b, c.al[1].into(), c.pad[1].into() * k(16), on.clone());
    range_pair(b, c.pad[1].into(), c.t.into() * k(16), on.clone());
    range_pair(b, c.t.into(), AB::Expr::ZERO, on.clone());
    // start + aligned = top; hwm + gap = start; neither carries out.
    let start = &top.value;
    assert_add_bytes(
        b,
        start.map(|v| v.into() * on.clone()),
        aligned,
        top.prev.map(|v| v.into() * on.clone()),
        c.start_carry,
    );
    b.when(sel).assert_zero(c.start_carry[3]);
    range_check_word(b, start.map(Into::into), on.clone());
    let below_mark = assert_sub_bytes(b, &on, hwm.map(Into::into), start.map(Into::into), &c.gap);
    b.when(sel).assert_zero(below_mark);
    for (v, s) in v0.value.iter().zip(start) {
        b.when(sel).assert_eq(*v, *s);
    }
}

/// The constraints of a successful `munmap(addr, len)` row (`sel`); the result is 0.
pub fn eval_munmap<AB: AirBuilder<F = F> + InteractionBuilder>(
    b: &mut AB,
    c: &MunmapCols<AB::Var>,
    sel: AB::Var,
    addr: &[AB::Var; 4],
    len: &[AB::Var; 4],
    v0: &[AB::Var; 4],
) {
    let on: AB::Expr = sel.into();
    b.when(sel).assert_zero(addr[0]);
    b.when(sel)
        .assert_eq(addr[1], c.u.into() * AB::Expr::from_u8(16));
    range_pair(
        b,
        c.u.into(),
        c.u.into() * AB::Expr::from_u8(16),
        on.clone(),
    );
    b.when(sel).assert_one(sum::<AB>(len) * c.len_inv.into());
    assert_add_bytes(
        b,
        addr.map(|v| v.into() * on.clone()),
        len.map(|v| v.into() * on.clone()),
        c.end.map(Into::into),
        c.carry,
    );
    range_check_word(b, c.end.map(Into::into), on);
    // A carry out only onto exactly 2^32 (end = 0).
    b.when(sel)
        .assert_zero(c.carry[3].into() * sum::<AB>(&c.end));
    for v in v0 {
        b.when(sel).assert_zero(*v);
    }
}

fn byte_sum_inverse(v: u32) -> F {
    let s: u32 = v.to_le_bytes().iter().map(|&x| x as u32).sum();
    F::from_u32(s).try_inverse().unwrap_or(F::ZERO)
}

/// Fills an anonymous-map row: `len`, `flags`, and the mmap top before and after (the start).
pub fn fill_mmap(
    c: &mut MmapCols<F>,
    number: u32,
    len: u32,
    flags: u32,
    (top, start): (u32, u32),
    hwm: u32,
    bytes: &mut ByteLookups,
) {
    c.is2 = F::from_bool(number == nr::LINUX_MMAP2);
    let [b0, b1, _, _] = flags.to_le_bytes();
    let parts = [(b0 & 15, 16), (b0 >> 5, 32), (b1 & 7, 32), (b1 >> 4, 16)];
    for (col, (x, scale)) in [&mut c.f0_lo, &mut c.f0_hi, &mut c.f1_lo, &mut c.f1_hi]
        .into_iter()
        .zip(parts)
    {
        *col = F::from_u8(x);
        bytes.add(ByteOp::Range, x, x.wrapping_mul(scale));
    }
    c.len_inv = byte_sum_inverse(len);
    let aligned = top.wrapping_sub(start);
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
    c.start_carry = add_carries(start, aligned);
    bytes.range_word(start);
    fill_sub(&mut c.gap, hwm, start, bytes);
}

/// Fills a successful `munmap(addr, len)` row.
pub fn fill_munmap(c: &mut MunmapCols<F>, addr: u32, len: u32, bytes: &mut ByteLookups) {
    let u = (addr >> 8) as u8 >> 4;
    c.u = F::from_u8(u);
    bytes.add(ByteOp::Range, u, u * 16);
    c.len_inv = byte_sum_inverse(len);
    let end = addr.wrapping_add(len);
    c.end = word_bytes(end);
    c.carry = add_carries(addr, len);
    bytes.range_word(end);
}
