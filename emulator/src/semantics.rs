//! Instruction semantics of the MIPS32r2 integer ISA.
//!
//! Register accesses go through `read`/`write` in the order the AIR will see them, so the same
//! code produces both the architectural effect and the step record. Where the architecture
//! leaves a result unpredictable we follow qemu-mipsel (our differential reference):
//! - DIV/DIVU by zero, and DIV of INT_MIN by -1: the divisor is taken as 1, so LO = dividend and
//!   HI = 0;
//! - MUL leaves HI/LO unchanged;
//! - JALR/BxxAL whose link register is also the source: the source is read first.

use crate::error::ExecErrorKind;
use crate::executor::{Executor, Flow, Stop};
use crate::insn::{Insn, InvalidKind, Op};
use crate::record::{REG_HI, REG_LL_ADDR, REG_LL_VAL, REG_LO};

const RA: u8 = 31;

impl Executor {
    #[inline(always)]
    pub(crate) fn execute<const REC: bool>(&mut self, i: Insn) -> Result<Flow, Stop> {
        use Op::*;
        let (rs, rt, rd, imm) = (i.rs, i.rt, i.rd, i.imm);
        macro_rules! rrr {
            ($f:expr) => {{
                let a = self.read::<REC>(rs);
                let b = self.read::<REC>(rt);
                let f: fn(u32, u32) -> u32 = $f;
                self.write::<REC>(rd, f(a, b));
                Flow::Next
            }};
        }
        macro_rules! rri {
            ($f:expr) => {{
                let a = self.read::<REC>(rs);
                let f: fn(u32, u32) -> u32 = $f;
                self.write::<REC>(rt, f(a, imm));
                Flow::Next
            }};
        }
        macro_rules! shift_imm {
            ($f:expr) => {{
                let b = self.read::<REC>(rt);
                let f: fn(u32, u32) -> u32 = $f;
                self.write::<REC>(rd, f(b, imm));
                Flow::Next
            }};
        }
        macro_rules! shift_var {
            ($f:expr) => {{
                let s = self.read::<REC>(rs);
                let b = self.read::<REC>(rt);
                let f: fn(u32, u32) -> u32 = $f;
                self.write::<REC>(rd, f(b, s & 31));
                Flow::Next
            }};
        }
        macro_rules! trap_rr {
            ($cond:expr) => {{
                let a = self.read::<REC>(rs);
                let b = self.read::<REC>(rt);
                let c: fn(u32, u32) -> bool = $cond;
                if c(a, b) {
                    return Err(ExecErrorKind::Trap(imm).into());
                }
                Flow::Next
            }};
        }
        macro_rules! trap_ri {
            ($cond:expr) => {{
                let a = self.read::<REC>(rs);
                let c: fn(u32, u32) -> bool = $cond;
                if c(a, imm) {
                    return Err(ExecErrorKind::Trap(0).into());
                }
                Flow::Next
            }};
        }
        // Branches: compare, optionally link, then pick the flow. `likely` nullifies the slot
        // when not taken.
        macro_rules! branch {
            (two $cond:expr, $likely:expr) => {{
                self.check_not_in_delay()?;
                let a = self.read::<REC>(rs);
                let b = self.read::<REC>(rt);
                let c: fn(u32, u32) -> bool = $cond;
                self.branch_flow(c(a, b), imm, $likely)
            }};
            (one $cond:expr, $likely:expr, $link:expr) => {{
                self.check_not_in_delay()?;
                let a = self.read::<REC>(rs);
                if $link {
                    let ra = self.pc.wrapping_add(8);
                    self.write::<REC>(RA, ra);
                }
                let c: fn(i32) -> bool = $cond;
                self.branch_flow(c(a as i32), imm, $likely)
            }};
        }
        let flow = match i.op {
            Sll => shift_imm!(|b, s| b << s),
            Srl => shift_imm!(|b, s| b >> s),
            Sra => shift_imm!(|b, s| ((b as i32) >> s) as u32),
            Rotr => shift_imm!(|b, s| b.rotate_right(s)),
            Sllv => shift_var!(|b, s| b << s),
            Srlv => shift_var!(|b, s| b >> s),
            Srav => shift_var!(|b, s| ((b as i32) >> s) as u32),
            Rotrv => shift_var!(|b, s| b.rotate_right(s)),
            Jr => {
                self.check_not_in_delay()?;
                Flow::Branch(self.read::<REC>(rs))
            }
            Jalr => {
                self.check_not_in_delay()?;
                let target = self.read::<REC>(rs);
                let link = self.pc.wrapping_add(8);
                self.write::<REC>(rd, link);
                Flow::Branch(target)
            }
            Movz | Movn => {
                let a = self.read::<REC>(rs);
                let b = self.read::<REC>(rt);
                let old = self.regs[rd as usize];
                let take = (b == 0) == (i.op == Movz);
                // Always a write access (of the old value when not moving) so the AIR sees one shape.
                self.write::<REC>(rd, if take { a } else { old });
                Flow::Next
            }
            Syscall => return self.syscall::<REC>().map(|_| Flow::Next),
            Break => return Err(ExecErrorKind::Break(imm >> 10).into()),
            Sync | Pref | Cache | Synci => Flow::Next,
            Mfhi => {
                let v = self.read::<REC>(REG_HI);
                self.write::<REC>(rd, v);
                Flow::Next
            }
            Mflo => {
                let v = self.read::<REC>(REG_LO);
                self.write::<REC>(rd, v);
                Flow::Next
            }
            Mthi => {
                let v = self.read::<REC>(rs);
                self.write::<REC>(REG_HI, v);
                Flow::Next
            }
            Mtlo => {
                let v = self.read::<REC>(rs);
                self.write::<REC>(REG_LO, v);
                Flow::Next
            }
            Mult | Multu | Madd | Maddu | Msub | Msubu => {
                let a = self.read::<REC>(rs);
                let b = self.read::<REC>(rt);
                let prod = match i.op {
                    Mult | Madd | Msub => (a as i32 as i64).wrapping_mul(b as i32 as i64) as u64,
                    _ => (a as u64) * (b as u64),
                };
                let acc =
                    ((self.regs[REG_HI as usize] as u64) << 32) | self.regs[REG_LO as usize] as u64;
                let res = match i.op {
                    Mult | Multu => prod,
                    Madd | Maddu => acc.wrapping_add(prod),
                    _ => acc.wrapping_sub(prod),
                };
                self.write::<REC>(REG_HI, (res >> 32) as u32);
                self.write::<REC>(REG_LO, res as u32);
                Flow::Next
            }
            Div => {
                let a = self.read::<REC>(rs) as i32;
                let b = self.read::<REC>(rt) as i32;
                let d = if b == 0 || (a == i32::MIN && b == -1) {
                    1
                } else {
                    b
                };
                self.write::<REC>(REG_HI, a.wrapping_rem(d) as u32);
                self.write::<REC>(REG_LO, a.wrapping_div(d) as u32);
                Flow::Next
            }
            Divu => {
                let a = self.read::<REC>(rs);
                let b = self.read::<REC>(rt);
                let d = if b == 0 { 1 } else { b };
                self.write::<REC>(REG_HI, a % d);
                self.write::<REC>(REG_LO, a / d);
                Flow::Next
            }
            Add | Sub => {
                let a = self.read::<REC>(rs) as i32;
                let b = self.read::<REC>(rt) as i32;
                let r = if i.op == Add {
                    a.checked_add(b)
                } else {
                    a.checked_sub(b)
                };
                let r = r.ok_or(ExecErrorKind::IntegerOverflow)?;
                self.write::<REC>(rd, r as u32);
                Flow::Next
            }
            Addu => rrr!(|a, b| a.wrapping_add(b)),
            Subu => rrr!(|a, b| a.wrapping_sub(b)),
            And => rrr!(|a, b| a & b),
            Or => rrr!(|a, b| a | b),
            Xor => rrr!(|a, b| a ^ b),
            Nor => rrr!(|a, b| !(a | b)),
            Slt => rrr!(|a, b| ((a as i32) < (b as i32)) as u32),
            Sltu => rrr!(|a, b| (a < b) as u32),
            Mul => rrr!(|a, b| a.wrapping_mul(b)),
            Tge => trap_rr!(|a, b| a as i32 >= b as i32),
            Tgeu => trap_rr!(|a, b| a >= b),
            Tlt => trap_rr!(|a, b| (a as i32) < b as i32),
            Tltu => trap_rr!(|a, b| a < b),
            Teq => trap_rr!(|a, b| a == b),
            Tne => trap_rr!(|a, b| a != b),
            Tgei => trap_ri!(|a, b| a as i32 >= b as i32),
            Tgeiu => trap_ri!(|a, b| a >= b),
            Tlti => trap_ri!(|a, b| (a as i32) < b as i32),
            Tltiu => trap_ri!(|a, b| a < b),
            Teqi => trap_ri!(|a, b| a == b),
            Tnei => trap_ri!(|a, b| a != b),
            Bltz => branch!(one | a | a < 0, false, false),
            Bgez => branch!(one | a | a >= 0, false, false),
            Bltzl => branch!(one | a | a < 0, true, false),
            Bgezl => branch!(one | a | a >= 0, true, false),
            Bltzal => branch!(one | a | a < 0, false, true),
            Bgezal => branch!(one | a | a >= 0, false, true),
            Bltzall => branch!(one | a | a < 0, true, true),
            Bgezall => branch!(one | a | a >= 0, true, true),
            Blez => branch!(one | a | a <= 0, false, false),
            Bgtz => branch!(one | a | a > 0, false, false),
            Blezl => branch!(one | a | a <= 0, true, false),
            Bgtzl => branch!(one | a | a > 0, true, false),
            Beq => branch!(two | a, b | a == b, false),
            Bne => branch!(two | a, b | a != b, false),
            Beql => branch!(two | a, b | a == b, true),
            Bnel => branch!(two | a, b | a != b, true),
            J | Jal => {
                self.check_not_in_delay()?;
                if i.op == Jal {
                    // Slot 0 of every instruction is a read (the CPU row has no write columns
                    // there), so the link goes to slot 1 after a read of $0.
                    self.read::<REC>(0);
                    let link = self.pc.wrapping_add(8);
                    self.write::<REC>(RA, link);
                }
                Flow::Branch((self.next_pc & 0xf000_0000) | imm)
            }
            Addi => {
                let a = self.read::<REC>(rs) as i32;
                let r = a
                    .checked_add(imm as i32)
                    .ok_or(ExecErrorKind::IntegerOverflow)?;
                self.write::<REC>(rt, r as u32);
                Flow::Next
            }
            Addiu => rri!(|a, b| a.wrapping_add(b)),
            Slti => rri!(|a, b| ((a as i32) < (b as i32)) as u32),
            Sltiu => rri!(|a, b| (a < b) as u32),
            Andi => rri!(|a, b| a & b),
            Ori => rri!(|a, b| a | b),
            Xori => rri!(|a, b| a ^ b),
            Lui => {
                // As JAL: a read of $0 in slot 0, the write in slot 1.
                self.read::<REC>(0);
                self.write::<REC>(rt, imm);
                Flow::Next
            }
            Clz | Clo => {
                let a = self.read::<REC>(rs);
                let v = if i.op == Clz {
                    a.leading_zeros()
                } else {
                    a.leading_ones()
                };
                self.write::<REC>(rd, v);
                Flow::Next
            }
            Ext => {
                let a = self.read::<REC>(rs);
                let (lsb, size) = (imm & 31, ((imm >> 8) & 31) + 1);
                let mask = if size == 32 {
                    u32::MAX
                } else {
                    (1 << size) - 1
                };
                self.write::<REC>(rt, (a >> lsb) & mask);
                Flow::Next
            }
            Ins => {
                let a = self.read::<REC>(rs);
                let (lsb, msb) = (imm & 31, (imm >> 8) & 31);
                let size = msb - lsb + 1;
                let mask = if size == 32 {
                    u32::MAX
                } else {
                    ((1u32 << size) - 1) << lsb
                };
                let old = self.regs[rt as usize];
                self.write::<REC>(rt, (old & !mask) | ((a << lsb) & mask));
                Flow::Next
            }
            Wsbh => shift_imm!(|b, _| ((b & 0x00ff_00ff) << 8) | ((b >> 8) & 0x00ff_00ff)),
            Seb => shift_imm!(|b, _| b as u8 as i8 as i32 as u32),
            Seh => shift_imm!(|b, _| b as u16 as i16 as i32 as u32),
            Rdhwr => {
                let v = self.read::<REC>(crate::record::REG_TLS);
                self.write::<REC>(rt, v);
                Flow::Next
            }
            Lb | Lbu | Lh | Lhu | Lw | Ll => {
                let addr = self.read::<REC>(rs).wrapping_add(imm);
                let size = match i.op {
                    Lb | Lbu => 1,
                    Lh | Lhu => 2,
                    _ => 4,
                };
                if addr & (size - 1) != 0 {
                    return Err(ExecErrorKind::MisalignedAccess { addr, size }.into());
                }
                let w = self.load_word::<REC>(addr);
                let sh = (addr & 3) * 8;
                let v = match i.op {
                    Lb => (w >> sh) as u8 as i8 as i32 as u32,
                    Lbu => (w >> sh) as u8 as u32,
                    Lh => (w >> sh) as u16 as i16 as i32 as u32,
                    Lhu => (w >> sh) as u16 as u32,
                    _ => w,
                };
                self.write::<REC>(rt, v);
                if i.op == Ll {
                    self.write::<REC>(REG_LL_ADDR, addr.wrapping_add(1));
                    self.write::<REC>(REG_LL_VAL, w);
                }
                Flow::Next
            }
            Lwl | Lwr => {
                let addr = self.read::<REC>(rs).wrapping_add(imm);
                let w = self.load_word::<REC>(addr);
                let old = self.regs[rt as usize];
                let v = if i.op == Lwl {
                    lwl(old, w, addr)
                } else {
                    lwr(old, w, addr)
                };
                self.write::<REC>(rt, v);
                Flow::Next
            }
            Sb | Sh | Sw => {
                let addr = self.read::<REC>(rs).wrapping_add(imm);
                let v = self.read::<REC>(rt);
                let size = match i.op {
                    Sb => 1,
                    Sh => 2,
                    _ => 4,
                };
                if addr & (size - 1) != 0 {
                    return Err(ExecErrorKind::MisalignedAccess { addr, size }.into());
                }
                let sh = (addr & 3) * 8;
                let mask = if size == 4 {
                    u32::MAX
                } else {
                    ((1u32 << (8 * size)) - 1) << sh
                };
                self.modify_word::<REC>(addr, |w| (w & !mask) | ((v << sh) & mask));
                Flow::Next
            }
            Swl | Swr => {
                let addr = self.read::<REC>(rs).wrapping_add(imm);
                let v = self.read::<REC>(rt);
                if i.op == Swl {
                    self.modify_word::<REC>(addr, |w| swl(w, v, addr));
                } else {
                    self.modify_word::<REC>(addr, |w| swr(w, v, addr));
                }
                Flow::Next
            }
            Sc => {
                let addr = self.read::<REC>(rs).wrapping_add(imm);
                if addr & 3 != 0 {
                    return Err(ExecErrorKind::MisalignedAccess { addr, size: 4 }.into());
                }
                let v = self.regs[rt as usize];
                // As in qemu, SC does not clear the link: a later SC to the same address succeeds
                // again if the word still holds the value LL read. The link registers are read
                // after rt is written (slots 2 and 3), the order the AIR expects.
                let (link_addr, link_val) = (
                    self.regs[REG_LL_ADDR as usize],
                    self.regs[REG_LL_VAL as usize],
                );
                let cur = self.mem.word(addr);
                let ok = link_addr == addr.wrapping_add(1) && link_val == cur;
                if ok {
                    self.modify_word::<REC>(addr, |_| v);
                } else {
                    self.load_word::<REC>(addr);
                }
                self.write::<REC>(rt, ok as u32);
                self.read::<REC>(REG_LL_ADDR);
                self.read::<REC>(REG_LL_VAL);
                Flow::Next
            }
            Invalid => {
                let kind = match i.invalid_kind() {
                    Some(InvalidKind::Fpu) => ExecErrorKind::Fpu,
                    Some(InvalidKind::Unsupported) => ExecErrorKind::Unsupported,
                    _ => ExecErrorKind::Illegal,
                };
                return Err(kind.into());
            }
        };
        Ok(flow)
    }

