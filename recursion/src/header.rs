//! A sharded proof's header over the builder: what the transcript absorbs before the LogUp
//! pair is drawn (`prover_cpu_ref::sharded`'s `observe_header`), read from a proof and
//! absorbed in the segments a lift absorbs one group's of (`docs/recursion.md` §4.1).

use mipstark_prover_cpu_ref::machine::{GroupKey, VerifyingKey};
use mipstark_prover_cpu_ref::sharded::{header_constants, ShardedProof};
use mipstark_prover_cpu_ref::Val;
use p3_field::PrimeCharacteristicRing;

use crate::builder::Builder;
use crate::challenger::Challenger;
use crate::sharded::{cap_elements, constants, witnesses, ShapeError};
use crate::statement::StatementVars;

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

impl<B: Builder> Header<B> {
    /// Reads `proof`'s header into variables, after the reference's plain checks of its
    /// lengths, heights and statement chain ([`VerifyingKey::check_sharded_shape`]); also
    /// returns the statement it lays the public values out from, and each group's key.
    pub fn load(
        b: &mut B,
        vk: &VerifyingKey,
        proof: &ShardedProof,
    ) -> Result<(Self, StatementVars<B>, Vec<GroupKey>), ShapeError> {
        vk.check_sharded_shape(proof)?;
        let (machine, params) = (vk.machine(), vk.params());
        let keys: Vec<GroupKey> = proof
            .groups
            .iter()
            .enumerate()
            .map(|(g, p)| vk.group_key(g, &p.degree_bits))
            .collect::<Result<_, _>>()?;
        let statement = StatementVars::load(b, &proof.statement, machine.program.entry);
        let publics = statement.instance_publics(b, machine.program.initial_brk);
        let groups = proof
            .groups
            .iter()
            .map(|g| GroupHeader {
                degree_bits: g.degree_bits.clone(),
                main: witnesses(b, &cap_elements(&g.commitments.main)),
            })
            .collect();
        let preprocessed = keys
            .first()
            .ok_or(ShapeError::NoGroups)?
            .preprocessed
            .as_ref()
            .map(|p| constants(b, &cap_elements(&p.commitment)));
        let header = Header {
            constants: header_constants(params, machine.program.entry, machine.program.initial_brk),
            publics,
            preprocessed,
            groups,
        };
        Ok((header, statement, keys))
    }

    /// Group `g`'s instances (their public-value lists): the groups' instances in order.
    pub fn instances(&self, g: usize) -> std::ops::Range<usize> {
        let first: usize = self.groups[..g].iter().map(|x| x.degree_bits.len()).sum();
        first..first + self.groups[g].degree_bits.len()
    }
}

/// The header, in the reference's order (each segment padded to the rate): the key's
/// constants, the instances' public values (each list behind its length), whether there is a preprocessed commitment and that
/// commitment, then each group's heights (behind their count) and main commitment. In
/// segments (`docs/recursion.md` §4.1): the prefix, each group's public values, the middle,
/// each group's heights and commitment.
pub fn observe_header<B: Builder>(b: &mut B, ch: &mut Challenger<B>, h: &Header<B>) {
    observe_prefix(b, ch, h);
    for g in 0..h.groups.len() {
        observe_group_publics(b, ch, h, g);
    }
    observe_middle(b, ch, h);
    for g in &h.groups {
        observe_group_header(b, ch, g);
    }
}

/// The header's prefix: the key's constants and the number of public-value lists.
pub fn observe_prefix<B: Builder>(b: &mut B, ch: &mut Challenger<B>, h: &Header<B>) {
    for &v in &h.constants {
        ch.observe_constant(b, v);
    }
    ch.observe_constant(b, Val::from_usize(h.publics.len()));
    ch.pad_to_rate(b);
}

/// Group `g`'s public values: each of its instances' lists behind its length.
pub fn observe_group_publics<B: Builder>(
    b: &mut B,
    ch: &mut Challenger<B>,
    h: &Header<B>,
    g: usize,
) {
    observe_publics_segment(b, ch, &h.publics[h.instances(g)]);
}

/// A public-values segment: each instance's list behind its length, padded to the rate (a
/// group's, whether read from a whole header or by its lift).
pub fn observe_publics_segment<B: Builder>(b: &mut B, ch: &mut Challenger<B>, lists: &[Vec<B::F>]) {
    for pv in lists {
        ch.observe_constant(b, Val::from_usize(pv.len()));
        ch.observe_all(b, pv);
    }
    ch.pad_to_rate(b);
}

/// The middle: whether there is a preprocessed commitment, that commitment, the group count.
pub fn observe_middle<B: Builder>(b: &mut B, ch: &mut Challenger<B>, h: &Header<B>) {
    ch.observe_constant(b, Val::from_bool(h.preprocessed.is_some()));
    if let Some(c) = &h.preprocessed {
        ch.observe_all(b, c);
    }
    ch.observe_constant(b, Val::from_usize(h.groups.len()));
    ch.pad_to_rate(b);
}

/// One group's heights (behind their count) and main commitment.
pub fn observe_group_header<B: Builder>(b: &mut B, ch: &mut Challenger<B>, g: &GroupHeader<B>) {
    ch.observe_constant(b, Val::from_usize(g.degree_bits.len()));
    for &d in &g.degree_bits {
        ch.observe_constant(b, Val::from_usize(d));
    }
    ch.observe_all(b, &g.main);
    ch.pad_to_rate(b);
}
