//! The Poseidon2 permutation of width 16 with Plonky3's KoalaBear constants — the one the
//! transcript and the Merkle trees use — one permutation per row: the input, each full
//! round's output and each partial round's S-box output are columns (164 in all), so every
//! constraint has degree 3 (the S-box `x^3` of a linear expression). The constraints hold on
//! every row, padding included (padding rows permute zero), so no selector raises the degree.
//! Inputs are read from memory, outputs written for their readers.
//!
//! A row may also *order* its input, as a Merkle path's step does: with a bit `s` read from
//! memory, the permutation's input is `(left, right)` for `s = 0` and `(right, left)` for
//! `s = 1`, where `left ‖ right` are the sixteen cells read. Rows without a bit have `s = 0`
//! (constrained), so their input is what they read. This puts a path's left/right choice in
//! the permutation's row instead of sixteen select rows.

use std::mem::size_of;

use p3_air::{Air, AirBuilder, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_koala_bear::{
    GenericPoseidon2LinearLayersKoalaBear as Layers, KOALABEAR_POSEIDON2_HALF_FULL_ROUNDS,
    KOALABEAR_POSEIDON2_PARTIAL_ROUNDS_16, KOALABEAR_POSEIDON2_RC_16_EXTERNAL_FINAL,
    KOALABEAR_POSEIDON2_RC_16_EXTERNAL_INITIAL, KOALABEAR_POSEIDON2_RC_16_INTERNAL,
};
use p3_lookup::InteractionBuilder;
use p3_poseidon2::GenericPoseidon2LinearLayers;

use super::{base_cell, preprocessed_chip, read, write, Preprocessed};
use crate::{cols, F};

pub const WIDTH: usize = 16;
const HALF_FULL: usize = KOALABEAR_POSEIDON2_HALF_FULL_ROUNDS;
const PARTIAL: usize = KOALABEAR_POSEIDON2_PARTIAL_ROUNDS_16;

#[repr(C)]
pub struct Poseidon2PreCols<T> {
    pub input: [T; WIDTH],
    pub output: [T; WIDTH],
    pub mults: [T; WIDTH],
    pub is_real: T,
    /// The ordering bit's cell, read where `has_swap` is 1.
    pub swap: T,
    pub has_swap: T,
}

/// The permutation: its input, each full round's output, each partial round's S-box output.
#[repr(C)]
pub struct PermCols<T> {
    pub input: [T; WIDTH],
    pub beginning: [[T; WIDTH]; HALF_FULL],
    pub partial: [T; PARTIAL],
    pub ending: [[T; WIDTH]; HALF_FULL],
}

#[repr(C)]
pub struct Poseidon2Cols<T> {
    /// The cells read, in program order (`left ‖ right`).
    pub read: [T; WIDTH],
    /// The ordering bit (0 on rows without one).
    pub swap: T,
    pub perm: PermCols<T>,
}

/// Columns of the permutation alone.
pub const PERM_COLS: usize = size_of::<PermCols<u8>>();

pub const NUM_PRE_COLS: usize = size_of::<Poseidon2PreCols<u8>>();
pub const NUM_COLS: usize = size_of::<Poseidon2Cols<u8>>();

#[derive(Clone, Debug)]
pub struct Poseidon2Chip {
    pub pre: Preprocessed,
}

preprocessed_chip!(Poseidon2Chip, NUM_COLS, NUM_PRE_COLS);

/// One full round: constants, the S-box on every element, the external layer.
fn full_round<R: PrimeCharacteristicRing + From<F>>(state: &mut [R; WIDTH], rc: &[F; WIDTH]) {
    for (s, &c) in state.iter_mut().zip(rc) {
        *s = (s.clone() + R::from(c)).cube();
    }
    Layers::external_linear_layer(state);
}

/// A partial round's S-box input and output are handled by the caller; this is the rest.
fn partial_sbox_input<R: PrimeCharacteristicRing + From<F>>(state: &[R; WIDTH], r: usize) -> R {
    state[0].clone() + R::from(KOALABEAR_POSEIDON2_RC_16_INTERNAL[r])
}

impl<AB: AirBuilder<F = F> + InteractionBuilder> Air<AB> for Poseidon2Chip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let row: &Poseidon2Cols<AB::Var> = cols(main.current_slice());
        let pre = b.preprocessed().clone();
        let p: &Poseidon2PreCols<AB::Var> = cols(pre.current_slice());

        // The permutation's input: what was read, in order or swapped by the bit.
        let half = WIDTH / 2;
        b.assert_zero((AB::Expr::ONE - p.has_swap) * row.swap);
        for i in 0..WIDTH {
            let (own, other) = (row.read[i], row.read[(i + half) % WIDTH]);
            b.assert_eq(row.perm.input[i], own + row.swap * (other - own));
        }

        let l = &row.perm;
        let mut state: [AB::Expr; WIDTH] = l.input.map(Into::into);
        Layers::external_linear_layer(&mut state);
        for (r, post) in l.beginning.iter().enumerate() {
            full_round(&mut state, &KOALABEAR_POSEIDON2_RC_16_EXTERNAL_INITIAL[r]);
            for (s, &c) in state.iter_mut().zip(post) {
                b.assert_eq(s.clone(), c);
                *s = c.into();
            }
        }
        for (r, &post) in l.partial.iter().enumerate() {
            let x = partial_sbox_input(&state, r);
            b.assert_eq(x.cube(), post);
            state[0] = post.into();
            Layers::internal_linear_layer(&mut state);
        }
        for (r, post) in l.ending.iter().enumerate() {
            full_round(&mut state, &KOALABEAR_POSEIDON2_RC_16_EXTERNAL_FINAL[r]);
            for (s, &c) in state.iter_mut().zip(post) {
                b.assert_eq(s.clone(), c);
                *s = c.into();
            }
        }

        let out = &l.ending[HALF_FULL - 1];
        for (i, &o) in out.iter().enumerate() {
            read(b, p.input[i], base_cell(row.read[i]), p.is_real);
            write(b, p.output[i], base_cell(o), p.mults[i]);
        }
        read(b, p.swap, base_cell(row.swap), p.has_swap);
    }
}