    #[inline(always)]
    fn check_not_in_delay(&self) -> Result<(), Stop> {
        if self.in_delay {
            Err(ExecErrorKind::BranchInDelaySlot.into())
        } else {
            Ok(())
        }
    }

    #[inline(always)]
    fn branch_flow(&self, taken: bool, offset: u32, likely: bool) -> Flow {
        match (taken, likely) {
            (true, _) => Flow::Branch(self.next_pc.wrapping_add(offset)),
            (false, false) => Flow::NotTaken,
            (false, true) => Flow::Nullify,
        }
    }
}

// Unaligned word access, little-endian. `addr & 3` selects how many bytes come from memory.
// LWL/SWL move the most-significant bytes of the register, LWR/SWR the least-significant.

/// LWL: the bytes from `addr` down to the start of its word become the register's high bytes.
pub fn lwl(reg: u32, mem: u32, addr: u32) -> u32 {
    let sh = (3 - (addr & 3)) * 8;
    let keep = if sh == 0 { 0 } else { u32::MAX >> (32 - sh) };
    (reg & keep) | (mem << sh)
}

/// LWR: the bytes from `addr` up to the end of its word become the register's low bytes.
pub fn lwr(reg: u32, mem: u32, addr: u32) -> u32 {
    let sh = (addr & 3) * 8;
    let keep = if sh == 0 { 0 } else { !(u32::MAX >> sh) };
    (reg & keep) | (mem >> sh)
}

