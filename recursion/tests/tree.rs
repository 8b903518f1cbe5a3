//! Compression under fixed keys (`docs/recursion.md` §4.3–4.4): the lifts, the one join and
//! the root built once for a base shape, their allowed-key tree, a run compressed with them
//! and checked against the root key alone; a child under a key outside the tree refused.

use mipstark_air::machine::Machine;
use mipstark_prover_cpu_ref::machine::VerifyingKey;
use mipstark_prover_cpu_ref::sharded::{prove_sharded_profiled, ShardProfile, ShardedProof};
use mipstark_prover_cpu_ref::{StarkParams, Val};
use mipstark_recursion::join::{self, Child};
use mipstark_recursion::keys::{KeysError, TreeKeys};
use mipstark_recursion::lift::{HeaderStates, Lift};
use mipstark_recursion::machine::RecursionKey;
use mipstark_recursion::vk_tree::VkTree;
use mipstark_recursion::{Builder, Native, Recorder};
use p3_field::PrimeCharacteristicRing;

const P: StarkParams = StarkParams::TESTING;

/// A fibonacci run of `shard`-cycle shards, padded to its covering profile.
fn run(hint: u32, shard: u64) -> (Machine, ShardedProof) {
    let (program, shards) = mipstark_tests::guests::record("fibonacci", Some(hint), shard);
    let m = Machine::new(program).unwrap();
    let profile = ShardProfile::covering(&m, &shards).unwrap();
    let p = prove_sharded_profiled(&m, &shards, P, Some(&profile)).unwrap();
    (m, p)
}

#[test]
fn a_run_compressed_under_fixed_keys_checks_against_the_root_key_alone() {
    let (m, proof) = run(6, 100);
    assert!(
        proof.groups.len() >= 5,
        "two levels of joins and an odd node"
    );
    let vk = VerifyingKey::new(&m, P);
    let t = std::time::Instant::now();
    let keys = TreeKeys::build(&vk, &proof, P).unwrap();
    let built = t.elapsed();
    let t = std::time::Instant::now();
    let compressed = keys.compress(&vk, &proof).unwrap();
    let compressing = t.elapsed();
    let t = std::time::Instant::now();
    keys.verify(&vk, &proof.statement, &compressed).unwrap();
    // `--nocapture` shows the figures `docs/recursion.md` quotes.
    eprintln!(
        "shape R {:?}; keys built in {:.1} s; {} groups compressed in {:.1} s; root proof {:.1} KB \
         ({} sharded), checked in {:.2} s",
        keys.shape,
        built.as_secs_f64(),
        proof.groups.len(),
        compressing.as_secs_f64(),
        bincode::serialize(&compressed).unwrap().len() as f64 / 1000.0,
        proof.to_bytes().len(),
        t.elapsed().as_secs_f64()
    );

    // Another statement is refused, whatever field differs.
    let mut other = proof.statement.clone();
    other.exit_code ^= 1;
    assert!(matches!(
        keys.verify(&vk, &other, &compressed),
        Err(KeysError::Statement { .. })
    ));
    let mut other = proof.statement.clone();
    other.public_values.push(1);
    assert!(keys.verify(&vk, &other, &compressed).is_err());
    let mut forged = compressed;
    forged.publics[0] += Val::ONE;
    assert!(keys.verify(&vk, &proof.statement, &forged).is_err());

    // A run with shards of another profile does not have the keys' shape: refused before
    // anything is proven under a key that is not its program's.
    let (m2, bigger) = run(6, 128);
    let vk2 = VerifyingKey::new(&m2, P);
    assert!(matches!(
        keys.compress(&vk2, &bigger),
        Err(KeysError::OtherShape(_))
    ));
}

