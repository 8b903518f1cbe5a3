//! The buses chips talk through (docs/air-design.md). Names are the LogUp bus identifiers;
//! every tuple on one bus has the same width.

use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder, LookupBus, PermutationCheckBus};

/// Byte-table queries: `(op, x, y, z)`.
pub const BYTE: LookupBus<'static> = LookupBus::new("byte");
/// Instruction fetches: `(pc, decoded…)`, the program table's row (`program::decode::DecodedCols`).
pub const PROGRAM: LookupBus<'static> = LookupBus::new("program");
/// Every operation a chip hands to the chip that constrains it — the CPU's requests and the
/// bitfield chip's shifts — travels on this one bus as `(tag, payload…, 0…)`, each kind of
/// request ([`Dispatch`]) with its own tag and every tuple padded to [`DISPATCH_WIDTH`]. One
/// bus, because the CPU's requests are mutually exclusive by instruction class: on one bus
/// they share a single LogUp column (p3-lookup's exclusive lookup, flagged by the classes),
/// where one bus per kind costs a column or more each. The tag keeps the kinds apart exactly
/// as separate buses would.
pub const DISPATCH: LookupBus<'static> = LookupBus::new("dispatch");

/// Tag, then the widest payload (`mem_instr`'s 26 fields).
pub const DISPATCH_WIDTH: usize = 27;

/// One kind of request on the [`DISPATCH`] bus: its tag and payload width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dispatch {
    pub tag: u8,
    pub width: usize,
}

/// 32-bit ALU operations: `(op, a[4], b[4], c[4])` with `a = op(b, c)`, words as bytes.
pub const ALU: Dispatch = Dispatch { tag: 0, width: 13 };
/// 64-bit multiplies into HI/LO: `(op, hi[4], lo[4], b[4], c[4], acc_hi[4], acc_lo[4])` with
/// `hi:lo = acc ± b·c`; `acc` is HI:LO before the instruction, which MULT/MULTU ignore.
pub const MUL64: Dispatch = Dispatch { tag: 1, width: 25 };

/// Divisions into HI/LO: `(op, q[4], r[4], b[4], c[4])` with `q` going to LO and `r` to HI.
pub const DIVREM: Dispatch = Dispatch { tag: 2, width: 17 };

impl Dispatch {
    /// The bus tuple of `payload`: the tag, the payload, zeros up to [`DISPATCH_WIDTH`].
    ///
    /// # Panics
    ///
    /// When the payload does not have this kind's width (a chip's definition is wrong: the
    /// machine's setup evaluates every chip, so this fails before any proof).
    pub fn tuple<E: PrimeCharacteristicRing>(
        &self,
        payload: impl IntoIterator<Item = E>,
    ) -> Vec<E> {
        let mut t = vec![E::from_u8(self.tag)];
        t.extend(payload);
        assert_eq!(
            t.len(),
            1 + self.width,
            "dispatch tag {}: payload width",
            self.tag
        );
        t.resize(DISPATCH_WIDTH, E::ZERO);
        t
    }

    /// Requests `payload` from the chip that answers this kind.
    pub fn lookup_key<AB, E>(
        &self,
        b: &mut AB,
        payload: impl IntoIterator<Item = E>,
        count: Count<AB::Expr>,
    ) where
        AB: InteractionBuilder,
        E: Into<AB::Expr>,
    {
        DISPATCH.lookup_key(b, self.tuple(payload.into_iter().map(Into::into)), count);
    }

    /// Answers `payload`, `count` times.
    pub fn table_entry<AB, E>(
        &self,
        b: &mut AB,
        payload: impl IntoIterator<Item = E>,
        count: impl Into<AB::Expr>,
    ) where
        AB: InteractionBuilder,
        E: Into<AB::Expr>,
    {
        DISPATCH.table_entry(b, self.tuple(payload.into_iter().map(Into::into)), count);
    }
}

/// Operations on the `divrem` bus.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum DivOp {
    Div = 0,
    Divu = 1,
}

impl DivOp {
    /// `(quotient, remainder)` with mipstark's rule for the unpredictable cases (qemu's): a zero
    /// divisor, or INT_MIN / −1, gives quotient = dividend and remainder 0.
    pub fn eval(self, b: u32, c: u32) -> (u32, u32) {
        match self {
            DivOp::Divu if c == 0 => (b, 0),
            DivOp::Divu => (b / c, b % c),
            DivOp::Div if c == 0 || (b == 0x8000_0000 && c == u32::MAX) => (b, 0),
            DivOp::Div => (
                ((b as i32) / (c as i32)) as u32,
                ((b as i32) % (c as i32)) as u32,
            ),
        }
    }
}

