//! The sharded transcript over the builder replays the reference verifier's exactly: run
//! natively on real sharded proofs, every element it absorbs and draws — the header, the
//! LogUp grind and pair, and each group's whole fork (to ζ, then the opening argument's seeds,
//! claims, grinds, α, folding challenges, final polynomial and query indices) — equals what
//! `VerifyingKey::verify_sharded` absorbs and draws, recorded through
//! `challenger::transcript::record`.

use mipstark_air::machine::Machine;
use mipstark_prover_cpu_ref::challenger::transcript::{record, Event as RefEvent};
use mipstark_prover_cpu_ref::machine::VerifyingKey;
use mipstark_prover_cpu_ref::sharded::{prove_sharded, ShardedProof};
use mipstark_prover_cpu_ref::StarkParams;
use mipstark_recursion::challenger::Event;
use mipstark_recursion::sharded::Transcript;
use mipstark_recursion::{Challenger, Native, Val};
use p3_field::{PrimeCharacteristicRing, PrimeField32};

/// A flattened transcript operation: one element absorbed or drawn, or a number of bits.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Op {
    Observe(u32),
    Sample(u32),
    Bits(usize),
}

/// The reference events, flattened, cut at each fork: the trunk, then one list per group.
fn reference_sections(events: Vec<RefEvent>) -> (Vec<Op>, Vec<Vec<Op>>) {
    let mut trunk = Vec::new();
    let mut groups: Vec<Vec<Op>> = Vec::new();
    for e in events {
        let out = groups.last_mut().unwrap_or(&mut trunk);
        match e {
            RefEvent::Observe(v) => out.extend(v.into_iter().map(Op::Observe)),
            RefEvent::Sample(v) => out.extend(v.into_iter().map(Op::Sample)),
            RefEvent::SampleBits(x) => out.push(Op::Bits(x)),
            RefEvent::Fork(g) => {
                assert_eq!(g, groups.len(), "forks in group order");
                groups.push(Vec::new());
            }
        }
    }
    (trunk, groups)
}

fn native_ops(events: Vec<Event<Val, bool>>) -> Vec<Op> {
    events
        .into_iter()
        .map(|e| match e {
            Event::Observe(v) => Op::Observe(v.as_canonical_u32()),
            Event::Sample(v) => Op::Sample(v.as_canonical_u32()),
            Event::SampleBits(bits) => Op::Bits(Native::bits_value(&bits)),
        })
        .collect()
}

fn sharded(params: StarkParams) -> (Machine, ShardedProof) {
    let (program, shards) = mipstark_tests::guests::record("fibonacci", Some(6), 100);
    assert!(shards.len() >= 3);
    let m = Machine::new(program).unwrap();
    let p = prove_sharded(&m, &shards, params).unwrap();
    (m, p)
}

fn assert_replays(params: StarkParams) {
    let (m, proof) = sharded(params);
    let vk = VerifyingKey::new(&m, params);
    let (verdict, events) = record(|| vk.verify_sharded(&proof));
    verdict.unwrap();
    let (trunk, groups) = reference_sections(events);
    assert_eq!(groups.len(), proof.groups.len());

    let mut b = Native::new();
    let t = Transcript::load(&mut b, &vk, &proof).unwrap();
    let mut ch = Challenger::new(&mut b).recording();
    let drawn = t.replay(&mut b, &mut ch);
    b.finish().unwrap();
    assert_eq!(
        native_ops(ch.take_events()),
        trunk,
        "the header, grind and LogUp pair"
    );
    for (g, (mut fork, c)) in drawn.forks.into_iter().enumerate() {
        let ours = native_ops(fork.take_events());
        assert_eq!(c.pcs.indices.len(), params.num_queries);
        assert_eq!(ours, groups[g], "group {g}");
    }
}

#[test]
fn the_transcript_replays_the_reference_verifiers() {
    assert_replays(StarkParams::TESTING);
}

/// Grinding at every phase (LogUp, DEEP, FRI batching, queries) on.
const GRINDING: StarkParams = StarkParams {
    lookup_pow_bits: 6,
    deep_pow_bits: 5,
    batch_pow_bits: 4,
    query_pow_bits: 7,
    ..StarkParams::TESTING
};

/// With grinding on, every proof-of-work check replays too.
#[test]
fn the_grinding_checks_replay() {
    assert_replays(GRINDING);
}

/// Another blowup and a longer final polynomial change both seeds and the FRI rounds.
#[test]
fn other_fri_parameters_replay() {
    assert_replays(StarkParams {
        log_blowup: 2,
        log_final_poly_len: 1,
        num_queries: 5,
        ..StarkParams::TESTING
    });
}

