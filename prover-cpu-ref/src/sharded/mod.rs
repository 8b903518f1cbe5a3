//! Proofs of long executions, shard by shard, with bounded memory.
//!
//! A one-batch proof ([`crate::machine::MipsProof`]) holds every shard's trace LDEs at once, so
//! its memory grows with the run. A sharded proof splits the same instances into *groups*
//! — group 0 the global chips (byte and program tables, image, memory, public values), group
//! `k + 1` shard `k`'s chips — and proves each group on its own, so that only one group's
//! traces are alive at a time.
//!
//! The buses still run across groups (a shard's register writes are read by the next shard, and
//! the memory chip receives every shard's last accesses), so the LogUp challenges must be
//! drawn after *every* group's main traces are fixed. The protocol therefore has two phases:
//!
//! 1. Every group's main traces are generated and committed; only the commitments are kept
//!    (the prover regenerates a shard's traces from its record when it proves it).
//! 2. One transcript absorbs the statement and every group's heights and main commitment,
//!    grinds, and draws the LogUp pair `(α, β)` that every group uses. Each group then proves
//!    its lookup columns, quotient and openings on its own fork of that transcript (the fork
//!    first absorbs the group's index), exactly as a Plonky3 batch would after its lookup
//!    phase.
//!
//! The verifier replays the same transcript, checks every group's openings and constraints,
//! and checks that the terminals of all groups together sum to zero: the one-batch proof's
//! cross-instance check, now across groups. Soundness is the one-batch proof's: the same
//! instances, the same constraints, one LogUp challenge pair drawn after all main traces are
//! committed, and the multiplicity bound checked over all instances together. Each fork's
//! folding challenge and out-of-domain point depend on its group's lookup commitment and
//! terminals, which is what each group's constraint check needs.

mod profile;
mod prove;
pub(crate) mod verify;

pub use profile::ShardProfile;
pub use prove::{prove_sharded, prove_sharded_backend, prove_sharded_profiled};
pub use verify::verify_sharded;

use mipstark_air::machine::{MipsAir, Statement};
use p3_batch_stark::BatchProof;
use p3_challenger::{CanObserve, FieldChallenger};
use p3_field::{ExtensionField, PrimeCharacteristicRing};
use p3_lookup::{assert_uniform_tuple_width, Challenges, Kind, Lookup};
use serde::{Deserialize, Serialize};

use crate::config::{MipsStarkConfig, StarkParams};
use crate::machine::VerifyError;
use crate::{Challenge, DeterministicChallenger, Val};

/// Bumped whenever the transcript below changes, so old proofs fail loudly.
const DOMAIN_TAG: &[u8] = b"mipstark sharded proof v2";

/// A proof of one execution, group by group (see the module documentation).
#[derive(Serialize, Deserialize)]
pub struct ShardedProof {
    pub params: StarkParams,
    pub statement: Statement,
    /// Group 0 (the global chips), then one group per shard. Each is laid out as a Plonky3
    /// batch proof of the group's instances; only group 0 carries the LogUp grinding witness,
    /// which the whole proof shares.
    pub groups: Vec<BatchProof<MipsStarkConfig>>,
}

impl ShardedProof {
    pub fn to_bytes(&self) -> Vec<u8> {
        bincode::serialize(self).expect("proofs always serialize")
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VerifyError> {
        bincode::deserialize(bytes).map_err(|e| VerifyError::Malformed(e.to_string()))
    }
}

/// The instances of group `g`: the global chips for 0, a shard's otherwise.
pub(crate) fn group_airs(machine: &mipstark_air::machine::Machine, g: usize) -> Vec<MipsAir> {
    if g == 0 {
        machine.global_airs()
    } else {
        machine.shard_airs()
    }
}

/// The public values of group `g`'s instances, cut from the statement's instance list.
pub(crate) fn group_publics(all: &[Vec<Val>], g: usize) -> &[Vec<Val>] {
    use mipstark_air::machine::{NUM_GLOBAL, NUM_PER_SHARD};
    if g == 0 {
        &all[..NUM_GLOBAL]
    } else {
        let start = NUM_GLOBAL + (g - 1) * NUM_PER_SHARD;
        &all[start..start + NUM_PER_SHARD]
    }
}

/// What the verifying key fixes beyond the preprocessed commitment: the parameters, the
/// entry point and the chip constants (the syscall chip's initial break).
pub(crate) struct VkConstants {
    pub params: StarkParams,
    pub entry: u32,
    pub initial_brk: u32,
}

impl VkConstants {
    pub(crate) fn new(machine: &mipstark_air::machine::Machine, params: StarkParams) -> Self {
        VkConstants {
            params,
            entry: machine.program.entry,
            initial_brk: machine.program.initial_brk,
        }
    }
}

/// What the transcript absorbs first, one element at a time: the domain tag's bytes, the
/// parameters, and the entry point's and initial break's bytes. All are constants of the
/// verifying key, so a recursive verifier absorbs them as constants.
pub fn header_constants(params: StarkParams, entry: u32, initial_brk: u32) -> Vec<Val> {
    let mut out: Vec<Val> = DOMAIN_TAG.iter().map(|&b| Val::from_u8(b)).collect();
    for v in [
        params.log_blowup,
        params.num_queries,
        params.query_pow_bits,
        params.log_final_poly_len,
    ] {
        out.push(Val::from_usize(v));
    }
    for w in [entry, initial_brk] {
        out.extend(w.to_le_bytes().map(Val::from_u8));
    }
    out
}

/// The sponge's rate: a header segment is padded with zeros to a multiple of it.
pub const HEADER_RATE: usize = 8;

/// The transcript's opening: what the proof claims and every group's heights and main
/// commitment (with the global preprocessed commitment), before any challenge is drawn.
///
/// It is absorbed in *segments* (the prefix, each group's public values, the middle, each
/// group's heights and commitment), each padded with zeros to the sponge's rate. So every
/// segment starts on a fresh permutation state with nothing pending, whatever came before it:
/// a recursion layer that absorbs one group's segments is then one program for every group
/// position (`docs/recursion.md` §4.1).
pub(crate) fn observe_header(
    ch: &mut DeterministicChallenger,
    key: &VkConstants,
    publics: &[Vec<Val>],
    preprocessed: Option<&<crate::ValMmcs as p3_commit::Mmcs<Val>>::Commitment>,
    groups: &[(
        &[usize],
        &<crate::ValMmcs as p3_commit::Mmcs<Val>>::Commitment,
    )],
) {
    let mut seg = Segments { ch, observed: 0 };
    for v in header_constants(key.params, key.entry, key.initial_brk) {
        seg.observe(v);
    }
    seg.observe(Val::from_usize(publics.len()));
    seg.pad();
    for g in 0..groups.len() {
        for pv in group_publics(publics, g) {
            seg.observe(Val::from_usize(pv.len()));
            for &v in pv {
                seg.observe(v);
            }
        }
        seg.pad();
    }
    seg.observe(Val::from_bool(preprocessed.is_some()));
    if let Some(c) = preprocessed {
        seg.observe_cap(c);
    }
    seg.observe(Val::from_usize(groups.len()));
    seg.pad();
    for (degree_bits, main) in groups {
        seg.observe(Val::from_usize(degree_bits.len()));
        for &d in degree_bits.iter() {
            seg.observe(Val::from_usize(d));
        }
        seg.observe_cap(main);
        seg.pad();
    }
}

/// The header's observations, counted so that a segment can be padded to the rate.
struct Segments<'a> {
    ch: &'a mut DeterministicChallenger,
    observed: usize,
}

