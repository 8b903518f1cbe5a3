//! Instruction decoding: 32-bit MIPS32r2 words into a compact [`Insn`].
//!
//! Decoding happens once, when the program is loaded, so the executor's hot loop dispatches on
//! a one-byte [`Op`] instead of re-parsing bit fields. Words that are not a supported integer
//! instruction decode to [`Op::Invalid`] with a [`InvalidKind`]: text segments routinely contain
//! data, so the error is raised only if such a word is actually executed.

macro_rules! ops {
    ($($name:ident => $mnemonic:literal,)*) => {
        /// Every operation the executor implements, one per MIPS mnemonic (plus `Invalid`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Op { $($name,)* }

        impl Op {
            /// All operations, in declaration order (`Op::ALL[op as usize] == op`).
            pub const ALL: &'static [Op] = &[$(Op::$name,)*];
            /// Number of distinct operations.
            pub const COUNT: usize = Op::ALL.len();

            /// The assembler mnemonic.
            pub fn mnemonic(self) -> &'static str {
                match self { $(Op::$name => $mnemonic,)* }
            }
        }
    };
}

ops! {
    Sll => "sll", Srl => "srl", Sra => "sra", Rotr => "rotr",
    Sllv => "sllv", Srlv => "srlv", Srav => "srav", Rotrv => "rotrv",
    Jr => "jr", Jalr => "jalr", Movz => "movz", Movn => "movn",
    Syscall => "syscall", Break => "break", Sync => "sync",
    Mfhi => "mfhi", Mthi => "mthi", Mflo => "mflo", Mtlo => "mtlo",
    Mult => "mult", Multu => "multu", Div => "div", Divu => "divu",
    Add => "add", Addu => "addu", Sub => "sub", Subu => "subu",
    And => "and", Or => "or", Xor => "xor", Nor => "nor", Slt => "slt", Sltu => "sltu",
    Tge => "tge", Tgeu => "tgeu", Tlt => "tlt", Tltu => "tltu", Teq => "teq", Tne => "tne",
    Bltz => "bltz", Bgez => "bgez", Bltzl => "bltzl", Bgezl => "bgezl",
    Bltzal => "bltzal", Bgezal => "bgezal", Bltzall => "bltzall", Bgezall => "bgezall",
    Tgei => "tgei", Tgeiu => "tgeiu", Tlti => "tlti", Tltiu => "tltiu", Teqi => "teqi", Tnei => "tnei",
    J => "j", Jal => "jal", Beq => "beq", Bne => "bne", Blez => "blez", Bgtz => "bgtz",
    Beql => "beql", Bnel => "bnel", Blezl => "blezl", Bgtzl => "bgtzl",
    Addi => "addi", Addiu => "addiu", Slti => "slti", Sltiu => "sltiu",
    Andi => "andi", Ori => "ori", Xori => "xori", Lui => "lui",
    Madd => "madd", Maddu => "maddu", Mul => "mul", Msub => "msub", Msubu => "msubu",
    Clz => "clz", Clo => "clo",
    Ext => "ext", Ins => "ins", Wsbh => "wsbh", Seb => "seb", Seh => "seh", Rdhwr => "rdhwr",
    Lb => "lb", Lh => "lh", Lwl => "lwl", Lw => "lw", Lbu => "lbu", Lhu => "lhu", Lwr => "lwr",
    Sb => "sb", Sh => "sh", Swl => "swl", Sw => "sw", Swr => "swr", Ll => "ll", Sc => "sc",
    Pref => "pref", Cache => "cache", Synci => "synci",
    Invalid => "(invalid)",
}

/// Why a word is not an executable instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum InvalidKind {
    /// Not a MIPS32r2 encoding at all (reserved instruction).
    Reserved,
    /// A floating-point (COP1/COP1X or FPU load/store) instruction: guests must be soft-float.
    Fpu,
    /// A valid MIPS instruction that a user-mode zkVM guest cannot use (COP0, COP2, SDBBP, RDHWR
    /// of a register other than $29, ...).
    Unsupported,
}

