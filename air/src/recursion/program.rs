//! A lowered recursion program: each chip's rows, from which the preprocessed tables (the
//! verifying key) and, given the memory's values, the main traces are built.

use std::sync::Arc;

use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;

use super::base_alu::{self, BaseAluChip, BaseAluRow};
use super::bits::{self, BitsChip, BitsRow};
use super::ext_alu::{self, ExtAluChip, ExtAluRow};
use super::mem::{self, MemChip, MemRow};
use super::pack::{self, PackChip, PackRow};
use super::poseidon2::{self, Poseidon2Chip, Poseidon2Row};
use super::public::{PublicChip, PublicRow};
use super::{Preprocessed, RecursionChip, CELL};
use crate::F;

/// Fewest rows an instance has (the verifier's lower bound on heights).
pub const MIN_LOG_HEIGHT: usize = 2;

/// Every row of a program, by chip. Addresses index one memory of `num_cells` cells.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecursionProgram {
    pub mem: Vec<MemRow>,
    pub base_alu: Vec<BaseAluRow>,
    pub ext_alu: Vec<ExtAluRow>,
    pub pack: Vec<PackRow>,
    pub bits: Vec<BitsRow>,
    pub poseidon2: Vec<Poseidon2Row>,
    /// The exposed cells, in public-value order.
    pub public: Vec<PublicRow>,
    pub num_cells: u32,
    /// Each table's least log height (see [`Self::pad_to`]); zeros for none.
    pub min_log_heights: RecursionShape,
}

/// The number of recursion chips (tables).
pub const NUM_TABLES: usize = 7;

/// A log height per table, in [`RecursionProgram::chips`]' order: recursion programs padded
/// to one shape give proofs of one shape, which one verifier program reads whatever the
/// program (its key a witness), as `docs/recursion.md` §4.3 wants.
pub type RecursionShape = [usize; NUM_TABLES];

/// The height of a table of `rows` rows, at least `2^min_log`.
fn height(rows: usize, min_log: usize) -> usize {
    rows.next_power_of_two()
        .max(1 << MIN_LOG_HEIGHT)
        .max(1 << min_log)
}

/// A table of `rows` (padded with `padding`) of width `N`, at least `2^min_log` high.
fn table<const N: usize>(
    rows: impl ExactSizeIterator<Item = [F; N]>,
    padding: [F; N],
    min_log: usize,
) -> RowMajorMatrix<F> {
    let h = height(rows.len(), min_log);
    let mut values = Vec::with_capacity(h * N);
    for r in rows {
        values.extend_from_slice(&r);
    }
    while values.len() < h * N {
        values.extend_from_slice(&padding);
    }
    RowMajorMatrix::new(values, N)
}

fn pre(m: RowMajorMatrix<F>) -> Preprocessed {
    Preprocessed(Arc::new(m))
}

impl RecursionProgram {
    /// The machine's chips, in instance order, each holding its preprocessed table.
    pub fn chips(&self) -> Vec<RecursionChip> {
        vec![
            RecursionChip::Mem(MemChip {
                pre: pre(table(
                    self.mem.iter().map(MemRow::pre),
                    [F::ZERO; mem::NUM_PRE_COLS],
                    self.min_log_heights[0],
                )),
            }),
            RecursionChip::BaseAlu(BaseAluChip {
                pre: pre(table(
                    self.base_alu.iter().map(BaseAluRow::pre),
                    [F::ZERO; base_alu::NUM_PRE_COLS],
                    self.min_log_heights[1],
                )),
            }),
            RecursionChip::ExtAlu(ExtAluChip {
                pre: pre(table(
                    self.ext_alu.iter().map(ExtAluRow::pre),
                    [F::ZERO; ext_alu::NUM_PRE_COLS],
                    self.min_log_heights[2],
                )),
            }),
            RecursionChip::Pack(PackChip {
                pre: pre(table(
                    self.pack.iter().map(PackRow::pre),
                    [F::ZERO; pack::NUM_PRE_COLS],
                    self.min_log_heights[3],
                )),
            }),
            RecursionChip::Bits(BitsChip {
                pre: pre(table(
                    self.bits.iter().map(BitsRow::pre),
                    [F::ZERO; bits::NUM_PRE_COLS],
                    self.min_log_heights[4],
                )),
            }),
            RecursionChip::Poseidon2(Poseidon2Chip {
                pre: pre(table(
                    self.poseidon2.iter().map(Poseidon2Row::pre),
                    [F::ZERO; poseidon2::NUM_PRE_COLS],
                    self.min_log_heights[5],
                )),
            }),
            RecursionChip::Public(PublicChip::new(
                &self.public,
                height(self.public.len(), self.min_log_heights[6]),
            )),
        ]
    }

