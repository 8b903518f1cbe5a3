//! What every node of a recursion tree states, and the rules that combine nodes
//! (`docs/recursion.md` §4.1–4.2): a *lift* states one group of a sharded proof, a *join*
//! states two adjacent nodes as one, and the *root* checks that a node covers a whole run and
//! reproduces the base verifier's transcript around it.
//!
//! Every node states the same list ([`NodePublics`]), so a join verifies children of any
//! kind with one program. The rules are written once over the builder: [`join`] and [`root`]
//! run natively (tests, and the prover's own check before it proves) and are recorded into
//! the join and root programs.

use mipstark_air::cpu::{Boundary, NUM_BOUNDARY};
use mipstark_air::machine::{NUM_GLOBAL, NUM_PER_SHARD};
use mipstark_prover_cpu_ref::sharded::header_constants;
use mipstark_prover_cpu_ref::StarkParams;
use p3_field::PrimeCharacteristicRing;

use crate::builder::{Builder, DIGEST_ELEMS, EXT_DEGREE, PERM_WIDTH};
use crate::challenger::{Challenger, SpongeState};
use crate::Val;

/// Bits of a node's multiplicity weight's low limb (see [`NodePublics::weight`]).
pub const WEIGHT_LOW_BITS: usize = 16;
/// Bits of its high limb: the weight stays below 2^31, and the root bounds it below p.
pub const WEIGHT_HIGH_BITS: usize = 15;
/// The largest high limb the root accepts: the weight is then at most `0x7eff_ffff < p`
/// (the reference's bound is `< p`; this one is stricter by less than 1 %).
pub const WEIGHT_HIGH_MAX: u32 = 0x7eff;

/// What a node states, as field elements (`T` a variable, or a value).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodePublics<T> {
    /// The groups covered, `[lo, hi)`: group 0 holds the global chips, group `k + 1` shard `k`.
    pub lo: T,
    pub hi: T,
    /// The header's sponge state before and after the covered groups' public-value segments.
    pub p_in: [T; PERM_WIDTH],
    pub p_out: [T; PERM_WIDTH],
    /// The same for the heights-and-commitment segments.
    pub g_in: [T; PERM_WIDTH],
    pub g_out: [T; PERM_WIDTH],
    /// The sponge state once the LogUp pair is drawn: every group's fork starts there.
    pub fork: [T; PERM_WIDTH],
    /// The LogUp pair every group used (coordinates).
    pub alpha: [T; EXT_DEGREE],
    pub beta: [T; EXT_DEGREE],
    /// The sum of the covered groups' LogUp terminals.
    pub terminal: [T; EXT_DEGREE],
    /// The exit code's and the initial break's bytes (the syscall chip's public values).
    pub exit: [T; 4],
    pub brk: [T; 4],
    /// A digest of the public-values chip's list (zero unless group 0 is covered).
    pub public_values: [T; DIGEST_ELEMS],
    /// The global chips' preprocessed commitment: the program (zero unless group 0 is
    /// covered).
    pub preprocessed: [T; DIGEST_ELEMS],
    /// The machine state where the covered shards start and end (group 0 states the start
    /// twice: it runs no instruction).
    pub before: [T; NUM_BOUNDARY],
    pub after: [T; NUM_BOUNDARY],
    /// `Σ weight × height` over the covered instances (the LogUp multiplicity bound), as a
    /// 16-bit low limb and a 15-bit high limb, so a sum never wraps.
    pub weight: [T; 2],
    /// The base proof's parameters ([`params_elements`]): a lift's key constants. Not all
    /// of them enter the transcript (the grinding bits do not), so the root compares them.
    pub params: [T; NUM_PARAMS],
    /// The root of the allowed recursion keys (`crate::vk_tree`) every key below this node
    /// was checked against: a lift states the one it is given, joins keep it equal, and the
    /// recursion's root compares it with its constant.
    pub vk_root: [T; DIGEST_ELEMS],
}

/// The number of parameters a node states.
pub const NUM_PARAMS: usize = 7;

