//! The recursion machine's chips on their own: each computes exactly what Plonky3 computes
//! (the permutation, the extension's product), honest rows satisfy every constraint and
//! balance the memory bus, and the traps a recursion chip must close are closed — a 31-bit
//! decomposition of `x + p`, a "bit" of 2, a wrong product, a written value nobody wrote.

use mipstark_air::debug::{check_buses, check_chip, DebugError, Interaction};
use mipstark_air::recursion::base_alu::{BaseAluRow, BaseOp};
use mipstark_air::recursion::bits::{bits_main, BitsRow, NUM_BITS};
use mipstark_air::recursion::ext_alu::{ext_mul, ExtAluRow, ExtOp};
use mipstark_air::recursion::mem::MemRow;
use mipstark_air::recursion::pack::PackRow;
use mipstark_air::recursion::poseidon2::{
    self, main_row, output_of, permutation_row, Poseidon2Row, WIDTH,
};
use mipstark_air::recursion::program::RecursionProgram;
use mipstark_air::recursion::public::PublicRow;
use mipstark_air::recursion::RecursionChip;
use mipstark_air::{F, F_ORDER};
use p3_air::BaseAir;
use p3_field::extension::BinomialExtensionField;
use p3_field::{BasedVectorSpace, Field, PrimeCharacteristicRing};
use p3_koala_bear::default_koalabear_poseidon2_16;
use p3_matrix::dense::RowMajorMatrix;
use p3_symmetric::Permutation;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

type Ext = BinomialExtensionField<F, 4>;

fn random_f(rng: &mut impl Rng) -> F {
    F::from_u32(rng.gen_range(0..F_ORDER))
}

#[test]
fn the_permutation_row_is_plonky3s_permutation() {
    let perm = default_koalabear_poseidon2_16();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let zero = [F::ZERO; WIDTH];
    let mut inputs = vec![zero];
    inputs.extend((0..20).map(|_| std::array::from_fn(|_| random_f(&mut rng))));
    for input in inputs {
        assert_eq!(output_of(&permutation_row(input)), perm.permute(input));
    }
}

#[test]
fn the_extension_product_is_plonky3s() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    for _ in 0..50 {
        let a: [F; 4] = std::array::from_fn(|_| random_f(&mut rng));
        let b: [F; 4] = std::array::from_fn(|_| random_f(&mut rng));
        let (ea, eb) = (
            Ext::from_basis_coefficients_slice(&a).unwrap(),
            Ext::from_basis_coefficients_slice(&b).unwrap(),
        );
        assert_eq!(ext_mul(&a, &b), (ea * eb).as_basis_coefficients_slice());
    }
}

