//! CPU trace generation from step records.

use mipstark_emulator::record::{Step, CLK_STRIDE};
use mipstark_emulator::syscall::nr;
use mipstark_emulator::ExecutionRecord;
use p3_field::{Field, PrimeCharacteristicRing, PrimeField32};
use p3_matrix::dense::RowMajorMatrix;
use thiserror::Error;

use super::{Boundary, CpuCols, NUM_COLS};
use crate::alu::word_bytes;
use crate::bus::{AluOp, BitfieldOp, ByteOp, LsOp};
use crate::byte::ByteLookups;
use crate::load_store::load_value;
use crate::memory::access::{fill_clock, fill_read_ts, fill_ts};
use crate::program::decode::DecodedCols;
use crate::program::ProgramChip;
use crate::{cols_mut, F};

#[derive(Debug, Error, PartialEq, Eq)]
pub enum CpuTraceError {
    #[error("step at pc {0:#010x} is outside the program")]
    PcOutsideProgram(u32),
    #[error(
        "instruction `{0}` at pc {1:#010x} cannot be proved yet (mipstark's prover does not \
         support it; see docs/air-design.md)"
    )]
    Unsupported(&'static str, u32),
    #[error("the records do not chain at step {0} (pc {1:#010x}): internal error")]
    Chain(usize, u32),
    #[error("the execution is too long to prove: timestamp {0} reaches 2^29")]
    TooLong(u64),
}

/// Timestamps must stay below this bound (differences are range-checked below 2^29).
pub const MAX_CLK: u64 = 1 << 29;

impl super::CpuChip {
    /// The CPU trace of `record.steps[range]` starting from `start`, and the state after them.
    pub fn generate_trace(
        program: &ProgramChip,
        record: &ExecutionRecord,
        range: std::ops::Range<usize>,
        start: Boundary,
        bytes: &mut ByteLookups,
    ) -> Result<(RowMajorMatrix<F>, Boundary), CpuTraceError> {
        let base_index = range.start;
        let steps = &record.steps[range];
        let height = (steps.len() + 1).next_power_of_two().max(4);
        let mut m = RowMajorMatrix::new(F::zero_vec(height * NUM_COLS), NUM_COLS);
        let mut st = start;
        let mut sys = record
            .syscalls
            .iter()
            .map(|e| (e.step, e.number))
            .peekable();
        for (i, (row, step)) in m.values.chunks_exact_mut(NUM_COLS).zip(steps).enumerate() {
            if step.pc != st.pc || step.clk != st.clk {
                return Err(CpuTraceError::Chain(i, step.pc));
            }
            if step.clk + CLK_STRIDE >= MAX_CLK {
                return Err(CpuTraceError::TooLong(step.clk));
            }
            let d = program
                .decoded(step.pc)
                .ok_or(CpuTraceError::PcOutsideProgram(step.pc))?;
            if d.class.as_array().iter().all(|c| *c == 0) {
                return Err(CpuTraceError::Unsupported(step.op.mnemonic(), step.pc));
            }
            let global = (base_index + i) as u32;
            while sys.peek().is_some_and(|(s, _)| *s < global) {
                sys.next();
            }
            let number = sys.peek().filter(|(s, _)| *s == global).map(|(_, n)| *n);
            let halts = matches!(
                number,
                Some(nr::HALT | nr::LINUX_EXIT | nr::LINUX_EXIT_GROUP)
            );
            let r: &mut CpuCols<F> = cols_mut(row);
            fill_row(r, d, step, &st, bytes);
            r.is_halt = F::from_bool(halts);
            let control = d.class.branches().iter().sum::<u32>() + d.class.jump + d.class.jr;
            let nullify = r.nullify == F::ONE;
            st = Boundary {
                pc: st.npc.wrapping_add(if nullify { 4 } else { 0 }),
                npc: r.new_npc.as_canonical_u32(),
                clk: st.clk + CLK_STRIDE,
                in_delay: control == 1 && !nullify,
                halted: halts,
            };
            if !halts && (st.pc != step.next_pc || st.npc != step.next_next_pc) {
                return Err(CpuTraceError::Chain(i, step.pc));
            }
        }
        for row in m.values.chunks_exact_mut(NUM_COLS).skip(steps.len()) {
            let r: &mut CpuCols<F> = cols_mut(row);
            set_state(r, &st);
            // Nothing is compared on padding rows: zero differences read as equal.
            r.cmp_eq = F::ONE;
            r.new_npc = r.npc + F::from_u8(4);
        }
        Ok((m, st))
    }
}

fn set_state(r: &mut CpuCols<F>, st: &Boundary) {
    let [pc, npc, clk, in_delay, halted] = st.to_field();
    r.pc = pc;
    r.npc = npc;
    r.clk = clk;
    r.in_delay = in_delay;
    r.halted = halted;
}

fn msb(bytes: &mut ByteLookups, x: u32, count: u32) -> u32 {
    for _ in 0..count {
        bytes.add(ByteOp::Msb, x as u8, 0);
    }
    (x >> 7) & 1
}