/// SWL: the register's high bytes are stored from `addr` down to the start of its word.
pub fn swl(mem: u32, reg: u32, addr: u32) -> u32 {
    let sh = (3 - (addr & 3)) * 8;
    let write = u32::MAX >> sh;
    (mem & !write) | (reg >> sh)
}

/// SWR: the register's low bytes are stored from `addr` up to the end of its word.
pub fn swr(mem: u32, reg: u32, addr: u32) -> u32 {
    let sh = (addr & 3) * 8;
    let write = u32::MAX << sh;
    (mem & !write) | (reg << sh)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An unaligned word load done as LWR at `a` then LWL at `a + 3` (what gcc emits for `ulw`)
    /// equals the four bytes read one by one; likewise for stores with SWR/SWL.
    #[test]
    fn unaligned_pairs_match_bytewise_access() {
        let bytes: Vec<u8> = (0u8..16)
            .map(|i| i.wrapping_mul(37).wrapping_add(11))
            .collect();
        let word_at =
            |a: u32| u32::from_le_bytes(bytes[a as usize..a as usize + 4].try_into().unwrap());
        let mem_word = |a: u32| word_at(a & !3);
        for a in 0..12u32 {
            let r = lwr(0xdead_beef, mem_word(a), a);
            let r = lwl(r, mem_word(a + 3), a + 3);
            assert_eq!(r, word_at(a), "ulw at {a}");

            let mut m = bytes.clone();
            let v = 0x1122_3344u32;
            let get = |m: &Vec<u8>, a: u32| {
                u32::from_le_bytes(
                    m[(a & !3) as usize..(a & !3) as usize + 4]
                        .try_into()
                        .unwrap(),
                )
            };
            let put = |m: &mut Vec<u8>, a: u32, w: u32| {
                m[(a & !3) as usize..(a & !3) as usize + 4].copy_from_slice(&w.to_le_bytes())
            };
            let w = swr(get(&m, a), v, a);
            put(&mut m, a, w);
            let w = swl(get(&m, a + 3), v, a + 3);
            put(&mut m, a + 3, w);
            let mut expect = bytes.clone();
            expect[a as usize..a as usize + 4].copy_from_slice(&v.to_le_bytes());
            assert_eq!(m, expect, "usw at {a}");
        }
    }
}
