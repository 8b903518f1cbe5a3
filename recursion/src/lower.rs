//! Lowering (`docs/recursion.md` §2): a recorded [`Program`] becomes the recursion machine's
//! rows, one per live instruction.
//!
//! 1. **Dead code.** An instruction is live when it asserts something (an equality, an
//!    inverse's non-zero operand, a decomposition's range), exposes a public value, or defines
//!    a value a live one reads.
//!    Hash-consing in the recorder already merged identical pure instructions.
//! 2. **Cells.** Every value a live instruction defines gets a memory cell, in program order
//!    (a decomposition's bits and a permutation's outputs consecutively); a bit used as a
//!    field element shares its bit's cell.
//! 3. **Multiplicities.** Each cell's read count becomes its writer's preprocessed
//!    multiplicity. No fan-out cap is needed: a multiplicity is fixed by the key, only the
//!    reads (one per gated lookup) count toward Plonky3's `Σ weight·height < p` bound, and
//!    the machine's heights keep that far below p.
//!
//! The rows depend on the instructions only, never on values, so a program recorded from any
//! proof of one shape lowers to the same tables (the recursion verifying key).

use mipstark_air::recursion::base_alu::{BaseAluRow, BaseOp};
use mipstark_air::recursion::bits::{BitsRow, NUM_BITS};
use mipstark_air::recursion::ext_alu::{ExtAluRow, ExtOp};
use mipstark_air::recursion::mem::MemRow;
use mipstark_air::recursion::pack::PackRow;
use mipstark_air::recursion::poseidon2::Poseidon2Row;
use mipstark_air::recursion::program::RecursionProgram;
use mipstark_air::recursion::public::PublicRow;
use mipstark_air::recursion::CELL;
use p3_field::{BasedVectorSpace, PrimeCharacteristicRing};

use crate::builder::recorder::{outputs, BitVar, EVar, FVar, Instr, Program, Values};
use crate::builder::{EXT_DEGREE, PERM_WIDTH};
use crate::Val;

/// No cell: the value is dead.
const DEAD: u32 = u32::MAX;

/// A lowered program and where each variable lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lowered {
    pub program: RecursionProgram,
    f_cell: Vec<u32>,
    e_cell: Vec<u32>,
    bit_cell: Vec<u32>,
}

/// What an instruction reads.
fn operands(instr: &Instr) -> (Vec<FVar>, Vec<EVar>, Vec<BitVar>) {
    match instr {
        Instr::ConstF(_) | Instr::WitnessF => (vec![], vec![], vec![]),
        Instr::AddF(a, b) | Instr::SubF(a, b) | Instr::MulF(a, b) | Instr::AssertEqF(a, b) => {
            (vec![*a, *b], vec![], vec![])
        }
        Instr::InvF(a) => (vec![*a], vec![], vec![]),
        Instr::SelectF(bit, a, b) => (vec![*a, *b], vec![], vec![*bit]),
        Instr::ExtFromCoeffs(c) => (c.to_vec(), vec![], vec![]),
        Instr::ExtCoeffs(e) | Instr::InvE(e) => (vec![], vec![*e], vec![]),
        Instr::AddE(a, b) | Instr::SubE(a, b) | Instr::MulE(a, b) => (vec![], vec![*a, *b], vec![]),
        Instr::Bits(x, _) => (vec![*x], vec![], vec![]),
        Instr::BitF(b) => (vec![], vec![], vec![*b]),
        Instr::Poseidon2(s) => (s.to_vec(), vec![], vec![]),
        Instr::Poseidon2Ordered(s, bit) => (s.to_vec(), vec![], vec![*bit]),
        Instr::Public(x) => (vec![*x], vec![], vec![]),
    }
}

/// Instructions kept whether or not their outputs are read: they assert.
fn asserts(instr: &Instr) -> bool {
    matches!(
        instr,
        Instr::AssertEqF(..) | Instr::InvF(_) | Instr::InvE(_) | Instr::Bits(..) | Instr::Public(_)
    )
}

