//! One access of the memory argument, shared by every chip that reads or writes a location
//! (CPU register slots, loads/stores, syscall registers and buffers): the columns, the
//! constraints, and their trace generation, defined once.

use p3_air::AirBuilder;
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};

use crate::alu::word_bytes;
use crate::bus::{ByteOp, BYTE, MEMORY};
use crate::byte::ByteLookups;
use crate::F;

/// One access: the location's new and previous value and previous timestamp.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SlotCols<T> {
    pub value: [T; 4],
    pub prev: [T; 4],
    pub prev_ts: T,
    /// `ts − prev_ts − 1` as limbs `[lo, hi]` below 2^29 (timestamps stay below 2^29): see
    /// [`range_below_2_29`].
    pub diff: [T; 2],
}

/// An access that only reads: the value stays `prev` (so it has no columns of its own).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ReadSlotCols<T> {
    pub prev: [T; 4],
    pub prev_ts: T,
    /// As [`SlotCols::diff`].
    pub diff: [T; 2],
}

/// Looks up `(Range, x, y)`: both bytes.
pub(crate) fn range_pair<AB: AirBuilder<F = F> + InteractionBuilder>(
    b: &mut AB,
    x: AB::Expr,
    y: AB::Expr,
    count: AB::Expr,
) {
    let key = [AB::Expr::from_u8(ByteOp::Range as u8), x, y, AB::Expr::ZERO];
    BYTE.lookup_key(b, key, Count::bounded(count, 1));
}

/// `Σ d_i·256^i` of four byte columns.
pub(crate) fn word_value<AB: AirBuilder>(d: &[AB::Var; 4]) -> AB::Expr {
    (0..4)
        .map(|i| d[i].into() * AB::Expr::from_u32(1 << (8 * i)))
        .sum()
}

/// Looks up `(Range16, x, 0, 0)`: `x < 2^16`.
pub(crate) fn range16<AB: AirBuilder<F = F> + InteractionBuilder>(
    b: &mut AB,
    x: AB::Expr,
    count: AB::Expr,
) {
    let key = [
        AB::Expr::from_u8(ByteOp::Range16 as u8),
        x,
        AB::Expr::ZERO,
        AB::Expr::ZERO,
    ];
    BYTE.lookup_key(b, key, Count::bounded(count, 1));
}

/// `lo + 2^16·hi` of a limb pair checked by [`range_below_2_29`].
pub(crate) fn limbs_value<AB: AirBuilder>(d: &[AB::Var; 2]) -> AB::Expr {
    d[0].into() + d[1].into() * AB::Expr::from_u32(1 << 16)
}

/// Range-checks limbs `[lo, hi]`: `lo < 2^16` and `t = 8·hi < 2^16`, two lookups of one column
/// each. `hi` itself only enters as `2^16·hi = 2^13·t`, so the value `lo + 2^13·t` is an
/// integer below 2^29 + 2^16 (exactly below 2^29 when `t` is a multiple of 8, as honest limbs
/// are). That is what the uses need: timestamps stay below 2^29, so a difference of a
/// `prev_ts ≥ ts` (at least `p − 2^29` in the field) cannot pass, and memory addresses below
/// `0x5000_0000` plus such a gap stay below `p`.
pub(crate) fn range_below_2_29<AB: AirBuilder<F = F> + InteractionBuilder>(
    b: &mut AB,
    d: &[AB::Var; 2],
    count: AB::Expr,
) {
    range16(b, d[0].into(), count.clone());
    range16(b, d[1].into() * AB::Expr::from_u8(8), count);
}

/// The limbs of `d` for [`range_below_2_29`], recording its lookups. An honest `d` is below
/// 2^29; a larger one (only a forged record has one) gets `8·hi ≥ 2^16`, which no row of the
/// byte table holds, so its proof fails — trace generation does not panic on it.
pub(crate) fn fill_below_2_29(bytes: &mut ByteLookups, d: u32) -> [F; 2] {
    bytes.range16(d as u16);
    bytes.range16(((d >> 16) * 8) as u16);
    [F::from_u32(d & 0xffff), F::from_u32(d >> 16)]
}

/// The access of `slot` to `addr` at `ts` (`count` boolean): `ts > prev_ts`, then receive the
/// previous version and send the new one on the memory bus.
pub(crate) fn access<AB: AirBuilder<F = F> + InteractionBuilder>(
    b: &mut AB,
    slot: &SlotCols<AB::Var>,
    addr: AB::Expr,
    ts: AB::Expr,
    count: AB::Expr,
) {
    access_parts(
        b,
        &slot.prev,
        &slot.value,
        slot.prev_ts,
        &slot.diff,
        addr,
        ts,
        count,
    );
}

/// [`access`] of a read: the location keeps `slot.prev`.
pub(crate) fn access_read<AB: AirBuilder<F = F> + InteractionBuilder>(
    b: &mut AB,
    slot: &ReadSlotCols<AB::Var>,
    addr: AB::Expr,
    ts: AB::Expr,
    count: AB::Expr,
) {
    access_parts(
        b,
        &slot.prev,
        &slot.prev,
        slot.prev_ts,
        &slot.diff,
        addr,
        ts,
        count,
    );
}

#[allow(clippy::too_many_arguments)]
fn access_parts<AB: AirBuilder<F = F> + InteractionBuilder>(
    b: &mut AB,
    prev: &[AB::Var; 4],
    value: &[AB::Var; 4],
    prev_ts: AB::Var,
    diff: &[AB::Var; 2],
    addr: AB::Expr,
    ts: AB::Expr,
    count: AB::Expr,
) {
    b.when(count.clone()).assert_eq(
        ts.clone() - prev_ts.into() - AB::Expr::ONE,
        limbs_value::<AB>(diff),
    );
    range_below_2_29(b, diff, count.clone());
    let mut old = vec![addr.clone()];
    old.extend(prev.map(Into::into));
    old.push(prev_ts.into());
    MEMORY.receive(b, old, Count::bounded(count.clone(), 1));
    let mut new = vec![addr];
    new.extend(value.map(Into::into));
    new.push(ts);
    MEMORY.send(b, new, Count::bounded(count, 1));
}

/// Fills the timestamp part of an access at `ts` and records its range checks.
pub(crate) fn fill_ts(slot: &mut SlotCols<F>, prev_ts: u64, ts: u64, bytes: &mut ByteLookups) {
    (slot.prev_ts, slot.diff) = ts_parts(prev_ts, ts, bytes);
}

/// [`fill_ts`] of a read.
pub(crate) fn fill_read_ts(
    slot: &mut ReadSlotCols<F>,
    prev_ts: u64,
    ts: u64,
    bytes: &mut ByteLookups,
) {
    (slot.prev_ts, slot.diff) = ts_parts(prev_ts, ts, bytes);
}

fn ts_parts(prev_ts: u64, ts: u64, bytes: &mut ByteLookups) -> (F, [F; 2]) {
    // A forged record with `prev_ts ≥ ts` wraps to a difference the range check rejects.
    let d = ts.wrapping_sub(prev_ts).wrapping_sub(1) as u32;
    (F::from_u64(prev_ts), fill_below_2_29(bytes, d))
}

/// Fills a whole access (values and timestamp).
pub(crate) fn fill_access(
    slot: &mut SlotCols<F>,
    prev: u32,
    value: u32,
    prev_ts: u64,
    ts: u64,
    bytes: &mut ByteLookups,
) {
    slot.prev = word_bytes(prev);
    slot.value = word_bytes(value);
    fill_ts(slot, prev_ts, ts, bytes);
}