/// Bit-field extract/insert: `(op, a[4], b[4], old[4], lsb, size_minus_1)` with
/// `a = EXT(b, lsb, size)` or `a = INS(old, b, lsb, size)`; `old` is rt before the
/// instruction, which EXT ignores.
pub const BITFIELD: Dispatch = Dispatch { tag: 3, width: 15 };

/// Operations on the `bitfield` bus.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum BitfieldOp {
    Ext = 0,
    Ins = 1,
}

impl BitfieldOp {
    /// The result for field `[lsb, lsb + size)`, `1 ≤ size`, `lsb + size ≤ 32`.
    pub fn eval(self, b: u32, old: u32, lsb: u32, size: u32) -> u32 {
        let mask = if size == 32 {
            u32::MAX
        } else {
            (1u32 << size) - 1
        };
        match self {
            BitfieldOp::Ext => (b >> lsb) & mask,
            BitfieldOp::Ins => (old & !(mask << lsb)) | ((b & mask) << lsb),
        }
    }
}

/// Operations on the `mul64` bus.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Mul64Op {
    Mult = 0,
    Multu = 1,
    Madd = 2,
    Maddu = 3,
    Msub = 4,
    Msubu = 5,
}

impl Mul64Op {
    pub const ALL: [Mul64Op; 6] = [
        Mul64Op::Mult,
        Mul64Op::Multu,
        Mul64Op::Madd,
        Mul64Op::Maddu,
        Mul64Op::Msub,
        Mul64Op::Msubu,
    ];

    pub fn is_signed(self) -> bool {
        matches!(self, Mul64Op::Mult | Mul64Op::Madd | Mul64Op::Msub)
    }

    /// `hi:lo` after the operation, from the accumulator `acc` (ignored by MULT/MULTU).
    pub fn eval(self, b: u32, c: u32, acc: u64) -> u64 {
        let prod = if self.is_signed() {
            (b as i32 as i64).wrapping_mul(c as i32 as i64) as u64
        } else {
            b as u64 * c as u64
        };
        match self {
            Mul64Op::Mult | Mul64Op::Multu => prod,
            Mul64Op::Madd | Mul64Op::Maddu => acc.wrapping_add(prod),
            Mul64Op::Msub | Mul64Op::Msubu => acc.wrapping_sub(prod),
        }
    }
}

/// Operations on the `alu` bus. The CPU maps each instruction to one of these; each ALU chip
/// answers a subset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum AluOp {
    Add = 0,
    Sub = 1,
    And = 2,
    Or = 3,
    Xor = 4,
    Nor = 5,
    /// Signed `b < c` (0 or 1).
    Slt = 6,
    /// Unsigned `b < c` (0 or 1).
    Sltu = 7,
    /// `b << (c & 31)`.
    Sll = 8,
    /// Logical `b >> (c & 31)`.
    Srl = 9,
    /// Arithmetic `b >> (c & 31)`.
    Sra = 10,
    /// `b` rotated right by `c & 31`.
    Rotr = 11,
    /// Leading zeros of `b` (`c` unused, 0).
    Clz = 12,
    /// Leading ones of `b`.
    Clo = 13,
    /// Sign-extended low byte of `b`.
    Seb = 14,
    /// Sign-extended low half of `b`.
    Seh = 15,
    /// Bytes swapped within each half of `b`.
    Wsbh = 16,
    /// Low 32 bits of `b·c`.
    Mul = 17,
    /// `b + c` without signed overflow (ADD/ADDI, which trap on it).
    AddTrap = 18,
    /// `b − c` without signed overflow (SUB).
    SubTrap = 19,
}

impl AluOp {
    pub const ALL: [AluOp; 20] = [
        AluOp::Add,
        AluOp::Sub,
        AluOp::And,
        AluOp::Or,
        AluOp::Xor,
        AluOp::Nor,
        AluOp::Slt,
        AluOp::Sltu,
        AluOp::Sll,
        AluOp::Srl,
        AluOp::Sra,
        AluOp::Rotr,
        AluOp::Clz,
        AluOp::Clo,
        AluOp::Seb,
        AluOp::Seh,
        AluOp::Wsbh,
        AluOp::Mul,
        AluOp::AddTrap,
        AluOp::SubTrap,
    ];

