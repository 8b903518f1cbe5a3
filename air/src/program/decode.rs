//! The decoded control fields of one instruction, as the program table stores them.
//!
//! Decoding is done here, once, for the preprocessed program table (part of the verifying key),
//! so the CPU chip needs no decoding constraints: it looks the whole decoded row up by pc. Every
//! field below is therefore *trusted* once the lookup succeeds. Register slots follow the
//! emulator's access order exactly (`emulator/src/semantics.rs`), which a test pins against the
//! records of real runs.

use mipstark_emulator::insn::{Insn, Op};
use mipstark_emulator::record::{REG_HI, REG_LL_ADDR, REG_LL_VAL, REG_LO, REG_TLS};
use p3_field::PrimeCharacteristicRing;

use crate::alu::events::{alu_op, trap_compare, Operands};
use crate::bus::{BitfieldOp, DivOp, LsOp, Mul64Op};
use crate::F;

/// Decoded fields. `#[repr(C)]` of `T` only, so it is both the program table's preprocessed
/// row (after `pc`) and a block of the CPU's columns. Every field is one the constraints read:
/// the instruction's meaning is these fields (there is no opcode column), so a field nothing
/// reads would only cost a CPU column.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DecodedCols<T> {
    /// Register number accessed in each of the four slots (HI = 32, LO = 33).
    pub reg: [T; 4],
    /// 1 when the slot is an access of the memory argument (a register other than `$0`).
    pub mem: [T; 4],
    /// 1 when slot 1, 2 or 3 writes its register (slot 0 only ever reads: JAL and LUI read
    /// `$0` there and write in slot 1).
    pub write: [T; 3],
    /// The immediate operand as a little-endian word: ALU immediate or shift amount, LUI value,
    /// link address `pc + 8`, load/store offset, trap immediate, or `[lsb, size − 1, 0, 0]`.
    pub imm: [T; 4],
    /// Branch or J/JAL target (a field element; `p − 1` when outside the field).
    pub target: T,
    /// Operation id on the class's bus (`AluOp`, `Mul64Op`, `DivOp`, `BitfieldOp`, `LsOp`).
    pub sub_op: T,
    /// Classes: exactly one is set for every provable instruction.
    pub class: ClassCols<T>,
    /// Branch-likely (nullifies the delay slot when not taken).
    pub likely: T,
    /// The write of slot 1 is the immediate word (LUI, links).
    pub imm_to_s1: T,
    /// Comparison operand: rt (slot 1) or the immediate instead of zero.
    pub cmp_rt: T,
    pub cmp_imm: T,
    /// The comparison result a compare trap must see to run on.
    pub expect: T,
}

/// Instruction classes (one-hot on real rows).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClassCols<T> {
    /// ALU request `a = s2, b = s0, c = s1` (three-register form).
    pub alu_rrr: T,
    /// ALU request `a = s1, b = s0, c = imm` (immediate, shift-by-constant, unary).
    pub alu_rri: T,
    /// ALU request `a = s2, b = s1, c = s0` (variable shifts).
    pub alu_var: T,
    pub mul64: T,
    pub div: T,
    pub bitfield: T,
    /// Copy slot 0 into slot 1 (MFHI/MFLO/MTHI/MTLO).
    pub mov: T,
    pub movz: T,
    pub movn: T,
    pub br_eq: T,
    pub br_ne: T,
    pub br_ltz: T,
    pub br_gez: T,
    pub br_lez: T,
    pub br_gtz: T,
    /// J/JAL.
    pub jump: T,
    /// JR/JALR.
    pub jr: T,
    pub load_store: T,
    pub syscall: T,
    /// No request and no control transfer: LUI (whose immediate word `imm_to_s1` writes) and
    /// SYNC/PREF/CACHE/SYNCI.
    pub plain: T,
    /// TEQ/TEQI (no trap: operands differ) and TNE/TNEI (no trap: operands equal).
    pub teq: T,
    pub tne: T,
    /// TGE/TGEU/TLT/TLTU and their immediate forms: an SLT/SLTU request whose result is
    /// `expect` (the no-trap case).
    pub trap_cmp: T,
}

pub const NUM_DECODED: usize = std::mem::size_of::<DecodedCols<u8>>();
pub const NUM_CLASSES: usize = std::mem::size_of::<ClassCols<u8>>();

impl<T: Copy> ClassCols<T> {
    pub fn as_array(&self) -> [T; NUM_CLASSES] {
        // SAFETY: `ClassCols` is `#[repr(C)]` with `NUM_CLASSES` fields of type `T`.
        unsafe { std::mem::transmute_copy(self) }
    }
    pub fn branches(&self) -> [T; 6] {
        [
            self.br_eq,
            self.br_ne,
            self.br_ltz,
            self.br_gez,
            self.br_lez,
            self.br_gtz,
        ]
    }
}

