//! Linux `brk(want)`: the break moves to `want` when `initial_brk ≤ want ≤ top` (the mmap
//! area's bottom) and stays where it is otherwise; `$v0` is the break after the call. The
//! break and its high-water mark (the highest break so far) are registers of the memory
//! argument, accessed at `clk + 5` and `clk + 6`; both start at the program's initial break
//! (the verifying key's image). The mmap top is read at `clk + 7`.
//!
//! Memory a shrinking break gave back comes back zeroed when the break grows over it again:
//! the row zeroes `[cur, min(new, hwm))` (empty unless the break grows below the mark) through
//! the syscall-buffer chain, with every byte written 0. Memory above the mark has never been
//! heap and is not touched.
//!
//! Each comparison is a bytewise subtraction ([`assert_sub_bytes`]): its borrow is unique.

use p3_air::AirBuilder;
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;

use crate::alu::word_bytes;
use crate::byte::ByteLookups;
use crate::gadgets::{assert_sub_bytes, fill_sub, SubCols};
use crate::memory::access::SlotCols;
use crate::F;

#[repr(C)]
pub struct BrkCols<T> {
    /// `want − initial_brk` (borrow: `want` below the initial break).
    pub lo: SubCols<T>,
    /// `top − want` (borrow: `want` above the mmap area's bottom).
    pub hi: SubCols<T>,
    /// The break moves to `want`.
    pub ok: T,
    /// `new − hwm` (borrow: the new break is below the mark).
    pub up: SubCols<T>,
    /// `min(new, hwm)`: the end of the memory to zero.
    pub low: [T; 4],
    /// `low − cur` (borrow: the break does not grow below the mark; nothing to zero).
    pub grow: SubCols<T>,
}

fn word<AB: AirBuilder>(w: &[AB::Var; 4]) -> [AB::Expr; 4] {
    w.map(Into::into)
}

/// The constraints of a `brk` row (`sel`): `initial_brk` is the program's initial break as
/// bytes (the syscall instance's public values, which the verifier fills in), `want` is
/// `$a0`, `brk` and `hwm` the two written state accesses, `top` the mmap top read, `v0` the
/// result register; `buf`/`len` the row's zeroing buffer.
#[allow(clippy::too_many_arguments)]
pub fn eval<AB: AirBuilder<F = F> + InteractionBuilder>(
    b: &mut AB,
    c: &BrkCols<AB::Var>,
    sel: AB::Var,
    initial_brk: [AB::Expr; 4],
    want: &[AB::Var; 4],
    brk: &SlotCols<AB::Var>,
    hwm: &SlotCols<AB::Var>,
    top: &[AB::Var; 4],
    v0: &[AB::Var; 4],
    buf: &[AB::Var; 4],
    len: &[AB::Var; 4],
) {
    let on: AB::Expr = sel.into();
    let one = AB::Expr::ONE;
    let below = assert_sub_bytes(b, &on, initial_brk, word::<AB>(want), &c.lo);
    let above = assert_sub_bytes(b, &on, word::<AB>(want), word::<AB>(top), &c.hi);
    b.assert_eq(
        c.ok,
        on.clone() * (one.clone() - below) * (one.clone() - above),
    );
    let (cur, new) = (&brk.prev, &brk.value);
    let (mark, new_mark) = (&hwm.prev, &hwm.value);
    let dips = assert_sub_bytes(b, &on, word::<AB>(mark), word::<AB>(new), &c.up);
    let grows_not = assert_sub_bytes(b, &on, word::<AB>(cur), word::<AB>(&c.low), &c.grow);
    for i in 0..4 {
        let ok: AB::Expr = c.ok.into();
        let mut w = b.when(sel);
        w.assert_eq(
            new[i],
            ok.clone() * want[i].into() + (one.clone() - ok) * cur[i].into(),
        );
        w.assert_eq(v0[i], new[i]);
        // low = min(new, hwm), new hwm = max(new, hwm).
        w.assert_eq(
            c.low[i],
            dips.clone() * new[i].into() + (one.clone() - dips.clone()) * mark[i].into(),
        );
        w.assert_eq(
            new_mark[i],
            dips.clone() * mark[i].into() + (one.clone() - dips.clone()) * new[i].into(),
        );
        // Zero [cur, low) when low > cur.
        w.assert_eq(buf[i], cur[i]);
        w.assert_eq(
            len[i],
            (one.clone() - grows_not.clone()) * c.grow.diff[i].into(),
        );
    }
}

/// Fills a `brk` row's columns from the call: `want`, the break and mark before and after, and
/// the mmap top. Returns the zeroing buffer `(cur, len)`.
pub fn fill(
    c: &mut BrkCols<F>,
    initial_brk: u32,
    want: u32,
    (cur, new): (u32, u32),
    (mark, _new_mark): (u32, u32),
    top: u32,
    bytes: &mut ByteLookups,
) -> (u32, u32) {
    let below = fill_sub(&mut c.lo, initial_brk, want, bytes);
    let above = fill_sub(&mut c.hi, want, top, bytes);
    c.ok = F::from_bool(!below && !above);
    fill_sub(&mut c.up, mark, new, bytes);
    let low = new.min(mark);
    c.low = word_bytes(low);
    let nothing = fill_sub(&mut c.grow, cur, low, bytes);
    (cur, if nothing { 0 } else { low - cur })
}