impl Segments<'_> {
    fn observe(&mut self, v: Val) {
        self.ch.observe(v);
        self.observed += 1;
    }

    /// A commitment's roots, as `CanObserve` absorbs them.
    fn observe_cap(&mut self, c: &Commitment) {
        for &v in c.roots().iter().flatten() {
            self.observe(v);
        }
    }

    fn pad(&mut self) {
        while !self.observed.is_multiple_of(HEADER_RATE) {
            self.observe(Val::ZERO);
        }
    }
}

/// Draws the LogUp pair after the header (and the grinding step, which the caller does).
pub(crate) fn draw_lookup_pair(ch: &mut DeterministicChallenger) -> (Challenge, Challenge) {
    let alpha: Challenge = ch.sample_algebra_element();
    let beta: Challenge = ch.sample_algebra_element();
    (alpha, beta)
}

/// The fork of the transcript that proves group `g`.
pub(crate) fn fork(ch: &DeterministicChallenger, g: usize) -> DeterministicChallenger {
    crate::challenger::transcript::log(|| crate::challenger::transcript::Event::Fork(g));
    let mut f = ch.clone();
    f.observe(Val::from_usize(g));
    f
}

/// A Merkle commitment as proofs carry it (a cap of one root).
pub type Commitment = <crate::ValMmcs as p3_commit::Mmcs<Val>>::Commitment;

/// Each instance's challenge vector from one pair: Plonky3's batch rule over the instances of
/// every group in order (a global bus's index is its name's first appearance, every local
/// lookup gets a fresh one, the offset power sits above the widest payload), so the sharded
/// proof's buses are the one-batch proof's.
pub(crate) fn lay_out_challenges<EF: ExtensionField<Val>>(
    all: &[&[Lookup<Val>]],
    alpha: EF,
    beta: EF,
) -> Vec<Vec<EF>> {
    let buses = BusLayout::new(all);
    let ch = Challenges::new(alpha, beta, buses.widest, buses.count);
    buses
        .ids
        .iter()
        .map(|ids| ids.iter().flat_map(|&b| [ch.bus_prefix[b], beta]).collect())
        .collect()
}

/// Which bus each lookup of each instance is on, for [`lay_out_challenges`]: a recursive
/// verifier draws the same challenge vectors from the same layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BusLayout {
    /// Per instance, per lookup: its bus id.
    pub ids: Vec<Vec<usize>>,
    /// The widest tuple on any bus (the offset power `β^widest` sits above it).
    pub widest: usize,
    /// The number of buses.
    pub count: usize,
}

impl BusLayout {
    pub fn new(all: &[&[Lookup<Val>]]) -> Self {
        // (name, bus id, payload width): every tuple on one bus must have one width, or a shorter
        // tuple could alias a longer one (Plonky3's batch checks the same).
        let mut names: Vec<(&str, usize, usize)> = Vec::new();
        let mut next = 0usize;
        let mut widest = 1usize;
        let ids: Vec<Vec<usize>> = all
            .iter()
            .map(|lookups| {
                lookups
                    .iter()
                    .map(|l| {
                        let width = assert_uniform_tuple_width(&l.elements, "lookup");
                        widest = widest.max(width);
                        let fresh = |next: &mut usize| {
                            *next += 1;
                            *next - 1
                        };
                        match &l.kind {
                            Kind::Global(name) => match names.iter().find(|(n, _, _)| n == name) {
                                Some(&(_, id, w)) => {
                                    assert_eq!(
                                        w, width,
                                        "bus {name:?}: tuple widths {w} and {width}"
                                    );
                                    id
                                }
                                None => {
                                    let id = fresh(&mut next);
                                    names.push((name, id, width));
                                    id
                                }
                            },
                            Kind::Local => fresh(&mut next),
                        }
                    })
                    .collect()
            })
            .collect();
        BusLayout {
            ids,
            widest,
            count: next,
        }
    }
}