/// A program with every kind of row, and its memory (cells numbered as laid out below).
fn sample() -> (RecursionProgram, Vec<[F; 4]>) {
    let base = |x: F| [x, F::ZERO, F::ZERO, F::ZERO];
    let (x, y) = (F::from_u32(0x0012_3456), F::from_u32(7));
    let (cx, cy, sum, inv) = (0, 1, 2, 3);
    let first = 4; // 31 bit cells
    let sel = 35;
    let k = 36; // 4 constants
    let (ca, sq, coords, diff, out) = (40, 41, 42, 46, 47);
    let ea = [1, 2, 3, 4].map(F::from_u32);
    let esq = ext_mul(&ea, &ea);
    let perm_out = output_of(&permutation_row([x; WIDTH]));
    let mut cells = vec![base(x), base(y), base(x + y), base(y.inverse())];
    cells.extend((0..NUM_BITS).map(|i| base(F::from_u32((0x0012_3456 >> i) & 1))));
    cells.push(base(y));
    cells.extend(ea.map(base));
    cells.push(ea);
    cells.push(esq);
    cells.extend(esq.map(base));
    cells.push(base(y));
    cells.extend(perm_out.map(base));
    let base_row = |op, a, b, c, out, mult| BaseAluRow {
        op,
        a,
        b,
        c,
        out,
        mult,
    };
    let program = RecursionProgram {
        mem: vec![
            MemRow {
                addr: cx,
                mult: 4 + WIDTH as u32,
                constant: Some(0x0012_3456),
            },
            MemRow {
                addr: cy,
                mult: 6,
                constant: None,
            },
            MemRow {
                addr: k,
                mult: 1,
                constant: Some(1),
            },
            MemRow {
                addr: k + 1,
                mult: 1,
                constant: Some(2),
            },
            MemRow {
                addr: k + 2,
                mult: 1,
                constant: Some(3),
            },
            MemRow {
                addr: k + 3,
                mult: 1,
                constant: Some(4),
            },
        ],
        base_alu: vec![
            base_row(BaseOp::Add, cx, cy, 0, sum, 1),
            base_row(BaseOp::Inv, cy, 0, 0, inv, 0),
            base_row(BaseOp::Select, cx, cy, first + 1, sel, 1),
            base_row(BaseOp::AssertEq, sel, cy, 0, 0, 0),
            base_row(BaseOp::Sub, sum, cx, 0, diff, 1),
            base_row(BaseOp::AssertEq, diff, cy, 0, 0, 0),
            base_row(BaseOp::AssertEq, coords, coords, 0, 0, 0),
        ],
        ext_alu: vec![ExtAluRow {
            op: ExtOp::Mul,
            a: ca,
            b: ca,
            out: sq,
            mult: 1,
        }],
        pack: vec![
            PackRow {
                unpack: false,
                ext: ca,
                coeffs: [k, k + 1, k + 2, k + 3],
                ext_mult: 2,
                coeff_mults: [0; 4],
            },
            PackRow {
                unpack: true,
                ext: sq,
                coeffs: [coords, coords + 1, coords + 2, coords + 3],
                ext_mult: 0,
                coeff_mults: [2, 0, 0, 0],
            },
        ],
        bits: vec![BitsRow {
            x: cx,
            first,
            n: 24,
            mults: std::array::from_fn(|i| u32::from(i == 1)),
        }],
        poseidon2: vec![Poseidon2Row {
            input: [cx; WIDTH],
            output: std::array::from_fn(|i| out + i as u32),
            mults: [0; WIDTH],
            swap: None,
        }],
        public: vec![PublicRow { addr: cy }],
        num_cells: cells.len() as u32,
        min_log_heights: Default::default(),
    };
    program.check_layout().unwrap();
    (program, cells)
}

/// Checks every chip's constraints and the memory bus on `traces`, with the sample's public
/// value (7).
fn check(program: &RecursionProgram, traces: &[RowMajorMatrix<F>]) -> Result<(), DebugError> {
    check_with(program, traces, &[F::from_u32(7)])
}

fn check_with(
    program: &RecursionProgram,
    traces: &[RowMajorMatrix<F>],
    publics: &[F],
) -> Result<(), DebugError> {
    let chips = program.chips();
    let mut all: Vec<(String, Vec<Interaction>)> = Vec::new();
    for (chip, main) in chips.iter().zip(traces) {
        let pv = if chip.name() == "rec_public" {
            publics
        } else {
            &[]
        };
        let pre = BaseAir::<F>::preprocessed_trace(chip);
        let ints = check_chip(chip.name(), chip, main, pre.as_ref(), pv)?;
        all.push((chip.name().to_string(), ints));
    }
    let view: Vec<(&str, &[Interaction])> = all.iter().map(|(n, i)| (n.as_str(), &i[..])).collect();
    check_buses(&view)
}

#[test]
fn honest_rows_satisfy_every_chip_and_balance_memory() {
    let (program, cells) = sample();
    check(&program, &program.traces(&cells)).unwrap();
}

/// The index of `chip`'s instance.
fn index(program: &RecursionProgram, name: &str) -> usize {
    program
        .chips()
        .iter()
        .position(|c: &RecursionChip| c.name() == name)
        .unwrap()
}

#[test]
fn a_noncanonical_decomposition_is_rejected() {
    // x < 2^24 − 1, so x + p fits 31 bits: its bits satisfy booleanity and the sum mod p.
    let (mut program, cells) = sample();
    program.bits[0].n = 31;
    let mut traces = program.traces(&cells);
    check(&program, &traces).unwrap();
    let t = index(&program, "rec_bits");
    // Bit 1, the one the select reads, is the same in both decompositions.
    let forged = bits_main(0x0012_3456 + F_ORDER);
    traces[t].values[..forged.len()].copy_from_slice(&forged);
    assert!(matches!(
        check(&program, &traces),
        Err(DebugError::Constraint { .. })
    ));
}