/// A wrong grinding witness, in any phase, fails the native run (and the reference).
#[test]
fn a_wrong_grinding_witness_fails_the_run() {
    let params = GRINDING;
    let (m, mut proof) = sharded(params);
    let vk = VerifyingKey::new(&m, params);
    let run = |proof: &ShardedProof| {
        let mut b = Native::new();
        let t = Transcript::load(&mut b, &vk, proof).unwrap();
        let mut ch = Challenger::new(&mut b);
        t.replay(&mut b, &mut ch);
        b.finish()
    };
    run(&proof).unwrap();
    let w = proof.groups[0].lookup_pow_witness.unwrap();
    proof.groups[0].lookup_pow_witness = Some(w + Val::ONE);
    assert!(run(&proof).is_err());
    assert!(vk.verify_sharded(&proof).is_err());
    proof.groups[0].lookup_pow_witness = Some(w);
    proof.groups[2].ood_pow_witness += Val::ONE;
    assert!(run(&proof).is_err());
    assert!(vk.verify_sharded(&proof).is_err());
    proof.groups[2].ood_pow_witness -= Val::ONE;
    run(&proof).unwrap();
    proof.groups[1].opening_proof.batch_pow_witness += Val::ONE;
    assert!(run(&proof).is_err());
    assert!(vk.verify_sharded(&proof).is_err());
    proof.groups[1].opening_proof.batch_pow_witness -= Val::ONE;
    proof.groups[0].opening_proof.query_pow_witness += Val::ONE;
    assert!(run(&proof).is_err());
    assert!(vk.verify_sharded(&proof).is_err());
}

/// The header absorbed in segments (`docs/recursion.md` §4.1), each resumed from the state the
/// one before it ended in, is the header absorbed at once: the same state after it, and the
/// same LogUp grind check and pair drawn from there.
#[test]
fn the_header_in_segments_resumed_from_states_is_the_whole_header() {
    use mipstark_recursion::challenger::{state_digest, SpongeState};
    use mipstark_recursion::header::{
        observe_group_header, observe_group_publics, observe_header, observe_middle, observe_prefix,
    };
    let (m, proof) = sharded(StarkParams::TESTING);
    let vk = VerifyingKey::new(&m, StarkParams::TESTING);
    let mut b = Native::new();
    let t = Transcript::load(&mut b, &vk, &proof).unwrap();
    let h = &t.header;
    let mut whole = Challenger::new(&mut b);
    observe_header(&mut b, &mut whole, h);

    // Each segment starts from a copy of the previous state, as a layer's witness would.
    let mut ch = Challenger::new(&mut b);
    observe_prefix(&mut b, &mut ch, h);
    let mut boundaries: Vec<SpongeState<Val>> = Vec::new();
    let mut cut = |ch: &mut Challenger<Native>| {
        let s = ch.sponge_state();
        boundaries.push(s.clone());
        *ch = Challenger::resume(s.with_elements(&s.elements()));
    };
    for g in 0..h.groups.len() {
        cut(&mut ch);
        observe_group_publics(&mut b, &mut ch, h, g);
    }
    cut(&mut ch);
    observe_middle(&mut b, &mut ch, h);
    for g in &h.groups {
        cut(&mut ch);
        observe_group_header(&mut b, &mut ch, g);
    }
    assert_eq!(ch.sponge_state(), whole.sponge_state());
    assert_eq!(
        state_digest(&mut b, &ch.sponge_state()),
        state_digest(&mut b, &whole.sponge_state())
    );
    // Every segment is padded to the rate: a boundary is a permutation state, nothing pending.
    assert!(boundaries.iter().all(|s| s.input.is_empty() && s.drawable));
    for c in [&mut ch, &mut whole] {
        c.check_witness(&mut b, t.lookup_pow_bits, t.lookup_witness);
    }
    let (a1, b1) = (ch.sample_ext(&mut b), ch.sample_ext(&mut b));
    let (a2, b2) = (whole.sample_ext(&mut b), whole.sample_ext(&mut b));
    assert_eq!((a1, b1), (a2, b2));
    let mut fresh = Native::new();
    let mut c = Challenger::new(&mut fresh);
    let drawn = t.replay(&mut fresh, &mut c);
    assert_eq!((drawn.lookup_alpha, drawn.lookup_beta), (a1, b1));
    b.finish().unwrap();
}

/// A transcript resumed from the state it stated draws what the original draws, whether the
/// last observation left inputs pending, filled the rate exactly, or neither.
#[test]
fn a_resumed_transcript_draws_what_the_original_draws() {
    let mut b = Native::new();
    for n in 0..=17 {
        let mut ch = Challenger::new(&mut b);
        for i in 0..n {
            ch.observe_constant(&mut b, Val::from_usize(i));
        }
        let mut resumed = Challenger::resume(ch.sponge_state());
        for _ in 0..10 {
            assert_eq!(ch.sample(&mut b), resumed.sample(&mut b), "{n} observed");
        }
    }
}