    /// The main traces for the memory's values `cells` (indexed by address; base values in
    /// coordinate 0), in [`Self::chips`]' order.
    ///
    /// # Panics
    ///
    /// When an address is outside `cells` (the program and its memory do not belong together).
    pub fn traces(&self, cells: &[[F; CELL]]) -> Vec<RowMajorMatrix<F>> {
        vec![
            table(
                self.mem.iter().map(|r| r.main(cells)),
                [F::ZERO; mem::NUM_COLS],
                self.min_log_heights[0],
            ),
            table(
                self.base_alu.iter().map(|r| r.main(cells)),
                [F::ZERO; base_alu::NUM_COLS],
                self.min_log_heights[1],
            ),
            table(
                self.ext_alu.iter().map(|r| r.main(cells)),
                [F::ZERO; ext_alu::NUM_COLS],
                self.min_log_heights[2],
            ),
            table(
                self.pack.iter().map(|r| r.main(cells)),
                [F::ZERO; pack::NUM_COLS],
                self.min_log_heights[3],
            ),
            table(
                self.bits.iter().map(|r| r.main(cells)),
                [F::ZERO; bits::NUM_COLS],
                self.min_log_heights[4],
            ),
            table(
                self.poseidon2.iter().map(|r| r.main(cells)),
                poseidon2::main_row([F::ZERO; poseidon2::WIDTH], false),
                self.min_log_heights[5],
            ),
            table(
                self.public.iter().map(|r| [cells[r.addr as usize][0]]),
                [F::ZERO],
                self.min_log_heights[6],
            ),
        ]
    }

    /// Each table's log height.
    pub fn shape(&self) -> RecursionShape {
        let rows = [
            self.mem.len(),
            self.base_alu.len(),
            self.ext_alu.len(),
            self.pack.len(),
            self.bits.len(),
            self.poseidon2.len(),
            self.public.len(),
        ];
        std::array::from_fn(|i| height(rows[i], self.min_log_heights[i]).trailing_zeros() as usize)
    }

    /// Pads every table to `shape`'s height, refusing a table that has more rows.
    pub fn pad_to(&mut self, shape: &RecursionShape) -> Result<(), LayoutError> {
        let natural = RecursionProgram {
            min_log_heights: [0; NUM_TABLES],
            ..self.clone()
        }
        .shape();
        for (table, (&n, &want)) in natural.iter().zip(shape).enumerate() {
            if n > want {
                return Err(LayoutError::Shape {
                    table,
                    log_height: n,
                    shape: want,
                });
            }
        }
        self.min_log_heights = *shape;
        Ok(())
    }

    /// The public values `cells` give: each exposed cell's value (what the public chip's
    /// instance must be proven with).
    pub fn publics(&self, cells: &[[F; CELL]]) -> Vec<F> {
        self.public
            .iter()
            .map(|r| cells[r.addr as usize][0])
            .collect()
    }
}

/// A broken memory layout: what lowering must never produce.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    #[error("cell {0} is outside the program's {1} cells")]
    OutOfRange(u32, u32),
    #[error("cell {0} has two writers")]
    TwoWriters(u32),
    #[error("cell {cell} is read {reads} times but written for {mult} readers")]
    Multiplicity { cell: u32, reads: u32, mult: u32 },
    #[error("cell {0} is read as a bit but is not a decomposition's bit")]
    NotABit(u32),
    #[error("table {table} needs 2^{log_height} rows, more than the shape's 2^{shape}")]
    Shape {
        table: usize,
        log_height: usize,
        shape: usize,
    },
}

