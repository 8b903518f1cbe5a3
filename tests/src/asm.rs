//! A small MIPS32r2 encoder for generated test programs.
//!
//! It is independent of the emulator's decoder on purpose: the differential tests run the same
//! bytes under qemu, so an encoding slip here changes which instruction is tested, never whether
//! the comparison is fair.

/// R-type (SPECIAL) instruction.
pub const fn special(funct: u32, rs: u32, rt: u32, rd: u32, sa: u32) -> u32 {
    (rs << 21) | (rt << 16) | (rd << 11) | (sa << 6) | funct
}

/// SPECIAL2 (opcode 0x1c) instruction.
pub const fn special2(funct: u32, rs: u32, rt: u32, rd: u32) -> u32 {
    (0x1c << 26) | special(funct, rs, rt, rd, 0)
}

/// SPECIAL3 (opcode 0x1f) instruction.
pub const fn special3(funct: u32, rs: u32, rt: u32, rd: u32, sa: u32) -> u32 {
    (0x1f << 26) | special(funct, rs, rt, rd, sa)
}

/// I-type instruction.
pub const fn itype(op: u32, rs: u32, rt: u32, imm: u16) -> u32 {
    (op << 26) | (rs << 21) | (rt << 16) | imm as u32
}

/// REGIMM (opcode 1) instruction: `rt` selects the operation.
pub const fn regimm(sub: u32, rs: u32, imm: u16) -> u32 {
    itype(1, rs, sub, imm)
}

/// J-type instruction with a 26-bit word index.
pub const fn jtype(op: u32, target: u32) -> u32 {
    (op << 26) | ((target >> 2) & 0x03ff_ffff)
}

pub const NOP: u32 = 0;
pub const SYSCALL: u32 = 0x0000_000c;

pub const fn lui(rt: u32, imm: u16) -> u32 {
    itype(0x0f, 0, rt, imm)
}
pub const fn ori(rt: u32, rs: u32, imm: u16) -> u32 {
    itype(0x0d, rs, rt, imm)
}
pub const fn addiu(rt: u32, rs: u32, imm: u16) -> u32 {
    itype(0x09, rs, rt, imm)
}
pub const fn jr(rs: u32) -> u32 {
    special(0x08, rs, 0, 0, 0)
}
pub const fn mthi(rs: u32) -> u32 {
    special(0x11, rs, 0, 0, 0)
}
pub const fn mtlo(rs: u32) -> u32 {
    special(0x13, rs, 0, 0, 0)
}

/// `lui rt, hi; ori rt, rt, lo`: loads any 32-bit constant.
pub fn li(rt: u32, v: u32) -> [u32; 2] {
    [lui(rt, (v >> 16) as u16), ori(rt, rt, v as u16)]
}