/// A base proof's parameters as field elements, in declaration order.
pub fn params_elements(p: StarkParams) -> [Val; NUM_PARAMS] {
    [
        p.log_blowup,
        p.num_queries,
        p.query_pow_bits,
        p.log_final_poly_len,
        p.batch_pow_bits,
        p.lookup_pow_bits,
        p.deep_pow_bits,
    ]
    .map(Val::from_usize)
}

/// The number of elements a node states.
pub const NODE_PUBLICS: usize = 2
    + 5 * PERM_WIDTH
    + 3 * EXT_DEGREE
    + 8
    + 2 * DIGEST_ELEMS
    + 2 * NUM_BOUNDARY
    + 2
    + NUM_PARAMS
    + DIGEST_ELEMS;

impl<T: Copy> NodePublics<T> {
    /// Every element, in the order the fields are declared.
    pub fn to_vec(&self) -> Vec<T> {
        let mut v = vec![self.lo, self.hi];
        for part in [
            &self.p_in[..],
            &self.p_out,
            &self.g_in,
            &self.g_out,
            &self.fork,
            &self.alpha,
            &self.beta,
            &self.terminal,
            &self.exit,
            &self.brk,
            &self.public_values,
            &self.preprocessed,
            &self.before,
            &self.after,
            &self.weight,
            &self.params,
            &self.vk_root,
        ] {
            v.extend_from_slice(part);
        }
        debug_assert_eq!(v.len(), NODE_PUBLICS);
        v
    }

    /// The node stated by `v` ([`Self::to_vec`]'s order), or `None` for another length.
    pub fn from_slice(v: &[T]) -> Option<Self> {
        if v.len() != NODE_PUBLICS {
            return None;
        }
        let mut at = 0;
        let mut take = |n: usize| {
            at += n;
            &v[at - n..at]
        };
        fn arr<T: Copy, const N: usize>(s: &[T]) -> [T; N] {
            std::array::from_fn(|i| s[i])
        }
        let (lo, hi) = (take(1)[0], take(1)[0]);
        Some(NodePublics {
            lo,
            hi,
            p_in: arr(take(PERM_WIDTH)),
            p_out: arr(take(PERM_WIDTH)),
            g_in: arr(take(PERM_WIDTH)),
            g_out: arr(take(PERM_WIDTH)),
            fork: arr(take(PERM_WIDTH)),
            alpha: arr(take(EXT_DEGREE)),
            beta: arr(take(EXT_DEGREE)),
            terminal: arr(take(EXT_DEGREE)),
            exit: arr(take(4)),
            brk: arr(take(4)),
            public_values: arr(take(DIGEST_ELEMS)),
            preprocessed: arr(take(DIGEST_ELEMS)),
            before: arr(take(NUM_BOUNDARY)),
            after: arr(take(NUM_BOUNDARY)),
            weight: arr(take(2)),
            params: arr(take(NUM_PARAMS)),
            vk_root: arr(take(DIGEST_ELEMS)),
        })
    }
}

impl<T: Copy> NodePublics<T> {
    /// Exposes every element as a public value of the program being built.
    pub fn expose<B: Builder<F = T>>(&self, b: &mut B) {
        for x in self.to_vec() {
            b.public(x);
        }
    }
}

fn assert_all_eq<B: Builder>(b: &mut B, x: &[B::F], y: &[B::F]) {
    debug_assert_eq!(x.len(), y.len());
    for (&x, &y) in x.iter().zip(y) {
        b.assert_eq_f(x, y);
    }
}

fn add_all<B: Builder, const N: usize>(b: &mut B, x: &[B::F; N], y: &[B::F; N]) -> [B::F; N] {
    std::array::from_fn(|i| b.add_f(x[i], y[i]))
}

