//! One access of the memory argument, shared by every chip that reads or writes a location
//! (CPU register slots, loads/stores, syscall registers and buffers): the columns, the
//! constraints, and their trace generation, defined once.
//!
//! **The timestamp bound is local.** An access proves `prev_ts < ts` from
//! `ts − prev_ts − 1 < 2^29 + 2^16` in the field, which means `prev_ts < ts` only if both are
//! below [`TS_BOUND`] (so the difference cannot wrap modulo p). That bound is not a promise of
//! the callers: [`access`] takes its timestamp as a [`Ts`], which only [`Clock::new`] can make,
//! and `Clock::new` range-checks the row's clock (limbs, two byte-table lookups) whenever the
//! access can count. Every `ts` a chip sends on the memory bus is therefore below `TS_BOUND`,
//! every `prev_ts` an access receives was sent by another access or is a boundary chip's 0,
//! and so every access's order holds on its own — whatever clock a chip, present or future,
//! hands it.

use p3_air::AirBuilder;
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};

use crate::alu::word_bytes;
use crate::bus::{ByteOp, BYTE, MEMORY};
use crate::byte::ByteLookups;
use crate::{F, F_ORDER};

/// Offsets a chip may add to its row's clock (`clk + k`, `k < MAX_TS_OFFSET`): the CPU's four
/// slots and a syscall's eight accesses sit within one instruction's stride.
pub const MAX_TS_OFFSET: u32 = mipstark_emulator::record::CLK_STRIDE as u32;

/// Every timestamp an access uses is below this: a clock checked by [`Clock::new`] is below
/// `2^29 + 2^16`, plus an offset below [`MAX_TS_OFFSET`].
pub const TS_BOUND: u64 = (1 << 29) + (1 << 16) + MAX_TS_OFFSET as u64;

/// Largest `ts − prev_ts − 1` the limbs of [`range_below_2_29`] admit (exclusive).
pub const DIFF_BOUND: u64 = (1 << 29) + (1 << 16);

// A `prev_ts ≥ ts`, both below TS_BOUND, leaves `ts − prev_ts − 1` at least `p − TS_BOUND` in
// the field: it must not fit below DIFF_BOUND.
const _: () = assert!(TS_BOUND + DIFF_BOUND <= F_ORDER as u64);

/// A row's clock, proven below `2^29 + 2^16` on the rows where `gate` is 1 (the only way to
/// make a [`Ts`]).
pub struct Clock<AB: AirBuilder> {
    clk: AB::Expr,
    gate: AB::Expr,
}

/// A timestamp below [`TS_BOUND`] on the rows where its gate is 1; [`access`] requires every
/// counted access to sit on such a row.
pub struct Ts<AB: AirBuilder> {
    value: AB::Expr,
    gate: AB::Expr,
}

impl<AB: AirBuilder<F = F> + InteractionBuilder> Clock<AB> {
    /// Range-checks `clk` through its high limb `hi` (`clk − 2^16·hi < 2^16` and `8·hi < 2^16`,
    /// as [`range_below_2_29`]) on rows where `gate` is 1. `gate` is asserted boolean here,
    /// not left to the caller: a gate of −1 would turn the range lookups into sends.
    pub fn new(b: &mut AB, clk: AB::Var, hi: AB::Var, gate: AB::Expr) -> Self {
        b.assert_bool(gate.clone());
        let lo = clk.into() - hi.into() * AB::Expr::from_u32(1 << 16);
        range16(b, lo, gate.clone());
        range16(b, hi.into() * AB::Expr::from_u8(8), gate.clone());
        Clock {
            clk: clk.into(),
            gate,
        }
    }

    /// The timestamp `clk + offset`.
    ///
    /// # Panics
    ///
    /// When `offset ≥ MAX_TS_OFFSET` (a chip's definition is wrong; every chip is evaluated
    /// when a machine is set up, so this fails before any proof).
    pub fn at(&self, offset: u32) -> Ts<AB> {
        assert!(
            offset < MAX_TS_OFFSET,
            "timestamp offset {offset} too large"
        );
        Ts {
            value: self.clk.clone() + AB::Expr::from_u32(offset),
            gate: self.gate.clone(),
        }
    }

    /// The clock itself (for the chip's other uses of it).
    pub fn value(&self) -> AB::Expr {
        self.clk.clone()
    }
}

/// The high limb of a clock for [`Clock::new`], recording its two range checks. An honest clock
/// is below 2^29; a larger one (only a forged record has one) fails the byte table's lookup.
pub(crate) fn fill_clock(bytes: &mut ByteLookups, clk: u64) -> F {
    let clk = u32::try_from(clk).unwrap_or(u32::MAX);
    fill_below_2_29(bytes, clk)[1]
}

/// One access: the location's new and previous value and previous timestamp.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SlotCols<T> {
    pub value: [T; 4],
    pub prev: [T; 4],
    pub prev_ts: T,
    /// `ts − prev_ts − 1` as limbs `[lo, hi]` below [`DIFF_BOUND`] ([`range_below_2_29`]);
    /// with both timestamps below [`TS_BOUND`] this proves `prev_ts < ts`.
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
/// are). That is what the uses need: timestamps are below [`TS_BOUND`] ([`Clock`]), so a
/// difference of a `prev_ts ≥ ts` (at least `p − TS_BOUND` in the field) cannot pass, and
/// memory addresses below `0x5000_0000` plus such a gap stay below `p`.
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

