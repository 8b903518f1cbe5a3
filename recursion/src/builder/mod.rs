//! The seam between the verifier's logic and what runs it.
//!
//! A backend decides what a variable is: a field value ([`native::Native`]), or an id in a
//! recorded program. The verifier never branches on a variable's value — its control flow is
//! fixed by the proof's shape — so one run of the generic code over a recording backend is the
//! whole recursion program. Every method that can fail (an assertion, a range check) fails the
//! backend's run, never the caller: the native backend reports its first failure when it
//! finishes, a recording backend emits a constraint.

pub mod native;
pub mod recorder;

use crate::{Challenge, Val};
use p3_field::{BasedVectorSpace, PrimeCharacteristicRing, TwoAdicField};

/// Width of the Poseidon2 permutation the transcript and the Merkle trees use.
pub const PERM_WIDTH: usize = 16;
/// Degree of the challenge field over the base field.
pub const EXT_DEGREE: usize = 4;
/// Elements in a Merkle digest (and in the sponge's rate).
pub const DIGEST_ELEMS: usize = 8;

/// A Merkle digest over builder variables.
pub type Digest<B> = [<B as Builder>::F; DIGEST_ELEMS];

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
    /// `1/a`; `a = 0` fails the run (an inverse is never a free output).
    fn inv_f(&mut self, a: Self::F) -> Self::F;
    fn add_e(&mut self, a: Self::E, b: Self::E) -> Self::E;
    fn sub_e(&mut self, a: Self::E, b: Self::E) -> Self::E;
    fn mul_e(&mut self, a: Self::E, b: Self::E) -> Self::E;
    /// `1/a`; `a = 0` fails the run.
    fn inv_e(&mut self, a: Self::E) -> Self::E;
    /// `a` where `bit` is 0, `b` where it is 1.
    fn select_f(&mut self, bit: Self::Bit, a: Self::F, b: Self::F) -> Self::F;
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
    /// Exposes `x` as the program's next public value: a proof of the program states it, and
    /// whoever checks that proof supplies it.
    fn public(&mut self, x: Self::F);

    /// A variable's value, where the backend has one (not when it only records a program's
    /// shape). Only hints read it — data the verifier then checks, such as the Merkle paths
    /// restored from a pruned multi-opening — never the verifier's control flow.
    fn value_f(&self, x: Self::F) -> Option<Val>;
    fn value_e(&self, x: Self::E) -> Option<Challenge>;
    fn value_bit(&self, x: Self::Bit) -> Option<bool>;

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

    fn constant_e(&mut self, v: Challenge) -> Self::E {
        let c = v.as_basis_coefficients_slice();
        let c = std::array::from_fn(|i| self.constant_f(c[i]));
        self.ext_from_coeffs(c)
    }

    /// A base-field element in the extension.
    fn base_to_ext(&mut self, x: Self::F) -> Self::E {
        let zero = self.constant_f(Val::ZERO);
        self.ext_from_coeffs([x, zero, zero, zero])
    }

    /// An extension element times a base-field element.
    fn mul_ef(&mut self, a: Self::E, x: Self::F) -> Self::E {
        let x = self.base_to_ext(x);
        self.mul_e(a, x)
    }

    /// `a = b`, or the run fails.
    fn assert_eq_e(&mut self, a: Self::E, b: Self::E) {
        let (a, b) = (self.ext_coeffs(a), self.ext_coeffs(b));
        for (x, y) in a.into_iter().zip(b) {
            self.assert_eq_f(x, y);
        }
    }

    fn select_e(&mut self, bit: Self::Bit, a: Self::E, b: Self::E) -> Self::E {
        let (a, b) = (self.ext_coeffs(a), self.ext_coeffs(b));
        let c = std::array::from_fn(|i| self.select_f(bit, a[i], b[i]));
        self.ext_from_coeffs(c)
    }

    /// `g^rev(bits)` for the generator `g` of the subgroup of order `2^bits.len()`, with
    /// `bits` least significant first (so bit `i` of `n` contributes `g^(2^(n-1-i))`).
    fn exp_reverse_bits(&mut self, bits: &[Self::Bit]) -> Self::F {
        self.exp_reverse_bits_of(Val::two_adic_generator(bits.len()), bits)
    }

    /// `base^rev(bits)`, bit `i` of `n` contributing `base^(2^(n-1-i))`.
    fn exp_reverse_bits_of(&mut self, base: Val, bits: &[Self::Bit]) -> Self::F {
        let n = bits.len();
        let one = self.constant_f(Val::ONE);
        let mut acc = one;
        for (i, &bit) in bits.iter().enumerate() {
            let power = self.constant_f(base.exp_power_of_2(n - 1 - i));
            let factor = self.select_f(bit, one, power);
            acc = self.mul_f(acc, factor);
        }
        acc
    }

    /// The Merkle tree's 2-to-1 compression (Plonky3's `TruncatedPermutation`): the first 8
    /// elements of the permutation of `left ‖ right`.
    fn compress(&mut self, left: Digest<Self>, right: Digest<Self>) -> Digest<Self>
    where
        Self: Sized,
    {
        let mut state = [left[0]; PERM_WIDTH];
        state[..DIGEST_ELEMS].copy_from_slice(&left);
        state[DIGEST_ELEMS..].copy_from_slice(&right);
        let out = self.poseidon2(state);
        std::array::from_fn(|i| out[i])
    }

    /// One Merkle level: `compress(node, sibling)` where `bit` is 0 (the node is a left
    /// child), `compress(sibling, node)` where it is 1.
    fn compress_ordered(
        &mut self,
        node: Digest<Self>,
        sibling: Digest<Self>,
        bit: Self::Bit,
    ) -> Digest<Self>
    where
        Self: Sized,
    {
        let left = std::array::from_fn(|i| self.select_f(bit, node[i], sibling[i]));
        let right = std::array::from_fn(|i| self.select_f(bit, sibling[i], node[i]));
        self.compress(left, right)
    }
}
