//! The syscall-buffer chip as it was before issue 14's fix: a row whose first byte is one past
//! its last (`first` at byte 1, `last` at byte 0) has no active byte, receives the token it
//! sends — and still makes a word access of the memory argument at a word and clock of the
//! prover's choosing. The adversary must find it: this is its known positive.
//!
//! A frozen, self-contained copy (its own column layout and access gadget), so that the
//! fixture keeps the bug whatever the real chip becomes.

use mipstark_air::bus::{ByteOp, BYTE, MEMORY, PUBLIC, SYSMEM};
use mipstark_air::F;
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};

/// `clk, word, first[4], last[4], idx, writes, public, zero`, then the access
/// `value[4], prev[4], prev_ts, diff[2]`.
const CLK: usize = 0;
const WORD: usize = 1;
const FIRST: usize = 2;
const LAST: usize = 6;
const IDX: usize = 10;
const WRITES: usize = 11;
const PUBLIC_FLAG: usize = 12;
const ZERO: usize = 13;
const VALUE: usize = 14;
const PREV: usize = 18;
const PREV_TS: usize = 22;
const DIFF: usize = 23;
const WIDTH: usize = 25;

#[derive(Clone, Copy, Debug, Default)]
pub struct PreFixSysMemChip;

impl BaseAir<F> for PreFixSysMemChip {
    fn width(&self) -> usize {
        WIDTH
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
}

fn range<AB: AirBuilder<F = F> + InteractionBuilder>(
    b: &mut AB,
    op: ByteOp,
    x: AB::Expr,
    y: AB::Expr,
    count: AB::Expr,
) {
    let key = [AB::Expr::from_u8(op as u8), x, y, AB::Expr::ZERO];
    BYTE.lookup_key(b, key, Count::bounded(count, 1));
}

impl<AB: AirBuilder<F = F> + InteractionBuilder> Air<AB> for PreFixSysMemChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let r: Vec<AB::Var> = main.current_slice().to_vec();
        let e = |i: usize| -> AB::Expr { r[i].into() };
        let one_hot = |b: &mut AB, at: usize| {
            let mut sum = AB::Expr::ZERO;
            for j in 0..4 {
                b.assert_bool(r[at + j]);
                sum += e(at + j);
            }
            b.assert_bool(sum.clone());
            sum
        };
        let is_real = one_hot(b, FIRST);
        let last_sum = one_hot(b, LAST);
        b.assert_eq(last_sum, is_real.clone());
        b.assert_bool(r[WRITES]);
        b.assert_bool(r[PUBLIC_FLAG]);
        b.assert_bool(r[ZERO]);
        b.when(r[ZERO]).assert_one(r[WRITES]);
        // active[j] = [first ≤ j] − [last < j], boolean — and nothing ties Σ active to is_real.
        let active: Vec<AB::Expr> = (0..4)
            .map(|j| {
                let started: AB::Expr = (0..=j).map(|i| e(FIRST + i)).sum();
                let ended: AB::Expr = (0..j).map(|i| e(LAST + i)).sum();
                started - ended
            })
            .collect();
        for a in &active {
            b.assert_bool(a.clone());
        }
        let start: AB::Expr = (0..4).map(|j| e(FIRST + j) * AB::Expr::from_usize(j)).sum();
        let next_off: AB::Expr = (0..3)
            .map(|j| e(LAST + j) * AB::Expr::from_usize(j + 1))
            .sum();
        let count: AB::Expr = active.iter().cloned().sum();
        let flags = [e(WRITES), e(PUBLIC_FLAG), e(ZERO)];
        let mut inp = vec![e(CLK), e(WORD), start, e(IDX)];
        inp.extend(flags.clone());
        SYSMEM.receive(b, inp, Count::bounded(is_real.clone(), 1));
        let mut out = vec![
            e(CLK),
            e(WORD) + e(LAST + 3),
            next_off,
            e(IDX) + e(PUBLIC_FLAG) * count,
        ];
        out.extend(flags);
        SYSMEM.send(b, out, Count::bounded(is_real.clone(), 1));

        // The word access at (word, clk).
        let ts = e(CLK);
        b.when(is_real.clone()).assert_eq(
            ts.clone() - e(PREV_TS) - AB::Expr::ONE,
            e(DIFF) + e(DIFF + 1) * AB::Expr::from_u32(1 << 16),
        );
        range(b, ByteOp::Range16, e(DIFF), AB::Expr::ZERO, is_real.clone());
        range(
            b,
            ByteOp::Range16,
            e(DIFF + 1) * AB::Expr::from_u8(8),
            AB::Expr::ZERO,
            is_real.clone(),
        );
        let mut old = vec![e(WORD)];
        old.extend((0..4).map(|j| e(PREV + j)));
        old.push(e(PREV_TS));
        MEMORY.receive(b, old, Count::bounded(is_real.clone(), 1));
        let mut new = vec![e(WORD)];
        new.extend((0..4).map(|j| e(VALUE + j)));
        new.push(ts);
        MEMORY.send(b, new, Count::bounded(is_real, 1));

        for (j, a) in active.iter().enumerate() {
            b.when(AB::Expr::ONE - e(WRITES) * a.clone())
                .assert_eq(e(VALUE + j), e(PREV + j));
            b.when(e(ZERO) * a.clone()).assert_zero(e(VALUE + j));
        }
        for k in [0, 2] {
            range(b, ByteOp::Range, e(VALUE + k), e(VALUE + k + 1), e(WRITES));
        }
        let mut before = AB::Expr::ZERO;
        for (j, a) in active.iter().enumerate() {
            PUBLIC.send(
                b,
                [e(IDX) + before.clone(), e(PREV + j)],
                Count::bounded(e(PUBLIC_FLAG) * a.clone(), 1),
            );
            before += a.clone();
        }
    }
}