impl RecursionProgram {
    /// Every read of every row, by cell (the reads each chip gates on).
    fn reads(&self) -> Vec<u32> {
        use super::base_alu::BaseOp;
        use super::ext_alu::ExtOp;
        let mut r = Vec::new();
        for row in &self.base_alu {
            r.push(row.a);
            if row.op != BaseOp::Inv {
                r.push(row.b);
            }
            if row.op == BaseOp::Select {
                r.push(row.c);
            }
        }
        for row in &self.ext_alu {
            r.push(row.a);
            if row.op != ExtOp::Inv {
                r.push(row.b);
            }
        }
        for row in &self.pack {
            if row.unpack {
                r.push(row.ext);
            } else {
                r.extend(row.coeffs);
            }
        }
        r.extend(self.bits.iter().map(|row| row.x));
        r.extend(self.public.iter().map(|row| row.addr));
        for row in &self.poseidon2 {
            r.extend(row.input);
            r.extend(row.swap);
        }
        r
    }

    /// Every write with readers: `(cell, multiplicity)`.
    fn writes(&self) -> Vec<(u32, u32)> {
        let mut w: Vec<(u32, u32)> = Vec::new();
        w.extend(self.mem.iter().map(|r| (r.addr, r.mult)));
        w.extend(self.base_alu.iter().map(|r| (r.out, r.mult)));
        w.extend(self.ext_alu.iter().map(|r| (r.out, r.mult)));
        for row in &self.pack {
            w.push((row.ext, row.ext_mult));
            w.extend(row.coeffs.into_iter().zip(row.coeff_mults));
        }
        for row in &self.bits {
            w.extend(
                (0..bits::NUM_BITS as u32)
                    .map(|i| row.first + i)
                    .zip(row.mults),
            );
        }
        for row in &self.poseidon2 {
            w.extend(row.output.into_iter().zip(row.mults));
        }
        w.retain(|&(_, m)| m > 0);
        w
    }

    /// The memory argument's premises: every cell in range, at most one writer with readers
    /// per cell, and each writer's multiplicity equal to its cell's reads (a read of a cell
    /// nobody writes shows as a multiplicity of 0).
    pub fn check_layout(&self) -> Result<(), LayoutError> {
        let n = self.num_cells;
        let mut reads = vec![0u32; n as usize];
        for c in self.reads() {
            *reads
                .get_mut(c as usize)
                .ok_or(LayoutError::OutOfRange(c, n))? += 1;
        }
        let mut mult = vec![None; n as usize];
        for (c, m) in self.writes() {
            let slot = mult
                .get_mut(c as usize)
                .ok_or(LayoutError::OutOfRange(c, n))?;
            if slot.replace(m).is_some() {
                return Err(LayoutError::TwoWriters(c));
            }
        }
        // Selects and ordered permutations trust their bit to be boolean: only the bits chip
        // writes booleans.
        let bit_cells: std::collections::HashSet<u32> = self
            .bits
            .iter()
            .flat_map(|r| (0..r.n as u32).map(move |i| r.first + i))
            .collect();
        let bits_read = self
            .base_alu
            .iter()
            .filter(|r| r.op == super::base_alu::BaseOp::Select)
            .map(|r| r.c)
            .chain(self.poseidon2.iter().filter_map(|r| r.swap));
        for c in bits_read {
            if !bit_cells.contains(&c) {
                return Err(LayoutError::NotABit(c));
            }
        }
        for (cell, (&reads, m)) in reads.iter().zip(&mult).enumerate() {
            let mult = m.unwrap_or(0);
            if reads != mult {
                return Err(LayoutError::Multiplicity {
                    cell: cell as u32,
                    reads,
                    mult,
                });
            }
        }
        Ok(())
    }
}
