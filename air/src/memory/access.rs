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
    /// `ts − prev_ts − 1` as bytes, the top one below 32 (timestamps stay below 2^29).
    pub diff: [T; 4],
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

/// Range-checks four byte columns as a value below 2^29 (`d3 < 32` via `8·d3` a byte; `d3`
/// itself only enters as `2^24·d3`, an integer).
pub(crate) fn range_below_2_29<AB: AirBuilder<F = F> + InteractionBuilder>(
    b: &mut AB,
    d: &[AB::Var; 4],
    count: AB::Expr,
) {
    range_pair(b, d[0].into(), d[1].into(), count.clone());
    range_pair(b, d[2].into(), d[3].into() * AB::Expr::from_u8(8), count);
}

/// Records the lookups of [`range_below_2_29`] for `d`.
pub(crate) fn record_below_2_29(bytes: &mut ByteLookups, d: u32) {
    let db = d.to_le_bytes();
    bytes.add(ByteOp::Range, db[0], db[1]);
    bytes.add(ByteOp::Range, db[2], db[3] * 8);
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
    b.when(count.clone()).assert_eq(
        ts.clone() - slot.prev_ts.into() - AB::Expr::ONE,
        word_value::<AB>(&slot.diff),
    );
    range_below_2_29(b, &slot.diff, count.clone());
    let mut old = vec![addr.clone()];
    old.extend(slot.prev.map(Into::into));
    old.push(slot.prev_ts.into());
    MEMORY.receive(b, old, Count::bounded(count.clone(), 1));
    let mut new = vec![addr];
    new.extend(slot.value.map(Into::into));
    new.push(ts);
    MEMORY.send(b, new, Count::bounded(count, 1));
}

/// Fills the timestamp part of an access at `ts` and records its range checks.
pub(crate) fn fill_ts(slot: &mut SlotCols<F>, prev_ts: u64, ts: u64, bytes: &mut ByteLookups) {
    let d = (ts - prev_ts - 1) as u32;
    slot.prev_ts = F::from_u64(prev_ts);
    slot.diff = word_bytes(d);
    record_below_2_29(bytes, d);
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
