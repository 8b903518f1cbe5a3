//! The allowed recursion keys (`docs/recursion.md` §4.4): a Merkle tree over the
//! preprocessed commitments of every key a join or a root may verify a child under.
//!
//! Keys of one recursion shape differ only in their preprocessed tables (the chips, their
//! constraints, the heights and the number of public values are the shape's), so a key's
//! commitment names it. A join reads each child's commitment as a witness, checks it is a
//! leaf of the tree whose root the child states, and the root of the recursion compares that
//! root with its constant: every key anywhere below is then one the key builder made.

use mipstark_prover_cpu_ref::Val;
use p3_field::PrimeCharacteristicRing;
use thiserror::Error;

use crate::builder::{Builder, Digest, DIGEST_ELEMS};
use crate::Native;

/// The tree's depth: up to 8 allowed keys.
pub const VK_TREE_DEPTH: usize = 3;

/// A key's commitment, or a tree node.
pub type KeyDigest = [Val; DIGEST_ELEMS];

#[derive(Debug, Error, PartialEq, Eq)]
pub enum VkTreeError {
    #[error("{0} keys do not fit a tree of depth {VK_TREE_DEPTH}")]
    TooManyKeys(usize),
}

/// The tree, every level kept (leaves first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VkTree {
    levels: Vec<Vec<KeyDigest>>,
}

/// Where a leaf is, and the siblings on its way up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VkPath {
    pub index: usize,
    pub siblings: Vec<KeyDigest>,
}

impl VkTree {
    /// The tree over `keys` (in order; the unused leaves are zero, which no commitment is).
    pub fn new(keys: &[KeyDigest]) -> Result<Self, VkTreeError> {
        let width = 1 << VK_TREE_DEPTH;
        if keys.len() > width {
            return Err(VkTreeError::TooManyKeys(keys.len()));
        }
        let mut leaves = keys.to_vec();
        leaves.resize(width, [Val::ZERO; DIGEST_ELEMS]);
        let mut levels = vec![leaves];
        let mut b = Native::new();
        while levels.last().is_some_and(|l| l.len() > 1) {
            let next = levels[levels.len() - 1]
                .chunks(2)
                .map(|pair| b.compress(pair[0], pair[1]))
                .collect();
            levels.push(next);
        }
        Ok(VkTree { levels })
    }

    pub fn root(&self) -> KeyDigest {
        self.levels[self.levels.len() - 1][0]
    }

    /// The path of `key`, when it is a leaf.
    pub fn path(&self, key: &KeyDigest) -> Option<VkPath> {
        let index = self.levels[0].iter().position(|l| l == key)?;
        Some(self.path_at(index))
    }

    /// The path of leaf `index` (whatever it holds).
    ///
    /// # Panics
    ///
    /// When `index` is past the last leaf.
    pub fn path_at(&self, index: usize) -> VkPath {
        let siblings = self.levels[..VK_TREE_DEPTH]
            .iter()
            .enumerate()
            .map(|(level, nodes)| nodes[(index >> level) ^ 1])
            .collect();
        VkPath { index, siblings }
    }
}

/// A path read into variables.
pub struct PathVars<B: Builder> {
    index: B::F,
    siblings: Vec<Digest<B>>,
}

impl<B: Builder> PathVars<B> {
    pub fn load(b: &mut B, path: &VkPath) -> Self {
        PathVars {
            index: b.witness_f(Val::from_usize(path.index)),
            siblings: path
                .siblings
                .iter()
                .map(|s| std::array::from_fn(|i| b.witness_f(s[i])))
                .collect(),
        }
    }

    /// Checks that `leaf` is a leaf of the tree whose root is `root`.
    pub fn check(&self, b: &mut B, leaf: &Digest<B>, root: &Digest<B>) {
        let bits = b.bits(self.index, VK_TREE_DEPTH);
        let mut node = *leaf;
        for (bit, sibling) in bits.into_iter().zip(&self.siblings) {
            node = b.compress_ordered(node, *sibling, bit);
        }
        for (&x, &y) in node.iter().zip(root) {
            b.assert_eq_f(x, y);
        }
    }
}
