//! The opening argument's transcript (p3-fri 0.8's `TwoAdicFriPcs::verify` and `verify_fri`),
//! over the builder: what it absorbs and draws after a group's ζ.
//!
//! p3-fri 0.8 drives the sponge through `p3_challenger::fs`: the PCS and then FRI each seed the
//! sponge with a domain separator (a protocol name, a fingerprint of the transcript's pattern
//! and an instance label) before their own steps. Both separators are functions of the shape
//! alone — the claimed-evaluation counts, the heights, the parameters — so they are constants
//! of a recursion program of that shape: [`seed`] computes them with Plonky3's own code, and
//! the replay absorbs them as constants. The steps that follow are ordinary observations and
//! samples:
//!
//! ```text
//!   PCS seed · every claimed value (round, matrix, point order) · batch grind · α
//!   FRI seed · per round: commitment, grind, β · final polynomial · query grind · indices
//! ```
//!
//! `tests/transcript.rs` pins every element to the reference verifier's.

use p3_challenger::CanObserve;
use p3_fri::{fold_schedule, FriParameters, FriShape, PcsShape};

use crate::builder::Builder;
use crate::challenger::Challenger;
use crate::{Challenge, Val};

/// Where a matrix is opened: at ζ, or at ζ times its trace domain's generator (the next row).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Point {
    Zeta,
    ZetaNext,
}

/// One committed matrix's claimed evaluations.
pub struct MatrixClaim<B: Builder> {
    /// log2 of the matrix's height before the blowup (its trace domain).
    pub log_height: usize,
    /// The claimed values at each point, one per column.
    pub points: Vec<(Point, Vec<B::E>)>,
}

/// One commitment (a Merkle root) and the matrices it holds, in commitment order.
pub struct RoundClaim<B: Builder> {
    pub commitment: Vec<B::F>,
    pub matrices: Vec<MatrixClaim<B>>,
}

/// The parts of a FRI proof that reach the transcript.
pub struct FriTranscript<B: Builder> {
    pub batch_witness: B::F,
    /// Each commit-phase round's Merkle root.
    pub commits: Vec<Vec<B::F>>,
    pub commit_witnesses: Vec<B::F>,
    pub final_poly: Vec<B::E>,
    pub query_witness: B::F,
}

/// What the opening argument draws.
pub struct PcsChallenges<B: Builder> {
    /// Batches every claimed opening into one low-degree claim.
    pub alpha: B::E,
    /// One folding challenge per commit-phase round.
    pub betas: Vec<B::E>,
    /// Each query's index into the largest LDE domain, least significant bit first.
    pub indices: Vec<Vec<B::Bit>>,
}

/// The numbers that fix the FRI run of a set of claims (plain Rust: shape, not values).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FriLayout {
    /// The distinct LDE heights (log2), tallest first.
    pub log_heights: Vec<usize>,
    /// One log-arity per commit-phase round.
    pub log_arities: Vec<usize>,
}

impl FriLayout {
    pub fn new<M, B: Builder>(fri: &FriParameters<M>, rounds: &[RoundClaim<B>]) -> Self {
        let mut log_heights: Vec<usize> = rounds
            .iter()
            .flat_map(|r| r.matrices.iter().map(|m| m.log_height + fri.log_blowup))
            .collect();
        log_heights.sort_unstable_by(|a, b| b.cmp(a));
        log_heights.dedup();
        let log_arities = fold_schedule(
            &log_heights,
            fri.log_blowup + fri.log_final_poly_len,
            fri.max_log_arity,
        );
        FriLayout {
            log_heights,
            log_arities,
        }
    }

    /// log2 of the largest LDE domain: the width of a query index.
    pub fn log_max_height(&self) -> usize {
        self.log_heights[0]
    }
}

/// The elements a domain separator seeds the sponge with (Plonky3's own packing of its bytes).
pub fn seed(
    separator: &p3_challenger::fs::DomainSeparator<p3_challenger::fs::FieldUnit<Val>>,
) -> Vec<Val> {
    struct Absorbed(Vec<Val>);
    impl CanObserve<Val> for Absorbed {
        fn observe(&mut self, v: Val) {
            self.0.push(v);
        }
    }
    let mut out = Absorbed(Vec::new());
    separator.seed(&mut out);
    out.0
}

/// The PCS's seed for these claims.
pub fn pcs_seed<M, B: Builder>(fri: &FriParameters<M>, rounds: &[RoundClaim<B>]) -> Vec<Val> {
    let shape = PcsShape {
        claimed_evaluation_counts: rounds
            .iter()
            .map(|r| {
                r.matrices
                    .iter()
                    .map(|m| m.points.iter().map(|(_, v)| v.len()).collect())
                    .collect()
            })
            .collect(),
        batch_pow_bits: fri.batch_proof_of_work_bits,
    };
    seed(&shape.domain_separator::<Val, Challenge>())
}

/// FRI's seed for this layout.
pub fn fri_seed<M>(fri: &FriParameters<M>, layout: &FriLayout) -> Vec<Val> {
    let shape = FriShape::with_schedule(fri, layout.log_arities.clone(), layout.log_max_height());
    seed(&shape.domain_separator::<Val, Challenge>())
}

/// Replays the opening argument's transcript on `ch` (a group's fork, just after ζ). The
/// proof's lengths must already have been checked against `layout` (the reference rejects
/// other lengths before it absorbs anything).
pub fn replay<B: Builder, M>(
    b: &mut B,
    ch: &mut Challenger<B>,
    fri: &FriParameters<M>,
    rounds: &[RoundClaim<B>],
    layout: &FriLayout,
    proof: &FriTranscript<B>,
) -> PcsChallenges<B> {
    for v in pcs_seed(fri, rounds) {
        ch.observe_constant(b, v);
    }
    for r in rounds {
        for m in &r.matrices {
            for (_, values) in &m.points {
                for &v in values {
                    ch.observe_ext(b, v);
                }
            }
        }
    }
    ch.check_witness(b, fri.batch_proof_of_work_bits, proof.batch_witness);
    let alpha = ch.sample_ext(b);

    for v in fri_seed(fri, layout) {
        ch.observe_constant(b, v);
    }
    let betas = proof
        .commits
        .iter()
        .zip(&proof.commit_witnesses)
        .map(|(commit, &w)| {
            ch.observe_all(b, commit);
            ch.check_witness(b, fri.commit_proof_of_work_bits, w);
            ch.sample_ext(b)
        })
        .collect();
    for &v in &proof.final_poly {
        ch.observe_ext(b, v);
    }
    ch.check_witness(b, fri.query_proof_of_work_bits, proof.query_witness);
    let indices = (0..fri.num_queries)
        .map(|_| ch.sample_bits(b, layout.log_max_height()))
        .collect();
    PcsChallenges {
        alpha,
        betas,
        indices,
    }
}
