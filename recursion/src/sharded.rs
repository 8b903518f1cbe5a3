//! A sharded proof's transcript, over the builder: the header, the LogUp grind and pair, each
//! group's fork, each group's challenges up to its out-of-domain point ζ, and then its opening
//! argument ([`crate::pcs`]) — the order of `prover_cpu_ref::sharded` (its `observe_header`,
//! `draw_lookup_pair`, `fork` and `verify_group`), replayed so that a recursive verifier draws
//! the very same challenges. `tests/transcript.rs` pins every absorbed and drawn element to the
//! reference verifier's.
//!
//! Heights are shape, not data: a recursion program is built for one set of heights (see
//! `docs/recursion.md` §4.3), so the header absorbs them as constants and the opening
//! argument's structure follows from them.

use mipstark_prover_cpu_ref::config::fri_parameters;
use std::collections::HashMap;
use std::sync::Arc;

use mipstark_constraints::{CompileError, CompiledAir};
use mipstark_prover_cpu_ref::machine::{GroupKey, PreprocessedRound, VerifyError, VerifyingKey};
use mipstark_prover_cpu_ref::protocol::air_layout;
use mipstark_prover_cpu_ref::sharded::BusLayout;
use mipstark_prover_cpu_ref::sharded::ShardedProof;
use mipstark_prover_cpu_ref::{Challenge, MipsStarkConfig, Val};
use p3_field::{PrimeCharacteristicRing, TwoAdicField};
use p3_fri::FriParameters;
use p3_lookup::Lookup;
use thiserror::Error;

use crate::builder::Builder;
use crate::challenger::Challenger;
use crate::fri::{self, FriShapeError, OpeningProof};
use crate::header::{observe_header, Header};
use crate::ood::{self, InstanceInputs, InstanceOpening};
use crate::pcs::{self, FriLayout, FriTranscript, MatrixClaim, PcsChallenges, Point, RoundClaim};
use crate::statement::StatementVars;

/// One group of a sharded proof (a Plonky3 batch proof).
pub type GroupProof = p3_batch_stark::BatchProof<MipsStarkConfig>;

pub use mipstark_prover_cpu_ref::sharded::Commitment;

/// What makes a proof unreadable before any value is checked (the reference verifier rejects
/// the same proofs, as shape errors).
#[derive(Debug, Error)]
pub enum ShapeError {
    /// The reference verifier's own checks of lengths, heights and the statement's chain.
    #[error(transparent)]
    Reference(#[from] VerifyError),
    #[error("an AIR's constraints do not compile: {0}")]
    Compile(#[from] CompileError),
    #[error("the proof has no groups")]
    NoGroups,
    #[error("the proof has no group {0}")]
    NoGroup(usize),
    #[error(
        "group {0}: a chip has a local lookup, whose bus id would depend on the group's position"
    )]
    LocalLookup(usize),
    #[error(
        "group {group}: its LogUp multiplicity weight {weight} is zero or does not fit 31 bits \
         (a shard too large for one lift)"
    )]
    Weight { group: usize, weight: u64 },
    #[error("the global chips have no preprocessed commitment")]
    NoPreprocessed,
    #[error(
        "the recursion proof does not state a tree node (no public-values chip, or another count)"
    )]
    NotANode,
    #[error("group 0 carries no LogUp grinding witness")]
    NoLookupWitness,
    #[error("group {0} carries no lookup commitment")]
    NoLookupCommitment(usize),
    #[error(
        "group {group}: the key has {expected} groups' preprocessed rounds, the proof {got} groups"
    )]
    KeyGroups {
        group: usize,
        expected: usize,
        got: usize,
    },
    #[error("group {group}, instance {instance}: {what}")]
    Opening {
        group: usize,
        instance: usize,
        what: &'static str,
    },
    #[error("group {group}: {what} (expected {expected}, got {got})")]
    Fri {
        group: usize,
        what: &'static str,
        expected: usize,
        got: usize,
    },
}

/// What one group's fork absorbs: its lookup commitment and terminals, its quotient
/// commitment and out-of-domain grinding witness, then its opening argument — the claimed
/// evaluations by commitment (main, quotient, preprocessed, lookup: the reference's order)
/// and the FRI proof's transcript part.
pub struct GroupOpening<B: Builder> {
    pub permutation: Vec<B::F>,
    /// Each instance's lookup terminal (none for an instance without lookups).
    pub terminals: Vec<Vec<B::E>>,
    pub quotient: Vec<B::F>,
    pub ood_witness: B::F,
    /// Each instance's opened values (the claims below hold the same variables).
    pub instances: Vec<InstanceOpening<B>>,
    pub rounds: Vec<RoundClaim<B>>,
    pub layout: FriLayout,
    pub fri: FriTranscript<B>,
    /// Each instance's compiled constraints.
    pub programs: Vec<Arc<CompiledAir>>,
    /// Where the group's instances start in the header's public-value lists.
    pub first_instance: usize,
    /// The group's query openings (read as witnesses when they are checked).
    pub opening_proof: OpeningProof,
}

