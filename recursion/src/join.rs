//! The join and root programs: each verifies child recursion proofs whose public values are
//! [`NodePublics`], then applies [`node::join`] or [`node::root`] to what they state.
//!
//! A child's key is, for now, a constant of the program (its preprocessed commitment is
//! absorbed as one), so a join's key follows from its children's. The allowed-key Merkle
//! root of `docs/recursion.md` §4.4 replaces that constant with a witness and a membership
//! check once recursion proofs have fixed shapes.

use mipstark_air::machine::MipsAir;
use mipstark_air::recursion::RecursionChip;
use mipstark_prover_cpu_ref::StarkParams;

use crate::batch::BatchTranscript;
use crate::builder::Builder;
use crate::fri::FriShapeError;
use crate::machine::{RecursionKey, RecursionProof};
use crate::node::{self, NodePublics, RootPublics};
use crate::sharded::ShapeError;
use crate::Val;

/// A child recursion proof read into variables, and the node it states.
pub struct Child<B: Builder> {
    transcript: BatchTranscript<B>,
    pub node: NodePublics<B::F>,
}

impl<B: Builder> Child<B> {
    /// Reads `proof` (of `key`'s program, proven at `params`).
    pub fn load(
        b: &mut B,
        key: &RecursionKey,
        proof: &RecursionProof,
        params: StarkParams,
    ) -> Result<Self, ShapeError> {
        let publics = key.instance_publics(&proof.publics);
        let transcript = BatchTranscript::load_airs(b, key.airs(), &proof.proof, &publics, params)?;
        let at = key
            .airs()
            .iter()
            .position(|a| matches!(a, MipsAir::Recursion(RecursionChip::Public(_))))
            .ok_or(ShapeError::NotANode)?;
        let node = NodePublics::from_slice(&transcript.publics[at]).ok_or(ShapeError::NotANode)?;
        Ok(Child { transcript, node })
    }

    /// Verifies the child proof; the node it states is [`Self::node`].
    pub fn verify(&self, b: &mut B) -> Result<(), FriShapeError> {
        self.transcript.verify(b).map(|_| ())
    }
}

/// The join program: both children verified, joined, the result exposed.
pub fn join<B: Builder>(
    b: &mut B,
    left: &Child<B>,
    right: &Child<B>,
) -> Result<NodePublics<B::F>, FriShapeError> {
    left.verify(b)?;
    right.verify(b)?;
    let node = node::join(b, &left.node, &right.node);
    node.expose(b);
    Ok(node)
}

/// The root program: the child covering the whole run verified, the root's checks, the
/// run's statement exposed. `base` is the base proof's parameters and `lookup_witness` its
/// LogUp grind witness.
pub fn root<B: Builder>(
    b: &mut B,
    child: &Child<B>,
    base: StarkParams,
    lookup_witness: Val,
) -> Result<RootPublics<B::F>, FriShapeError> {
    child.verify(b)?;
    let w = b.witness_f(lookup_witness);
    let out = node::root(b, &child.node, base, w);
    for x in out.to_vec() {
        b.public(x);
    }
    Ok(out)
}
