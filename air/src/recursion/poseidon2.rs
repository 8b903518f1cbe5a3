//! The Poseidon2 permutation of width 16 with Plonky3's KoalaBear constants — the one the
//! transcript and the Merkle trees use — one permutation per row: the input, each full
//! round's output and each partial round's S-box output are columns (164 in all), so every
//! constraint has degree 3 (the S-box `x^3` of a linear expression). The constraints hold on
//! every row, padding included (padding rows permute zero), so no selector raises the degree.
//! Inputs are read from memory, outputs written for their readers.

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
}

#[repr(C)]
pub struct Poseidon2Cols<T> {
    pub input: [T; WIDTH],
    pub beginning: [[T; WIDTH]; HALF_FULL],
    pub partial: [T; PARTIAL],
    pub ending: [[T; WIDTH]; HALF_FULL],
}

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
        let l: &Poseidon2Cols<AB::Var> = cols(main.current_slice());
        let pre = b.preprocessed().clone();
        let p: &Poseidon2PreCols<AB::Var> = cols(pre.current_slice());

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
            read(b, p.input[i], base_cell(l.input[i]), p.is_real);
            write(b, p.output[i], base_cell(o), p.mults[i]);
        }
    }
}

/// The main row permuting `input` (its last 16 columns are the permutation's output).
pub fn permutation_row(input: [F; WIDTH]) -> [F; NUM_COLS] {
    let mut row = [F::ZERO; NUM_COLS];
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

/// The permutation's output in a main row.
pub fn output_of(row: &[F; NUM_COLS]) -> [F; WIDTH] {
    std::array::from_fn(|i| row[NUM_COLS - WIDTH + i])
}

/// One permutation: the input cells, the output cells, each output's read count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Poseidon2Row {
    pub input: [u32; WIDTH],
    pub output: [u32; WIDTH],
    pub mults: [u32; WIDTH],
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
        row
    }

    pub(crate) fn main(&self, mem: &[[F; 4]]) -> [F; NUM_COLS] {
        permutation_row(self.input.map(|a| mem[a as usize][0]))
    }
}