/// The challenges one group's checks use: the constraint-folding α, ζ, and the opening
/// argument's.
pub struct GroupChallenges<B: Builder> {
    pub alpha: B::E,
    pub zeta: B::E,
    pub pcs: PcsChallenges<B>,
}

/// The whole proof's transcript inputs up to each group's ζ.
pub struct Transcript<B: Builder> {
    pub header: Header<B>,
    pub lookup_pow_bits: usize,
    pub lookup_witness: B::F,
    pub ood_pow_bits: usize,
    pub fri: FriParameters<()>,
    pub groups: Vec<GroupOpening<B>>,
    /// Which bus every lookup of every instance (all groups, in order) is on.
    pub buses: BusLayout,
    /// What the proof states (the header's public values are laid out from it).
    pub statement: StatementVars<B>,
}

/// The challenges drawn: the shared LogUp pair, and each group's fork and challenges.
pub struct Challenges<B: Builder> {
    pub lookup_alpha: B::E,
    pub lookup_beta: B::E,
    pub forks: Vec<(Challenger<B>, GroupChallenges<B>)>,
}

pub(crate) fn cap_elements(c: &Commitment) -> Vec<Val> {
    c.roots().iter().flatten().copied().collect()
}

/// Proof values as witnesses.
pub(crate) fn witnesses<B: Builder>(b: &mut B, vs: &[Val]) -> Vec<B::F> {
    vs.iter().map(|&v| b.witness_f(v)).collect()
}

/// Each chip's compiled constraints, compiled once per chip.
pub type Programs = HashMap<&'static str, Arc<CompiledAir>>;

impl<B: Builder> GroupOpening<B> {
    /// Reads one batch proof (a sharded proof's group, or a whole one-batch proof) into
    /// witnesses; `main` is its main commitment's variables (the header's, for a group), and
    /// `preprocessed` the preprocessed commitment's where the caller reads it as a witness
    /// (a lift, whose key serves every program), or `None` for the key's, as constants.
    #[allow(clippy::too_many_arguments)]
    pub fn load(
        b: &mut B,
        g: usize,
        group: &GroupProof,
        key: &GroupKey,
        main: &[B::F],
        preprocessed: Option<&[B::F]>,
        fri: &FriParameters<()>,
        programs: &mut Programs,
    ) -> Result<Self, ShapeError> {
        let perm = group
            .commitments
            .permutation
            .as_ref()
            .ok_or(ShapeError::NoLookupCommitment(g))?;
        let permutation = witnesses(b, &cap_elements(perm));
        let terminals = group
            .lookup_terminals
            .iter()
            .map(|t| t.iter().map(|t| b.witness_e(t.0)).collect())
            .collect();
        let quotient = witnesses(b, &cap_elements(&group.commitments.quotient_chunks));
        let ood_witness = b.witness_f(group.ood_pow_witness);
        for (i, o) in group.opened_values.instances.iter().enumerate() {
            let chunks = o.base_opened_values.quotient_chunks.len().trailing_zeros() as usize;
            if group.degree_bits[i] + chunks > Val::TWO_ADICITY {
                return Err(ShapeError::Opening {
                    group: g,
                    instance: i,
                    what: "a quotient domain larger than the field's two-adic subgroup",
                });
            }
        }
        let instances = openings(b, group);
        let rounds = claims(
            g,
            group,
            &instances,
            main,
            &quotient,
            &permutation,
            key.preprocessed.as_ref().map(|p| {
                let vars = match preprocessed {
                    Some(vars) => vars.to_vec(),
                    None => constants(b, &cap_elements(&p.commitment)),
                };
                (p, vars)
            }),
        )?;
        let layout = FriLayout::new(fri, &rounds);
        let fri_proof = fri_transcript(b, g, fri, &layout, &group.opening_proof)?;
        let mut group_programs = Vec::with_capacity(key.airs.len());
        for (i, air) in key.airs.iter().enumerate() {
            let compiled = match programs.get(air.name()) {
                Some(c) => c.clone(),
                None => {
                    let c = Arc::new(CompiledAir::new(
                        air,
                        air_layout(air, key.preprocessed_widths[i]),
                        &key.lookups[i],
                        2 * key.lookups[i].len(),
                        usize::from(!key.lookups[i].is_empty()),
                    )?);
                    programs.insert(air.name(), c.clone());
                    c
                }
            };
            group_programs.push(compiled);
        }
        Ok(GroupOpening {
            permutation,
            terminals,
            quotient,
            ood_witness,
            instances,
            rounds,
            layout,
            fri: fri_proof,
            programs: group_programs,
            first_instance: 0,
            opening_proof: group.opening_proof.clone(),
        })
    }

