//! The recursion tree (`docs/recursion.md` §4.1–4.2): every group of a sharded proof lifted on
//! its own, the lifts joined and the root's checks — natively, on every broken tree, and
//! proven end to end on the recursion machine.

use mipstark_air::machine::Machine;
use mipstark_prover_cpu_ref::machine::VerifyingKey;
use mipstark_prover_cpu_ref::sharded::{prove_sharded_profiled, ShardProfile, ShardedProof};
use mipstark_prover_cpu_ref::{StarkParams, Val};
use mipstark_recursion::join::{self, Child};
use mipstark_recursion::lift::{HeaderStates, Lift};
use mipstark_recursion::lower::lower;
use mipstark_recursion::machine::{RecursionKey, RecursionProof};
use mipstark_recursion::node::{join, root, NodePublics, RootPublics};
use mipstark_recursion::{Builder, Native, Program, Recorder};
use p3_field::PrimeCharacteristicRing;

const P: StarkParams = StarkParams::TESTING;

/// The allowed-key root the lifts state where children are read under fixed keys (unused).
const NO_TREE: [Val; 8] = [Val::ZERO; 8];

/// A fibonacci run with `hint`, its shards padded to one profile that also covers the run with
/// hint 7 (so both runs' shards share one shape).
fn run(hint: u32) -> (Machine, ShardedProof) {
    let record = |hint| {
        let (program, shards) = mipstark_tests::guests::record("fibonacci", Some(hint), 100);
        (Machine::new(program).unwrap(), shards)
    };
    let (m, shards) = record(hint);
    assert!(shards.len() >= 3);
    let (m7, shards7) = record(7);
    let mut profile = ShardProfile::covering(&m, &shards).unwrap();
    let other = ShardProfile::covering(&m7, &shards7).unwrap();
    for (h, o) in profile.log_heights.iter_mut().zip(other.log_heights) {
        *h = (*h).max(o);
    }
    let p = prove_sharded_profiled(&m, &shards, P, Some(&profile)).unwrap();
    (m, p)
}

/// Every group's lift, natively.
fn lifts(b: &mut Native, vk: &VerifyingKey, proof: &ShardedProof) -> Vec<NodePublics<Val>> {
    let states = HeaderStates::new(vk, proof).unwrap();
    (0..proof.groups.len())
        .map(|g| {
            Lift::load(b, vk, proof, g, &states, &NO_TREE)
                .unwrap()
                .verify(b)
                .unwrap()
        })
        .collect()
}

/// Adjacent pairs joined level by level (a left-complete tree: an odd last node moves up).
fn tree<T: Copy>(nodes: Vec<T>, mut join: impl FnMut(&T, &T) -> T) -> T {
    let mut nodes = nodes;
    while nodes.len() > 1 {
        nodes = nodes
            .chunks(2)
            .map(|c| {
                if c.len() == 2 {
                    join(&c[0], &c[1])
                } else {
                    c[0]
                }
            })
            .collect();
    }
    nodes[0]
}

/// What the root must state for `proof`.
fn expected_statement(vk: &VerifyingKey, proof: &ShardedProof) -> RootPublics<Val> {
    mipstark_recursion::keys::expected_statement(vk, &proof.statement, &proof.groups[0].degree_bits)
        .unwrap()
}

#[test]
fn the_lifts_joined_and_rooted_state_the_run() {
    let (m, proof) = run(6);
    let vk = VerifyingKey::new(&m, P);
    let states = HeaderStates::new(&vk, &proof).unwrap();
    let mut b = Native::new();
    let nodes = lifts(&mut b, &vk, &proof);
    let top = tree(nodes, |l, r| join(&mut b, l, r));
    let w = b.witness_f(states.lookup_witness);
    let stated = root(&mut b, &top, P, w);
    b.finish().unwrap();
    assert_eq!(stated, expected_statement(&vk, &proof));
}

/// The root's verdict on the tree `nodes` make, joined in the given order.
fn accepted(nodes: Vec<NodePublics<Val>>, lookup_witness: Val) -> bool {
    let mut b = Native::new();
    let top = tree(nodes, |l, r| join(&mut b, l, r));
    let w = b.witness_f(lookup_witness);
    root(&mut b, &top, P, w);
    b.finish().is_ok()
}

