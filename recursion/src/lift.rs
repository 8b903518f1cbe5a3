//! The lift layer (`docs/recursion.md` §4.1–4.2): one group of a sharded proof verified on
//! its own, stating its part of the run as a [`NodePublics`].
//!
//! A group cannot draw the LogUp pair itself (the pair is drawn after the header absorbed
//! every group), so the lift takes the header's sponge states at its segments' starts, the
//! fork state and the pair as witnesses, absorbs its own segments, and states all of them; the
//! joins chain the segments and the root rebuilds the rest of the header and the draw
//! ([`crate::node::root`]). Everything that names the program — the preprocessed commitment,
//! the entry point (the start state), the break — and the group's position are witnesses it
//! states, so one lift program (one key) serves every shard of one shape of every program.

use mipstark_air::cpu::{Boundary, NUM_BOUNDARY};
use mipstark_air::machine::{lay_out_publics, NUM_GLOBAL};
use mipstark_prover_cpu_ref::config::fri_parameters;
use mipstark_prover_cpu_ref::machine::{GroupKey, VerifyingKey};
use mipstark_prover_cpu_ref::sharded::{BusLayout, ShardedProof};
use mipstark_prover_cpu_ref::{Challenge, StarkParams, Val};
use p3_field::PrimeCharacteristicRing;
use p3_fri::FriParameters;
use p3_lookup::{Kind, Lookup};

use crate::builder::{Builder, DIGEST_ELEMS, EXT_DEGREE, PERM_WIDTH};
use crate::challenger::Challenger;
use crate::fri::FriShapeError;
use crate::header::{
    observe_group_header, observe_group_publics, observe_middle, observe_prefix,
    observe_publics_segment, GroupHeader, Header,
};
use crate::mmcs::hash_slices;
use crate::node::{params_elements, resume, NodePublics, WEIGHT_HIGH_BITS, WEIGHT_LOW_BITS};
use crate::sharded::{
    cap_elements, group_challenges, lay_out_challenges, witnesses, GroupOpening, Programs,
    ShapeError,
};
use crate::statement::{check_public_values, check_shard_step, public_value_witnesses};
use crate::Native;

/// The header's sponge states at every segment boundary, and what the draw after it gives:
/// the values a lift takes as witnesses (computed by replaying the header natively).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderStates {
    /// Before each group's public-value segment, then after the last.
    pub publics: Vec<[Val; PERM_WIDTH]>,
    /// Before each group's heights segment, then after the last.
    pub heights: Vec<[Val; PERM_WIDTH]>,
    pub fork: [Val; PERM_WIDTH],
    pub alpha: Challenge,
    pub beta: Challenge,
    /// The LogUp grind's witness (the root's input).
    pub lookup_witness: Val,
}

impl HeaderStates {
    /// Replays `proof`'s header (after the reference's shape checks).
    pub fn new(vk: &VerifyingKey, proof: &ShardedProof) -> Result<Self, ShapeError> {
        let mut b = Native::new();
        let (h, _, _) = Header::load(&mut b, vk, proof)?;
        let h = &h;
        let lookup_witness = proof
            .groups
            .first()
            .and_then(|g| g.lookup_pow_witness)
            .ok_or(ShapeError::NoLookupWitness)?;
        let mut ch = Challenger::new(&mut b);
        observe_prefix(&mut b, &mut ch, h);
        let mut publics = vec![ch.permutation_state()];
        for g in 0..h.groups.len() {
            observe_group_publics(&mut b, &mut ch, h, g);
            publics.push(ch.permutation_state());
        }
        observe_middle(&mut b, &mut ch, h);
        let mut heights = vec![ch.permutation_state()];
        for g in &h.groups {
            observe_group_header(&mut b, &mut ch, g);
            heights.push(ch.permutation_state());
        }
        ch.check_witness(&mut b, vk.params().lookup_pow_bits, lookup_witness);
        let alpha = ch.sample_ext(&mut b);
        let beta = ch.sample_ext(&mut b);
        Ok(HeaderStates {
            publics,
            heights,
            fork: ch.permutation_state(),
            alpha,
            beta,
            lookup_witness,
        })
    }
}

/// What only one kind of group states.
enum Part<B: Builder> {
    /// Group 0: the public-values chip's list and which of its bytes are in use, the start
    /// state, the preprocessed commitment.
    Global {
        public_values: Vec<B::F>,
        in_use: Vec<B::F>,
        start: [B::F; NUM_BOUNDARY],
        preprocessed: Vec<B::F>,
    },
    /// A shard: its boundaries.
    Shard {
        before: [B::F; NUM_BOUNDARY],
        after: [B::F; NUM_BOUNDARY],
    },
}