#[test]
fn a_child_under_a_key_outside_the_tree_is_refused() {
    let (m, proof) = run(6, 100);
    let vk = VerifyingKey::new(&m, P);
    let keys = TreeKeys::build(&vk, &proof, P).unwrap();
    let states = HeaderStates::new(&vk, &proof).unwrap();
    let vk_root = keys.tree.root();

    // A shard lift with one more (true) assertion: another key of the same shape, which
    // states a valid node but is not an allowed key.
    let lift = |g: usize, rogue: bool| {
        let mut r = Recorder::with_values();
        let node = Lift::load(&mut r, &vk, &proof, g, &states, &vk_root)
            .unwrap()
            .verify(&mut r)
            .unwrap();
        if rogue {
            let w = r.witness_f(Val::ONE);
            let one = r.constant_f(Val::ONE);
            r.assert_eq_f(w, one);
        }
        node.expose(&mut r);
        let (program, run) = r.finish();
        (program, run.unwrap().0)
    };
    let (program, witnesses) = lift(1, true);
    let rogue = RecursionKey::with_shape(program, &keys.shape).unwrap();
    let rogue_proof = rogue.prove(&witnesses, P).unwrap();
    rogue.verify(&rogue_proof, P).unwrap();
    let rogue_commitment = rogue.commitment(P).unwrap();
    assert!(keys.tree.path(&rogue_commitment).is_none());

    let (_, witnesses) = lift(0, false);
    let global = keys.global_lift.prove(&witnesses, P).unwrap();
    let global_path = keys
        .tree
        .path(&keys.global_lift.commitment(P).unwrap())
        .unwrap();
    let shard_path = keys
        .tree
        .path(&keys.shard_lift.commitment(P).unwrap())
        .unwrap();
    let verdict = |path: &mipstark_recursion::vk_tree::VkPath| {
        let mut b = Native::new();
        let l = Child::load_allowed(&mut b, &keys.global_lift, &global, P, &global_path).unwrap();
        let c = Child::load_allowed(&mut b, &rogue, &rogue_proof, P, path).unwrap();
        join::join(&mut b, &l, &c).unwrap();
        b.finish().is_ok()
    };
    // Whatever leaf the prover claims, the rogue key's commitment is not on its path.
    assert!(!verdict(&shard_path));
    for index in 0..8 {
        assert!(!verdict(&keys.tree.path_at(index)), "leaf {index}");
    }

    // The allowed key's commitment witnessed for the rogue proof: its openings are under the
    // rogue tables, so the opening check refuses it.
    let mut b = Native::new();
    if let Ok(c) = Child::load_allowed(&mut b, &keys.shard_lift, &rogue_proof, P, &shard_path) {
        let verdict = c.verify(&mut b).is_ok() && b.finish().is_ok();
        assert!(
            !verdict,
            "a rogue proof passed off under the shard lift's key"
        );
    }

    // A tree with the rogue key too: a subtree under it cannot join one under the real tree,
    // and a whole run compressed under it is refused by the root's constant.
    let rogue_tree = VkTree::new(&[
        keys.global_lift.commitment(P).unwrap(),
        keys.shard_lift.commitment(P).unwrap(),
        keys.join.commitment(P).unwrap(),
        rogue_commitment,
    ])
    .unwrap();
    let rogue_root = rogue_tree.root();
    let mut r = Recorder::with_values();
    let node = Lift::load(&mut r, &vk, &proof, 1, &states, &rogue_root)
        .unwrap()
        .verify(&mut r)
        .unwrap();
    let w = r.witness_f(Val::ONE);
    let one = r.constant_f(Val::ONE);
    r.assert_eq_f(w, one);
    node.expose(&mut r);
    let witnesses = r.finish().1.unwrap().0;
    let rogue_under_its_tree = rogue.prove(&witnesses, P).unwrap();
    let mut b = Native::new();
    let l = Child::load_allowed(&mut b, &keys.global_lift, &global, P, &global_path).unwrap();
    let c = Child::load_allowed(
        &mut b,
        &rogue,
        &rogue_under_its_tree,
        P,
        &rogue_tree.path(&rogue_commitment).unwrap(),
    )
    .unwrap();
    join::join(&mut b, &l, &c).unwrap();
    assert!(b.finish().is_err(), "children under two trees joined");
    let under_rogue_tree = TreeKeys {
        tree: rogue_tree,
        ..keys.clone()
    };
    assert!(matches!(
        under_rogue_tree.compress(&vk, &proof),
        Err(KeysError::Rejected(_))
    ));
    // A root without a tree root leaves the tree open: refused.
    let mut b = Native::new();
    let c = Child::load_allowed(&mut b, &keys.global_lift, &global, P, &global_path).unwrap();
    assert!(matches!(
        join::root(&mut b, &c, P, Val::ZERO, None),
        Err(join::RootError::UnclosedTree)
    ));

    // The honest shard lift under its path is accepted by the same check.
    let (_, witnesses) = lift(1, false);
    let shard = keys.shard_lift.prove(&witnesses, P).unwrap();
    let mut b = Native::new();
    let l = Child::load_allowed(&mut b, &keys.global_lift, &global, P, &global_path).unwrap();
    let c = Child::load_allowed(&mut b, &keys.shard_lift, &shard, P, &shard_path).unwrap();
    join::join(&mut b, &l, &c).unwrap();
    b.finish().unwrap();
}