impl InvalidKind {
    fn from_u8(v: u8) -> Self {
        match v {
            1 => InvalidKind::Fpu,
            2 => InvalidKind::Unsupported,
            _ => InvalidKind::Reserved,
        }
    }
}

/// A decoded instruction; 8 bytes so the decoded program stays cache-friendly.
///
/// Field use by format: `rs`/`rt`/`rd` are register numbers; `imm` holds the sign- or
/// zero-extended immediate (already as the operation consumes it), the shift amount, the branch
/// offset in bytes, the jump's 28-bit region offset, `lsb | msb << 8` for EXT/INS, the trap or
/// syscall code, or the [`InvalidKind`] for `Invalid`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    pub op: Op,
    pub rs: u8,
    pub rt: u8,
    pub rd: u8,
    pub imm: u32,
}

impl Insn {
    const fn new(op: Op, rs: u32, rt: u32, rd: u32, imm: u32) -> Self {
        Insn {
            op,
            rs: rs as u8,
            rt: rt as u8,
            rd: rd as u8,
            imm,
        }
    }

    const fn invalid(kind: InvalidKind) -> Self {
        Insn::new(Op::Invalid, 0, 0, 0, kind as u32)
    }

    /// Why this instruction cannot run, if it is `Invalid`.
    pub fn invalid_kind(&self) -> Option<InvalidKind> {
        (self.op == Op::Invalid).then(|| InvalidKind::from_u8(self.imm as u8))
    }

    /// True for every branch and jump (instructions that own a delay slot).
    pub fn is_control_transfer(&self) -> bool {
        use Op::*;
        matches!(
            self.op,
            Jr | Jalr
                | J
                | Jal
                | Beq
                | Bne
                | Blez
                | Bgtz
                | Beql
                | Bnel
                | Blezl
                | Bgtzl
                | Bltz
                | Bgez
                | Bltzl
                | Bgezl
                | Bltzal
                | Bgezal
                | Bltzall
                | Bgezall
        )
    }
}

#[inline]
fn sext16(v: u32) -> u32 {
    v as u16 as i16 as i32 as u32
}