    /// Checks the group's opening argument and every instance's constraints at ζ (`publics`
    /// and `lookup_challenges` are every instance's of the whole proof; `degree_bits` the
    /// group's); returns the sum of the group's LogUp terminals.
    #[allow(clippy::too_many_arguments)]
    pub fn check(
        &self,
        b: &mut B,
        fri: &FriParameters<()>,
        c: &GroupChallenges<B>,
        publics: &[Vec<B::F>],
        lookup_challenges: &[Vec<B::E>],
        degree_bits: &[usize],
    ) -> Result<B::E, FriShapeError> {
        fri::verify(
            b,
            fri,
            &self.rounds,
            c.zeta,
            &self.layout,
            &self.fri,
            &c.pcs,
            &self.opening_proof,
        )?;
        let mut total = b.constant_e(Challenge::ZERO);
        for (i, opening) in self.instances.iter().enumerate() {
            let at = self.first_instance + i;
            let inputs = InstanceInputs {
                program: &self.programs[i],
                publics: &publics[at],
                lookup_challenges: &lookup_challenges[at],
                terminals: &self.terminals[i],
                log_height: degree_bits[i],
            };
            ood::check_instance(b, opening, &inputs, c.alpha, c.zeta);
            for &t in &self.terminals[i] {
                total = b.add_e(total, t);
            }
        }
        Ok(total)
    }
}

impl<B: Builder> Transcript<B> {
    /// Reads a sharded proof into witnesses, after the reference's plain checks of its
    /// lengths, heights and statement chain ([`VerifyingKey::check_sharded_shape`]). The key
    /// supplies the verifier's constants: its parameters, the program's entry point and break,
    /// and each group's preprocessed round.
    pub fn load(b: &mut B, vk: &VerifyingKey, proof: &ShardedProof) -> Result<Self, ShapeError> {
        let (header, statement, keys) = Header::load(b, vk, proof)?;
        let params = vk.params();
        let all_lookups: Vec<&[Lookup<Val>]> = keys
            .iter()
            .flat_map(|k| k.lookups.iter().map(|l| &l[..]))
            .collect();
        let buses = BusLayout::new(&all_lookups);
        let first = proof.groups.first().ok_or(ShapeError::NoGroups)?;
        let lookup_witness = first
            .lookup_pow_witness
            .ok_or(ShapeError::NoLookupWitness)?;
        let lookup_witness = b.witness_f(lookup_witness);
        let fri = fri_parameters(params, ());
        let mut programs = Programs::new();
        let mut groups = Vec::with_capacity(proof.groups.len());
        let mut first_instance = 0;
        for (g, (group, key)) in proof.groups.iter().zip(&keys).enumerate() {
            let main = &header.groups[g].main;
            let o = GroupOpening::load(b, g, group, key, main, None, &fri, &mut programs)?;
            groups.push(GroupOpening {
                first_instance,
                ..o
            });
            first_instance += key.airs.len();
        }
        Ok(Transcript {
            header,
            lookup_pow_bits: params.lookup_pow_bits,
            lookup_witness,
            ood_pow_bits: params.deep_pow_bits,
            fri,
            groups,
            buses,
            statement,
        })
    }

    /// Verifies the proof [`Self::load`] read: checks its statement, replays the transcript on
    /// a fresh challenger, checks every group's opening argument, every instance's constraints
    /// at its group's ζ, and that the LogUp terminals of all groups sum to zero. `Err` is a
    /// rejection for shape; otherwise the verdict is the backend's (`Native::finish`, or the
    /// recorded program's assertions).
    pub fn verify(&self, b: &mut B) -> Result<Challenges<B>, FriShapeError> {
        self.statement.check(b);
        let mut ch = Challenger::new(b);
        let drawn = self.replay(b, &mut ch);
        let lookup_challenges =
            lay_out_challenges(b, &self.buses, drawn.lookup_alpha, drawn.lookup_beta);
        let mut total = b.constant_e(Challenge::ZERO);
        for (g, (o, (_, c))) in self.groups.iter().zip(&drawn.forks).enumerate() {
            let degree_bits = &self.header.groups[g].degree_bits;
            let sum = o.check(
                b,
                &self.fri,
                c,
                &self.header.publics,
                &lookup_challenges,
                degree_bits,
            )?;
            total = b.add_e(total, sum);
        }
        let zero = b.constant_e(Challenge::ZERO);
        b.assert_eq_e(total, zero);
        Ok(drawn)
    }

