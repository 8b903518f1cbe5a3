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
use mipstark_prover_cpu_ref::machine::{PreprocessedRound, VerifyError, VerifyingKey};
use mipstark_prover_cpu_ref::sharded::{header_constants, ShardedProof};
use mipstark_prover_cpu_ref::{Challenge, MipsStarkConfig, Val, ValMmcs};
use p3_field::PrimeCharacteristicRing;
use p3_fri::FriParameters;
use thiserror::Error;

use crate::builder::Builder;
use crate::challenger::Challenger;
use crate::fri::{self, FriShapeError, OpeningProof};
use crate::pcs::{self, FriLayout, FriTranscript, MatrixClaim, PcsChallenges, Point, RoundClaim};

/// One group of a sharded proof (a Plonky3 batch proof).
pub type GroupProof = p3_batch_stark::BatchProof<MipsStarkConfig>;

/// A Merkle commitment as the proofs carry it.
pub type Commitment = <ValMmcs as p3_commit::Mmcs<Val>>::Commitment;

/// What makes a proof unreadable before any value is checked (the reference verifier rejects
/// the same proofs, as shape errors).
#[derive(Debug, Error)]
pub enum ShapeError {
    /// The reference verifier's own checks of lengths, heights and the statement's chain.
    #[error(transparent)]
    Reference(#[from] VerifyError),
    #[error("the proof has no groups")]
    NoGroups,
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

/// One group's part of the header: its instances' heights (log2, shape constants) and main
/// commitment.
pub struct GroupHeader<B: Builder> {
    pub degree_bits: Vec<usize>,
    pub main: Vec<B::F>,
}

/// Everything the header absorbs. `constants` are the key's (domain tag, parameters, entry
/// point, initial break); the rest comes from the proof, and from the key for the global
/// chips' preprocessed commitment.
pub struct Header<B: Builder> {
    pub constants: Vec<Val>,
    pub publics: Vec<Vec<B::F>>,
    pub preprocessed: Option<Vec<B::F>>,
    pub groups: Vec<GroupHeader<B>>,
}

/// What one group's fork absorbs: its lookup commitment and terminals, its quotient
/// commitment and out-of-domain grinding witness, then its opening argument — the claimed
/// evaluations by commitment (main, quotient, preprocessed, lookup: the reference's order)
/// and the FRI proof's transcript part.
pub struct GroupOpening<B: Builder> {
    pub permutation: Vec<B::F>,
    pub terminals: Vec<B::E>,
    pub quotient: Vec<B::F>,
    pub ood_witness: B::F,
    pub rounds: Vec<RoundClaim<B>>,
    pub layout: FriLayout,
    pub fri: FriTranscript<B>,
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
}

/// The challenges drawn: the shared LogUp pair, and each group's fork and challenges.
pub struct Challenges<B: Builder> {
    pub lookup_alpha: B::E,
    pub lookup_beta: B::E,
    pub forks: Vec<(Challenger<B>, GroupChallenges<B>)>,
}

fn cap_elements(c: &Commitment) -> Vec<Val> {
    c.roots().iter().flatten().copied().collect()
}

/// Proof values as witnesses.
fn witnesses<B: Builder>(b: &mut B, vs: &[Val]) -> Vec<B::F> {
    vs.iter().map(|&v| b.witness_f(v)).collect()
}

impl<B: Builder> Transcript<B> {
    /// Reads a sharded proof into witnesses, after the reference's plain checks of its
    /// lengths, heights and statement chain ([`VerifyingKey::check_sharded_shape`]). The key
    /// supplies the verifier's constants: its parameters, the program's entry point and break,
    /// and each group's preprocessed round.
    pub fn load(b: &mut B, vk: &VerifyingKey, proof: &ShardedProof) -> Result<Self, ShapeError> {
        vk.check_sharded_shape(proof)?;
        let (machine, params) = (vk.machine(), vk.params());
        let preprocessed: Vec<Option<PreprocessedRound>> = proof
            .groups
            .iter()
            .enumerate()
            .map(|(g, p)| vk.group_preprocessed(g, &p.degree_bits))
            .collect::<Result<_, _>>()?;
        let publics = proof
            .statement
            .instance_publics(machine.program.initial_brk)
            .iter()
            .map(|pv| witnesses(b, pv))
            .collect();
        let groups = proof
            .groups
            .iter()
            .map(|g| GroupHeader {
                degree_bits: g.degree_bits.clone(),
                main: witnesses(b, &cap_elements(&g.commitments.main)),
            })
            .collect();
        let header = Header {
            constants: header_constants(params, machine.program.entry, machine.program.initial_brk),
            publics,
            preprocessed: preprocessed[0]
                .as_ref()
                .map(|p| constants(b, &cap_elements(&p.commitment))),
            groups,
        };
        let first = proof.groups.first().ok_or(ShapeError::NoGroups)?;
        let lookup_witness = first
            .lookup_pow_witness
            .ok_or(ShapeError::NoLookupWitness)?;
        let lookup_witness = b.witness_f(lookup_witness);
        let fri = fri_parameters(params, ());
        let mut groups = Vec::with_capacity(proof.groups.len());
        for (g, group) in proof.groups.iter().enumerate() {
            let perm = group
                .commitments
                .permutation
                .as_ref()
                .ok_or(ShapeError::NoLookupCommitment(g))?;
            let permutation = witnesses(b, &cap_elements(perm));
            let terminals = group
                .lookup_terminals
                .iter()
                .flatten()
                .map(|t| b.witness_e(t.0))
                .collect();
            let quotient = witnesses(b, &cap_elements(&group.commitments.quotient_chunks));
            let ood_witness = b.witness_f(group.ood_pow_witness);
            let rounds = claims(
                b,
                g,
                group,
                &header.groups[g].main,
                &quotient,
                &permutation,
                preprocessed[g].as_ref(),
            )?;
            let layout = FriLayout::new(&fri, &rounds);
            let fri_proof = fri_transcript(b, g, &fri, &layout, &group.opening_proof)?;
            groups.push(GroupOpening {
                permutation,
                terminals,
                quotient,
                ood_witness,
                rounds,
                layout,
                fri: fri_proof,
            });
        }
        Ok(Transcript {
            header,
            lookup_pow_bits: params.lookup_pow_bits,
            lookup_witness,
            ood_pow_bits: params.deep_pow_bits,
            fri,
            groups,
        })
    }

    /// Replays the transcript on a fresh challenger and checks every group's opening argument
    /// against `proof` (the same proof [`Self::load`] read). The constraints at ζ are not
    /// checked here yet (`docs/recursion.md` §6, step 3).
    pub fn verify_openings(
        &self,
        b: &mut B,
        proof: &ShardedProof,
    ) -> Result<Challenges<B>, FriShapeError> {
        let mut ch = Challenger::new(b);
        let drawn = self.replay(b, &mut ch);
        for ((o, (_, c)), group) in self.groups.iter().zip(&drawn.forks).zip(&proof.groups) {
            fri::verify(
                b,
                &self.fri,
                &o.rounds,
                c.zeta,
                &o.layout,
                &o.fri,
                &c.pcs,
                &group.opening_proof,
            )?;
        }
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

fn constants<B: Builder>(b: &mut B, vs: &[Val]) -> Vec<B::F> {
    vs.iter().map(|&v| b.constant_f(v)).collect()
}

fn ext_witnesses<B: Builder>(b: &mut B, vs: &[Challenge]) -> Vec<B::E> {
    vs.iter().map(|&v| b.witness_e(v)).collect()
}

/// A group's claimed evaluations, by commitment in the reference's order (p3-batch-stark's
/// `commitments_with_opening_points`): main (ζ, and the next row where the proof opens
/// one), quotient chunks (ζ), the preprocessed tables (ζ and the next row, in the key's matrix
/// order), the LogUp columns (ζ and the next row, for instances that have them). Every matrix
/// of an instance has that instance's height.
fn claims<B: Builder>(
    b: &mut B,
    g: usize,
    group: &GroupProof,
    main: &[B::F],
    quotient: &[B::F],
    permutation: &[B::F],
    preprocessed: Option<&PreprocessedRound>,
) -> Result<Vec<RoundClaim<B>>, ShapeError> {
    let opened = &group.opened_values.instances;
    let heights = &group.degree_bits;
    if opened.len() != heights.len() {
        return Err(ShapeError::Fri {
            group: g,
            what: "opened instances against heights",
            expected: heights.len(),
            got: opened.len(),
        });
    }
    let mut main_round = Vec::new();
    let mut quotient_round = Vec::new();
    let mut perm_round = Vec::new();
    for (i, o) in opened.iter().enumerate() {
        let v = &o.base_opened_values;
        let mut points = vec![(Point::Zeta, ext_witnesses(b, &v.trace_local))];
        if let Some(next) = &v.trace_next {
            points.push((Point::ZetaNext, ext_witnesses(b, next)));
        }
        main_round.push(MatrixClaim {
            log_height: heights[i],
            points,
        });
        for chunk in &v.quotient_chunks {
            quotient_round.push(MatrixClaim {
                log_height: heights[i],
                points: vec![(Point::Zeta, ext_witnesses(b, chunk))],
            });
        }
        if o.permutation_local.len() != o.permutation_next.len() {
            return Err(ShapeError::Opening {
                group: g,
                instance: i,
                what: "lookup columns opened at ζ and at the next row differ in number",
            });
        }
        if !o.permutation_local.is_empty() {
            perm_round.push(MatrixClaim {
                log_height: heights[i],
                points: vec![
                    (Point::Zeta, ext_witnesses(b, &o.permutation_local)),
                    (Point::ZetaNext, ext_witnesses(b, &o.permutation_next)),
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
    if let Some(pre) = preprocessed {
        let mut matrices = Vec::with_capacity(pre.matrix_to_instance.len());
        for &i in &pre.matrix_to_instance {
            let missing = ShapeError::Opening {
                group: g,
                instance: i,
                what: "no preprocessed values opened",
            };
            let p = opened
                .get(i)
                .and_then(|o| o.base_opened_values.preprocessed.as_ref())
                .ok_or(missing)?;
            let mut points = vec![(Point::Zeta, ext_witnesses(b, &p.local))];
            if let Some(next) = &p.next {
                points.push((Point::ZetaNext, ext_witnesses(b, next)));
            }
            matrices.push(MatrixClaim {
                log_height: heights[i],
                points,
            });
        }
        rounds.push(RoundClaim {
            commitment: constants(b, &cap_elements(&pre.commitment)),
            matrices,
        });
    }
    rounds.push(RoundClaim {
        commitment: permutation.to_vec(),
        matrices: perm_round,
    });
    Ok(rounds)
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

/// The header, in the reference's order: the key's constants, the instances' public values
/// (each list behind its length), whether there is a preprocessed commitment and that
/// commitment, then each group's heights (behind their count) and main commitment.
pub fn observe_header<B: Builder>(b: &mut B, ch: &mut Challenger<B>, h: &Header<B>) {
    for &v in &h.constants {
        ch.observe_constant(b, v);
    }
    ch.observe_constant(b, Val::from_usize(h.publics.len()));
    for pv in &h.publics {
        ch.observe_constant(b, Val::from_usize(pv.len()));
        ch.observe_all(b, pv);
    }
    ch.observe_constant(b, Val::from_bool(h.preprocessed.is_some()));
    if let Some(c) = &h.preprocessed {
        ch.observe_all(b, c);
    }
    ch.observe_constant(b, Val::from_usize(h.groups.len()));
    for g in &h.groups {
        ch.observe_constant(b, Val::from_usize(g.degree_bits.len()));
        for &d in &g.degree_bits {
            ch.observe_constant(b, Val::from_usize(d));
        }
        ch.observe_all(b, &g.main);
    }
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
    for &t in &o.terminals {
        ch.observe_ext(b, t);
    }
    let alpha = ch.sample_ext(b);
    ch.observe_all(b, &o.quotient);
    ch.check_witness(b, ood_pow_bits, o.ood_witness);
    let zeta = ch.sample_ext(b);
    let pcs = pcs::replay(b, ch, fri, &o.rounds, &o.layout, &o.fri);
    GroupChallenges { alpha, zeta, pcs }
}