/// Decodes one instruction word. Never fails: unusable words become [`Op::Invalid`].
pub fn decode(word: u32) -> Insn {
    use InvalidKind::*;
    use Op::*;
    let opcode = word >> 26;
    let rs = (word >> 21) & 31;
    let rt = (word >> 16) & 31;
    let rd = (word >> 11) & 31;
    let sa = (word >> 6) & 31;
    let funct = word & 63;
    let imm_s = sext16(word & 0xffff);
    let imm_z = word & 0xffff;
    let boff = imm_s << 2;
    let r = |op: Op| Insn::new(op, rs, rt, rd, sa);
    let i_s = |op: Op| Insn::new(op, rs, rt, 0, imm_s);
    let i_z = |op: Op| Insn::new(op, rs, rt, 0, imm_z);
    let br = |op: Op| Insn::new(op, rs, rt, 0, boff);
    match opcode {
        0x00 => match funct {
            // SLL/SRL/SRA require rs == 0; SRL with rs == 1 is ROTR (release 2).
            0x00 if rs == 0 => r(Sll),
            0x02 if rs == 0 => r(Srl),
            0x02 if rs == 1 => r(Rotr),
            0x03 if rs == 0 => r(Sra),
            0x04 if sa == 0 => r(Sllv),
            0x06 if sa == 0 => r(Srlv),
            0x06 if sa == 1 => r(Rotrv),
            0x07 if sa == 0 => r(Srav),
            // JR/JALR: bits 10..6 carry the hazard-barrier hint, which user code may set.
            0x08 if rt == 0 && rd == 0 => r(Jr),
            0x09 if rt == 0 => r(Jalr),
            0x0a if sa == 0 => r(Movz),
            0x0b if sa == 0 => r(Movn),
            0x01 => invalid(Fpu), // MOVF/MOVT test FPU condition codes
            0x0c => Insn::new(Syscall, 0, 0, 0, (word >> 6) & 0xfffff),
            0x0d => Insn::new(Break, 0, 0, 0, (word >> 6) & 0xfffff),
            0x0f => r(Sync),
            0x10 if rs == 0 && rt == 0 && sa == 0 => r(Mfhi),
            0x11 if rt == 0 && rd == 0 && sa == 0 => r(Mthi),
            0x12 if rs == 0 && rt == 0 && sa == 0 => r(Mflo),
            0x13 if rt == 0 && rd == 0 && sa == 0 => r(Mtlo),
            0x18 if rd == 0 && sa == 0 => r(Mult),
            0x19 if rd == 0 && sa == 0 => r(Multu),
            0x1a if rd == 0 && sa == 0 => r(Div),
            0x1b if rd == 0 && sa == 0 => r(Divu),
            0x20 if sa == 0 => r(Add),
            0x21 if sa == 0 => r(Addu),
            0x22 if sa == 0 => r(Sub),
            0x23 if sa == 0 => r(Subu),
            0x24 if sa == 0 => r(And),
            0x25 if sa == 0 => r(Or),
            0x26 if sa == 0 => r(Xor),
            0x27 if sa == 0 => r(Nor),
            0x2a if sa == 0 => r(Slt),
            0x2b if sa == 0 => r(Sltu),
            0x30 => Insn::new(Tge, rs, rt, 0, (word >> 6) & 0x3ff),
            0x31 => Insn::new(Tgeu, rs, rt, 0, (word >> 6) & 0x3ff),
            0x32 => Insn::new(Tlt, rs, rt, 0, (word >> 6) & 0x3ff),
            0x33 => Insn::new(Tltu, rs, rt, 0, (word >> 6) & 0x3ff),
            0x34 => Insn::new(Teq, rs, rt, 0, (word >> 6) & 0x3ff),
            0x36 => Insn::new(Tne, rs, rt, 0, (word >> 6) & 0x3ff),
            _ => invalid(Reserved),
        },
        0x01 => match rt {
            0x00 => br(Bltz),
            0x01 => br(Bgez),
            0x02 => br(Bltzl),
            0x03 => br(Bgezl),
            0x08 => i_s(Tgei),
            0x09 => i_s(Tgeiu),
            0x0a => i_s(Tlti),
            0x0b => i_s(Tltiu),
            0x0c => i_s(Teqi),
            0x0e => i_s(Tnei),
            0x10 => br(Bltzal),
            0x11 => br(Bgezal),
            0x12 => br(Bltzall),
            0x13 => br(Bgezall),
            0x1f => i_s(Synci),
            _ => invalid(Reserved),
        },
        0x02 => Insn::new(J, 0, 0, 0, (word & 0x03ff_ffff) << 2),
        0x03 => Insn::new(Jal, 0, 0, 0, (word & 0x03ff_ffff) << 2),
        0x04 => br(Beq),
        0x05 => br(Bne),
        0x06 if rt == 0 => br(Blez),
        0x07 if rt == 0 => br(Bgtz),
        0x08 => i_s(Addi),
        0x09 => i_s(Addiu),
        0x0a => i_s(Slti),
        0x0b => i_s(Sltiu),
        0x0c => i_z(Andi),
        0x0d => i_z(Ori),
        0x0e => i_z(Xori),
        0x0f if rs == 0 => Insn::new(Lui, 0, rt, 0, imm_z << 16),
        0x10 => invalid(Unsupported), // COP0: kernel mode only
        0x11 | 0x13 | 0x31 | 0x35 | 0x39 | 0x3d => invalid(Fpu), // COP1, COP1X, LWC1, LDC1, SWC1, SDC1
        0x12 | 0x32 | 0x36 | 0x3a | 0x3e => invalid(Unsupported), // COP2 and its loads/stores
        0x14 => br(Beql),
        0x15 => br(Bnel),
        0x16 if rt == 0 => br(Blezl),
        0x17 if rt == 0 => br(Bgtzl),
        0x1c => match funct {
            0x00 if rd == 0 && sa == 0 => r(Madd),
            0x01 if rd == 0 && sa == 0 => r(Maddu),
            0x02 if sa == 0 => r(Mul),
            0x04 if rd == 0 && sa == 0 => r(Msub),
            0x05 if rd == 0 && sa == 0 => r(Msubu),
            0x20 if sa == 0 => r(Clz),
            0x21 if sa == 0 => r(Clo),
            0x3f => invalid(Unsupported), // SDBBP: debug exception
            _ => invalid(Reserved),
        },
        0x1f => match funct {
            // EXT: size = msbd + 1; positions past bit 31 are reserved (qemu raises RI too).
            0x00 if sa + rd <= 31 => Insn::new(Ext, rs, rt, 0, sa | (rd << 8)),
            // INS: msb >= lsb is required.
            0x04 if rd >= sa => Insn::new(Ins, rs, rt, 0, sa | (rd << 8)),
            0x20 if rs == 0 => match sa {
                0x02 => r(Wsbh),
                0x10 => r(Seb),
                0x18 => r(Seh),
                _ => invalid(Reserved),
            },
            0x3b if rs == 0 && sa == 0 => {
                if rd == 29 {
                    r(Rdhwr)
                } else {
                    invalid(Unsupported)
                }
            }
            _ => invalid(Reserved),
        },
        0x20 => i_s(Lb),
        0x21 => i_s(Lh),
        0x22 => i_s(Lwl),
        0x23 => i_s(Lw),
        0x24 => i_s(Lbu),
        0x25 => i_s(Lhu),
        0x26 => i_s(Lwr),
        0x28 => i_s(Sb),
        0x29 => i_s(Sh),
        0x2a => i_s(Swl),
        0x2b => i_s(Sw),
        0x2e => i_s(Swr),
        0x2f => i_s(Cache),
        0x30 => i_s(Ll),
        0x33 => i_s(Pref),
        0x38 => i_s(Sc),
        _ => invalid(Reserved),
    }
}