/// Two adjacent nodes as one: `left` must end where `right` starts — in groups, in both
/// header segments and in the machine state — and both must have used the same fork state,
/// LogUp pair, exit code, break, parameters and allowed-key root. Terminals and weights add; the digests of group 0's
/// values add too, which keeps the one node that covers group 0's (the others state zero,
/// and contiguity lets only one node start at 0).
pub fn join<B: Builder>(
    b: &mut B,
    left: &NodePublics<B::F>,
    right: &NodePublics<B::F>,
) -> NodePublics<B::F> {
    b.assert_eq_f(left.hi, right.lo);
    assert_all_eq(b, &left.p_out, &right.p_in);
    assert_all_eq(b, &left.g_out, &right.g_in);
    assert_all_eq(b, &left.fork, &right.fork);
    assert_all_eq(b, &left.alpha, &right.alpha);
    assert_all_eq(b, &left.beta, &right.beta);
    assert_all_eq(b, &left.exit, &right.exit);
    assert_all_eq(b, &left.brk, &right.brk);
    assert_all_eq(b, &left.after, &right.before);
    assert_all_eq(b, &left.params, &right.params);
    assert_all_eq(b, &left.vk_root, &right.vk_root);
    NodePublics {
        lo: left.lo,
        hi: right.hi,
        p_in: left.p_in,
        p_out: right.p_out,
        g_in: left.g_in,
        g_out: right.g_out,
        fork: left.fork,
        alpha: left.alpha,
        beta: left.beta,
        terminal: add_all(b, &left.terminal, &right.terminal),
        exit: left.exit,
        brk: left.brk,
        public_values: add_all(b, &left.public_values, &right.public_values),
        preprocessed: add_all(b, &left.preprocessed, &right.preprocessed),
        before: left.before,
        after: right.after,
        weight: add_weights(b, &left.weight, &right.weight),
        params: left.params,
        vk_root: left.vk_root,
    }
}

/// The limbs' sum with the carry moved up; the high limb stays within its bits.
fn add_weights<B: Builder>(b: &mut B, x: &[B::F; 2], y: &[B::F; 2]) -> [B::F; 2] {
    let low = b.add_f(x[0], y[0]);
    let bits = b.bits(low, WEIGHT_LOW_BITS + 1);
    let carry = b.bit_f(bits[WEIGHT_LOW_BITS]);
    let shift = b.constant_f(Val::from_u32(1 << WEIGHT_LOW_BITS));
    let moved = b.mul_f(carry, shift);
    let low = b.sub_f(low, moved);
    let high = b.add_f(x[1], y[1]);
    let high = b.add_f(high, carry);
    b.bits(high, WEIGHT_HIGH_BITS);
    [low, high]
}

/// What a root states: the run's statement and the program it is of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RootPublics<T> {
    pub exit: [T; 4],
    pub public_values: [T; DIGEST_ELEMS],
    pub preprocessed: [T; DIGEST_ELEMS],
    pub entry: T,
    pub brk: [T; 4],
    /// The number of shards.
    pub shards: T,
}

impl<T: Copy> RootPublics<T> {
    pub fn to_vec(&self) -> Vec<T> {
        let mut v = self.exit.to_vec();
        v.extend_from_slice(&self.public_values);
        v.extend_from_slice(&self.preprocessed);
        v.push(self.entry);
        v.extend_from_slice(&self.brk);
        v.push(self.shards);
        v
    }
}