impl<T: Copy> DecodedCols<T> {
    pub fn as_array(&self) -> [T; NUM_DECODED] {
        // SAFETY: `DecodedCols` is `#[repr(C)]` with `NUM_DECODED` fields of type `T`.
        unsafe { std::mem::transmute_copy(self) }
    }
}

const RA: u8 = 31;

/// Register slots `(register, writes)` of an instruction, in the emulator's access order.
pub fn slots(i: &Insn) -> Vec<(u8, bool)> {
    use Op::*;
    let (rs, rt, rd) = (i.rs, i.rt, i.rd);
    let r = |x| (x, false);
    let w = |x| (x, true);
    match i.op {
        Addu | Subu | And | Or | Xor | Nor | Slt | Sltu | Mul | Add | Sub | Sllv | Srlv | Srav
        | Rotrv | Movz | Movn => vec![r(rs), r(rt), w(rd)],
        Addiu | Addi | Slti | Sltiu | Andi | Ori | Xori | Ext | Ins => vec![r(rs), w(rt)],
        Sll | Srl | Sra | Rotr | Wsbh | Seb | Seh => vec![r(rt), w(rd)],
        Clz | Clo => vec![r(rs), w(rd)],
        Jr => vec![r(rs)],
        Jalr => vec![r(rs), w(rd)],
        Mfhi => vec![r(REG_HI), w(rd)],
        Mflo => vec![r(REG_LO), w(rd)],
        Mthi => vec![r(rs), w(REG_HI)],
        Mtlo => vec![r(rs), w(REG_LO)],
        Mult | Multu | Madd | Maddu | Msub | Msubu | Div | Divu => {
            vec![r(rs), r(rt), w(REG_HI), w(REG_LO)]
        }
        Tge | Tgeu | Tlt | Tltu | Teq | Tne | Beq | Bne | Beql | Bnel => vec![r(rs), r(rt)],
        Tgei | Tgeiu | Tlti | Tltiu | Teqi | Tnei | Bltz | Bgez | Bltzl | Bgezl | Blez | Bgtz
        | Blezl | Bgtzl => vec![r(rs)],
        Bltzal | Bgezal | Bltzall | Bgezall => vec![r(rs), w(RA)],
        Jal => vec![r(0), w(RA)],
        Lui => vec![r(0), w(rt)],
        Rdhwr => vec![r(REG_TLS), w(rt)],
        Lb | Lbu | Lh | Lhu | Lw | Lwl | Lwr => vec![r(rs), w(rt)],
        Ll => vec![r(rs), w(rt), w(REG_LL_ADDR), w(REG_LL_VAL)],
        Sc => vec![r(rs), w(rt), r(REG_LL_ADDR), r(REG_LL_VAL)],
        Sb | Sh | Sw | Swl | Swr => vec![r(rs), r(rt)],
        J | Syscall | Break | Sync | Pref | Cache | Synci | Invalid => vec![],
    }
}

/// The load/store operation of an instruction.
pub fn ls_op(op: Op) -> Option<LsOp> {
    Some(match op {
        Op::Lb => LsOp::Lb,
        Op::Lbu => LsOp::Lbu,
        Op::Lh => LsOp::Lh,
        Op::Lhu => LsOp::Lhu,
        Op::Lw => LsOp::Lw,
        Op::Lwl => LsOp::Lwl,
        Op::Lwr => LsOp::Lwr,
        Op::Sb => LsOp::Sb,
        Op::Sh => LsOp::Sh,
        Op::Sw => LsOp::Sw,
        Op::Swl => LsOp::Swl,
        Op::Swr => LsOp::Swr,
        Op::Ll => LsOp::Ll,
        Op::Sc => LsOp::Sc,
        _ => return None,
    })
}

