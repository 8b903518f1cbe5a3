//! The statement over the builder: what a sharded proof claims (exit code, public values,
//! committed words, the machine state at every shard boundary) as variables, with the rules
//! the reference checks in plain Rust (`Statement::check_chain` and the types' ranges) as
//! builder checks, and the instances' public values laid out from these variables by the
//! AIR crate's own `lay_out_publics`.
//!
//! The chain is structural: there is one variable set per boundary, shard `k` runs from
//! boundary `k` to boundary `k + 1`, and boundary 0 is the key's start state (constants), so
//! "each shard starts where the last ended" and "the first starts at the entry point" need
//! no check. The program's break is a key constant in every syscall instance's list.

use mipstark_air::cpu::{Boundary, MAX_CLK, NUM_BOUNDARY};
use mipstark_air::machine::{lay_out_publics, Statement};
use mipstark_air::memory::NUM_COMMIT;
use mipstark_air::syscall::{PublicValuesChip, PV_CAPACITY};
use p3_field::PrimeCharacteristicRing;

use crate::builder::Builder;
use crate::Val;

// The clock bound is checked as a bit width.
const _: () = assert!(MAX_CLK.is_power_of_two());

/// The statement's variables.
pub struct StatementVars<B: Builder> {
    /// The exit code's bytes, little-endian.
    pub exit: [B::F; 4],
    /// The public-values chip's list: the length, `PV_CAPACITY` bytes, the committed words'
    /// bytes.
    pub public_values: Vec<B::F>,
    /// Which public-value bytes are in use (a prefix: the length's unary form).
    pub in_use: Vec<B::F>,
    /// The machine state at each boundary (`pc, npc, clk, in_delay, halted`): the start, then
    /// after each shard.
    pub boundaries: Vec<[B::F; NUM_BOUNDARY]>,
}

fn bytes<B: Builder>(b: &mut B, v: &[u8]) -> Vec<B::F> {
    v.iter().map(|&x| b.witness_f(Val::from_u8(x))).collect()
}

impl<B: Builder> StatementVars<B> {
    /// The statement of a proof of the program starting at `entry`, as witnesses. A statement
    /// whose chain is broken cannot be expressed (boundary `k + 1` is read from shard `k`'s
    /// end); `check_sharded_shape` rejects those first.
    pub fn load(b: &mut B, st: &Statement, entry: u32) -> Self {
        let (pv, in_use) = public_value_witnesses(b, st);
        let start = Boundary::start(entry).to_field().map(|v| b.constant_f(v));
        let mut boundaries = vec![start];
        for (_, after) in &st.shards {
            boundaries.push(after.to_field().map(|v| b.witness_f(v)));
        }
        let exit = bytes(b, &st.exit_code.to_le_bytes());
        StatementVars {
            exit: std::array::from_fn(|i| exit[i]),
            public_values: pv,
            in_use,
            boundaries,
        }
    }

    /// Each instance's public values, for the program whose break is `initial_brk`.
    pub fn instance_publics(&self, b: &mut B, initial_brk: u32) -> Vec<Vec<B::F>> {
        let mut syscall = self.exit.to_vec();
        syscall.extend(
            initial_brk
                .to_le_bytes()
                .map(|x| b.constant_f(Val::from_u8(x))),
        );
        let shards: Vec<_> = self.boundaries.windows(2).map(|w| (w[0], w[1])).collect();
        lay_out_publics(self.public_values.clone(), syscall, &shards)
    }

    /// The rules the reference's types and `check_chain` impose: every byte a byte; the
    /// public values a prefix of at most `PV_CAPACITY` bytes, zero past their length; every
    /// clock below `MAX_CLK` and advancing over each shard; the flags boolean; the last
    /// boundary halted.
    pub fn check(&self, b: &mut B) {
        for &x in &self.exit {
            b.bits(x, 8);
        }
        check_public_values(b, &self.public_values, &self.in_use);
        for w in self.boundaries.windows(2) {
            check_shard_step(b, &w[0], &w[1]);
        }
        let one = b.constant_f(Val::ONE);
        let last = self.boundaries[self.boundaries.len() - 1];
        b.assert_eq_f(last[4], one);
    }
}

/// The public-values chip's list of `st` as witnesses (laid out by
/// `PublicValuesChip::public_values`, as the reference lays it out), and which of its bytes are
/// in use (a witness each, checked by [`check_public_values`]).
pub fn public_value_witnesses<B: Builder>(b: &mut B, st: &Statement) -> (Vec<B::F>, Vec<B::F>) {
    let pv = PublicValuesChip::public_values(&st.public_values, &st.committed)
        .into_iter()
        .map(|v| b.witness_f(v))
        .collect();
    let in_use = (0..PV_CAPACITY)
        .map(|i| b.witness_f(Val::from_bool(i < st.public_values.len())))
        .collect();
    (pv, in_use)
}

/// The public-values chip's list (`public_values`: the length, `PV_CAPACITY` bytes, the
/// committed words' bytes) is bytes, and its bytes in use (`in_use`, boolean) are a prefix
/// whose length is the stated one, with zeros past it.
pub fn check_public_values<B: Builder>(b: &mut B, public_values: &[B::F], in_use: &[B::F]) {
    debug_assert_eq!(public_values.len(), 1 + PV_CAPACITY + 4 * NUM_COMMIT);
    debug_assert_eq!(in_use.len(), PV_CAPACITY);
    for &x in &public_values[1..] {
        b.bits(x, 8);
    }
    let zero = b.constant_f(Val::ZERO);
    let one = b.constant_f(Val::ONE);
    let mut count = zero;
    for i in 0..PV_CAPACITY {
        let flag = in_use[i];
        b.bits(flag, 1);
        if i + 1 < PV_CAPACITY {
            // in_use[i+1] ⇒ in_use[i]
            let not = b.sub_f(one, flag);
            let t = b.mul_f(in_use[i + 1], not);
            b.assert_zero_f(t);
        }
        count = b.add_f(count, flag);
        // A byte past the length is zero.
        let unused = b.sub_f(one, flag);
        let t = b.mul_f(unused, public_values[1 + i]);
        b.assert_zero_f(t);
    }
    b.assert_eq_f(count, public_values[0]);
}

/// One shard's step from `before` (checked where it was an `after`, or a start state) to
/// `after`: its clock below `MAX_CLK` and past `before`'s, its flags boolean.
pub fn check_shard_step<B: Builder>(
    b: &mut B,
    before: &[B::F; NUM_BOUNDARY],
    after: &[B::F; NUM_BOUNDARY],
) {
    let one = b.constant_f(Val::ONE);
    let clk_bits = MAX_CLK.trailing_zeros() as usize;
    b.bits(after[2], clk_bits);
    b.bits(after[3], 1);
    b.bits(after[4], 1);
    // after.clk > before.clk
    let d = b.sub_f(after[2], before[2]);
    let d = b.sub_f(d, one);
    b.bits(d, clk_bits);
}