#[test]
fn every_broken_tree_is_rejected() {
    let (m, proof) = run(6);
    let vk = VerifyingKey::new(&m, P);
    let states = HeaderStates::new(&vk, &proof).unwrap();
    let w = states.lookup_witness;
    let nodes = lifts(&mut Native::new(), &vk, &proof);
    let n = nodes.len();
    assert!(n >= 4);
    assert!(accepted(nodes.clone(), w));

    let mut swapped = nodes.clone();
    swapped.swap(1, 2);
    assert!(!accepted(swapped, w), "shards out of order");
    assert!(
        !accepted(nodes[..n - 1].to_vec(), w),
        "the last shard dropped"
    );
    assert!(
        !accepted(nodes[1..].to_vec(), w),
        "the global chips dropped"
    );
    let mut twice = nodes.clone();
    twice.insert(2, nodes[1]);
    assert!(!accepted(twice, w), "a shard twice");
    assert!(
        !accepted(nodes.clone(), w + Val::ONE),
        "another grind witness"
    );

    // A lift of another run of the same program, spliced in.
    let (m2, other) = run(7);
    let vk2 = VerifyingKey::new(&m2, P);
    let others = lifts(&mut Native::new(), &vk2, &other);
    assert!(accepted(
        others.clone(),
        HeaderStates::new(&vk2, &other).unwrap().lookup_witness
    ));
    for g in 0..n.min(others.len()) {
        let mut spliced = nodes.clone();
        spliced[g] = others[g];
        assert!(!accepted(spliced, w), "group {g} from another run");
    }
}

#[test]
fn a_forged_statement_fails_the_lifts_that_see_it() {
    let (m, mut proof) = run(6);
    let vk = VerifyingKey::new(&m, P);
    proof.statement.exit_code ^= 1;
    let states = HeaderStates::new(&vk, &proof).unwrap();
    for g in 1..proof.groups.len() {
        let mut b = Native::new();
        let lift = Lift::load(&mut b, &vk, &proof, g, &states, &NO_TREE).unwrap();
        let verdict = lift.verify(&mut b).is_ok() && b.finish().is_ok();
        assert!(!verdict, "shard group {g} with a forged exit code");
    }
}

/// A lift's program, recorded with or without values.
fn lift_program(vk: &VerifyingKey, proof: &ShardedProof, g: usize, values: bool) -> Program {
    let states = HeaderStates::new(vk, proof).unwrap();
    let mut r = if values {
        Recorder::with_values()
    } else {
        Recorder::shape_only()
    };
    let node = Lift::load(&mut r, vk, proof, g, &states, &NO_TREE)
        .unwrap()
        .verify(&mut r)
        .unwrap();
    node.expose(&mut r);
    r.finish().0
}

#[test]
fn one_lift_key_serves_every_position_and_run_of_a_shape() {
    let (m, proof) = run(6);
    let (m2, other) = run(7);
    let vk = VerifyingKey::new(&m, P);
    let vk2 = VerifyingKey::new(&m2, P);
    assert_eq!(proof.groups[1].degree_bits, proof.groups[2].degree_bits);
    assert_eq!(proof.groups[1].degree_bits, other.groups[2].degree_bits);
    let one = lower(&lift_program(&vk, &proof, 1, false));
    assert_eq!(one, lower(&lift_program(&vk, &proof, 2, false)));
    assert_eq!(one, lower(&lift_program(&vk2, &other, 2, true)));
    assert_eq!(proof.groups[0].degree_bits, other.groups[0].degree_bits);
    assert_eq!(
        lower(&lift_program(&vk, &proof, 0, false)),
        lower(&lift_program(&vk2, &other, 0, true))
    );
}

/// The key whose lowering is `program`'s, made once.
fn key_for(keys: &mut Vec<RecursionKey>, program: Program) -> usize {
    let lowered = lower(&program);
    let at = match keys.iter().position(|k| *k.lowered() == lowered) {
        Some(at) => at,
        None => {
            keys.push(RecursionKey::new(program).unwrap());
            keys.len() - 1
        }
    };
    at
}