/// Decodes the instruction at `pc` (`None` fields stay 0: an instruction with no class set —
/// BREAK and invalid words — cannot appear on a real CPU row).
pub fn decode(pc: u32, i: &Insn) -> DecodedCols<u32> {
    use Op::*;
    let mut d = DecodedCols::<u32>::default();
    for (k, (reg, writes)) in slots(i).into_iter().enumerate() {
        d.reg[k] = reg as u32;
        d.mem[k] = (reg != 0) as u32;
        if k == 0 {
            assert!(!writes, "slot 0 is a read for every instruction");
        } else {
            d.write[k - 1] = writes as u32;
        }
    }
    let mut imm = 0u32;
    let c = &mut d.class;
    if let Some((op, operands)) = alu_op(i.op) {
        d.sub_op = op as u32;
        match operands {
            Operands::RsRt => c.alu_rrr = 1,
            Operands::RtRs => c.alu_var = 1,
            Operands::RsImm | Operands::RtSa => {
                c.alu_rri = 1;
                imm = i.imm;
            }
            Operands::Rs | Operands::Rt => c.alu_rri = 1,
        }
    }
    let link = pc.wrapping_add(8);
    let branch_target = pc.wrapping_add(4).wrapping_add(i.imm);
    match i.op {
        Mult | Multu | Madd | Maddu | Msub | Msubu => {
            c.mul64 = 1;
            let op = match i.op {
                Mult => Mul64Op::Mult,
                Multu => Mul64Op::Multu,
                Madd => Mul64Op::Madd,
                Maddu => Mul64Op::Maddu,
                Msub => Mul64Op::Msub,
                _ => Mul64Op::Msubu,
            };
            d.sub_op = op as u32;
        }
        Div | Divu => {
            c.div = 1;
            d.sub_op = if i.op == Div { DivOp::Div } else { DivOp::Divu } as u32;
        }
        Ext | Ins => {
            c.bitfield = 1;
            let (lsb, hi) = (i.imm & 31, (i.imm >> 8) & 31);
            let size_m1 = if i.op == Ext {
                hi
            } else {
                hi.wrapping_sub(lsb)
            };
            imm = lsb | (size_m1 & 0xff) << 8;
            d.sub_op = if i.op == Ext {
                BitfieldOp::Ext
            } else {
                BitfieldOp::Ins
            } as u32;
        }
        // RDHWR reads the thread pointer register, which Linux set_thread_area writes.
        Mfhi | Mflo | Mthi | Mtlo | Rdhwr => c.mov = 1,
        Movz => c.movz = 1,
        Movn => c.movn = 1,
        Beq | Beql => c.br_eq = 1,
        Bne | Bnel => c.br_ne = 1,
        Bltz | Bltzl | Bltzal | Bltzall => c.br_ltz = 1,
        Bgez | Bgezl | Bgezal | Bgezall => c.br_gez = 1,
        Blez | Blezl => c.br_lez = 1,
        Bgtz | Bgtzl => c.br_gtz = 1,
        J | Jal => c.jump = 1,
        Jr | Jalr => c.jr = 1,
        Syscall => c.syscall = 1,
        Lui => {
            c.plain = 1;
            imm = i.imm;
            d.imm_to_s1 = 1;
        }
        Sync | Pref | Cache | Synci => c.plain = 1,
        Teq | Teqi => c.teq = 1,
        Tne | Tnei => c.tne = 1,
        _ => {}
    }
    if let Some((op, expect, with_imm)) = trap_compare(i.op) {
        c.trap_cmp = 1;
        d.sub_op = op as u32;
        d.expect = expect;
        if with_imm {
            d.cmp_imm = 1;
        }
    }
    if let Some(op) = ls_op(i.op) {
        c.load_store = 1;
        d.sub_op = op as u32;
        imm = i.imm;
    }
    let is_branch = d.class.branches().contains(&1);
    d.likely = matches!(
        i.op,
        Beql | Bnel | Bltzl | Bgezl | Bltzall | Bgezall | Blezl | Bgtzl
    ) as u32;
    d.cmp_rt = matches!(i.op, Beq | Beql | Bne | Bnel | Teq | Tne) as u32;
    if matches!(i.op, Teqi | Tnei | Tgei | Tgeiu | Tlti | Tltiu) {
        d.cmp_imm = 1;
        imm = i.imm;
    }
    if is_branch {
        d.target = branch_target;
    }
    if matches!(i.op, J | Jal) {
        d.target = (pc.wrapping_add(4) & 0xf000_0000) | i.imm;
    }
    match i.op {
        Jal | Jalr | Bltzal | Bgezal | Bltzall | Bgezall => {
            imm = link;
            d.imm_to_s1 = 1;
        }
        _ => {}
    }
    d.imm = imm.to_le_bytes().map(u32::from);
    d
}

impl DecodedCols<u32> {
    /// The field elements the table stores (`target` outside the field becomes `p − 1`, which
    /// no program-table pc can equal).
    pub fn to_field(&self) -> DecodedCols<F> {
        let mut out = [F::ZERO; NUM_DECODED];
        for (o, v) in out.iter_mut().zip(self.as_array()) {
            *o = F::from_u32(v);
        }
        let mut d: DecodedCols<F> = unsafe { std::mem::transmute_copy(&out) };
        if self.target >= crate::F_ORDER {
            d.target = F::NEG_ONE;
        }
        d
    }
}
