//! Constraint pieces several chips share.

use p3_air::AirBuilder;
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::{Count, InteractionBuilder};

use crate::bus::{ByteOp, ALU, BYTE};
use crate::F;

/// Asserts each selector boolean and at most one set; returns their sum (`is_real`).
pub fn one_hot_or_none<AB: AirBuilder>(b: &mut AB, sels: &[AB::Var]) -> AB::Expr {
    let mut sum = AB::Expr::ZERO;
    for s in sels {
        b.assert_bool(*s);
        sum += (*s).into();
    }
    b.assert_bool(sum.clone());
    sum
}

/// Range-checks the four bytes of a word through the byte table (two pair lookups).
pub fn range_check_word<AB: AirBuilder<F = F> + InteractionBuilder>(
    b: &mut AB,
    w: [AB::Expr; 4],
    count: AB::Expr,
) {
    let [w0, w1, w2, w3] = w;
    for (x, y) in [(w0, w1), (w2, w3)] {
        let key = [AB::Expr::from_u8(ByteOp::Range as u8), x, y, AB::Expr::ZERO];
        BYTE.lookup_key(b, key, Count::bounded(count.clone(), 1));
    }
}

/// Asserts `x + y = z (mod 2^32)` bytewise with boolean carries `carry` (`carry[3]` is the
/// carry out of the word). With all bytes range-checked the solution is unique.
pub fn assert_add_bytes<AB: AirBuilder>(
    b: &mut AB,
    x: [AB::Expr; 4],
    y: [AB::Expr; 4],
    z: [AB::Expr; 4],
    carry: [AB::Var; 4],
) {
    let mut carry_in = AB::Expr::ZERO;
    for i in 0..4 {
        b.assert_bool(carry[i]);
        let out = AB::Expr::from_u32(256) * carry[i].into();
        b.assert_zero(x[i].clone() + y[i].clone() + carry_in - z[i].clone() - out);
        carry_in = carry[i].into();
    }
}

/// The carries [`assert_add_bytes`] expects for `x + y` (trace generation's twin).
pub fn add_carries(x: u32, y: u32) -> [F; 4] {
    let (xb, yb) = (x.to_le_bytes(), y.to_le_bytes());
    let mut carry = 0u32;
    std::array::from_fn(|i| {
        carry = (xb[i] as u32 + yb[i] as u32 + carry) >> 8;
        F::from_u32(carry)
    })
}

/// The inverse of the sum of `v`'s bytes (0 when `v` is 0): the witness that a word is nonzero
/// (its bytes sum to zero only when they all are).
pub fn byte_sum_inverse(v: u32) -> F {
    let s: u32 = v.to_le_bytes().iter().map(|&x| x as u32).sum();
    F::from_u32(s).try_inverse().unwrap_or(F::ZERO)
}

/// `y − x` as bytes and the carries of `x + diff`; `carry[3]` is the borrow (`y < x`).
#[repr(C)]
pub struct SubCols<T> {
    pub diff: [T; 4],
    pub carry: [T; 4],
}

/// Asserts `x + diff = y + borrow·2^32` on rows where `sel` is 1 (all zero elsewhere) and
/// range-checks `diff` there, so `diff` and the borrow (`y < x`) are unique; returns the
/// borrow, which is 0 where `sel` is 0 (`sel` boolean). Off the selector `diff` is not
/// range-checked, so without that gate a `diff` of `[256, 255, 255, 255]` would make the
/// borrow a free bit for any caller that reads it unconditioned.
pub fn assert_sub_bytes<AB: AirBuilder<F = F> + InteractionBuilder>(
    b: &mut AB,
    sel: &AB::Expr,
    x: [AB::Expr; 4],
    y: [AB::Expr; 4],
    s: &SubCols<AB::Var>,
) -> AB::Expr {
    assert_add_bytes(
        b,
        x.map(|v| v * sel.clone()),
        s.diff.map(Into::into),
        y.map(|v| v * sel.clone()),
        s.carry,
    );
    range_check_word(b, s.diff.map(Into::into), sel.clone());
    b.when(AB::Expr::ONE - sel.clone()).assert_zero(s.carry[3]);
    s.carry[3].into()
}

/// Fills `y − x` and its carries, recording the range check; returns the borrow
/// ([`assert_sub_bytes`]' twin).
pub fn fill_sub(s: &mut SubCols<F>, x: u32, y: u32, bytes: &mut crate::byte::ByteLookups) -> bool {
    let d = y.wrapping_sub(x);
    s.diff = crate::alu::word_bytes(d);
    bytes.range_word(d);
    s.carry = add_carries(x, d);
    y < x
}

/// Answers `(op, a, b, c)` on the `alu` bus, `count` times.
pub fn receive_alu<AB: AirBuilder<F = F> + InteractionBuilder>(
    b: &mut AB,
    op: AB::Expr,
    a: [AB::Var; 4],
    x: [AB::Var; 4],
    y: [AB::Var; 4],
    count: AB::Expr,
) {
    let mut tuple = vec![op];
    tuple.extend(a.iter().chain(&x).chain(&y).map(|v| (*v).into()));
    ALU.table_entry(b, tuple, count);
}

/// `Σ sel_i · id_i`: the operation id a row answers, from its selectors.
pub fn op_id<AB: AirBuilder>(sels: &[(AB::Var, u8)]) -> AB::Expr {
    sels.iter()
        .map(|(s, id)| (*s).into() * AB::Expr::from_u8(*id))
        .sum()
}