/// The permutation's columns for `input` (the last 16 are its output).
pub fn permutation_row(input: [F; WIDTH]) -> [F; PERM_COLS] {
    let mut row = [F::ZERO; PERM_COLS];
    row[..WIDTH].copy_from_slice(&input);
    let mut at = WIDTH;
    let mut state = input;
    Layers::external_linear_layer(&mut state);
    for rc in &KOALABEAR_POSEIDON2_RC_16_EXTERNAL_INITIAL {
        full_round(&mut state, rc);
        row[at..at + WIDTH].copy_from_slice(&state);
        at += WIDTH;
    }
    for r in 0..PARTIAL {
        state[0] = partial_sbox_input(&state, r).cube();
        row[at] = state[0];
        at += 1;
        Layers::internal_linear_layer(&mut state);
    }
    for rc in &KOALABEAR_POSEIDON2_RC_16_EXTERNAL_FINAL {
        full_round(&mut state, rc);
        row[at..at + WIDTH].copy_from_slice(&state);
        at += WIDTH;
    }
    row
}

/// The permutation's output in its columns (or in a main row, whose last columns they are).
pub fn output_of(row: &[F]) -> [F; WIDTH] {
    std::array::from_fn(|i| row[row.len() - WIDTH + i])
}

/// The main row that reads `read` and orders it by `swap`.
pub fn main_row(read: [F; WIDTH], swap: bool) -> [F; NUM_COLS] {
    let half = WIDTH / 2;
    let input = std::array::from_fn(|i| {
        if swap {
            read[(i + half) % WIDTH]
        } else {
            read[i]
        }
    });
    let mut row = [F::ZERO; NUM_COLS];
    row[..WIDTH].copy_from_slice(&read);
    row[WIDTH] = F::from_bool(swap);
    row[WIDTH + 1..].copy_from_slice(&permutation_row(input));
    row
}

/// One permutation: the input cells, the output cells, each output's read count, and the
/// ordering bit's cell, if the row orders its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Poseidon2Row {
    pub input: [u32; WIDTH],
    pub output: [u32; WIDTH],
    pub mults: [u32; WIDTH],
    pub swap: Option<u32>,
}

impl Poseidon2Row {
    pub(crate) fn pre(&self) -> [F; NUM_PRE_COLS] {
        let mut row = [F::ZERO; NUM_PRE_COLS];
        for i in 0..WIDTH {
            row[i] = F::from_u32(self.input[i]);
            row[WIDTH + i] = F::from_u32(self.output[i]);
            row[2 * WIDTH + i] = F::from_u32(self.mults[i]);
        }
        row[3 * WIDTH] = F::ONE;
        row[3 * WIDTH + 1] = F::from_u32(self.swap.unwrap_or(0));
        row[3 * WIDTH + 2] = F::from_bool(self.swap.is_some());
        row
    }

    pub(crate) fn main(&self, mem: &[[F; 4]]) -> [F; NUM_COLS] {
        let swap = self.swap.is_some_and(|c| mem[c as usize][0] == F::ONE);
        main_row(self.input.map(|a| mem[a as usize][0]), swap)
    }
}
