//! The recursion keys for runs of one base shape (`docs/recursion.md` §4.3–4.4), and
//! compression with them.
//!
//! The keys are the two lifts (the global chips; a shard of the profile), the one join and
//! the root. The lifts and the join are padded to one recursion shape R, found by iterating
//! to its fixed point (a join verifying two proofs of shape R must fit R). Their commitments
//! are the leaves of the allowed-key tree ([`VkTree`]), whose root is a constant of the root
//! key. Every join of a tree is then proven under the same key, whatever its children are,
//! and the root key is the one constant a compressed proof is checked against.

use mipstark_air::syscall::PublicValuesChip;
use mipstark_prover_cpu_ref::machine::{VerifyError, VerifyingKey};
use mipstark_prover_cpu_ref::sharded::ShardedProof;
use mipstark_prover_cpu_ref::{StarkParams, Val};
use p3_field::PrimeCharacteristicRing;
use thiserror::Error;

use crate::builder::DIGEST_ELEMS;
use crate::fri::FriShapeError;
use crate::join::{self, Child};
use crate::lift::{HeaderStates, Lift};
use crate::machine::{RecursionError, RecursionKey, RecursionProof};
use crate::mmcs::hash_slices;
use crate::node::RootPublics;
use crate::sharded::ShapeError;
use crate::vk_tree::{KeyDigest, VkPath, VkTree, VkTreeError, VK_TREE_DEPTH};
use crate::{Native, Program, Recorder};
use mipstark_air::recursion::program::RecursionShape;

/// How many times the shape may grow before the fixed point is declared missing.
const MAX_SHAPE_ROUNDS: usize = 4;