#[test]
fn a_bit_of_two_is_rejected() {
    let (program, cells) = sample();
    let mut traces = program.traces(&cells);
    let t = index(&program, "rec_bits");
    let w = traces[t].width;
    let row = &mut traces[t].values[..w];
    // 0x123456 has bit 1 set and bit 2 set; move bit 2's weight onto bit 1 as the value 3.
    row[1 + 1] = F::from_u32(3);
    row[1 + 2] = F::ZERO;
    // 2·3 = 6 = 2 + 4: the sum is unchanged.
    assert!(matches!(
        check(&program, &traces),
        Err(DebugError::Constraint { .. })
    ));
}

#[test]
fn a_wrong_result_is_caught() {
    let (program, cells) = sample();
    for (chip, col) in [
        ("rec_base_alu", 3),
        ("rec_ext_alu", 8),
        ("rec_poseidon2", poseidon2::NUM_COLS - 1),
    ] {
        let mut traces = program.traces(&cells);
        let t = index(&program, chip);
        traces[t].values[col] += F::ONE;
        assert!(check(&program, &traces).is_err(), "{chip} column {col}");
    }
}

#[test]
fn a_reader_seeing_another_value_is_caught() {
    let (program, mut cells) = sample();
    // The witness row writes the original value; its readers see another.
    let honest = program.traces(&cells);
    cells[1][0] += F::ONE;
    let mut traces = program.traces(&cells);
    let mem = index(&program, "rec_mem");
    traces[mem] = honest[mem].clone();
    assert!(check(&program, &traces).is_err());
}

/// `chip`'s own constraints on its trace in `traces`.
fn check_one(
    program: &RecursionProgram,
    traces: &[RowMajorMatrix<F>],
    name: &str,
) -> Result<Vec<Interaction>, DebugError> {
    let t = index(program, name);
    let chip = &program.chips()[t];
    let pre = BaseAir::<F>::preprocessed_trace(chip);
    check_chip(name, chip, &traces[t], pre.as_ref(), &[])
}

#[test]
fn an_inverse_of_zero_has_no_row() {
    // Whatever `out` holds, `out·0 = 1` fails: the base inverse (row 1) of a zero operand...
    let (program, cells) = sample();
    let mut traces = program.traces(&cells);
    let t = index(&program, "rec_base_alu");
    let w = traces[t].width;
    traces[t].values[w] = F::ZERO;
    for out in [F::ZERO, F::ONE, F::from_u32(7)] {
        traces[t].values[w + 3] = out;
        let r = check_one(&program, &traces, "rec_base_alu");
        assert!(matches!(r, Err(DebugError::Constraint { row: 1, .. })));
    }
    // ... and the extension inverse.
    let (mut program, cells) = sample();
    program.ext_alu[0].op = ExtOp::Inv;
    let mut traces = program.traces(&cells);
    let t = index(&program, "rec_ext_alu");
    traces[t].values[..4].copy_from_slice(&[F::ZERO; 4]);
    let r = check_one(&program, &traces, "rec_ext_alu");
    assert!(matches!(r, Err(DebugError::Constraint { row: 0, .. })));
}

#[test]
fn a_bit_past_the_width_is_rejected() {
    // n = 24: setting bit 24 (and adding 2^24 to x) keeps the sum, but not the range.
    let (program, cells) = sample();
    let mut traces = program.traces(&cells);
    let t = index(&program, "rec_bits");
    traces[t].values[1 + 24] = F::ONE;
    traces[t].values[0] += F::from_u32(1 << 24);
    let r = check_one(&program, &traces, "rec_bits");
    assert!(matches!(r, Err(DebugError::Constraint { .. })));
}

#[test]
fn a_packed_coordinate_other_than_its_cell_unbalances_memory() {
    let (program, cells) = sample();
    let mut traces = program.traces(&cells);
    let t = index(&program, "rec_pack");
    traces[t].values[2] += F::ONE; // the pack row's coordinate 2
    assert!(matches!(
        check(&program, &traces),
        Err(DebugError::Bus { .. })
    ));
}