    /// The result the chips must constrain (`AddTrap`/`SubTrap` are provable only where they
    /// do not overflow: see [`AluOp::overflows`]).
    pub fn eval(self, b: u32, c: u32) -> u32 {
        match self {
            AluOp::Add | AluOp::AddTrap => b.wrapping_add(c),
            AluOp::Sub | AluOp::SubTrap => b.wrapping_sub(c),
            AluOp::And => b & c,
            AluOp::Or => b | c,
            AluOp::Xor => b ^ c,
            AluOp::Nor => !(b | c),
            AluOp::Slt => ((b as i32) < (c as i32)) as u32,
            AluOp::Sltu => (b < c) as u32,
            AluOp::Sll => b << (c & 31),
            AluOp::Srl => b >> (c & 31),
            AluOp::Sra => ((b as i32) >> (c & 31)) as u32,
            AluOp::Rotr => b.rotate_right(c & 31),
            AluOp::Clz => b.leading_zeros(),
            AluOp::Clo => b.leading_ones(),
            AluOp::Seb => b as u8 as i8 as i32 as u32,
            AluOp::Seh => b as u16 as i16 as i32 as u32,
            AluOp::Wsbh => ((b & 0x00ff_00ff) << 8) | ((b >> 8) & 0x00ff_00ff),
            AluOp::Mul => b.wrapping_mul(c),
        }
    }

    /// Whether a trapping addition or subtraction overflows (MIPS raises an exception, so
    /// no such operation completes).
    pub fn overflows(self, b: u32, c: u32) -> bool {
        match self {
            AluOp::AddTrap => (b as i32).checked_add(c as i32).is_none(),
            AluOp::SubTrap => (b as i32).checked_sub(c as i32).is_none(),
            _ => false,
        }
    }
}

/// Operations of the byte table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ByteOp {
    /// `(0, x, y, 0)`: both x and y are bytes (a u16 `x + 256·y` is range-checked this way).
    Range = 0,
    /// `(1, x, y, x & y)`.
    And = 1,
    /// `(2, x, y, x | y)`.
    Or = 2,
    /// `(3, x, y, x ^ y)`.
    Xor = 3,
    /// `(4, x, 0, x >> 7)`: the sign bit of a byte.
    Msb = 4,
    /// `(5, x, 0, clz8(x))`: leading zeros of a byte (8 for 0).
    Clz8 = 5,
    /// `(6, v, 0, 0)` with `v = x + 256·y`: `v` is below 2^16 (one column where `Range` needs
    /// two bytes).
    Range16 = 6,
}

impl ByteOp {
    pub const ALL: [ByteOp; 7] = [
        ByteOp::Range,
        ByteOp::And,
        ByteOp::Or,
        ByteOp::Xor,
        ByteOp::Msb,
        ByteOp::Clz8,
        ByteOp::Range16,
    ];

    /// Unary operations are looked up with `y = 0`.
    pub fn is_unary(self) -> bool {
        matches!(self, ByteOp::Msb | ByteOp::Clz8)
    }

    /// The table's answer for `(x, y)`.
    pub fn eval(self, x: u8, y: u8) -> u8 {
        match self {
            ByteOp::Range | ByteOp::Range16 => 0,
            ByteOp::And => x & y,
            ByteOp::Or => x | y,
            ByteOp::Xor => x ^ y,
            ByteOp::Msb => x >> 7,
            ByteOp::Clz8 => x.leading_zeros() as u8,
        }
    }

    /// The tuple the byte table holds for `op` at its row `(x, y)`.
    pub fn table_tuple(self, x: u8, y: u8) -> [u32; 4] {
        match self {
            ByteOp::Range16 => [self as u32, x as u32 + 256 * y as u32, 0, 0],
            _ => [self as u32, x as u32, y as u32, self.eval(x, y) as u32],
        }
    }

    /// Whether `tuple` is a row of the byte table.
    pub fn table_holds(tuple: [u32; 4]) -> bool {
        let Some(op) = ByteOp::ALL.into_iter().find(|o| *o as u32 == tuple[0]) else {
            return false;
        };
        let (x, y) = match op {
            ByteOp::Range16 if tuple[1] < 1 << 16 => (tuple[1] as u8, (tuple[1] >> 8) as u8),
            ByteOp::Range16 => return false,
            _ if tuple[1] < 256 && tuple[2] < 256 => (tuple[1] as u8, tuple[2] as u8),
            _ => return false,
        };
        op.table_tuple(x, y) == tuple
    }
}

