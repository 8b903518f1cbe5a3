//! Plonky3's duplex challenger (width 16, rate 8, Poseidon2), written over the [`Builder`].
//!
//! It must replay the reference transcript exactly, so it follows `DuplexChallenger` (p3 0.8)
//! rule for rule: observing clears the output buffer and duplexes when the rate is full; a
//! duplex writes the inputs over the rate, zero-fills the rest of the rate and adds the number
//! of inputs to the first capacity element (both only when there were inputs), permutes, and
//! makes the rate the output; sampling duplexes when inputs are pending or the output is spent,
//! then takes the output from its end. Only buffer *lengths* steer it, so its control flow is
//! the same for every proof of one shape. `tests/challenger.rs` pins it to Plonky3's.

use p3_field::PrimeCharacteristicRing;

use crate::builder::{Builder, Digest, EXT_DEGREE, PERM_WIDTH};
use crate::Val;

/// The sponge's rate (its first 8 elements).
pub const RATE: usize = 8;

/// One transcript operation, as [`Challenger::recording`] keeps them (tests compare them with
/// the reference verifier's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event<F, Bit> {
    Observe(F),
    /// One base-field element drawn (an extension challenge is four, in coordinate order).
    Sample(F),
    /// Random bits drawn, least significant first.
    SampleBits(Vec<Bit>),
}

/// A transcript's state between two absorbed segments: the permutation state and the inputs
/// absorbed since the last permutation (how many is a shape constant). An observation clears
/// the outputs, so after one this is everything the rest of the transcript depends on: a
/// recursion layer that absorbs one segment starts from such a state and states the one it
/// ends in (`docs/recursion.md` §4.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpongeState<F> {
    pub state: [F; PERM_WIDTH],
    pub input: Vec<F>,
    /// The observation that ended the segment filled the rate and permuted: the rate is
    /// ready to be drawn from (a shape constant, like the number of pending inputs).
    pub drawable: bool,
}

impl<F: Copy> SpongeState<F> {
    /// Every element, the permutation state first.
    pub fn elements(&self) -> Vec<F> {
        let mut all = self.state.to_vec();
        all.extend_from_slice(&self.input);
        all
    }

    /// The state with the same number of pending inputs whose elements are `elements` (in
    /// [`Self::elements`]' order).
    ///
    /// # Panics
    ///
    /// When `elements` does not have `16 + input.len()` elements.
    pub fn with_elements<G: Copy>(&self, elements: &[G]) -> SpongeState<G> {
        assert_eq!(elements.len(), PERM_WIDTH + self.input.len());
        SpongeState {
            state: std::array::from_fn(|i| elements[i]),
            input: elements[PERM_WIDTH..].to_vec(),
            drawable: self.drawable,
        }
    }
}

/// The digest a layer states for a sponge state: Plonky3's leaf hash of its elements (the
/// number of pending inputs is a shape constant, so it needs no length tag).
pub fn state_digest<B: Builder>(b: &mut B, s: &SpongeState<B::F>) -> Digest<B> {
    crate::mmcs::hash_slices(b, &[&s.elements()])
}

/// The duplex sponge state over builder variables.
pub struct Challenger<B: Builder> {
    state: [B::F; PERM_WIDTH],
    input: Vec<B::F>,
    output: Vec<B::F>,
    log: Option<Vec<Event<B::F, B::Bit>>>,
}

impl<B: Builder> Clone for Challenger<B> {
    fn clone(&self) -> Self {
        Challenger {
            state: self.state,
            input: self.input.clone(),
            output: self.output.clone(),
            log: self.log.clone(),
        }
    }
}

impl<B: Builder> Challenger<B> {
    /// The empty transcript (an all-zero state).
    pub fn new(b: &mut B) -> Self {
        let zero = b.constant_f(Val::ZERO);
        Challenger {
            state: [zero; PERM_WIDTH],
            input: Vec::new(),
            output: Vec::new(),
            log: None,
        }
    }

    /// The state at a segment boundary. After an observation the outputs are either none or,
    /// when that observation filled the rate, the whole rate of the permuted state.
    ///
    /// # Panics
    ///
    /// When part of the outputs was drawn: a segment boundary follows an observation.
    pub fn sponge_state(&self) -> SpongeState<B::F> {
        assert!(
            self.output.is_empty() || self.output.len() == RATE,
            "a segment boundary follows an observation"
        );
        SpongeState {
            state: self.state,
            input: self.input.clone(),
            drawable: !self.output.is_empty(),
        }
    }