fn recorded(f: impl FnOnce(&mut Recorder)) -> (Program, Vec<Val>) {
    let mut r = Recorder::with_values();
    f(&mut r);
    let (program, run) = r.finish();
    let (witnesses, verdict) = run.unwrap();
    verdict.unwrap();
    (program, witnesses)
}

/// Each program's rows, proving time and proof size (`--nocapture` shows them; the README's
/// recursion table is measured this way).
fn report(what: &str, key: &RecursionKey, proof: &RecursionProof, since: std::time::Instant) {
    let l = &key.lowered().program;
    let bytes = bincode::serialize(proof).unwrap().len();
    eprintln!(
        "{what}: rows mem {} base_alu {} ext_alu {} pack {} bits {} poseidon2 {}; \
         proven in {:.2} s, {:.1} KB",
        l.mem.len(),
        l.base_alu.len(),
        l.ext_alu.len(),
        l.pack.len(),
        l.bits.len(),
        l.poseidon2.len(),
        since.elapsed().as_secs_f64(),
        bytes as f64 / 1000.0
    );
}

#[test]
fn a_run_compressed_by_proven_lifts_joins_and_a_root_states_its_statement() {
    let (m, proof) = run(6);
    let vk = VerifyingKey::new(&m, P);
    let states = HeaderStates::new(&vk, &proof).unwrap();
    let native = lifts(&mut Native::new(), &vk, &proof);
    let mut keys: Vec<RecursionKey> = Vec::new();
    let mut proven: Vec<(usize, RecursionProof)> = Vec::new();
    let mut kept: Vec<(Program, Vec<Val>)> = Vec::new();
    for (g, node) in native.iter().enumerate() {
        let (program, witnesses) = recorded(|r| {
            let node = Lift::load(r, &vk, &proof, g, &states, &NO_TREE)
                .unwrap()
                .verify(r)
                .unwrap();
            node.expose(r);
        });
        if g == 1 {
            kept.push((program.clone(), witnesses.clone()));
        }
        let k = key_for(&mut keys, program);
        let t = std::time::Instant::now();
        let p = keys[k].prove(&witnesses, P).unwrap();
        report(&format!("lift {g}"), &keys[k], &p, t);
        assert_eq!(p.publics, node.to_vec(), "lift {g} states its node");
        keys[k].verify(&p, P).unwrap();
        proven.push((k, p));
    }
    assert_eq!(
        keys.len(),
        2,
        "one key for the global chips' lift, one for every shard's"
    );

    // Joined pairwise, level by level.
    while proven.len() > 1 {
        let mut next = Vec::new();
        let mut pairs = proven.into_iter();
        while let Some(left) = pairs.next() {
            let Some(right) = pairs.next() else {
                next.push(left);
                break;
            };
            let (program, witnesses) = recorded(|r| {
                let l = Child::load(r, &keys[left.0], &left.1, P).unwrap();
                let c = Child::load(r, &keys[right.0], &right.1, P).unwrap();
                join::join(r, &l, &c).unwrap();
            });
            if kept.len() == 1 {
                kept.push((program.clone(), witnesses.clone()));
            }
            let k = key_for(&mut keys, program);
            let t = std::time::Instant::now();
            let p = keys[k].prove(&witnesses, P).unwrap();
            report("join", &keys[k], &p, t);
            keys[k].verify(&p, P).unwrap();
            next.push((k, p));
        }
        proven = next;
    }
    let (top_key, top) = proven.pop().unwrap();
    let (program, witnesses) = recorded(|r| {
        let c = Child::load(r, &keys[top_key], &top, P).unwrap();
        join::root(r, &c, P, states.lookup_witness, None).unwrap();
    });
    let key = RecursionKey::new(program).unwrap();
    let t = std::time::Instant::now();
    let rooted = key.prove(&witnesses, P).unwrap();
    report("root", &key, &rooted, t);
    key.verify(&rooted, P).unwrap();
    assert_eq!(
        rooted.publics,
        expected_statement(&vk, &proof).to_vec(),
        "the root states the run's statement"
    );

    // A shard's lift and a join, padded to one shape, prove with one shape (step 9's ground:
    // one verifier program for children of any role).
    let shapes: Vec<_> = kept
        .iter()
        .map(|(program, _)| lower(program).program.shape())
        .collect();
    let shape = std::array::from_fn(|i| shapes[0][i].max(shapes[1][i]));
    let mut heights = Vec::new();
    for (program, witnesses) in &kept {
        let key = RecursionKey::with_shape(program.clone(), &shape).unwrap();
        assert_eq!(key.lowered().program.shape(), shape);
        let p = key.prove(witnesses, P).unwrap();
        key.verify(&p, P).unwrap();
        heights.push(p.proof.degree_bits.clone());
    }
    assert_eq!(heights[0], heights[1]);
    let mut small = shape;
    small[2] -= 1;
    assert!(matches!(
        RecursionKey::with_shape(kept[1].0.clone(), &small),
        Err(mipstark_recursion::machine::RecursionError::Layout(
            mipstark_air::recursion::program::LayoutError::Shape { table: 2, .. }
        ))
    ));
}

