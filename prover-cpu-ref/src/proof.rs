//! A proof file: every shard in one batch, or shard by shard.

use mipstark_air::machine::{Machine, Statement};
use mipstark_emulator::ExecutionRecord;
use p3_batch_stark::proof::OpenedValuesWithLookups;
use serde::{Deserialize, Serialize};

use crate::machine::{prove, MipsProof, ProveError, VerifyError, VerifyingKey};
use crate::sharded::{prove_sharded, ShardedProof};
use crate::{Challenge, StarkParams};

/// How an execution's shards are laid out in its proof.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Layout {
    /// Shard by shard when there are several (memory bounded by one shard), one batch for one.
    #[default]
    Auto,
    /// Every shard in one Plonky3 batch: no trace is generated twice, so it is faster, but
    /// every shard's LDEs are in memory at once.
    OneBatch,
    /// Shard by shard, even for one shard.
    Sharded,
}

impl Layout {
    /// Whether `shards` shards are proved shard by shard.
    pub fn sharded(self, shards: usize) -> bool {
        match self {
            Layout::Auto => shards > 1,
            Layout::OneBatch => false,
            Layout::Sharded => true,
        }
    }
}

/// Either kind of proof, as `mipstark prove` writes it.
// One per proof file: the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Serialize, Deserialize)]
pub enum Proof {
    Batch(MipsProof),
    Sharded(ShardedProof),
}

impl Proof {
    pub fn to_bytes(&self) -> Vec<u8> {
        bincode::serialize(self).expect("proofs always serialize")
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VerifyError> {
        bincode::deserialize(bytes).map_err(|e| VerifyError::Malformed(e.to_string()))
    }

    pub fn statement(&self) -> &Statement {
        match self {
            Proof::Batch(p) => &p.statement,
            Proof::Sharded(p) => &p.statement,
        }
    }

    pub fn params(&self) -> StarkParams {
        match self {
            Proof::Batch(p) => p.params,
            Proof::Sharded(p) => p.params,
        }
    }

    /// Every instance's height (log2) and opened values, in [`Machine::airs`] order.
    pub fn instances(&self) -> Vec<(usize, &OpenedValuesWithLookups<Challenge>)> {
        let batches: Vec<_> = match self {
            Proof::Batch(p) => vec![&p.proof],
            Proof::Sharded(p) => p.groups.iter().collect(),
        };
        batches
            .into_iter()
            .flat_map(|b| {
                b.degree_bits
                    .iter()
                    .copied()
                    .zip(&b.opened_values.instances)
            })
            .collect()
    }
}

/// Proves the execution recorded in `shards`, laid out as `layout` says.
pub fn prove_with_layout(
    machine: &Machine,
    shards: &[ExecutionRecord],
    params: StarkParams,
    layout: Layout,
) -> Result<Proof, ProveError> {
    Ok(if layout.sharded(shards.len()) {
        Proof::Sharded(prove_sharded(machine, shards, params)?)
    } else {
        Proof::Batch(prove(machine, shards, params)?)
    })
}

impl VerifyingKey<'_> {
    /// Checks either kind of proof against this key.
    pub fn verify_proof(&self, proof: &Proof) -> Result<(), VerifyError> {
        match proof {
            Proof::Batch(p) => self.verify(p),
            Proof::Sharded(p) => self.verify_sharded(p),
        }
    }
}
