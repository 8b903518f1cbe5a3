//! The seam between the verifier's logic and what runs it.
//!
//! A backend decides what a variable is: a field value ([`native::Native`]), or an id in a
//! recorded program. The verifier never branches on a variable's value — its control flow is
//! fixed by the proof's shape — so one run of the generic code over a recording backend is the
//! whole recursion program. Every method that can fail (an assertion, a range check) fails the
//! backend's run, never the caller: the native backend reports its first failure when it
//! finishes, a recording backend emits a constraint.

pub mod native;

use crate::{Challenge, Val};
use p3_field::{BasedVectorSpace, PrimeCharacteristicRing};

/// Width of the Poseidon2 permutation the transcript and the Merkle trees use.
pub const PERM_WIDTH: usize = 16;
/// Degree of the challenge field over the base field.
pub const EXT_DEGREE: usize = 4;

/// The primitives the verifier is written with (see the module documentation).
pub trait Builder {
    /// A base-field variable.
    type F: Copy;
    /// A variable of the degree-4 extension (the challenges).
    type E: Copy;
    /// A variable known to be 0 or 1.
    type Bit: Copy;

    /// A constant of the verifier (a verifying-key constant, a shape constant).
    fn constant_f(&mut self, v: Val) -> Self::F;
    /// A value of the proof being verified: free, until assertions tie it down.
    fn witness_f(&mut self, v: Val) -> Self::F;
    fn add_f(&mut self, a: Self::F, b: Self::F) -> Self::F;
    fn sub_f(&mut self, a: Self::F, b: Self::F) -> Self::F;
    fn mul_f(&mut self, a: Self::F, b: Self::F) -> Self::F;
    /// The extension element with these coordinates (in Plonky3's basis order).
    fn ext_from_coeffs(&mut self, c: [Self::F; EXT_DEGREE]) -> Self::E;
    /// An extension element's coordinates.
    fn ext_coeffs(&mut self, e: Self::E) -> [Self::F; EXT_DEGREE];
    /// `a = b`, or the run fails.
    fn assert_eq_f(&mut self, a: Self::F, b: Self::F);
    /// The low `n` bits of `x`, least significant first. For `n < 31`, `x < 2^n` or the run
    /// fails; for `n = 31`, the canonical decomposition (the bits' value is below p, so no
    /// second decomposition of the same element exists).
    fn bits(&mut self, x: Self::F, n: usize) -> Vec<Self::Bit>;
    /// A bit as a field element.
    fn bit_f(&mut self, b: Self::Bit) -> Self::F;
    /// The Poseidon2 permutation of width 16 (Plonky3's KoalaBear constants).
    fn poseidon2(&mut self, state: [Self::F; PERM_WIDTH]) -> [Self::F; PERM_WIDTH];

    /// An extension element of the proof.
    fn witness_e(&mut self, v: Challenge) -> Self::E {
        let c = v.as_basis_coefficients_slice();
        let c = std::array::from_fn(|i| self.witness_f(c[i]));
        self.ext_from_coeffs(c)
    }

    /// `x = 0`, or the run fails.
    fn assert_zero_f(&mut self, x: Self::F) {
        let zero = self.constant_f(Val::ZERO);
        self.assert_eq_f(x, zero);
    }
}
