//! A sharded proof's transcript, over the builder: the header, the LogUp grind and pair, each
//! group's fork, and each group's challenges up to its out-of-domain point ζ — the order of
//! `prover_cpu_ref::sharded` (its `observe_header`, `draw_lookup_pair`, `fork` and the start of
//! `verify_group`), replayed so that a recursive verifier draws the very same challenges.
//! `tests/transcript.rs` pins every absorbed and drawn element to the reference verifier's.

use mipstark_air::machine::Machine;
use mipstark_prover_cpu_ref::sharded::{header_constants, ShardedProof};
use mipstark_prover_cpu_ref::{StarkParams, Val, ValMmcs};
use p3_field::PrimeCharacteristicRing;
use thiserror::Error;

use crate::builder::Builder;
use crate::challenger::Challenger;

/// A Merkle commitment as the proofs carry it.
pub type Commitment = <ValMmcs as p3_commit::Mmcs<Val>>::Commitment;

/// What makes a proof unreadable before any value is checked (the reference verifier rejects
/// the same proofs, as shape errors).
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum ShapeError {
    #[error("the proof has no groups")]
    NoGroups,
    #[error("group 0 carries no LogUp grinding witness")]
    NoLookupWitness,
    #[error("group {0} carries no lookup commitment")]
    NoLookupCommitment(usize),
}

/// One group's part of the header: its instances' heights (log2) and main commitment.
pub struct GroupHeader<B: Builder> {
    pub degree_bits: Vec<B::F>,
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

/// What one group's fork absorbs before ζ: its lookup commitment and terminals, its quotient
/// commitment and its out-of-domain grinding witness.
pub struct GroupOpening<B: Builder> {
    pub permutation: Vec<B::F>,
    pub terminals: Vec<B::E>,
    pub quotient: Vec<B::F>,
    pub ood_witness: B::F,
}

/// The challenges one group's constraint check uses: the constraint-folding α and ζ.
pub struct GroupChallenges<B: Builder> {
    pub alpha: B::E,
    pub zeta: B::E,
}

/// The whole proof's transcript inputs up to each group's ζ.
pub struct Transcript<B: Builder> {
    pub header: Header<B>,
    pub lookup_pow_bits: usize,
    pub lookup_witness: B::F,
    pub ood_pow_bits: usize,
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
    /// Reads a sharded proof of `machine`'s program into witnesses. `preprocessed` is the key's
    /// commitment to the global chips' tables (a constant of the verifier).
    pub fn load(
        b: &mut B,
        machine: &Machine,
        params: StarkParams,
        preprocessed: Option<&Commitment>,
        proof: &ShardedProof,
    ) -> Result<Self, ShapeError> {
        let publics = proof
            .statement
            .instance_publics(machine.program.initial_brk)
            .iter()
            .map(|pv| witnesses(b, pv))
            .collect();
        let groups = proof
            .groups
            .iter()
            .map(|g| {
                let degree_bits: Vec<Val> =
                    g.degree_bits.iter().map(|&d| Val::from_usize(d)).collect();
                GroupHeader {
                    degree_bits: witnesses(b, &degree_bits),
                    main: witnesses(b, &cap_elements(&g.commitments.main)),
                }
            })
            .collect();
        let header = Header {
            constants: header_constants(params, machine.program.entry, machine.program.initial_brk),
            publics,
            preprocessed: preprocessed
                .map(|c| cap_elements(c).iter().map(|&v| b.constant_f(v)).collect()),
            groups,
        };
        let first = proof.groups.first().ok_or(ShapeError::NoGroups)?;
        let lookup_witness = first
            .lookup_pow_witness
            .ok_or(ShapeError::NoLookupWitness)?;
        let lookup_witness = b.witness_f(lookup_witness);
        let mut groups = Vec::with_capacity(proof.groups.len());
        for (g, group) in proof.groups.iter().enumerate() {
            let perm = group
                .commitments
                .permutation
                .as_ref()
                .ok_or(ShapeError::NoLookupCommitment(g))?;
            groups.push(GroupOpening {
                permutation: witnesses(b, &cap_elements(perm)),
                terminals: group
                    .lookup_terminals
                    .iter()
                    .flatten()
                    .map(|t| b.witness_e(t.0))
                    .collect(),
                quotient: witnesses(b, &cap_elements(&group.commitments.quotient_chunks)),
                ood_witness: b.witness_f(group.ood_pow_witness),
            });
        }
        Ok(Transcript {
            header,
            lookup_pow_bits: params.lookup_pow_bits,
            lookup_witness,
            ood_pow_bits: params.deep_pow_bits,
            groups,
        })
    }

    /// Replays the transcript on `ch` (a fresh challenger): the header, the LogUp grind and
    /// pair, then each group's fork up to its ζ.
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
                let c = group_challenges(b, &mut f, o, self.ood_pow_bits);
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
        ch.observe_all(b, &g.degree_bits);
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

/// A group's fork up to ζ: its lookup commitment and terminals, α, its quotient commitment,
/// the out-of-domain grind, ζ.
pub fn group_challenges<B: Builder>(
    b: &mut B,
    ch: &mut Challenger<B>,
    o: &GroupOpening<B>,
    ood_pow_bits: usize,
) -> GroupChallenges<B> {
    ch.observe_all(b, &o.permutation);
    for &t in &o.terminals {
        ch.observe_ext(b, t);
    }
    let alpha = ch.sample_ext(b);
    ch.observe_all(b, &o.quotient);
    ch.check_witness(b, ood_pow_bits, o.ood_witness);
    let zeta = ch.sample_ext(b);
    GroupChallenges { alpha, zeta }
}
