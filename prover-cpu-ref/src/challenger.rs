//! A Fiat–Shamir challenger whose proof-of-work search is deterministic.
//!
//! Plonky3's `DuplexChallenger::grind` searches nonces with rayon's `find_map_any`, so with the
//! `parallel` feature two runs may pick different valid nonces and produce different proof
//! bytes. mipstark's proofs must be a pure function of (program, inputs, parameters) — that is
//! what lets the GPU backend be checked byte for byte — so this wrapper searches the same
//! candidates in the same SIMD batches but takes the *first* valid batch (`find_map_first`): it
//! always returns the smallest valid nonce, whatever the thread count, which is also exactly what
//! the upstream grinder returns in a serial build. Every other operation forwards unchanged, so
//! proofs verify with Plonky3's own verifier.

use p3_challenger::{
    CanObserve, CanSample, CanSampleBits, DuplexChallenger, FieldChallenger, GrindingChallenger,
};
use p3_field::{BasedVectorSpace, Field, PackedValue, PrimeCharacteristicRing, PrimeField64};
use p3_koala_bear::{KoalaBear, Poseidon2KoalaBear};
use p3_symmetric::{MerkleCap, Permutation};
use rayon::prelude::*;

type Val = KoalaBear;
type Perm = Poseidon2KoalaBear<16>;
const WIDTH: usize = 16;
const RATE: usize = 8;

/// Candidate batches tested per parallel task (each batch is one packed permutation).
const BATCHES_PER_TASK: u64 = 64;

/// Plonky3's duplex challenger (width 16, rate 8, Poseidon2) with deterministic grinding.
#[derive(Clone, Debug)]
pub struct DeterministicChallenger(pub DuplexChallenger<Val, Perm, WIDTH, RATE>);

impl DeterministicChallenger {
    pub fn new(perm: Perm) -> Self {
        DeterministicChallenger(DuplexChallenger::new(perm))
    }
}

impl CanObserve<Val> for DeterministicChallenger {
    fn observe(&mut self, v: Val) {
        transcript::log(|| transcript::Event::Observe(vec![v.as_canonical_u64() as u32]));
        self.0.observe(v)
    }
}

impl CanObserve<MerkleCap<Val, [Val; 8]>> for DeterministicChallenger {
    fn observe(&mut self, c: MerkleCap<Val, [Val; 8]>) {
        transcript::log(|| {
            transcript::Event::Observe(
                c.roots()
                    .iter()
                    .flatten()
                    .map(|v| v.as_canonical_u64() as u32)
                    .collect(),
            )
        });
        self.0.observe(c)
    }
}

impl<EF: BasedVectorSpace<Val>> CanSample<EF> for DeterministicChallenger {
    fn sample(&mut self) -> EF {
        let x: EF = self.0.sample();
        transcript::log(|| {
            transcript::Event::Sample(
                x.as_basis_coefficients_slice()
                    .iter()
                    .map(|v| v.as_canonical_u64() as u32)
                    .collect(),
            )
        });
        x
    }
}

impl CanSampleBits<usize> for DeterministicChallenger {
    fn sample_bits(&mut self, bits: usize) -> usize {
        let x = self.0.sample_bits(bits);
        transcript::log(|| transcript::Event::SampleBits(x));
        x
    }
}

/// A record of what a verifier's (or prover's) challengers absorb and draw, for the tests that
/// check that every prover message reaches the transcript before the next challenge.
pub mod transcript {
    use std::cell::RefCell;

    /// One challenger operation, with its values (canonical field elements).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum Event {
        Observe(Vec<u32>),
        /// A field or extension-field challenge.
        Sample(Vec<u32>),
        /// Random bits (FRI query indices, proof-of-work checks).
        SampleBits(usize),
        /// A copy of the transcript taken to prove group `g` of a sharded proof: the events up
        /// to the next `Fork` are that copy's.
        Fork(usize),
    }

    thread_local! {
        static LOG: RefCell<Option<Vec<Event>>> = const { RefCell::new(None) };
    }

    /// Runs `f`, returning every event of every challenger on this thread meanwhile. Off the
    /// recording the cost is one thread-local read per operation.
    pub fn record<R>(f: impl FnOnce() -> R) -> (R, Vec<Event>) {
        let outer = LOG.with(|l| l.replace(Some(Vec::new())));
        let r = f();
        let events = LOG.with(|l| l.replace(outer)).unwrap_or_default();
        (r, events)
    }

    pub(crate) fn log(event: impl FnOnce() -> Event) {
        LOG.with(|l| {
            if let Some(v) = l.borrow_mut().as_mut() {
                v.push(event());
            }
        });
    }
}

