//! `Challenger<Native>` is Plonky3's duplex challenger: on any sequence of observations, base
//! and extension samples, random bits and proof-of-work checks, it draws what the reference
//! challenger (`DeterministicChallenger`, Plonky3's `DuplexChallenger` with deterministic
//! grinding) draws, and accepts exactly the witnesses it accepts.

use mipstark_prover_cpu_ref::{Challenge, DeterministicChallenger, Val};
use mipstark_recursion::{Builder, Challenger, Native};
use p3_challenger::{CanObserve, CanSample, CanSampleBits, FieldChallenger, GrindingChallenger};
use p3_field::PrimeCharacteristicRing;
use p3_koala_bear::default_koalabear_poseidon2_16;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Observe(u32),
    Sample,
    SampleExt,
    ObserveExt([u32; 4]),
    Bits(usize),
    /// A proof-of-work check with the smallest valid witness plus `offset` (0: valid).
    Pow(usize, u32),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => any::<u32>().prop_map(Op::Observe),
        2 => Just(Op::Sample),
        2 => Just(Op::SampleExt),
        1 => any::<[u32; 4]>().prop_map(Op::ObserveExt),
        1 => (1usize..31).prop_map(Op::Bits),
        1 => (1usize..7, prop_oneof![3 => Just(0u32), 1 => 1u32..5]).prop_map(|(b, o)| Op::Pow(b, o)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn native_challenger_draws_what_plonky3_draws(ops in proptest::collection::vec(op(), 0..60)) {
        let mut reference = DeterministicChallenger::new(default_koalabear_poseidon2_16());
        let mut b = Native::new();
        let mut ch = Challenger::new(&mut b);
        for op in ops {
            match op {
                Op::Observe(v) => {
                    let v = Val::from_u32(v);
                    reference.observe(v);
                    let v = b.witness_f(v);
                    ch.observe(&mut b, v);
                }
                Op::Sample => {
                    let r: Val = reference.sample();
                    prop_assert_eq!(ch.sample(&mut b), r);
                }
                Op::SampleExt => {
                    let r: Challenge = reference.sample_algebra_element();
                    prop_assert_eq!(ch.sample_ext(&mut b), r);
                }
                Op::ObserveExt(c) => {
                    let e = Challenge::from_basis_coefficients_fn(|i| Val::from_u32(c[i]));
                    reference.observe_algebra_element(e);
                    let e = b.witness_e(e);
                    ch.observe_ext(&mut b, e);
                }
                Op::Bits(bits) => {
                    let r = reference.sample_bits(bits);
                    let got = ch.sample_bits(&mut b, bits);
                    prop_assert_eq!(Native::bits_value(&got), r);
                }
                Op::Pow(bits, offset) => {
                    let w = reference.clone().grind(bits) + Val::from_u32(offset);
                    let ok = reference.check_witness(bits, w);
                    let mut run = Native::new();
                    let w = run.witness_f(w);
                    ch.check_witness(&mut run, bits, w);
                    prop_assert_eq!(run.finish().is_ok(), ok);
                }
            }
        }
        b.finish().unwrap();
    }
}

use p3_field::BasedVectorSpace;

/// With zero bits the witness must be 0 (the reference verifiers' rule) and nothing is absorbed.
#[test]
fn a_zero_bit_check_takes_only_a_zero_witness() {
    for (w, ok) in [(Val::ZERO, true), (Val::ONE, false)] {
        let mut b = Native::new();
        let mut ch = Challenger::new(&mut b);
        let mut fresh = ch.clone();
        let w = b.witness_f(w);
        ch.check_witness(&mut b, 0, w);
        assert_eq!(ch.sample(&mut b), fresh.sample(&mut b));
        assert_eq!(b.finish().is_ok(), ok);
    }
}
