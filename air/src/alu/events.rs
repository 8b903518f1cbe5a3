//! ALU operations extracted from the emulator's step records — the requests the CPU chip sends
//! on the `alu` bus.

use mipstark_emulator::insn::Op;
use mipstark_emulator::{ExecutionRecord, Program};

use crate::bus::AluOp;

/// One ALU request: `a = op(b, c)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AluEvent {
    pub op: AluOp,
    pub a: u32,
    pub b: u32,
    pub c: u32,
}

/// The ALU operation of an instruction, and whether its second operand is the immediate.
pub fn alu_op(op: Op) -> Option<(AluOp, bool)> {
    Some(match op {
        Op::Addu | Op::Add => (AluOp::Add, false),
        Op::Addiu | Op::Addi => (AluOp::Add, true),
        Op::Subu | Op::Sub => (AluOp::Sub, false),
        Op::And => (AluOp::And, false),
        Op::Andi => (AluOp::And, true),
        Op::Or => (AluOp::Or, false),
        Op::Ori => (AluOp::Or, true),
        Op::Xor => (AluOp::Xor, false),
        Op::Xori => (AluOp::Xor, true),
        Op::Nor => (AluOp::Nor, false),
        Op::Slt => (AluOp::Slt, false),
        Op::Slti => (AluOp::Slt, true),
        Op::Sltu => (AluOp::Sltu, false),
        Op::Sltiu => (AluOp::Sltu, true),
        _ => return None,
    })
}

/// Every ALU request of the steps in `record`: `b` is rs (access slot 0), `c` is rt (slot 1)
/// or the immediate.
pub fn alu_events(program: &Program, record: &ExecutionRecord) -> Vec<AluEvent> {
    record
        .steps
        .iter()
        .filter_map(|s| {
            let (op, imm) = alu_op(s.op)?;
            let b = s.regs[0].value;
            let c = if imm {
                program.decoded[((s.pc - program.text_base) / 4) as usize].imm
            } else {
                s.regs[1].value
            };
            // The ALU answers the true result; only the CPU's write to $0 discards it.
            Some(AluEvent {
                op,
                a: op.eval(b, c),
                b,
                c,
            })
        })
        .collect()
}