/// The header prefix's state for `entry`, as the root rebuilds it.
fn prefix_state(m: &Machine, entry: u32, shards: usize) -> [Val; 16] {
    use mipstark_prover_cpu_ref::sharded::header_constants;
    use mipstark_recursion::Challenger;
    let mut b = Native::new();
    let mut ch = Challenger::new(&mut b);
    for v in header_constants(P, entry, m.program.initial_brk) {
        ch.observe_constant(&mut b, v);
    }
    ch.observe_constant(&mut b, Val::from_usize(5 + 13 * shards));
    ch.pad_to_rate(&mut b);
    ch.permutation_state()
}

/// The adversarial review's findings on the root (2026-12-03), each shown to bite: the
/// parameters the lifts used, the range, the entry point's range and the weight bound.
#[test]
fn the_root_checks_parameters_range_entry_and_weight() {
    let (m, proof) = run(6);
    let vk = VerifyingKey::new(&m, P);
    let states = HeaderStates::new(&vk, &proof).unwrap();
    let nodes = lifts(&mut Native::new(), &vk, &proof);
    let mut b = Native::new();
    let top = tree(nodes.clone(), |l, r| join(&mut b, l, r));
    b.finish().unwrap();
    let verdict = |node: &NodePublics<Val>, params: StarkParams| {
        let mut b = Native::new();
        let w = b.witness_f(states.lookup_witness);
        root(&mut b, node, params, w);
        b.finish().is_ok()
    };
    assert!(verdict(&top, P));

    // Grinding bits never enter the transcript: only the stated parameters bind them.
    for other in [
        StarkParams {
            deep_pow_bits: P.deep_pow_bits + 8,
            ..P
        },
        StarkParams {
            batch_pow_bits: P.batch_pow_bits + 8,
            ..P
        },
    ] {
        assert!(!verdict(&top, other), "lifts at other parameters");
    }

    assert!(!verdict(&nodes[0], P), "the global chips alone: no shard");
    let mut wrapped = nodes[1];
    wrapped.lo = -Val::ONE;
    wrapped.hi = Val::ZERO;
    let mut shifted = vec![wrapped];
    shifted.extend_from_slice(&nodes);
    shifted.remove(2);
    assert!(
        !accepted(shifted, states.lookup_witness),
        "a shard at position p − 1 before the global chips"
    );

    let mut heavy = top;
    heavy.weight[1] = Val::from_u32(0x7eff);
    assert!(verdict(&heavy, P));
    heavy.weight[1] = Val::from_u32(0x7f00);
    assert!(!verdict(&heavy, P), "a weight of p or more");

    // A start state at another entry point, with the prefix that entry gives: accepted when
    // `entry + 4 < p` (so the construction passes every other check), refused in [p − 4, p).
    let shards = proof.statement.shards.len();
    let at = |entry: u32| {
        let mut n = top;
        n.before[0] = Val::from_u32(entry);
        n.before[1] = Val::from_u32(entry) + Val::from_u32(4);
        n.p_in = prefix_state(&m, entry, shards);
        n
    };
    assert_eq!(at(m.program.entry), top);
    assert!(verdict(&at(0x7eff_fff0), P));
    let p = 0x7f00_0001u32;
    for k in 1..=4 {
        assert!(!verdict(&at(p - k), P), "entry p − {k}: npc wraps");
    }
}