    /// Replays the transcript on `ch` (a fresh challenger): the header, the LogUp grind and
    /// pair, then each group's fork to its last query index.
    pub fn replay(&self, b: &mut B, ch: &mut Challenger<B>) -> Challenges<B> {
        observe_header(b, ch, &self.header);
        ch.check_witness(b, self.lookup_pow_bits, self.lookup_witness);
        let lookup_alpha = ch.sample_ext(b);
        let lookup_beta = ch.sample_ext(b);
        let forks = self
            .groups
            .iter()
            .enumerate()
            .map(|(g, o)| {
                let mut f = fork(b, ch, g);
                let c = group_challenges(b, &mut f, o, self.ood_pow_bits, &self.fri);
                (f, c)
            })
            .collect();
        Challenges {
            lookup_alpha,
            lookup_beta,
            forks,
        }
    }
}

pub(crate) fn constants<B: Builder>(b: &mut B, vs: &[Val]) -> Vec<B::F> {
    vs.iter().map(|&v| b.constant_f(v)).collect()
}

fn ext_witnesses<B: Builder>(b: &mut B, vs: &[Challenge]) -> Vec<B::E> {
    vs.iter().map(|&v| b.witness_e(v)).collect()
}

/// Each instance's opened values, as witnesses.
fn openings<B: Builder>(b: &mut B, group: &GroupProof) -> Vec<InstanceOpening<B>> {
    group
        .opened_values
        .instances
        .iter()
        .map(|o| {
            let v = &o.base_opened_values;
            let pre = v.preprocessed.as_ref();
            InstanceOpening {
                main_local: ext_witnesses(b, &v.trace_local),
                main_next: v.trace_next.as_ref().map(|n| ext_witnesses(b, n)),
                pre_local: pre.map_or_else(Vec::new, |p| ext_witnesses(b, &p.local)),
                pre_next: pre
                    .and_then(|p| p.next.as_ref())
                    .map(|n| ext_witnesses(b, n)),
                perm_local: ext_witnesses(b, &o.permutation_local),
                perm_next: ext_witnesses(b, &o.permutation_next),
                quotient_chunks: v
                    .quotient_chunks
                    .iter()
                    .map(|c| ext_witnesses(b, c))
                    .collect(),
            }
        })
        .collect()
}

/// A group's claimed evaluations, by commitment in the reference's order (p3-batch-stark's
/// `commitments_with_opening_points`): main (ζ, and the next row where the proof opens
/// one), quotient chunks (ζ), the preprocessed tables (ζ and the next row, in the key's matrix
/// order), the LogUp columns (ζ and the next row, for instances that have them). Every matrix
/// of an instance has that instance's height.
fn claims<B: Builder>(
    g: usize,
    group: &GroupProof,
    instances: &[InstanceOpening<B>],
    main: &[B::F],
    quotient: &[B::F],
    permutation: &[B::F],
    preprocessed: Option<(&PreprocessedRound, Vec<B::F>)>,
) -> Result<Vec<RoundClaim<B>>, ShapeError> {
    let heights = &group.degree_bits;
    let mut main_round = Vec::new();
    let mut quotient_round = Vec::new();
    let mut perm_round = Vec::new();
    for (i, o) in instances.iter().enumerate() {
        main_round.push(local_and_next(heights[i], &o.main_local, &o.main_next));
        for chunk in &o.quotient_chunks {
            quotient_round.push(MatrixClaim {
                log_height: heights[i],
                points: vec![(Point::Zeta, chunk.clone())],
            });
        }
        if !o.perm_local.is_empty() {
            perm_round.push(MatrixClaim {
                log_height: heights[i],
                points: vec![
                    (Point::Zeta, o.perm_local.clone()),
                    (Point::ZetaNext, o.perm_next.clone()),
                ],
            });
        }
    }
    let mut rounds = vec![
        RoundClaim {
            commitment: main.to_vec(),
            matrices: main_round,
        },
        RoundClaim {
            commitment: quotient.to_vec(),
            matrices: quotient_round,
        },
    ];
    if let Some((pre, commitment)) = preprocessed {
        let mut matrices = Vec::with_capacity(pre.matrix_to_instance.len());
        for &i in &pre.matrix_to_instance {
            let o = instances.get(i).filter(|o| !o.pre_local.is_empty()).ok_or(
                ShapeError::Opening {
                    group: g,
                    instance: i,
                    what: "no preprocessed values opened",
                },
            )?;
            matrices.push(local_and_next(heights[i], &o.pre_local, &o.pre_next));
        }
        rounds.push(RoundClaim {
            commitment,
            matrices,
        });
    }
    rounds.push(RoundClaim {
        commitment: permutation.to_vec(),
        matrices: perm_round,
    });
    Ok(rounds)
}