/// One group of a sharded proof, read into variables for its lift.
pub struct Lift<B: Builder> {
    vk_root: [B::F; DIGEST_ELEMS],
    group: B::F,
    p_in: [B::F; PERM_WIDTH],
    g_in: [B::F; PERM_WIDTH],
    fork: [B::F; PERM_WIDTH],
    alpha: B::E,
    beta: B::E,
    exit: [B::F; 4],
    brk: [B::F; 4],
    part: Part<B>,
    publics: Vec<Vec<B::F>>,
    header: GroupHeader<B>,
    opening: GroupOpening<B>,
    buses: BusLayout,
    fri: FriParameters<()>,
    weight: u64,
    params: StarkParams,
}

fn state_witnesses<B: Builder>(b: &mut B, s: &[Val; PERM_WIDTH]) -> [B::F; PERM_WIDTH] {
    std::array::from_fn(|i| b.witness_f(s[i]))
}

fn byte_witnesses<B: Builder>(b: &mut B, w: u32) -> [B::F; 4] {
    w.to_le_bytes().map(|x| b.witness_f(Val::from_u8(x)))
}

fn boundary_witnesses<B: Builder>(b: &mut B, x: &Boundary) -> [B::F; NUM_BOUNDARY] {
    x.to_field().map(|v| b.witness_f(v))
}

/// The bus ids of group `g`'s lookups, as the whole proof's layout gives them: with global
/// buses only, an id is its name's first appearance among the global chips and one shard's,
/// the same for every shard position. A local lookup would get a fresh id per position, so
/// it is refused.
fn group_buses(
    g: usize,
    global: &GroupKey,
    shard: &GroupKey,
    group: &GroupKey,
) -> Result<BusLayout, ShapeError> {
    let local = |k: &GroupKey| {
        k.lookups
            .iter()
            .flat_map(|l| l.iter())
            .any(|l| matches!(l.kind, Kind::Local))
    };
    if local(global) || local(shard) || local(group) {
        return Err(ShapeError::LocalLookup(g));
    }
    let all: Vec<&[Lookup<Val>]> = global
        .lookups
        .iter()
        .chain(&shard.lookups)
        .map(|l| &l[..])
        .collect();
    let mut layout = BusLayout::new(&all);
    if g == 0 {
        layout.ids.truncate(NUM_GLOBAL);
    } else {
        layout.ids.drain(..NUM_GLOBAL);
    }
    Ok(layout)
}

impl<B: Builder> Lift<B> {
    /// Reads group `g` of `proof` (after the reference's shape checks of the whole proof),
    /// with the header's states `states` ([`HeaderStates::new`]) and the allowed-key root
    /// `vk_root` the lift states (see [`crate::vk_tree`]) as witnesses.
    pub fn load(
        b: &mut B,
        vk: &VerifyingKey,
        proof: &ShardedProof,
        g: usize,
        states: &HeaderStates,
        vk_root: &[Val; DIGEST_ELEMS],
    ) -> Result<Self, ShapeError> {
        vk.check_sharded_shape(proof)?;
        let group = proof.groups.get(g).ok_or(ShapeError::NoGroup(g))?;
        let first_shard = proof.groups.get(1).ok_or(ShapeError::NoGroup(1))?;
        let key = vk.group_key(g, &group.degree_bits)?;
        let buses = group_buses(
            g,
            &vk.group_key(0, &proof.groups[0].degree_bits)?,
            &vk.group_key(1, &first_shard.degree_bits)?,
            &key,
        )?;
        let weight: u64 = key
            .lookups
            .iter()
            .zip(&group.degree_bits)
            .map(|(l, &h)| l.total_count_weight() << h)
            .sum();
        // Positive, so that no tree covers p groups (the positions would wrap) under the
        // root's weight bound; below 2^31, so the limbs hold it.
        if weight == 0 || weight >= 1 << (WEIGHT_LOW_BITS + WEIGHT_HIGH_BITS) {
            return Err(ShapeError::Weight { group: g, weight });
        }

        let st = &proof.statement;
        let machine = vk.machine();
        let exit = byte_witnesses(b, st.exit_code);
        let brk = byte_witnesses(b, machine.program.initial_brk);
        let (part, publics) = if g == 0 {
            let pre = key
                .preprocessed
                .as_ref()
                .ok_or(ShapeError::NoPreprocessed)?;
            let (pv, in_use) = public_value_witnesses(b, st);
            let publics = lay_out_publics(pv.clone(), Vec::new(), &[]);
            let part = Part::Global {
                public_values: pv,
                in_use,
                start: boundary_witnesses(b, &Boundary::start(machine.program.entry)),
                preprocessed: witnesses(b, &cap_elements(&pre.commitment)),
            };
            (part, publics)
        } else {
            let (before, after) = &st.shards[g - 1];
            let before = boundary_witnesses(b, before);
            let after = boundary_witnesses(b, after);
            let syscall = exit.iter().chain(&brk).copied().collect();
            let mut publics = lay_out_publics(Vec::new(), syscall, &[(before, after)]);
            publics.drain(..NUM_GLOBAL);
            (Part::Shard { before, after }, publics)
        };
        let header = GroupHeader {
            degree_bits: group.degree_bits.clone(),
            main: witnesses(b, &cap_elements(&group.commitments.main)),
        };
        let fri = fri_parameters(vk.params(), ());
        let pre = match &part {
            Part::Global { preprocessed, .. } => Some(&preprocessed[..]),
            Part::Shard { .. } => None,
        };
        let opening = GroupOpening::load(
            b,
            g,
            group,
            &key,
            &header.main,
            pre,
            &fri,
            &mut Programs::new(),
        )?;
        let position = if g == 0 {
            b.constant_f(Val::ZERO)
        } else {
            b.witness_f(Val::from_usize(g))
        };
        Ok(Lift {
            vk_root: vk_root.map(|v| b.witness_f(v)),
            group: position,
            p_in: state_witnesses(b, &states.publics[g]),
            g_in: state_witnesses(b, &states.heights[g]),
            fork: state_witnesses(b, &states.fork),
            alpha: b.witness_e(states.alpha),
            beta: b.witness_e(states.beta),
            exit,
            brk,
            part,
            publics,
            header,
            opening,
            buses,
            fri,
            weight,
            params: vk.params(),
        })
    }