#[test]
fn the_public_chip_states_the_exposed_cell() {
    let (program, cells) = sample();
    let traces = program.traces(&cells);
    assert_eq!(program.publics(&cells), vec![F::from_u32(7)]);
    check(&program, &traces).unwrap();
    // Another stated value fails the chip; a trace agreeing with it fails the bus.
    assert!(matches!(
        check_with(&program, &traces, &[F::from_u32(8)]),
        Err(DebugError::Constraint { .. })
    ));
    let mut forged = traces.clone();
    let t = index(&program, "rec_public");
    forged[t].values[0] = F::from_u32(8);
    assert!(matches!(
        check_with(&program, &forged, &[F::from_u32(8)]),
        Err(DebugError::Bus { .. })
    ));
}

#[test]
fn an_ordered_row_swaps_its_input_by_the_bit() {
    let (mut program, mut cells) = sample();
    let base = |x: F| [x, F::ZERO, F::ZERO, F::ZERO];
    let (x, y) = (cells[0][0], cells[1][0]);
    // Reads x ×8 ‖ y ×8; bit 1 of x (cell 5) is 1, so it permutes y ×8 ‖ x ×8.
    let swapped: [F; WIDTH] = std::array::from_fn(|i| if i < WIDTH / 2 { y } else { x });
    let expected = output_of(&permutation_row(swapped));
    let first_out = cells.len() as u32;
    cells.extend(expected.map(base));
    program.poseidon2.push(Poseidon2Row {
        input: std::array::from_fn(|i| u32::from(i >= WIDTH / 2)),
        output: std::array::from_fn(|i| first_out + i as u32),
        mults: [0; WIDTH],
        swap: Some(5),
    });
    program.num_cells = cells.len() as u32;
    program.mem[0].mult += 8;
    program.mem[1].mult += 8;
    program.bits[0].mults[1] += 1;
    program.check_layout().unwrap();
    let traces = program.traces(&cells);
    check(&program, &traces).unwrap();
    let t = index(&program, "rec_poseidon2");
    let w = traces[t].width;
    assert_eq!(output_of(&traces[t].values[w..2 * w]), expected);

    // The ordered row claiming the bit is 0 (a consistent permutation of the unswapped
    // input): the bit's cell holds 1, so memory does not balance.
    let read: [F; WIDTH] = std::array::from_fn(|i| traces[t].values[w + i]);
    let mut forged = traces.clone();
    forged[t].values[w..2 * w].copy_from_slice(&main_row(read, false));
    assert!(matches!(
        check(&program, &forged),
        Err(DebugError::Bus { .. })
    ));
    // The bit read honestly as 1, but the permutation computed on the unswapped input.
    let mut forged = traces.clone();
    let honest_swap = forged[t].values[w + WIDTH];
    assert_eq!(honest_swap, F::ONE);
    forged[t].values[w + WIDTH + 1..2 * w].copy_from_slice(&permutation_row(read));
    assert!(matches!(
        check_one(&program, &forged, "rec_poseidon2"),
        Err(DebugError::Constraint { row: 1, .. })
    ));
    // A row without a bit that swaps anyway: its own constraint.
    let read: [F; WIDTH] = std::array::from_fn(|i| traces[t].values[i]);
    let mut forged = traces.clone();
    forged[t].values[..w].copy_from_slice(&main_row(read, true));
    assert!(matches!(
        check_one(&program, &forged, "rec_poseidon2"),
        Err(DebugError::Constraint { row: 0, .. })
    ));
}

#[test]
fn a_bit_read_from_a_cell_the_bits_chip_does_not_write_is_a_layout_error() {
    use mipstark_air::recursion::program::LayoutError;
    let (mut program, _) = sample();
    program.check_layout().unwrap();
    // The select's bit pointed at the witness cell (y): still one writer per cell, but the
    // value read as a bit would be free.
    program.base_alu[2].c = 1;
    program.mem[1].mult += 1;
    program.bits[0].mults[1] -= 1;
    assert_eq!(program.check_layout(), Err(LayoutError::NotABit(1)));
}
