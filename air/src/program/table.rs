//! The program table: one preprocessed row per instruction word of the ELF's executable
//! segments — `(pc, decoded fields)` (see [`super::decode`]) — and a multiplicity column
//! counting how often the CPU fetched it on the `program` bus.
//!
//! Because the table is preprocessed, its commitment is part of the verifying key: a proof is
//! about exactly this program. Opcode ids are the emulator's `Op` discriminants.

use mipstark_emulator::{ExecutionRecord, Program};
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::{PrimeCharacteristicRing, PrimeField32};
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;
use thiserror::Error;

use super::decode::{decode, DecodedCols};
use crate::bus::PROGRAM;
use crate::{cols, F};

/// Preprocessed columns.
#[repr(C)]
pub struct ProgramPreCols<T> {
    pub pc: T,
    pub decoded: DecodedCols<T>,
}

/// Main columns.
#[repr(C)]
pub struct ProgramCols<T> {
    pub multiplicity: T,
}

pub const NUM_PRE_COLS: usize = std::mem::size_of::<ProgramPreCols<u8>>();
pub const NUM_COLS: usize = std::mem::size_of::<ProgramCols<u8>>();

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ProgramTableError {
    #[error(
        "executable segment ends at {0:#x}, beyond the field size: such a program cannot be proved"
    )]
    AddressBeyondField(u64),
    #[error("step at pc {0:#010x} is outside the program table")]
    PcOutsideProgram(u32),
}

/// The program-table chip for one program.
#[derive(Clone, Debug)]
pub struct ProgramChip {
    pre: RowMajorMatrix<F>,
    decoded: Vec<DecodedCols<u32>>,
    base: u32,
    len: usize,
}

impl ProgramChip {
    /// The program's entry point.
    pub fn base(&self) -> u32 {
        self.base
    }

    pub fn new(program: &Program) -> Result<Self, ProgramTableError> {
        let len = program.decoded.len();
        let end = program.text_base as u64 + 4 * len as u64;
        // Keep every pc, and pc + 8 (links), clear of the field's top so that `p − 1` is never
        // a pc (it marks targets outside the field).
        if end + 8 >= F::ORDER_U32 as u64 {
            return Err(ProgramTableError::AddressBeyondField(end));
        }
        let height = len.next_power_of_two().max(1);
        let mut v = Vec::with_capacity(height * NUM_PRE_COLS);
        let mut decoded = Vec::with_capacity(len);
        for i in 0..height {
            let pc = program.text_base + 4 * i as u32;
            // Padding rows repeat pcs past the end with the Invalid opcode, which no fetch can use.
            let insn = program
                .decoded
                .get(i)
                .copied()
                .unwrap_or(mipstark_emulator::insn::decode(u32::MAX));
            let pc = if i < len { pc } else { program.text_base };
            let d = decode(pc, &insn);
            v.push(F::from_u32(pc));
            v.extend(d.to_field().as_array());
            if i < len {
                decoded.push(d);
            }
        }
        Ok(ProgramChip {
            pre: RowMajorMatrix::new(v, NUM_PRE_COLS),
            decoded,
            base: program.text_base,
            len,
        })
    }

    /// The decoded instruction at `pc`, if the program has one there.
    pub fn decoded(&self, pc: u32) -> Option<&DecodedCols<u32>> {
        if pc < self.base || !pc.is_multiple_of(4) {
            return None;
        }
        self.decoded.get(((pc - self.base) / 4) as usize)
    }

    /// Fetch counts of the steps in `record`.
    pub fn generate_trace(
        &self,
        record: &ExecutionRecord,
    ) -> Result<RowMajorMatrix<F>, ProgramTableError> {
        self.generate_trace_multi(std::slice::from_ref(record))
    }

    /// Fetch counts of the steps of several records (the shards of one execution).
    pub fn generate_trace_multi(
        &self,
        records: &[ExecutionRecord],
    ) -> Result<RowMajorMatrix<F>, ProgramTableError> {
        let height = self.pre.values.len() / NUM_PRE_COLS;
        let mut counts = vec![0u32; height];
        for s in records.iter().flat_map(|r| &r.steps) {
            let i = (s.pc.wrapping_sub(self.base) / 4) as usize;
            if i >= self.len {
                return Err(ProgramTableError::PcOutsideProgram(s.pc));
            }
            counts[i] += 1;
        }
        Ok(RowMajorMatrix::new(
            counts.into_iter().map(F::from_u32).collect(),
            NUM_COLS,
        ))
    }
}

impl BaseAir<F> for ProgramChip {
    fn width(&self) -> usize {
        NUM_COLS
    }
    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<F>> {
        Some(self.pre.clone())
    }
    fn preprocessed_width(&self) -> usize {
        NUM_PRE_COLS
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
    fn preprocessed_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
}

impl<AB: AirBuilder<F = F> + InteractionBuilder> Air<AB> for ProgramChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let local: &ProgramCols<AB::Var> = cols(main.current_slice());
        let pre = b.preprocessed().clone();
        let p: &ProgramPreCols<AB::Var> = cols(pre.current_slice());
        let mut tuple = vec![p.pc];
        tuple.extend(p.decoded.as_array());
        PROGRAM.table_entry(b, tuple, local.multiplicity);
    }
}