    /// The permutation state, whatever is pending or drawable: after a draw, what a fork
    /// continues from (its first observation clears the outputs).
    pub fn permutation_state(&self) -> [B::F; PERM_WIDTH] {
        self.state
    }

    /// Continues a transcript from a segment boundary's state.
    pub fn resume(s: SpongeState<B::F>) -> Self {
        let output = if s.drawable {
            s.state[..RATE].to_vec()
        } else {
            Vec::new()
        };
        Challenger {
            state: s.state,
            input: s.input,
            output,
            log: None,
        }
    }

    /// Starts keeping every operation (a fork keeps its parent's record so far).
    pub fn recording(mut self) -> Self {
        self.log = Some(Vec::new());
        self
    }

    /// The operations kept since [`Self::recording`], emptied.
    pub fn take_events(&mut self) -> Vec<Event<B::F, B::Bit>> {
        self.log.as_mut().map(std::mem::take).unwrap_or_default()
    }

    fn note(&mut self, e: impl FnOnce() -> Event<B::F, B::Bit>) {
        if let Some(log) = self.log.as_mut() {
            log.push(e());
        }
    }

    fn duplex(&mut self, b: &mut B) {
        let n = self.input.len();
        debug_assert!(n <= RATE);
        for (i, v) in self.input.drain(..).enumerate() {
            self.state[i] = v;
        }
        if n > 0 {
            let zero = b.constant_f(Val::ZERO);
            self.state[n..RATE].fill(zero);
            let tag = b.constant_f(Val::from_usize(n));
            self.state[RATE] = b.add_f(self.state[RATE], tag);
        }
        self.state = b.poseidon2(self.state);
        self.output.clear();
        self.output.extend_from_slice(&self.state[..RATE]);
    }

    pub fn observe(&mut self, b: &mut B, v: B::F) {
        self.note(|| Event::Observe(v));
        self.output.clear();
        self.input.push(v);
        if self.input.len() == RATE {
            self.duplex(b);
        }
    }

    pub fn observe_all(&mut self, b: &mut B, vs: &[B::F]) {
        for &v in vs {
            self.observe(b, v);
        }
    }

    /// Observes zeros until no input is pending, so the next observation starts a fresh
    /// rate: the end of a header segment (the reference pads each segment alike).
    pub fn pad_to_rate(&mut self, b: &mut B) {
        while !self.input.is_empty() {
            self.observe_constant(b, Val::ZERO);
        }
    }

    /// Observes a verifier constant.
    pub fn observe_constant(&mut self, b: &mut B, v: Val) {
        let v = b.constant_f(v);
        self.observe(b, v);
    }

    /// Observes an extension element's coordinates.
    pub fn observe_ext(&mut self, b: &mut B, e: B::E) {
        for c in b.ext_coeffs(e) {
            self.observe(b, c);
        }
    }

    pub fn sample(&mut self, b: &mut B) -> B::F {
        let v = self.draw(b);
        self.note(|| Event::Sample(v));
        v
    }

    /// One output element (what [`Self::sample`] returns, unrecorded).
    fn draw(&mut self, b: &mut B) -> B::F {
        if !self.input.is_empty() || self.output.is_empty() {
            self.duplex(b);
        }
        self.output.pop().expect("a duplex fills the output")
    }

    /// An extension challenge: its coordinates drawn in order.
    pub fn sample_ext(&mut self, b: &mut B) -> B::E {
        let c: [B::F; EXT_DEGREE] = std::array::from_fn(|_| self.sample(b));
        b.ext_from_coeffs(c)
    }

    /// The low `bits` bits of one drawn element (through its canonical decomposition).
    pub fn sample_bits(&mut self, b: &mut B, bits: usize) -> Vec<B::Bit> {
        assert!(bits < 31, "at most 30 random bits per element");
        let x = self.draw(b);
        let mut all = b.bits(x, 31);
        all.truncate(bits);
        self.note(|| Event::SampleBits(all.clone()));
        all
    }

    /// A proof-of-work check of `bits` bits. With 0 bits the witness must be 0 and nothing is
    /// absorbed (mipstark's rule, so a proof has one encoding); otherwise the witness is
    /// observed and `bits` drawn bits must all be 0.
    pub fn check_witness(&mut self, b: &mut B, bits: usize, witness: B::F) {
        if bits == 0 {
            b.assert_zero_f(witness);
            return;
        }
        self.observe(b, witness);
        for bit in self.sample_bits(b, bits) {
            let f = b.bit_f(bit);
            b.assert_zero_f(f);
        }
    }
}
