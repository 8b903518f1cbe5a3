//! Sharded proofs: each shard proved on its own, the buses balanced across all of them.

use mipstark_air::machine::Machine;
use mipstark_emulator::ExecutionRecord;
use mipstark_prover_cpu_ref::sharded::{prove_sharded, verify_sharded, ShardedProof};
use mipstark_prover_cpu_ref::StarkParams;

const P: StarkParams = StarkParams::TESTING;

fn fib(shard: u64) -> (Machine, Vec<ExecutionRecord>) {
    let (program, shards) = mipstark_tests::guests::record("fibonacci", Some(10), shard);
    (Machine::new(program).unwrap(), shards)
}

#[test]
fn shards_prove_verify_and_reproduce() {
    let (m, shards) = fib(127);
    assert!(shards.len() >= 3, "{} shards", shards.len());
    let proof = prove_sharded(&m, &shards, P).unwrap();
    assert_eq!(proof.groups.len(), shards.len() + 1);
    verify_sharded(&m, &proof, P).unwrap();
    let bytes = proof.to_bytes();
    let again = prove_sharded(&m, &shards, P).unwrap().to_bytes();
    assert!(bytes == again, "two proofs of the same run differ");
    let back = ShardedProof::from_bytes(&bytes).unwrap();
    verify_sharded(&m, &back, P).unwrap();
    assert_eq!(back.statement.exit_code, 0);
}