/// The memory argument: `(addr, v[4], ts)`. Every access receives the location's previous
/// `(value, ts)` and sends the new one; the memory chips send each location's initial value at
/// timestamp 0 and receive its final one. Registers live at [`REG_SPACE`]` + r`, memory words at
/// `byte_address >> 2`.
pub const MEMORY: PermutationCheckBus<'static> = PermutationCheckBus::new("memory");
/// Base address of the register file in the memory argument's address space.
pub const REG_SPACE: u32 = 1 << 30;

/// Loads and stores: `(op, clk, base[4], offset[4], rt_before[4], rt_after[4], link_addr[4],
/// link_val[4])`; the LL link words are what LL writes and SC reads (zero for other ops).
pub const MEM_INSTR: Dispatch = Dispatch { tag: 4, width: 26 };

/// Syscalls: `(clk, halts)` from the CPU to the syscall chip.
pub const SYSCALL: Dispatch = Dispatch { tag: 5, width: 2 };

/// Operations on the `mem_instr` bus.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum LsOp {
    Lb = 0,
    Lbu = 1,
    Lh = 2,
    Lhu = 3,
    Lw = 4,
    Lwl = 5,
    Lwr = 6,
    Sb = 7,
    Sh = 8,
    Sw = 9,
    Swl = 10,
    Swr = 11,
    Ll = 12,
    Sc = 13,
}

impl LsOp {
    pub const ALL: [LsOp; 14] = [
        LsOp::Lb,
        LsOp::Lbu,
        LsOp::Lh,
        LsOp::Lhu,
        LsOp::Lw,
        LsOp::Lwl,
        LsOp::Lwr,
        LsOp::Sb,
        LsOp::Sh,
        LsOp::Sw,
        LsOp::Swl,
        LsOp::Swr,
        LsOp::Ll,
        LsOp::Sc,
    ];

    /// True for operations that write memory (SC writes only when it succeeds).
    pub fn is_store(self) -> bool {
        matches!(
            self,
            LsOp::Sb | LsOp::Sh | LsOp::Sw | LsOp::Swl | LsOp::Swr | LsOp::Sc
        )
    }
}

/// Syscall buffers, word by word: `(clk, word_addr, byte_offset, pv_index, writes, public,
/// zero)`: `writes` for buffers the call fills (hints, stdin, zeroed memory), `public` for
/// WRITE to fd 13, `zero` for memory brk or MAP_FIXED zeroes. The syscall sends the token for
/// the buffer's first byte and receives the one past its last byte; each buffer row receives
/// the token of its first byte and sends the one past its last byte. A real row holds at least
/// one byte, so its send differs from its receive: the rows must cover the buffer exactly, and
/// no row can cancel itself.
pub const SYSMEM: PermutationCheckBus<'static> = PermutationCheckBus::new("sysmem");

/// Public-values bytes: `(index, byte)`.
pub const PUBLIC: PermutationCheckBus<'static> = PermutationCheckBus::new("public");

#[cfg(test)]
mod tests {
    use super::*;

    /// The kinds have distinct tags and the bus is exactly as wide as the widest of them.
    #[test]
    fn dispatch_kinds_are_distinct_and_fit() {
        let kinds = [ALU, MUL64, DIVREM, BITFIELD, MEM_INSTR, SYSCALL];
        let mut tags: Vec<u8> = kinds.iter().map(|k| k.tag).collect();
        tags.sort_unstable();
        tags.dedup();
        assert_eq!(tags.len(), kinds.len());
        assert_eq!(
            DISPATCH_WIDTH,
            1 + kinds.iter().map(|k| k.width).max().unwrap()
        );
    }

    /// `table_holds` accepts the table's tuples and nothing next to them.
    #[test]
    fn byte_table_membership() {
        for op in ByteOp::ALL {
            for (x, y) in [(0, 0), (255, 0), (7, 9), (255, 255)] {
                let t = op.table_tuple(x, y);
                assert!(ByteOp::table_holds(t), "{op:?} {t:?}");
                for k in 1..4 {
                    let mut bad = t;
                    bad[k] += 1 << 16;
                    assert!(!ByteOp::table_holds(bad), "{op:?} {bad:?}");
                }
            }
        }
        // A 16-bit value is one field, not two bytes.
        assert!(!ByteOp::table_holds([ByteOp::Range16 as u32, 1, 1, 0]));
        assert!(!ByteOp::table_holds([
            ByteOp::Range16 as u32,
            1 << 16,
            0,
            0
        ]));
        assert!(!ByteOp::table_holds([ByteOp::ALL.len() as u32, 0, 0, 0]));
    }
}