#[derive(Debug, Error)]
pub enum KeysError {
    #[error("the base proof cannot be lifted: {0}")]
    Shape(#[from] ShapeError),
    #[error(transparent)]
    Recursion(#[from] RecursionError),
    #[error("a recursion proof does not verify: {0}")]
    Verify(#[from] VerifyError),
    #[error("a recursion program's shape: {0}")]
    Fri(#[from] FriShapeError),
    #[error(transparent)]
    Root(#[from] crate::join::RootError),
    #[error(transparent)]
    Tree(#[from] VkTreeError),
    #[error("the recorded program rejects its input: {0}")]
    Rejected(crate::Failure),
    #[error("no recursion shape is a fixed point within {MAX_SHAPE_ROUNDS} rounds (last {0:?})")]
    NoFixedPoint(RecursionShape),
    #[error(
        "the run does not have the keys' shape: {0}'s program differs from its key's (another \
         profile, or global chips of other heights)"
    )]
    OtherShape(&'static str),
    #[error("the compressed proof states {found:?}, the run {expected:?}")]
    Statement { found: Vec<Val>, expected: Vec<Val> },
}

/// What a key in the allowed-key tree is for; its leaf index (`TreeKeys::build` puts each
/// role's key there).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    GlobalLift = 0,
    ShardLift = 1,
    Join = 2,
    /// Not in the tree: the root key is the verifier's constant.
    Root = 3,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::GlobalLift => "the global lift",
            Role::ShardLift => "the shard lift",
            Role::Join => "the join",
            Role::Root => "the root",
        }
    }
}

/// The keys of one base shape (the global chips' heights and one shard profile).
#[derive(Clone)]
pub struct TreeKeys {
    /// The recursion proofs' parameters.
    pub params: StarkParams,
    pub shape: RecursionShape,
    pub global_lift: RecursionKey,
    pub shard_lift: RecursionKey,
    pub join: RecursionKey,
    pub root: RecursionKey,
    pub tree: VkTree,
    /// The global chips' heights of the base shape (the sample's): what the program's
    /// commitment is computed at when a compressed proof is checked.
    pub global_heights: Vec<usize>,
    /// The allowed-key root the root key holds as a constant (the tree's, when built).
    pub vk_root: KeyDigest,
}

/// A program recorded with its run's witnesses, which it must accept.
fn recorded(
    f: impl FnOnce(&mut Recorder) -> Result<(), KeysError>,
) -> Result<(Program, Vec<Val>), KeysError> {
    let mut r = Recorder::with_values();
    f(&mut r)?;
    let (program, run) = r.finish();
    let (witnesses, verdict) = run.expect("a recorder with values returns its run");
    verdict.map_err(KeysError::Rejected)?;
    Ok((program, witnesses))
}

/// A program recorded for its shape alone.
fn shape_only(
    f: impl FnOnce(&mut Recorder) -> Result<(), KeysError>,
) -> Result<Program, KeysError> {
    let mut r = Recorder::shape_only();
    f(&mut r)?;
    Ok(r.finish().0)
}

fn max_shape(a: &RecursionShape, b: &RecursionShape) -> RecursionShape {
    std::array::from_fn(|i| a[i].max(b[i]))
}

/// A path of the right length, for recording a program's shape.
fn placeholder_path() -> VkPath {
    VkPath {
        index: 0,
        siblings: vec![[Val::ZERO; DIGEST_ELEMS]; VK_TREE_DEPTH],
    }
}

/// Group `g`'s lift program, stating `vk_root`.
fn lift_program(
    vk: &VerifyingKey,
    proof: &ShardedProof,
    g: usize,
    states: &HeaderStates,
    vk_root: &KeyDigest,
) -> Result<(Program, Vec<Val>), KeysError> {
    recorded(|r| {
        let node = Lift::load(r, vk, proof, g, states, vk_root)?.verify(r)?;
        node.expose(r);
        Ok(())
    })
}

/// Proves `program`'s run on `witnesses` under `key`, once the program is the key's: a run of
/// another shape would otherwise be proven under a key whose program is not its own.
fn prove_as(
    key: &RecursionKey,
    role: Role,
    program: Program,
    witnesses: &[Val],
    params: StarkParams,
) -> Result<RecursionProof, KeysError> {
    let mut lowered = crate::lower::lower(&program);
    let fits = lowered
        .program
        .pad_to(&key.lowered().program.shape())
        .is_ok();
    if !fits || lowered != *key.lowered() {
        return Err(KeysError::OtherShape(role.name()));
    }
    Ok(key.prove(witnesses, params)?)
}

impl TreeKeys {
    /// Builds the keys for runs shaped like `proof` (a profiled sharded proof with at least
    /// one shard, at `vk`'s parameters), proving recursion at `params`. It proves two lifts
    /// per round of the shape's fixed point, so it takes seconds.
    pub fn build(
        vk: &VerifyingKey,
        proof: &ShardedProof,
        params: StarkParams,
    ) -> Result<Self, KeysError> {
        let states = HeaderStates::new(vk, proof)?;
        let zero = [Val::ZERO; DIGEST_ELEMS];
        let global = lift_program(vk, proof, 0, &states, &zero)?;
        let shard = lift_program(vk, proof, 1, &states, &zero)?;
        let natural = |p: &Program| crate::lower::lower(p).program.shape();
        let mut shape = max_shape(&natural(&global.0), &natural(&shard.0));
        for _ in 0..MAX_SHAPE_ROUNDS {
            let global_lift = RecursionKey::with_shape(global.0.clone(), &shape)?;
            let shard_lift = RecursionKey::with_shape(shard.0.clone(), &shape)?;
            let left = global_lift.prove(&global.1, params)?;
            let right = shard_lift.prove(&shard.1, params)?;
            let join = shape_only(|r| {
                let path = placeholder_path();
                let l = Child::load_allowed(r, &global_lift, &left, params, &path)?;
                let c = Child::load_allowed(r, &shard_lift, &right, params, &path)?;
                join::join(r, &l, &c)?;
                Ok(())
            })?;
            let grown = max_shape(&shape, &natural(&join));
            if grown != shape {
                shape = grown;
                continue;
            }
            let join = RecursionKey::with_shape(join, &shape)?;
            let tree = VkTree::new(&[
                global_lift.commitment(params)?,
                shard_lift.commitment(params)?,
                join.commitment(params)?,
            ])?;
            let root = shape_only(|r| {
                let c = Child::load_allowed(r, &global_lift, &left, params, &placeholder_path())?;
                join::root(r, &c, vk.params(), Val::ZERO, Some(&tree.root()))?;
                Ok(())
            })?;
            // The root has its own (smaller) shape: its natural one, stated like the others'.
            let root_shape = natural(&root);
            return Ok(TreeKeys {
                params,
                shape,
                global_lift,
                shard_lift,
                join,
                root: RecursionKey::with_shape(root, &root_shape)?,
                vk_root: tree.root(),
                tree,
                global_heights: proof.groups[0].degree_bits.clone(),
            });
        }
        Err(KeysError::NoFixedPoint(shape))
    }

    fn key(&self, role: Role) -> &RecursionKey {
        match role {
            Role::GlobalLift => &self.global_lift,
            Role::ShardLift => &self.shard_lift,
            Role::Join => &self.join,
            Role::Root => &self.root,
        }
    }

    /// Compresses `proof` (of `vk`'s program, shaped like the keys' sample) into one root
    /// proof: every group lifted, the lifts joined pairwise level by level (an odd last node
    /// moves up), the top node rooted.
    pub fn compress(
        &self,
        vk: &VerifyingKey,
        proof: &ShardedProof,
    ) -> Result<RecursionProof, KeysError> {
        let states = HeaderStates::new(vk, proof)?;
        // The nodes state the tree's root; the root program closes the tree with its own.
        let vk_root = self.tree.root();
        // `build` puts each role's key at its leaf (a tree that does not fails the joins'
        // checks, which the recorder reports).
        let paths: Vec<VkPath> = [Role::GlobalLift, Role::ShardLift, Role::Join]
            .map(|role| self.tree.path_at(role as usize))
            .into();
        let path = |role: Role| &paths[role as usize];
        let mut level: Vec<(Role, RecursionProof)> = Vec::new();
        for g in 0..proof.groups.len() {
            let role = if g == 0 {
                Role::GlobalLift
            } else {
                Role::ShardLift
            };
            let (program, witnesses) = lift_program(vk, proof, g, &states, &vk_root)?;
            let p = prove_as(self.key(role), role, program, &witnesses, self.params)?;
            level.push((role, p));
        }
        while level.len() > 1 {
            let mut next = Vec::with_capacity(level.len().div_ceil(2));
            let mut nodes = level.into_iter();
            while let Some((lr, lp)) = nodes.next() {
                let Some((rr, rp)) = nodes.next() else {
                    next.push((lr, lp));
                    break;
                };
                let (program, witnesses) = recorded(|r| {
                    let l = Child::load_allowed(r, self.key(lr), &lp, self.params, path(lr))?;
                    let c = Child::load_allowed(r, self.key(rr), &rp, self.params, path(rr))?;
                    join::join(r, &l, &c)?;
                    Ok(())
                })?;
                let p = prove_as(&self.join, Role::Join, program, &witnesses, self.params)?;
                next.push((Role::Join, p));
            }
            level = next;
        }
        let (role, top) = level.pop().ok_or(ShapeError::NoGroups)?;
        let (program, witnesses) = recorded(|r| {
            let c = Child::load_allowed(r, self.key(role), &top, self.params, path(role))?;
            join::root(
                r,
                &c,
                vk.params(),
                states.lookup_witness,
                Some(&self.vk_root),
            )?;
            Ok(())
        })?;
        prove_as(&self.root, Role::Root, program, &witnesses, self.params)
    }

    /// Checks a compressed proof of a run of `vk`'s program with `statement`: the root
    /// proof verifies under the root key at the recursion parameters, and states that
    /// program and that statement. What is trusted: the root key (its tables, whose tree root
    /// closes every key below), the recursion parameters and `vk` (the program).
    pub fn verify(
        &self,
        vk: &VerifyingKey,
        statement: &mipstark_air::machine::Statement,
        compressed: &RecursionProof,
    ) -> Result<(), KeysError> {
        self.root.verify(compressed, self.params)?;
        let expected = expected_statement(vk, statement, &self.global_heights)?.to_vec();
        if compressed.publics != expected {
            return Err(KeysError::Statement {
                found: compressed.publics.clone(),
                expected,
            });
        }
        Ok(())
    }
}

/// What a root states for a run of `vk`'s program with `statement`, whose global chips have
/// `global_heights`: the exit code's bytes, the public-values list's digest, the program's
/// preprocessed commitment, the entry point, the break's bytes and the shard count.
pub fn expected_statement(
    vk: &VerifyingKey,
    statement: &mipstark_air::machine::Statement,
    global_heights: &[usize],
) -> Result<RootPublics<Val>, VerifyError> {
    let st = statement;
    let list = PublicValuesChip::public_values(&st.public_values, &st.committed);
    let key = vk.group_key(0, global_heights)?;
    let commitment = key
        .preprocessed
        .ok_or_else(|| VerifyError::Stark("the global chips have no preprocessed tables".into()))?
        .commitment;
    let program = &vk.machine().program;
    let bytes = |w: u32| w.to_le_bytes().map(Val::from_u8);
    let mut b = Native::new();
    Ok(RootPublics {
        exit: bytes(st.exit_code),
        public_values: hash_slices(&mut b, &[&list]),
        preprocessed: commitment.roots()[0],
        entry: Val::from_u32(program.entry),
        brk: bytes(program.initial_brk),
        shards: Val::from_usize(st.shards.len()),
    })
}