/// The root's checks on a node that should cover a whole run proven at `params`, whose
/// LogUp grind witness is `lookup_witness`:
///
/// - its lifts used the parameters `params`;
/// - it covers groups `[0, n + 1)`, starts at the entry point (a start state, `entry + 4 < p`)
///   and halts;
/// - its first public-value segment starts where the header's prefix — rebuilt from the
///   parameters, the entry point, the break and the instance count `5 + 13n` — ends, and its
///   first heights segment where the middle — the preprocessed commitment and `n + 1` —
///   ends after its last public-value segment;
/// - from its last heights segment, the grind passes and the LogUp pair drawn is the one
///   every group used, leaving the fork state every group started from;
/// - the terminals sum to zero and the weight is below p.
///
/// Together with the joins' chaining, this is `verify_sharded`'s transcript value for value.
pub fn root<B: Builder>(
    b: &mut B,
    node: &NodePublics<B::F>,
    params: StarkParams,
    lookup_witness: B::F,
) -> RootPublics<B::F> {
    let zero = b.constant_f(Val::ZERO);
    let one = b.constant_f(Val::ONE);
    b.assert_eq_f(node.lo, zero);
    for (&x, v) in node.params.iter().zip(params_elements(params)) {
        let v = b.constant_f(v);
        b.assert_eq_f(x, v);
    }
    let shards = b.sub_f(node.hi, one);

    // The start state at the entry point, whose bytes the prefix absorbs.
    let [pc, npc, clk, in_delay, halted] = node.before;
    let entry_bits = b.bits(pc, 31);
    // `check_chain` wants the start's npc = entry + 4 below p as an integer: entry < p − 4.
    for k in 1..=4 {
        let edge = b.constant_f(-Val::from_u32(k));
        let d = b.sub_f(pc, edge);
        b.inv_f(d);
    }
    let four = b.constant_f(Val::from_u32(4));
    let next = b.add_f(pc, four);
    b.assert_eq_f(npc, next);
    let start = Boundary::start(0).to_field();
    for (x, want) in [(clk, start[2]), (in_delay, start[3]), (halted, start[4])] {
        let want = b.constant_f(want);
        b.assert_eq_f(x, want);
    }
    b.assert_eq_f(node.after[4], one);
    let entry: Vec<B::F> = entry_bits
        .chunks(8)
        .map(|byte| {
            let mut acc = zero;
            for (i, &bit) in byte.iter().enumerate() {
                let f = b.bit_f(bit);
                let w = b.constant_f(Val::from_u32(1 << i));
                let t = b.mul_f(f, w);
                acc = b.add_f(acc, t);
            }
            acc
        })
        .collect();

    // The prefix: the key's constants (the entry point's and the break's bytes last), then
    // the number of instance public-value lists.
    let constants = header_constants(params, 0, 0);
    let mut ch = Challenger::new(b);
    for &v in &constants[..constants.len() - 8] {
        ch.observe_constant(b, v);
    }
    ch.observe_all(b, &entry);
    ch.observe_all(b, &node.brk);
    let per_shard = b.constant_f(Val::from_usize(NUM_PER_SHARD));
    let lists = b.mul_f(shards, per_shard);
    let global = b.constant_f(Val::from_usize(NUM_GLOBAL));
    let lists = b.add_f(lists, global);
    ch.observe(b, lists);
    ch.pad_to_rate(b);
    assert_all_eq(b, &ch.permutation_state(), &node.p_in);

    // The middle: the preprocessed flag and commitment, the number of groups.
    let mut ch = resume(&node.p_out);
    ch.observe(b, one);
    ch.observe_all(b, &node.preprocessed);
    ch.observe(b, node.hi);
    ch.pad_to_rate(b);
    assert_all_eq(b, &ch.permutation_state(), &node.g_in);

    // The grind and the LogUp pair.
    let mut ch = resume(&node.g_out);
    ch.check_witness(b, params.lookup_pow_bits, lookup_witness);
    for want in [node.alpha, node.beta] {
        let drawn = ch.sample_ext(b);
        let drawn = b.ext_coeffs(drawn);
        assert_all_eq(b, &drawn, &want);
    }
    assert_all_eq(b, &ch.permutation_state(), &node.fork);

    for &t in &node.terminal {
        b.assert_zero_f(t);
    }
    let max = b.constant_f(Val::from_u32(WEIGHT_HIGH_MAX));
    let room = b.sub_f(max, node.weight[1]);
    b.bits(room, WEIGHT_HIGH_BITS);

    RootPublics {
        exit: node.exit,
        public_values: node.public_values,
        preprocessed: node.preprocessed,
        entry: pc,
        brk: node.brk,
        shards,
    }
}

/// A transcript at a padded segment boundary (nothing pending; the rate drawable).
pub(crate) fn resume<B: Builder>(state: &[B::F; PERM_WIDTH]) -> Challenger<B> {
    Challenger::resume(SpongeState {
        state: *state,
        input: Vec::new(),
        drawable: true,
    })
}