    /// Verifies the group and returns what its lift states. `Err` is a rejection for shape;
    /// otherwise the backend holds the verdict.
    pub fn verify(&self, b: &mut B) -> Result<NodePublics<B::F>, FriShapeError> {
        for &x in self.exit.iter().chain(&self.brk) {
            b.bits(x, 8);
        }
        let zero = b.constant_f(Val::ZERO);
        let (public_values, preprocessed, before, after) = match &self.part {
            Part::Global {
                public_values,
                in_use,
                start,
                preprocessed,
            } => {
                check_public_values(b, public_values, in_use);
                let digest = hash_slices(b, &[public_values]);
                let pre: [B::F; DIGEST_ELEMS] = std::array::from_fn(|i| preprocessed[i]);
                (digest, pre, *start, *start)
            }
            Part::Shard { before, after } => {
                check_shard_step(b, before, after);
                // A shard is never group 0, whose segments and fork are the global chips'.
                b.inv_f(self.group);
                ([zero; DIGEST_ELEMS], [zero; DIGEST_ELEMS], *before, *after)
            }
        };

        // The group's two header segments.
        let mut ch = resume(&self.p_in);
        observe_publics_segment(b, &mut ch, &self.publics);
        let p_out = ch.permutation_state();
        let mut ch = resume(&self.g_in);
        observe_group_header(b, &mut ch, &self.header);
        let g_out = ch.permutation_state();

        // The group's fork, its challenges and checks.
        let mut ch = resume(&self.fork);
        ch.observe(b, self.group);
        let c = group_challenges(
            b,
            &mut ch,
            &self.opening,
            self.params.deep_pow_bits,
            &self.fri,
        );
        let lookup_challenges = lay_out_challenges(b, &self.buses, self.alpha, self.beta);
        let terminal = self.opening.check(
            b,
            &self.fri,
            &c,
            &self.publics,
            &lookup_challenges,
            &self.header.degree_bits,
        )?;

        let one = b.constant_f(Val::ONE);
        let hi = b.add_f(self.group, one);
        let low = self.weight & ((1 << WEIGHT_LOW_BITS) - 1);
        let weight = [low, self.weight >> WEIGHT_LOW_BITS].map(|w| b.constant_f(Val::from_u64(w)));
        let coords = |b: &mut B, e: B::E| -> [B::F; EXT_DEGREE] { b.ext_coeffs(e) };
        Ok(NodePublics {
            lo: self.group,
            hi,
            p_in: self.p_in,
            p_out,
            g_in: self.g_in,
            g_out,
            fork: self.fork,
            alpha: coords(b, self.alpha),
            beta: coords(b, self.beta),
            terminal: coords(b, terminal),
            exit: self.exit,
            brk: self.brk,
            public_values,
            preprocessed,
            before,
            after,
            weight,
            params: params_elements(self.params).map(|v| b.constant_f(v)),
            vk_root: self.vk_root,
        })
    }
}
