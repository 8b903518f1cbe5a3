//! Bit decompositions: `x = Σ 2^i·b_i` with every `b_i` boolean, bits at or above `n` zero
//! (so `x < 2^n`), and — what makes a 31-bit decomposition unique — the integer value below
//! p = 2^31 − 2^24 + 1: where bits 24..30 are all set, bits 0..23 are all clear. Without that
//! rule, `x + p` also fits 31 bits whenever `x < 2^24 − 1`, and a verifier that draws query
//! indices or checks a grind from the bits would accept either. Each bit is written as its own
//! cell (`first + i`), for selects and exponentiations to read.

use std::mem::size_of;

use p3_air::{Air, AirBuilder, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;

use super::{base_cell, preprocessed_chip, read, write, Preprocessed};
use crate::{cols, F};

/// Bits of a decomposition (a field element has 31).
pub const NUM_BITS: usize = 31;
/// The low bits that must be clear when every high bit is set (`p − 1 = 2^31 − 2^24`).
pub const LOW_BITS: usize = 24;

#[repr(C)]
pub struct BitsPreCols<T> {
    pub x: T,
    /// Address of bit 0; bit `i` is at `first + i`.
    pub first: T,
    pub is_real: T,
    /// 1 for the bits the decomposition may set (`i < n`).
    pub allowed: [T; NUM_BITS],
    pub mults: [T; NUM_BITS],
}

#[repr(C)]
pub struct BitsCols<T> {
    pub x: T,
    pub bits: [T; NUM_BITS],
    /// `high[k] = b_24·…·b_(25+k)`: `high[5]` is 1 exactly when bits 24..30 are all set.
    pub high: [T; NUM_BITS - LOW_BITS - 1],
}

pub const NUM_PRE_COLS: usize = size_of::<BitsPreCols<u8>>();
pub const NUM_COLS: usize = size_of::<BitsCols<u8>>();

#[derive(Clone, Debug)]
pub struct BitsChip {
    pub pre: Preprocessed,
}

preprocessed_chip!(BitsChip, NUM_COLS, NUM_PRE_COLS);

impl<AB: AirBuilder<F = F> + InteractionBuilder> Air<AB> for BitsChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &BitsCols<AB::Var> = cols(main.current_slice());
        let pre = b.preprocessed().clone();
        let p: &BitsPreCols<AB::Var> = cols(pre.current_slice());
        let mut sum = AB::Expr::ZERO;
        let mut low = AB::Expr::ZERO;
        for i in 0..NUM_BITS {
            b.assert_bool(l.bits[i]);
            b.assert_zero((AB::Expr::ONE - p.allowed[i]) * l.bits[i]);
            sum += AB::Expr::from(F::from_u32(1 << i)) * l.bits[i];
            if i < LOW_BITS {
                low += l.bits[i].into();
            }
        }
        b.assert_eq(l.x, sum);
        b.assert_eq(l.high[0], l.bits[LOW_BITS] * l.bits[LOW_BITS + 1]);
        for k in 1..l.high.len() {
            b.assert_eq(l.high[k], l.high[k - 1] * l.bits[LOW_BITS + 1 + k]);
        }
        // A sum of 24 booleans is zero only when each is (24 < p).
        b.assert_zero(l.high[l.high.len() - 1] * low);

        read(b, p.x, base_cell(l.x), p.is_real);
        for i in 0..NUM_BITS {
            let addr = p.first + AB::Expr::from(F::from_u32(i as u32));
            write(b, addr, base_cell(l.bits[i]), p.mults[i]);
        }
    }
}

/// One decomposition: `x`'s address, bit 0's address, the bit count, each bit's read count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BitsRow {
    pub x: u32,
    pub first: u32,
    pub n: u8,
    pub mults: [u32; NUM_BITS],
}

impl BitsRow {
    pub(crate) fn pre(&self) -> [F; NUM_PRE_COLS] {
        let mut row = [F::ZERO; NUM_PRE_COLS];
        row[0] = F::from_u32(self.x);
        row[1] = F::from_u32(self.first);
        row[2] = F::ONE;
        for i in 0..NUM_BITS {
            row[3 + i] = F::from_bool(i < self.n as usize);
            row[3 + NUM_BITS + i] = F::from_u32(self.mults[i]);
        }
        row
    }

    pub(crate) fn main(&self, mem: &[[F; 4]]) -> [F; NUM_COLS] {
        use p3_field::PrimeField32;
        let x = mem[self.x as usize][0];
        bits_main(x.as_canonical_u32())
    }
}

/// The main row decomposing the canonical value `x`.
pub fn bits_main(x: u32) -> [F; NUM_COLS] {
    let mut row = [F::ZERO; NUM_COLS];
    row[0] = F::from_u32(x);
    let bit = |i: usize| (x >> i) & 1;
    for i in 0..NUM_BITS {
        row[1 + i] = F::from_u32(bit(i));
    }
    let mut high = bit(LOW_BITS) * bit(LOW_BITS + 1);
    for k in 0..NUM_BITS - LOW_BITS - 1 {
        if k > 0 {
            high *= bit(LOW_BITS + 1 + k);
        }
        row[1 + NUM_BITS + k] = F::from_u32(high);
    }
    row
}
