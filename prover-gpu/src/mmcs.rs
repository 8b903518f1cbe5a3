//! The backend seam for commitments: an [`Mmcs`] whose Merkle trees are built on the device, so
//! that `TwoAdicFriPcs` commits the traces, the quotients and every FRI layer with the device's
//! Poseidon2. Its commitments, openings and proofs have the reference scheme's types and values
//! ([`ValMmcs`]: sponge leaves, 2-to-1 compression, the root as commitment), so the proof
//! bytes do not change and the CPU verifier checks them; verification is the reference's own.
//!
//! A device failure falls back to the reference tree for that commitment and is recorded in
//! the shared [`DeviceStats`].

use std::sync::Arc;

use p3_commit::{BatchOpening, BatchOpeningRef, Mmcs};
use p3_koala_bear::KoalaBear;
use p3_matrix::{Dimensions, Matrix};
use p3_merkle_tree::{MerkleCap, PrunedMerklePaths};

use mipstark_prover_cpu_ref::{val_mmcs, ValMmcs};

use crate::kernels::merkle::{self, Digest};
use crate::{DeviceRuntime, DeviceStats};

type F = KoalaBear;

/// Merkle trees on a device, opened and verified as [`ValMmcs`] does.
pub struct GpuMmcs<R> {
    rt: Arc<R>,
    reference: ValMmcs,
    stats: Arc<DeviceStats>,
    /// Device bytes one call may use (`None`: no limit).
    budget: Option<u64>,
}

impl<R> Clone for GpuMmcs<R> {
    fn clone(&self) -> Self {
        GpuMmcs {
            rt: self.rt.clone(),
            reference: self.reference.clone(),
            stats: self.stats.clone(),
            budget: self.budget,
        }
    }
}

impl<R: DeviceRuntime> GpuMmcs<R> {
    pub fn new(rt: Arc<R>) -> Self {
        GpuMmcs {
            rt,
            reference: val_mmcs(),
            stats: Arc::default(),
            budget: None,
        }
    }

    /// Limits each device call to about `bytes` of device memory.
    pub fn with_budget(mut self, bytes: u64) -> Self {
        self.budget = Some(bytes);
        self
    }

    /// Records into `stats` (shared with the other device stages of a proof).
    pub fn with_stats(mut self, stats: Arc<DeviceStats>) -> Self {
        self.stats = stats;
        self
    }

    pub fn stats(&self) -> &DeviceStats {
        &self.stats
    }
}

/// A committed batch: the matrices and every digest layer (leaves first, the root last), or the
/// reference tree when the device failed.
pub enum GpuTree<M> {
    Device {
        leaves: Vec<M>,
        layers: Vec<Vec<Digest>>,
    },
    Reference(<ValMmcs as Mmcs<F>>::ProverData<M>),
}

/// The row of each matrix that leaf `index` of the tallest covers.
fn rows_at<M: Matrix<F>>(leaves: &[M], index: usize) -> Vec<Vec<F>> {
    let max_height = leaves.iter().map(|m| m.height()).max().unwrap_or(0);
    assert!(
        index < max_height,
        "index {index} out of bounds for height {max_height}"
    );
    // Device trees hold only power-of-two heights.
    let log = |h: usize| h.trailing_zeros();
    leaves
        .iter()
        .map(|m| {
            let r = index >> (log(max_height) - log(m.height()));
            m.row_slice(r).expect("row within the height").to_vec()
        })
        .collect()
}

/// The siblings that authenticate the queried leaves together, in the order
/// `PrunedMerklePaths` lists them: level by level from the leaves; within a level, pairs by
/// ascending parent; a sibling only where the pair's other child is not itself on a path.
fn pruned_siblings(layers: &[Vec<Digest>], indices: &[usize]) -> Vec<Digest> {
    let mut nodes: Vec<usize> = indices.to_vec();
    nodes.sort_unstable();
    nodes.dedup();
    let mut siblings = Vec::new();
    for layer in &layers[..layers.len() - 1] {
        let mut parents = Vec::with_capacity(nodes.len());
        let mut i = 0;
        while i < nodes.len() {
            let parent = nodes[i] / 2;
            if i + 1 < nodes.len() && nodes[i + 1] / 2 == parent {
                i += 2;
            } else {
                siblings.push(layer[nodes[i] ^ 1]);
                i += 1;
            }
            parents.push(parent);
        }
        nodes = parents;
    }
    siblings
}

