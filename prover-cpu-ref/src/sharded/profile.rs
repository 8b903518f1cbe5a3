//! Shard profiles: one height per shard chip that every shard's trace is padded to, so that a
//! run's shards share one shape and one recursion lift key (`docs/recursion.md` §4.3).
//! A profiled proof is an ordinary sharded proof: `verify_sharded` accepts it as it is.

use mipstark_air::byte::ByteLookups;
use mipstark_air::machine::{Machine, ShardCursor};
use mipstark_emulator::ExecutionRecord;
use p3_matrix::Matrix;
use serde::{Deserialize, Serialize};

use crate::machine::ProveError;

/// The log height of each shard chip's trace (in the shard chips' instance order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardProfile {
    pub log_heights: Vec<usize>,
}

impl ShardProfile {
    /// The smallest profile every shard of the run fits: per chip, its largest trace over the
    /// shards. It costs one pass of trace generation.
    pub fn covering(machine: &Machine, shards: &[ExecutionRecord]) -> Result<Self, ProveError> {
        let mut cursor = ShardCursor::start(machine.program.entry);
        let mut bytes = ByteLookups::default();
        let mut log_heights = vec![0; machine.shard_airs().len()];
        for rec in shards {
            let traces = machine.shard_traces(rec, &mut cursor, &mut bytes)?;
            for (h, t) in log_heights.iter_mut().zip(&traces) {
                *h = (*h).max(t.height().trailing_zeros() as usize);
            }
        }
        Ok(ShardProfile { log_heights })
    }
}