const fn invalid(kind: InvalidKind) -> Insn {
    Insn::invalid(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_table_is_consistent() {
        for (i, op) in Op::ALL.iter().enumerate() {
            assert_eq!(*op as usize, i);
        }
        assert_eq!(std::mem::size_of::<Insn>(), 8);
    }

    #[test]
    fn decodes_common_encodings() {
        // addiu $sp, $sp, -32
        let i = decode(0x27bd_ffe0);
        assert_eq!(
            (i.op, i.rs, i.rt, i.imm),
            (Op::Addiu, 29, 29, (-32i32) as u32)
        );
        // jr $ra
        assert_eq!(decode(0x03e0_0008).op, Op::Jr);
        // jr.hb $ra (hint bit 10)
        assert_eq!(decode(0x03e0_0408).op, Op::Jr);
        // rotr $t0, $t1, 4
        assert_eq!(decode(0x0029_4102).op, Op::Rotr);
        // add.s $f0, $f1, $f2 is FPU
        assert_eq!(decode(0x4602_0840).invalid_kind(), Some(InvalidKind::Fpu));
        // rdhwr $3, $29
        assert_eq!(decode(0x7c03_e83b).op, Op::Rdhwr);
        // lui $at, 0x1234
        let i = decode(0x3c01_1234);
        assert_eq!((i.op, i.rt, i.imm), (Op::Lui, 1, 0x1234_0000));
    }

    #[test]
    fn every_word_decodes_without_panicking() {
        // A stride through the whole encoding space, hitting every opcode/funct pair.
        let mut w: u32 = 0;
        for _ in 0..1_000_000 {
            let _ = decode(w);
            w = w.wrapping_add(0x0000_10c7).rotate_left(7);
        }
    }
}
