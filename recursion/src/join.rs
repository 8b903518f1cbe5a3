//! The join and root programs: each verifies child recursion proofs whose public values are
//! [`NodePublics`], then applies [`node::join`] or [`node::root`] to what they state.
//!
//! A child is read one of two ways. Under a *fixed* key ([`Child::load`]) the key's
//! commitment is a constant of the program, so the program serves that child key only. Under
//! an *allowed* key ([`Child::load_allowed`]) the commitment is a witness checked against the
//! allowed-key tree whose root the child states ([`crate::vk_tree`]): one program then
//! verifies children of every role (lifts, joins) of one recursion shape — the join key that
//! serves every level of the tree, and the root that ends it.

use mipstark_air::machine::MipsAir;
use mipstark_air::recursion::RecursionChip;
use mipstark_prover_cpu_ref::StarkParams;

use crate::batch::BatchTranscript;
use crate::builder::{Builder, Digest, DIGEST_ELEMS};
use crate::fri::FriShapeError;
use crate::machine::{RecursionKey, RecursionProof};
use crate::node::{self, NodePublics, RootPublics};
use crate::sharded::ShapeError;
use crate::vk_tree::{KeyDigest, PathVars, VkPath};
use crate::Val;

#[derive(Debug, thiserror::Error)]
pub enum RootError {
    #[error(transparent)]
    Shape(#[from] FriShapeError),
    /// A child read under a witness key is checked against the tree root it states itself,
    /// which a lift takes as a free witness: only a constant root closes the tree.
    #[error(
        "the root's child was read under an allowed key, but the root has no allowed-key root"
    )]
    UnclosedTree,
}

/// The allowed-key check of a child read under a witness key.
struct Allowed<B: Builder> {
    commitment: Digest<B>,
    path: PathVars<B>,
}

/// A child recursion proof read into variables, and the node it states.
pub struct Child<B: Builder> {
    transcript: BatchTranscript<B>,
    allowed: Option<Allowed<B>>,
    pub node: NodePublics<B::F>,
}

impl<B: Builder> Child<B> {
    /// Reads `proof` (of `key`'s program, proven at `params`) with the key a constant.
    pub fn load(
        b: &mut B,
        key: &RecursionKey,
        proof: &RecursionProof,
        params: StarkParams,
    ) -> Result<Self, ShapeError> {
        Self::read(b, key, proof, params, None)
    }

    /// Reads `proof` with its key a witness, to be found at `path` in the allowed-key tree the
    /// child states.
    pub fn load_allowed(
        b: &mut B,
        key: &RecursionKey,
        proof: &RecursionProof,
        params: StarkParams,
        path: &VkPath,
    ) -> Result<Self, ShapeError> {
        Self::read(b, key, proof, params, Some(path))
    }

    fn read(
        b: &mut B,
        key: &RecursionKey,
        proof: &RecursionProof,
        params: StarkParams,
        path: Option<&VkPath>,
    ) -> Result<Self, ShapeError> {
        let publics = key.instance_publics(&proof.publics);
        let transcript = match path {
            None => BatchTranscript::load_airs(b, key.airs(), &proof.proof, &publics, params)?,
            Some(_) => {
                BatchTranscript::load_airs_any_key(b, key.airs(), &proof.proof, &publics, params)?
            }
        };
        let allowed = match path {
            None => None,
            Some(path) => {
                let c = transcript
                    .preprocessed
                    .as_ref()
                    .filter(|c| c.len() == DIGEST_ELEMS)
                    .ok_or(ShapeError::NotANode)?;
                Some(Allowed {
                    commitment: std::array::from_fn(|i| c[i]),
                    path: PathVars::load(b, path),
                })
            }
        };
        let at = key
            .airs()
            .iter()
            .position(|a| matches!(a, MipsAir::Recursion(RecursionChip::Public(_))))
            .ok_or(ShapeError::NotANode)?;
        let node = NodePublics::from_slice(&transcript.publics[at]).ok_or(ShapeError::NotANode)?;
        Ok(Child {
            transcript,
            allowed,
            node,
        })
    }

    /// Verifies the child proof and, for a witness key, that the key is allowed by the tree
    /// the child states; the node it states is [`Self::node`].
    pub fn verify(&self, b: &mut B) -> Result<(), FriShapeError> {
        self.transcript.verify(b)?;
        if let Some(a) = &self.allowed {
            a.path.check(b, &a.commitment, &self.node.vk_root);
        }
        Ok(())
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
/// LogUp grind witness; `vk_root` is the allowed-key root every key of the tree was checked
/// against (a constant of this program, and so of its key), required when the child was read
/// under an allowed key.
pub fn root<B: Builder>(
    b: &mut B,
    child: &Child<B>,
    base: StarkParams,
    lookup_witness: Val,
    vk_root: Option<&KeyDigest>,
) -> Result<RootPublics<B::F>, RootError> {
    if child.allowed.is_some() && vk_root.is_none() {
        return Err(RootError::UnclosedTree);
    }
    child.verify(b)?;
    if let Some(vk_root) = vk_root {
        for (&x, &v) in child.node.vk_root.iter().zip(vk_root) {
            let v = b.constant_f(v);
            b.assert_eq_f(x, v);
        }
    }
    let w = b.witness_f(lookup_witness);
    let out = node::root(b, &child.node, base, w);
    for x in out.to_vec() {
        b.public(x);
    }
    Ok(out)
}