/// The access of `slot` to `addr` at `ts` (`count` asserted boolean): `ts > prev_ts`, then
/// receive the previous version and send the new one on the memory bus. The access counts only
/// on rows where `ts`'s clock is range-checked (`count = 1` forces its gate to 1).
pub(crate) fn access<AB: AirBuilder<F = F> + InteractionBuilder>(
    b: &mut AB,
    slot: &SlotCols<AB::Var>,
    addr: AB::Expr,
    ts: Ts<AB>,
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
    ts: Ts<AB>,
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
    ts: Ts<AB>,
    count: AB::Expr,
) {
    let Ts { value: ts, gate } = ts;
    // A count of −1 would swap the access's receive and send (a version taken back off the
    // bus), 2 would double them: the gadget holds the count boolean itself.
    b.assert_bool(count.clone());
    b.when(count.clone()).assert_one(gate);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::debug::{check_rows, DebugError};
    use crate::{cols, cols_mut};
    use p3_air::{Air, BaseAir, WindowAccess};
    use p3_matrix::dense::RowMajorMatrix;
    use rand::{Rng, SeedableRng};

    /// A clock and one access on its own row, to evaluate the gadgets without a chip around
    /// them (a chip's other constraints would hide what the gadgets themselves enforce).
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct ProbeCols<T> {
        clk: T,
        hi: T,
        gate: T,
        count: T,
        slot: SlotCols<T>,
    }

    struct Probe;

    impl BaseAir<F> for Probe {
        fn width(&self) -> usize {
            std::mem::size_of::<ProbeCols<u8>>()
        }
    }

    impl<AB: AirBuilder<F = F> + InteractionBuilder> Air<AB> for Probe {
        fn eval(&self, b: &mut AB) {
            let main = b.main();
            let r: &ProbeCols<AB::Var> = cols(main.current_slice());
            let clock = Clock::new(b, r.clk, r.hi, r.gate.into());
            access(b, &r.slot, AB::Expr::ZERO, clock.at(0), r.count.into());
        }
    }

    /// An access at clock 9 of a location last written at 0.
    fn probe_row() -> ProbeCols<F> {
        let mut r = ProbeCols {
            clk: F::from_u8(9),
            gate: F::ONE,
            count: F::ONE,
            ..Default::default()
        };
        r.slot.diff = [F::from_u8(8), F::ZERO];
        r
    }

    fn probe(r: ProbeCols<F>) -> Result<(), DebugError> {
        let mut row = vec![F::ZERO; Probe.width()];
        *cols_mut::<ProbeCols<F>, F>(&mut row) = r;
        let m = RowMajorMatrix::new(row, Probe.width());
        check_rows("probe", &Probe, &m, None, &[], 0..1).map(|_| ())
    }

    /// A gate or count of −1 or 2 would flip or double lookups and memory-bus messages (a
    /// count of −1 turns a send into a receive): the gadgets reject them on their own, whatever
    /// the chip that calls them asserts.
    #[test]
    fn gate_and_count_must_be_boolean() {
        probe(probe_row()).expect("the honest access");
        probe(ProbeCols {
            count: F::ZERO,
            gate: F::ZERO,
            ..probe_row()
        })
        .expect("no access");
        let ungated = ProbeCols {
            gate: F::ZERO,
            ..probe_row()
        };
        assert!(
            probe(ungated).is_err(),
            "a counted access on an unchecked clock"
        );
        for bad in [F::NEG_ONE, F::TWO] {
            let gate = ProbeCols {
                gate: bad,
                count: F::ZERO,
                ..probe_row()
            };
            assert!(probe(gate).is_err(), "gate {bad} accepted");
            let count = ProbeCols {
                count: bad,
                ..probe_row()
            };
            assert!(probe(count).is_err(), "count {bad} accepted");
        }
    }

    /// Whether some limb pair passes [`Clock::new`]'s two lookups for `clk`: `t = 8·hi < 2^16`
    /// (any field element `hi`) and `clk − 2^16·hi = clk − 2^13·t < 2^16` in the field.
    fn clock_has_witness(clk: u32) -> bool {
        let p = F_ORDER as u64;
        (0..1u64 << 16).any(|t| (clk as u64 + p - ((t << 13) % p)) % p < 1 << 16)
    }

    /// The clock gadget admits exactly the clocks below `2^29 + 2^16 − 2^13`, so a clock of the
    /// issue-14 forgery (536 870 945 and up) or anything up to `p − 1` has no witness.
    #[test]
    fn clock_bound_has_no_witness_past_it() {
        let edge = (1u32 << 29) + (1 << 16) - (1 << 13);
        assert!(u64::from(edge) + u64::from(MAX_TS_OFFSET) <= TS_BOUND);
        for c in [0, 1, 1 << 29, edge - 1] {
            assert!(clock_has_witness(c), "{c}");
        }
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(14);
        let mut past = vec![edge, edge + 1, 1_073_741_857, 1_610_612_769, F_ORDER - 1];
        past.extend((0..64).map(|_| rng.gen_range(edge..F_ORDER)));
        for c in past {
            assert!(!clock_has_witness(c), "clock {c} passes the range check");
        }
    }
}
