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

use crate::builder::{Builder, EXT_DEGREE, PERM_WIDTH};
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