impl FieldChallenger<Val> for DeterministicChallenger {}

impl GrindingChallenger for DeterministicChallenger {
    type Witness = Val;

    fn grind(&mut self, bits: usize) -> Val {
        // Zero bits: the canonical witness is 0 and nothing is absorbed (verifiers insist).
        if bits == 0 {
            return Val::ZERO;
        }
        assert!(bits < 31, "proof-of-work bits must be below the field size");
        let witness = find_first_witness(&self.0, bits);
        // Absorb the witness exactly as a verifier's check does.
        assert!(
            self.0.check_witness(bits, witness),
            "grinding found an invalid witness"
        );
        witness
    }
}

/// The smallest `w` such that observing `w` and sampling gives a value with `bits` low zero bits.
fn find_first_witness(ch: &DuplexChallenger<Val, Perm, WIDTH, RATE>, bits: usize) -> Val {
    type P = <Val as Field>::Packing;
    let lanes = P::WIDTH as u64;
    let order = Val::ORDER_U64;
    let mask = (1u64 << bits) - 1;
    // The absorb that `check_witness` performs: buffered inputs, the witness, zeroed rate, and
    // the length tag added to the first capacity element.
    let witness_idx = ch.input_buffer.len();
    let tag = ch.sponge_state[RATE] + Val::from_u8((witness_idx + 1) as u8);
    let base: [P; WIDTH] = core::array::from_fn(|i| {
        if i < witness_idx {
            P::from(ch.input_buffer[i])
        } else if i < RATE {
            P::ZERO
        } else if i == RATE {
            P::from(tag)
        } else {
            P::from(ch.sponge_state[i])
        }
    });
    let perm = &ch.permutation;
    let test_batch = |batch: u64| -> Option<Val> {
        let start = batch * lanes;
        let candidates = P::from_fn(|lane| {
            let c = start + lane as u64;
            if c < order {
                Val::from_u64(c)
            } else {
                Val::NEG_ONE
            }
        });
        let mut state = base;
        state[witness_idx] = candidates;
        perm.permute_mut(&mut state);
        state[RATE - 1]
            .as_slice()
            .iter()
            .zip(candidates.as_slice())
            .find(|(s, _)| s.as_canonical_u64() & mask == 0)
            .map(|(_, w)| *w)
    };
    let num_batches = order.div_ceil(lanes);
    let num_tasks = num_batches.div_ceil(BATCHES_PER_TASK);
    (0..num_tasks)
        .into_par_iter()
        .find_map_first(|task| {
            let lo = task * BATCHES_PER_TASK;
            (lo..(lo + BATCHES_PER_TASK).min(num_batches)).find_map(test_batch)
        })
        .expect("a proof-of-work witness exists for bits < 31")
}

#[cfg(test)]
mod tests {
    use super::*;
    use p3_koala_bear::default_koalabear_poseidon2_16;

    fn challenger_with(inputs: &[u32]) -> DeterministicChallenger {
        let mut c = DeterministicChallenger::new(default_koalabear_poseidon2_16());
        for v in inputs {
            c.observe(Val::from_u32(*v));
        }
        c
    }

    #[test]
    fn grind_returns_the_smallest_valid_witness() {
        for (inputs, bits) in [
            (vec![], 8),
            (vec![1, 2, 3], 10),
            ((0..8).collect::<Vec<_>>(), 6),
            (vec![7; 13], 12),
        ] {
            let mut c = challenger_with(&inputs);
            let w = c.clone().grind(bits);
            // Serially check every smaller candidate is invalid.
            for smaller in 0..w.as_canonical_u64() {
                assert!(!challenger_with(&inputs)
                    .0
                    .check_witness(bits, Val::from_u64(smaller)));
            }
            assert!(challenger_with(&inputs).0.check_witness(bits, w));
            // Grinding leaves the transcript where the verifier's check leaves it.
            let g = c.grind(bits);
            let mut v = challenger_with(&inputs);
            assert!(v.check_witness(bits, g));
            let (a, b): (Val, Val) = (c.sample(), v.sample());
            assert_eq!(a, b);
        }
    }

    #[test]
    fn grind_zero_bits_absorbs_nothing() {
        let mut c = challenger_with(&[5]);
        assert_eq!(c.grind(0), Val::ZERO);
        let (a, b): (Val, Val) = (c.sample(), challenger_with(&[5]).sample());
        assert_eq!(a, b);
    }
}