fn fill_row(
    r: &mut CpuCols<F>,
    d: &DecodedCols<u32>,
    step: &Step,
    st: &Boundary,
    bytes: &mut ByteLookups,
) {
    set_state(r, st);
    r.is_real = F::ONE;
    r.clk_hi = fill_clock(bytes, st.clk);
    r.d = d.to_field();
    let c = &d.class;
    // Slot values as words; `$0` writes carry the value the instruction computed.
    let mut val = [0u32; 4];
    let mut prev = [0u32; 4];
    for k in 0..step.nregs as usize {
        let a = &step.regs[k];
        val[k] = a.value;
        prev[k] = a.prev_value;
        if d.mem[k] == 1 {
            let ts = step.clk + k as u64;
            match k {
                0 => fill_read_ts(&mut r.read0, a.prev_ts, ts, bytes),
                _ => fill_ts(&mut r.slots[k - 1], a.prev_ts, ts, bytes),
            }
        }
    }
    let imm = u32::from_le_bytes(d.imm.map(|b| b as u8));
    for k in 1..4 {
        if d.write[k - 1] == 1 && d.mem[k] == 0 {
            val[k] = zero_write_value(d, step, &val, imm);
            prev[k] = 0;
        }
    }
    // Slot 0 is a read: its value is its previous value.
    r.read0.prev = word_bytes(prev[0]);
    for k in 1..4 {
        r.slots[k - 1].value = word_bytes(val[k]);
        r.slots[k - 1].prev = word_bytes(prev[k]);
    }

    // Comparison.
    let movzn = c.movz + c.movn == 1;
    let (x, y) = if movzn {
        (val[1], 0)
    } else if d.cmp_rt == 1 {
        (val[0], val[1])
    } else if d.cmp_imm == 1 {
        (val[0], imm)
    } else {
        (val[0], 0)
    };
    let (xb, yb) = (x.to_le_bytes(), y.to_le_bytes());
    let mut sq = F::ZERO;
    for i in 0..4 {
        let diff = F::from_u8(xb[i]) - F::from_u8(yb[i]);
        r.cmp_diff[i] = diff;
        sq += diff * diff;
    }
    let eq = x == y;
    r.cmp_eq = F::from_bool(eq);
    r.cmp_inv = sq.try_inverse().unwrap_or(F::ZERO);

    // The sign of slot 0 for the branch-on-sign comparisons.
    let sign_kinds = c.br_ltz + c.br_gez + c.br_lez + c.br_gtz;
    let sb = msb(bytes, val[0] >> 24, sign_kinds);
    r.sign_b = F::from_u32(sb);
    if c.jr == 1 {
        bytes.add(ByteOp::Msb, ((val[0] >> 24) + 1) as u8, 0);
    }

    // Control.
    let e = eq as u32;
    let taken = c.br_eq * e
        + c.br_ne * (1 - e)
        + c.br_ltz * sb
        + c.br_gez * (1 - sb)
        + c.br_lez * (sb | e)
        + c.br_gtz * (1 - (sb | e))
        + c.movz * e
        + c.movn * (1 - e);
    r.taken = F::from_u32(taken);
    let nullify = d.likely * (1 - taken);
    r.nullify = F::from_u32(nullify);
    let is_branch = c.branches().iter().sum::<u32>();
    let npc4 = F::from_u32(st.npc) + F::from_u8(4);
    let target = r.d.target;
    let new_npc = npc4
        + F::from_u32(4 * nullify)
        + F::from_u32(is_branch * taken + c.jump) * (target - npc4)
        + F::from_u32(c.jr) * (F::from_u32(val[0]) - npc4);
    r.new_npc = new_npc;
}

/// The value a write to `$0` carries on the CPU row: what the instruction computed (the chip
/// answering the request constrains exactly that), though the register keeps 0.
fn zero_write_value(d: &DecodedCols<u32>, step: &Step, val: &[u32; 4], imm: u32) -> u32 {
    let c = &d.class;
    if d.imm_to_s1 == 1 {
        return imm;
    }
    if c.alu_rrr + c.alu_rri + c.alu_var == 1 {
        let op = AluOp::ALL[d.sub_op as usize];
        let (b, cc) = if c.alu_rrr == 1 {
            (val[0], val[1])
        } else if c.alu_rri == 1 {
            (val[0], imm)
        } else {
            (val[1], val[0])
        };
        return op.eval(b, cc);
    }
    if c.bitfield == 1 {
        let op = if d.sub_op == 0 {
            BitfieldOp::Ext
        } else {
            BitfieldOp::Ins
        };
        return op.eval(val[0], 0, d.imm[0], d.imm[1] + 1);
    }
    if c.mov == 1 {
        return val[0];
    }
    if c.movz == 1 {
        return if val[1] == 0 { val[0] } else { 0 };
    }
    if c.movn == 1 {
        return if val[1] != 0 { val[0] } else { 0 };
    }
    if c.load_store == 1 {
        let op = LsOp::ALL[d.sub_op as usize];
        let addr = val[0].wrapping_add(imm);
        if op == LsOp::Sc {
            return crate::load_store::sc_succeeds(
                addr,
                step.regs[2].value,
                step.regs[3].value,
                step.mem.prev_value,
            ) as u32;
        }
        return load_value(op, step.mem.prev_value, addr, 0);
    }
    0
}