/// A matrix opened at ζ, and at the next row where the AIR reads one.
fn local_and_next<B: Builder>(
    log_height: usize,
    local: &[B::E],
    next: &Option<Vec<B::E>>,
) -> MatrixClaim<B> {
    let mut points = vec![(Point::Zeta, local.to_vec())];
    if let Some(next) = next {
        points.push((Point::ZetaNext, next.clone()));
    }
    MatrixClaim { log_height, points }
}

/// Each instance's lookup challenge vector from the shared pair, over the builder: Plonky3's
/// `Challenges::new` (bus `k`'s prefix is `α + (k+1)·β^widest`) laid out as the reference's
/// `lay_out_challenges` does (each lookup gets its bus's prefix, then β).
pub fn lay_out_challenges<B: Builder>(
    b: &mut B,
    buses: &BusLayout,
    alpha: B::E,
    beta: B::E,
) -> Vec<Vec<B::E>> {
    let mut gamma = b.constant_e(Challenge::ONE);
    for _ in 0..buses.widest {
        gamma = b.mul_e(gamma, beta);
    }
    let mut prefixes = Vec::with_capacity(buses.count);
    let mut prefix = alpha;
    for _ in 0..buses.count {
        prefix = b.add_e(prefix, gamma);
        prefixes.push(prefix);
    }
    buses
        .ids
        .iter()
        .map(|ids| ids.iter().flat_map(|&k| [prefixes[k], beta]).collect())
        .collect()
}

/// The FRI proof's transcript part, its lengths checked against the layout (as `verify_fri`
/// does before it absorbs anything).
fn fri_transcript<B: Builder>(
    b: &mut B,
    g: usize,
    fri: &FriParameters<()>,
    layout: &FriLayout,
    proof: &OpeningProof,
) -> Result<FriTranscript<B>, ShapeError> {
    let rounds = layout.log_arities.len();
    let check = |what, expected: usize, got: usize| {
        if expected == got {
            Ok(())
        } else {
            Err(ShapeError::Fri {
                group: g,
                what,
                expected,
                got,
            })
        }
    };
    check(
        "commit-phase rounds",
        rounds,
        proof.commit_phase_commits.len(),
    )?;
    check(
        "commit-phase grinding witnesses",
        rounds,
        proof.commit_pow_witnesses.len(),
    )?;
    check(
        "final polynomial coefficients",
        fri.final_poly_len(),
        proof.final_poly.len(),
    )?;
    Ok(FriTranscript {
        batch_witness: b.witness_f(proof.batch_pow_witness),
        commits: proof
            .commit_phase_commits
            .iter()
            .map(|c| witnesses(b, &cap_elements(c)))
            .collect(),
        commit_witnesses: witnesses(b, &proof.commit_pow_witnesses),
        final_poly: ext_witnesses(b, &proof.final_poly),
        query_witness: b.witness_f(proof.query_pow_witness),
    })
}

/// The transcript that proves group `g`: a copy that first absorbs `g`.
pub fn fork<B: Builder>(b: &mut B, ch: &Challenger<B>, g: usize) -> Challenger<B> {
    let mut f = ch.clone();
    f.take_events();
    f.observe_constant(b, Val::from_usize(g));
    f
}

/// A group's fork: its lookup commitment and terminals, α, its quotient commitment, the
/// out-of-domain grind, ζ, then the opening argument.
pub fn group_challenges<B: Builder>(
    b: &mut B,
    ch: &mut Challenger<B>,
    o: &GroupOpening<B>,
    ood_pow_bits: usize,
    fri: &FriParameters<()>,
) -> GroupChallenges<B> {
    ch.observe_all(b, &o.permutation);
    for &t in o.terminals.iter().flatten() {
        ch.observe_ext(b, t);
    }
    let alpha = ch.sample_ext(b);
    ch.observe_all(b, &o.quotient);
    ch.check_witness(b, ood_pow_bits, o.ood_witness);
    let zeta = ch.sample_ext(b);
    let pcs = pcs::replay(b, ch, fri, &o.rounds, &o.layout, &o.fri);
    GroupChallenges { alpha, zeta, pcs }
}
