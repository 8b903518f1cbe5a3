//! ALU operations extracted from the emulator's step records — the requests the CPU chip sends
//! on the `alu` bus.

use mipstark_emulator::insn::Op;
use mipstark_emulator::{ExecutionRecord, Program};

use crate::bus::{AluOp, BitfieldOp, DivOp, Mul64Op};

/// One ALU request: `a = op(b, c)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AluEvent {
    pub op: AluOp,
    pub a: u32,
    pub b: u32,
    pub c: u32,
}

/// Where an instruction's ALU operands come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operands {
    /// `b` = rs (slot 0), `c` = rt (slot 1).
    RsRt,
    /// `b` = rs (slot 0), `c` = the immediate.
    RsImm,
    /// `b` = rt (slot 0), `c` = the shift amount in the instruction.
    RtSa,
    /// `b` = rt (slot 1), `c` = rs (slot 0): variable shifts.
    RtRs,
    /// `b` = rs (slot 0), `c` = 0: CLZ/CLO.
    Rs,
    /// `b` = rt (slot 0), `c` = 0: SEB/SEH/WSBH.
    Rt,
}

/// The ALU operation of an instruction and where its operands come from.
pub fn alu_op(op: Op) -> Option<(AluOp, Operands)> {
    use Operands::*;
    Some(match op {
        Op::Addu => (AluOp::Add, RsRt),
        Op::Add => (AluOp::AddTrap, RsRt),
        Op::Addiu => (AluOp::Add, RsImm),
        Op::Addi => (AluOp::AddTrap, RsImm),
        Op::Subu => (AluOp::Sub, RsRt),
        Op::Sub => (AluOp::SubTrap, RsRt),
        Op::And => (AluOp::And, RsRt),
        Op::Andi => (AluOp::And, RsImm),
        Op::Or => (AluOp::Or, RsRt),
        Op::Ori => (AluOp::Or, RsImm),
        Op::Xor => (AluOp::Xor, RsRt),
        Op::Xori => (AluOp::Xor, RsImm),
        Op::Nor => (AluOp::Nor, RsRt),
        Op::Slt => (AluOp::Slt, RsRt),
        Op::Slti => (AluOp::Slt, RsImm),
        Op::Sltu => (AluOp::Sltu, RsRt),
        Op::Sltiu => (AluOp::Sltu, RsImm),
        Op::Sll => (AluOp::Sll, RtSa),
        Op::Srl => (AluOp::Srl, RtSa),
        Op::Sra => (AluOp::Sra, RtSa),
        Op::Rotr => (AluOp::Rotr, RtSa),
        Op::Sllv => (AluOp::Sll, RtRs),
        Op::Srlv => (AluOp::Srl, RtRs),
        Op::Srav => (AluOp::Sra, RtRs),
        Op::Rotrv => (AluOp::Rotr, RtRs),
        Op::Clz => (AluOp::Clz, Rs),
        Op::Clo => (AluOp::Clo, Rs),
        Op::Seb => (AluOp::Seb, Rt),
        Op::Seh => (AluOp::Seh, Rt),
        Op::Wsbh => (AluOp::Wsbh, Rt),
        Op::Mul => (AluOp::Mul, RsRt),
        _ => return None,
    })
}

/// The compare traps: the ALU comparison that shows no trap happened, the result it must
/// have, and whether the second operand is the immediate. TGE* trap when `b ≥ c`, so running
/// on means `b < c` (result 1); TLT* trap when `b < c` (result 0).
pub fn trap_compare(op: Op) -> Option<(AluOp, u32, bool)> {
    Some(match op {
        Op::Tge => (AluOp::Slt, 1, false),
        Op::Tgeu => (AluOp::Sltu, 1, false),
        Op::Tlt => (AluOp::Slt, 0, false),
        Op::Tltu => (AluOp::Sltu, 0, false),
        Op::Tgei => (AluOp::Slt, 1, true),
        Op::Tgeiu => (AluOp::Sltu, 1, true),
        Op::Tlti => (AluOp::Slt, 0, true),
        Op::Tltiu => (AluOp::Sltu, 0, true),
        _ => return None,
    })
}