impl<R: DeviceRuntime + Send + Sync> Mmcs<F> for GpuMmcs<R> {
    type ProverData<M> = GpuTree<M>;
    type Commitment = <ValMmcs as Mmcs<F>>::Commitment;
    type Proof = <ValMmcs as Mmcs<F>>::Proof;
    type MultiProof = <ValMmcs as Mmcs<F>>::MultiProof;
    type Error = <ValMmcs as Mmcs<F>>::Error;

    fn commit<M: Matrix<F>>(&self, inputs: Vec<M>) -> (Self::Commitment, GpuTree<M>) {
        let _span = tracing::debug_span!("device merkle tree").entered();
        let refs: Vec<&M> = inputs.iter().collect();
        let built = merkle::build_within(&*self.rt, &refs, self.budget);
        match self.stats.record(built) {
            Some(tree) => {
                let root = tree.root();
                (
                    MerkleCap::new(vec![root]),
                    GpuTree::Device {
                        leaves: inputs,
                        layers: tree.layers,
                    },
                )
            }
            None => {
                let (commitment, tree) = self.reference.commit(inputs);
                (commitment, GpuTree::Reference(tree))
            }
        }
    }

    fn open_batch<M: Matrix<F>>(&self, index: usize, data: &GpuTree<M>) -> BatchOpening<F, Self> {
        match data {
            GpuTree::Device { leaves, layers } => {
                let mut proof = Vec::with_capacity(layers.len() - 1);
                let mut node = index;
                for layer in &layers[..layers.len() - 1] {
                    proof.push(layer[node ^ 1]);
                    node /= 2;
                }
                BatchOpening::new(rows_at(leaves, index), proof)
            }
            GpuTree::Reference(tree) => {
                let (rows, proof) = self.reference.open_batch(index, tree).unpack();
                BatchOpening::new(rows, proof)
            }
        }
    }

    fn get_matrices<'a, M: Matrix<F>>(&self, data: &'a GpuTree<M>) -> Vec<&'a M> {
        match data {
            GpuTree::Device { leaves, .. } => leaves.iter().collect(),
            GpuTree::Reference(tree) => self.reference.get_matrices(tree),
        }
    }

    fn verify_batch(
        &self,
        commit: &Self::Commitment,
        dimensions: &[Dimensions],
        index: usize,
        opening: BatchOpeningRef<'_, F, Self>,
    ) -> Result<(), Self::Error> {
        let (rows, proof) = opening.unpack();
        self.reference
            .verify_batch(commit, dimensions, index, BatchOpeningRef::new(rows, proof))
    }

    fn open_multi_batch<M: Matrix<F>>(
        &self,
        indices: &[usize],
        data: &GpuTree<M>,
    ) -> (Vec<Vec<Vec<F>>>, Self::MultiProof) {
        match data {
            GpuTree::Device { leaves, layers } => {
                let rows = indices.iter().map(|&i| rows_at(leaves, i)).collect();
                let sibling_hashes = pruned_siblings(layers, indices);
                (rows, PrunedMerklePaths { sibling_hashes })
            }
            GpuTree::Reference(tree) => self.reference.open_multi_batch(indices, tree),
        }
    }

    fn verify_multi_batch<Row: AsRef<[F]> + PartialEq>(
        &self,
        commit: &Self::Commitment,
        dimensions: &[Dimensions],
        indices: &[usize],
        opened_values: &[Vec<Row>],
        proof: &Self::MultiProof,
    ) -> Result<(), Self::Error> {
        self.reference
            .verify_multi_batch(commit, dimensions, indices, opened_values, proof)
    }
}