/// Which instructions are live (see the module documentation).
fn liveness(p: &Program) -> Vec<bool> {
    let (mut f_def, mut e_def, mut bit_def) = (Vec::new(), Vec::new(), Vec::new());
    for (i, instr) in p.instrs.iter().enumerate() {
        let (nf, ne, nb) = outputs(instr);
        f_def.extend(std::iter::repeat_n(i, nf as usize));
        e_def.extend(std::iter::repeat_n(i, ne as usize));
        bit_def.extend(std::iter::repeat_n(i, nb as usize));
    }
    let mut live = vec![false; p.instrs.len()];
    for i in (0..p.instrs.len()).rev() {
        live[i] |= asserts(&p.instrs[i]);
        if !live[i] {
            continue;
        }
        let (f, e, bits) = operands(&p.instrs[i]);
        f.iter().for_each(|v| live[f_def[v.0 as usize]] = true);
        e.iter().for_each(|v| live[e_def[v.0 as usize]] = true);
        bits.iter().for_each(|v| live[bit_def[v.0 as usize]] = true);
    }
    live
}

/// Lowers `p` (see the module documentation).
pub fn lower(p: &Program) -> Lowered {
    let live = liveness(p);
    let mut l = Lowered {
        program: RecursionProgram::default(),
        f_cell: vec![DEAD; p.num_f as usize],
        e_cell: vec![DEAD; p.num_e as usize],
        bit_cell: vec![DEAD; p.num_bits as usize],
    };

    // Cells, in program order.
    let mut next = 0u32;
    let mut fresh = |n: u32| {
        let first = next;
        next += n;
        first
    };
    let (mut f0, mut e0, mut b0) = (0u32, 0u32, 0u32);
    for (instr, &is_live) in p.instrs.iter().zip(&live) {
        let (nf, ne, nb) = outputs(instr);
        if is_live {
            match instr {
                Instr::BitF(b) => l.f_cell[f0 as usize] = l.bit_cell[b.0 as usize],
                _ => {
                    for k in 0..nf {
                        l.f_cell[(f0 + k) as usize] = fresh(1);
                    }
                    for k in 0..ne {
                        l.e_cell[(e0 + k) as usize] = fresh(1);
                    }
                    let first = fresh(nb);
                    for k in 0..nb {
                        l.bit_cell[(b0 + k) as usize] = first + k;
                    }
                }
            }
        }
        (f0, e0, b0) = (f0 + nf, e0 + ne, b0 + nb);
    }

    // Read counts.
    let mut reads = vec![0u32; next as usize];
    for (instr, _) in p.instrs.iter().zip(&live).filter(|(_, &x)| x) {
        if matches!(instr, Instr::BitF(_)) {
            continue; // an alias: its readers read the bit's cell
        }
        let (f, e, bits) = operands(instr);
        for c in f
            .iter()
            .map(|v| l.f(*v))
            .chain(e.iter().map(|v| l.e(*v)))
            .chain(bits.iter().map(|v| l.bit(*v)))
        {
            reads[c as usize] += 1;
        }
    }

    // Rows.
    let mut rows = RecursionProgram {
        num_cells: next,
        ..Default::default()
    };
    let (mut f0, mut e0, mut b0) = (0u32, 0u32, 0u32);
    for (instr, &is_live) in p.instrs.iter().zip(&live) {
        let (nf, ne, nb) = outputs(instr);
        if is_live {
            let out_f = l.f_cell.get(f0 as usize).copied().unwrap_or(DEAD);
            let out_e = l.e_cell.get(e0 as usize).copied().unwrap_or(DEAD);
            let mult = |c: u32| reads[c as usize];
            let base = |op, a: u32, b: u32, c: u32, out: u32| BaseAluRow {
                op,
                a,
                b,
                c,
                out,
                mult: mult(out),
            };
            match instr {
                Instr::ConstF(v) => rows.mem.push(MemRow {
                    addr: out_f,
                    mult: mult(out_f),
                    constant: Some(*v),
                }),
                Instr::WitnessF => rows.mem.push(MemRow {
                    addr: out_f,
                    mult: mult(out_f),
                    constant: None,
                }),
                Instr::AddF(a, b) => {
                    rows.base_alu
                        .push(base(BaseOp::Add, l.f(*a), l.f(*b), 0, out_f))
                }
                Instr::SubF(a, b) => {
                    rows.base_alu
                        .push(base(BaseOp::Sub, l.f(*a), l.f(*b), 0, out_f))
                }
                Instr::MulF(a, b) => {
                    rows.base_alu
                        .push(base(BaseOp::Mul, l.f(*a), l.f(*b), 0, out_f))
                }
                Instr::InvF(a) => rows.base_alu.push(base(BaseOp::Inv, l.f(*a), 0, 0, out_f)),
                Instr::SelectF(bit, a, b) => {
                    rows.base_alu
                        .push(base(BaseOp::Select, l.f(*a), l.f(*b), l.bit(*bit), out_f))
                }
                Instr::AssertEqF(a, b) => rows.base_alu.push(BaseAluRow {
                    op: BaseOp::AssertEq,
                    a: l.f(*a),
                    b: l.f(*b),
                    c: 0,
                    out: 0,
                    mult: 0,
                }),
                Instr::AddE(a, b) | Instr::SubE(a, b) | Instr::MulE(a, b) => {
                    let op = match instr {
                        Instr::AddE(..) => ExtOp::Add,
                        Instr::SubE(..) => ExtOp::Sub,
                        _ => ExtOp::Mul,
                    };
                    rows.ext_alu.push(ExtAluRow {
                        op,
                        a: l.e(*a),
                        b: l.e(*b),
                        out: out_e,
                        mult: mult(out_e),
                    })
                }
                Instr::InvE(a) => rows.ext_alu.push(ExtAluRow {
                    op: ExtOp::Inv,
                    a: l.e(*a),
                    b: 0,
                    out: out_e,
                    mult: mult(out_e),
                }),
                Instr::ExtFromCoeffs(c) => rows.pack.push(PackRow {
                    unpack: false,
                    ext: out_e,
                    coeffs: c.map(|v| l.f(v)),
                    ext_mult: mult(out_e),
                    coeff_mults: [0; CELL],
                }),
                Instr::ExtCoeffs(e) => {
                    let coeffs: [u32; CELL] = std::array::from_fn(|k| l.f_cell[f0 as usize + k]);
                    rows.pack.push(PackRow {
                        unpack: true,
                        ext: l.e(*e),
                        coeffs,
                        ext_mult: 0,
                        coeff_mults: coeffs.map(mult),
                    })
                }
                Instr::Bits(x, n) => {
                    let first = if *n == 0 { 0 } else { l.bit_cell[b0 as usize] };
                    rows.bits.push(BitsRow {
                        x: l.f(*x),
                        first,
                        n: *n,
                        mults: std::array::from_fn(|k| {
                            if k < *n as usize {
                                mult(first + k as u32)
                            } else {
                                0
                            }
                        }),
                    })
                }
                Instr::BitF(_) => {}
                Instr::Public(x) => rows.public.push(PublicRow { addr: l.f(*x) }),
                Instr::Poseidon2(s) | Instr::Poseidon2Ordered(s, _) => {
                    let output: [u32; PERM_WIDTH] =
                        std::array::from_fn(|k| l.f_cell[f0 as usize + k]);
                    let swap = match instr {
                        Instr::Poseidon2Ordered(_, bit) => Some(l.bit(*bit)),
                        _ => None,
                    };
                    rows.poseidon2.push(Poseidon2Row {
                        input: s.map(|v| l.f(v)),
                        output,
                        mults: output.map(mult),
                        swap,
                    })
                }
            }
        }
        (f0, e0, b0) = (f0 + nf, e0 + ne, b0 + nb);
    }
    debug_assert!(rows.bits.iter().all(|r| r.n as usize <= NUM_BITS));
    l.program = rows;
    l
}

impl Lowered {
    fn f(&self, v: FVar) -> u32 {
        self.f_cell[v.0 as usize]
    }
    fn e(&self, v: EVar) -> u32 {
        self.e_cell[v.0 as usize]
    }
    fn bit(&self, v: BitVar) -> u32 {
        self.bit_cell[v.0 as usize]
    }

    /// The memory's contents for `values` (the program's variables, from
    /// [`Program::values`]): each live variable's value in its cell.
    pub fn cells(&self, values: &Values) -> Vec<[Val; CELL]> {
        let mut cells = vec![[Val::ZERO; CELL]; self.program.num_cells as usize];
        for (&c, &v) in self.f_cell.iter().zip(&values.f) {
            if c != DEAD {
                cells[c as usize][0] = v;
            }
        }
        for (&c, v) in self.e_cell.iter().zip(&values.e) {
            if c != DEAD {
                let coords = v.as_basis_coefficients_slice();
                cells[c as usize][..EXT_DEGREE].copy_from_slice(coords);
            }
        }
        for (&c, &b) in self.bit_cell.iter().zip(&values.bits) {
            if c != DEAD {
                cells[c as usize][0] = Val::from_bool(b);
            }
        }
        cells
    }
}