/// Every ALU request of the steps in `record`, with operands read from the access slots the
/// emulator records them in (see [`Operands`]).
pub fn alu_events(program: &Program, record: &ExecutionRecord) -> Vec<AluEvent> {
    record
        .steps
        .iter()
        .filter_map(|s| {
            let imm = || program.decoded[((s.pc - program.text_base) / 4) as usize].imm;
            if let Some((op, expect, with_imm)) = trap_compare(s.op) {
                let c = if with_imm { imm() } else { s.regs[1].value };
                return Some(AluEvent {
                    op,
                    a: expect,
                    b: s.regs[0].value,
                    c,
                });
            }
            let (op, operands) = alu_op(s.op)?;
            let (b, c) = match operands {
                Operands::RsRt => (s.regs[0].value, s.regs[1].value),
                Operands::RsImm | Operands::RtSa => (s.regs[0].value, imm()),
                Operands::RtRs => (s.regs[1].value, s.regs[0].value),
                Operands::Rs | Operands::Rt => (s.regs[0].value, 0),
            };
            // The result is the record's (what the CPU row writes), so a forged record yields
            // the ALU row a cheating prover would need; a write to $0 keeps no value, and the
            // ALU answers the true result, which the CPU discards.
            let last = s.nregs.checked_sub(1).map(usize::from);
            let a = match last {
                Some(k) if s.reg_ids[k] != 0 => s.regs[k].value,
                _ => op.eval(b, c),
            };
            Some(AluEvent { op, a, b, c })
        })
        .collect()
}

/// One `mul64` request: `hi:lo = acc ± b·c`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mul64Event {
    pub op: Mul64Op,
    pub b: u32,
    pub c: u32,
    /// HI:LO before (MULT/MULTU ignore it).
    pub acc: u64,
    /// HI:LO after.
    pub result: u64,
}

/// The `mul64` requests of the steps in `record`: rs and rt are access slots 0 and 1, HI and LO
/// slots 2 and 3 (previous value = accumulator, new value = result).
pub fn mul64_events(record: &ExecutionRecord) -> Vec<Mul64Event> {
    record
        .steps
        .iter()
        .filter_map(|s| {
            let op = match s.op {
                Op::Mult => Mul64Op::Mult,
                Op::Multu => Mul64Op::Multu,
                Op::Madd => Mul64Op::Madd,
                Op::Maddu => Mul64Op::Maddu,
                Op::Msub => Mul64Op::Msub,
                Op::Msubu => Mul64Op::Msubu,
                _ => return None,
            };
            let (b, c) = (s.regs[0].value, s.regs[1].value);
            let acc = ((s.regs[2].prev_value as u64) << 32) | s.regs[3].prev_value as u64;
            let result = ((s.regs[2].value as u64) << 32) | s.regs[3].value as u64;
            Some(Mul64Event {
                op,
                b,
                c,
                acc,
                result,
            })
        })
        .collect()
}

/// One `divrem` request: `b = q·c + r` (or the zero-divisor / overflow rule).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DivEvent {
    pub op: DivOp,
    pub b: u32,
    pub c: u32,
    pub q: u32,
    pub r: u32,
}

/// The DIV/DIVU requests of the steps in `record`: rs, rt in slots 0 and 1, HI (remainder) and
/// LO (quotient) written in slots 2 and 3.
pub fn div_events(record: &ExecutionRecord) -> Vec<DivEvent> {
    record
        .steps
        .iter()
        .filter_map(|s| {
            let op = match s.op {
                Op::Div => DivOp::Div,
                Op::Divu => DivOp::Divu,
                _ => return None,
            };
            Some(DivEvent {
                op,
                b: s.regs[0].value,
                c: s.regs[1].value,
                q: s.regs[3].value,
                r: s.regs[2].value,
            })
        })
        .collect()
}

/// One `bitfield` request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BitfieldEvent {
    pub op: BitfieldOp,
    pub a: u32,
    pub b: u32,
    /// rt before the instruction (INS merges into it; EXT ignores it).
    pub old: u32,
    pub lsb: u32,
    pub size: u32,
}

/// The EXT/INS requests of the steps in `record`: rs in slot 0, rt written in slot 1 (its
/// previous value is INS's `old`); position and size from the instruction.
pub fn bitfield_events(program: &Program, record: &ExecutionRecord) -> Vec<BitfieldEvent> {
    record
        .steps
        .iter()
        .filter_map(|s| {
            let op = match s.op {
                Op::Ext => BitfieldOp::Ext,
                Op::Ins => BitfieldOp::Ins,
                _ => return None,
            };
            let imm = program.decoded[((s.pc - program.text_base) / 4) as usize].imm;
            let (lsb, hi) = (imm & 31, (imm >> 8) & 31);
            // EXT encodes size − 1, INS the field's msb.
            let size = if op == BitfieldOp::Ext {
                hi + 1
            } else {
                hi - lsb + 1
            };
            let old = s.regs[1].prev_value;
            let b = s.regs[0].value;
            // The true result (a write to $0 records 0).
            Some(BitfieldEvent {
                op,
                a: op.eval(b, old, lsb, size),
                b,
                old,
                lsb,
                size,
            })
        })
        .collect()
}
