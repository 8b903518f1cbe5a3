//! The native backend: variables are field values, and the first failed check is the verdict.

use p3_field::{BasedVectorSpace, Field, PrimeCharacteristicRing, PrimeField32};
use p3_koala_bear::{default_koalabear_poseidon2_16, Poseidon2KoalaBear};
use p3_symmetric::Permutation;
use thiserror::Error;

use super::{Builder, EXT_DEGREE, PERM_WIDTH};
use crate::{Challenge, Val};

/// Why a native run rejects: its first failed check, numbered in the order checks ran (the
/// same order in which a recorded program emits them).
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum Failure {
    #[error("check #{check}: {left} ≠ {right}")]
    NotEqual { check: usize, left: u32, right: u32 },
    #[error("check #{check}: the inverse of zero")]
    InverseOfZero { check: usize },
    #[error("check #{check}: {value} is not below 2^{bits}")]
    TooWide {
        check: usize,
        value: u32,
        bits: usize,
    },
}

/// Runs the verifier on values. It never stops early: after a failure the run goes on (on
/// whatever values it has), so the generic code needs no error paths, and [`Native::finish`]
/// reports the first failure.
pub struct Native {
    perm: Poseidon2KoalaBear<PERM_WIDTH>,
    checks: usize,
    first_failure: Option<Failure>,
    publics: Vec<Val>,
}

impl Default for Native {
    fn default() -> Self {
        Native {
            perm: default_koalabear_poseidon2_16(),
            checks: 0,
            first_failure: None,
            publics: Vec::new(),
        }
    }
}

impl Native {
    pub fn new() -> Self {
        Self::default()
    }

    /// The first failed check, if any (the run so far).
    pub fn failure(&self) -> Option<&Failure> {
        self.first_failure.as_ref()
    }

    /// The values exposed so far, in order.
    pub fn publics(&self) -> &[Val] {
        &self.publics
    }

    /// The verdict of the whole run.
    pub fn finish(self) -> Result<(), Failure> {
        self.first_failure.map_or(Ok(()), Err)
    }

    /// The number a little-endian bit list stands for.
    pub fn bits_value(bits: &[bool]) -> usize {
        bits.iter().rev().fold(0, |acc, &b| (acc << 1) | b as usize)
    }

    fn check(&mut self, ok: bool, failure: impl FnOnce(usize) -> Failure) {
        let check = self.checks;
        self.checks += 1;
        if !ok && self.first_failure.is_none() {
            self.first_failure = Some(failure(check));
        }
    }
}

impl Builder for Native {
    type F = Val;
    type E = Challenge;
    type Bit = bool;

    fn constant_f(&mut self, v: Val) -> Val {
        v
    }
    fn witness_f(&mut self, v: Val) -> Val {
        v
    }
    fn add_f(&mut self, a: Val, b: Val) -> Val {
        a + b
    }
    fn sub_f(&mut self, a: Val, b: Val) -> Val {
        a - b
    }
    fn mul_f(&mut self, a: Val, b: Val) -> Val {
        a * b
    }
    fn inv_f(&mut self, a: Val) -> Val {
        self.check(!a.is_zero(), |check| Failure::InverseOfZero { check });
        a.try_inverse().unwrap_or(Val::ZERO)
    }
    fn add_e(&mut self, a: Challenge, b: Challenge) -> Challenge {
        a + b
    }
    fn sub_e(&mut self, a: Challenge, b: Challenge) -> Challenge {
        a - b
    }
    fn mul_e(&mut self, a: Challenge, b: Challenge) -> Challenge {
        a * b
    }
    fn inv_e(&mut self, a: Challenge) -> Challenge {
        self.check(!a.is_zero(), |check| Failure::InverseOfZero { check });
        a.try_inverse().unwrap_or(Challenge::ZERO)
    }
    fn select_f(&mut self, bit: bool, a: Val, b: Val) -> Val {
        if bit {
            b
        } else {
            a
        }
    }
    fn ext_from_coeffs(&mut self, c: [Val; EXT_DEGREE]) -> Challenge {
        Challenge::from_basis_coefficients_fn(|i| c[i])
    }
    fn ext_coeffs(&mut self, e: Challenge) -> [Val; EXT_DEGREE] {
        let c = e.as_basis_coefficients_slice();
        std::array::from_fn(|i| c[i])
    }
    fn assert_eq_f(&mut self, a: Val, b: Val) {
        self.check(a == b, |check| Failure::NotEqual {
            check,
            left: a.as_canonical_u32(),
            right: b.as_canonical_u32(),
        });
    }
    fn bits(&mut self, x: Val, n: usize) -> Vec<bool> {
        assert!(n <= 31, "a field element has 31 bits");
        let v = x.as_canonical_u32();
        if n < 31 {
            self.check(v >> n == 0, |check| Failure::TooWide {
                check,
                value: v,
                bits: n,
            });
        }
        (0..n).map(|i| (v >> i) & 1 == 1).collect()
    }
    fn bit_f(&mut self, b: bool) -> Val {
        Val::from_bool(b)
    }
    fn value_f(&self, x: Val) -> Option<Val> {
        Some(x)
    }
    fn value_e(&self, x: Challenge) -> Option<Challenge> {
        Some(x)
    }
    fn value_bit(&self, x: bool) -> Option<bool> {
        Some(x)
    }
    fn poseidon2(&mut self, mut state: [Val; PERM_WIDTH]) -> [Val; PERM_WIDTH] {
        self.perm.permute_mut(&mut state);
        state
    }
    fn public(&mut self, x: Val) {
        self.publics.push(x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p3_field::PrimeCharacteristicRing;

    #[test]
    fn the_first_failure_is_the_verdict() {
        let mut b = Native::new();
        let (one, two) = (b.constant_f(Val::ONE), b.constant_f(Val::TWO));
        b.assert_eq_f(one, one);
        assert!(b.failure().is_none());
        let _ = b.bits(two, 1);
        b.assert_eq_f(one, two);
        assert_eq!(
            b.finish(),
            Err(Failure::TooWide {
                check: 1,
                value: 2,
                bits: 1
            })
        );
    }

    #[test]
    fn bits_are_little_endian_and_canonical() {
        let mut b = Native::new();
        let x = b.witness_f(Val::from_u32(0b1011));
        assert_eq!(b.bits(x, 4), [true, true, false, true]);
        let p_minus_1 = b.witness_f(Val::NEG_ONE);
        let all = b.bits(p_minus_1, 31);
        assert_eq!(Native::bits_value(&all) as u32, Val::ORDER_U32 - 1);
        b.finish().unwrap();
    }
}
