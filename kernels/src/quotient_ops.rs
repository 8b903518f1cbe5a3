//! The quotient bytecode's operation codes and register-file sizes: defined here once, used by
//! the compiler in `prover-gpu` and generated into `device/constants.h` for `quotient.cu`.

/// Base-field registers per thread held in private memory (`QUOTIENT_MAX_REGS`); a program
/// that needs more keeps the rest in a device scratch buffer (slower, never wrong).
pub const MAX_REGS: usize = 64;
/// Extension-field registers per thread held in private memory (`QUOTIENT_MAX_EXT_REGS`).
pub const MAX_EXT_REGS: usize = 40;

/// One operation: `dst ← op(a, b)`. Base operations read and write the base registers,
/// `Ext*` ones the extension registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Op {
    /// Main column `a` of this row.
    MainLocal = 0,
    /// Main column `a` of the next row.
    MainNext = 1,
    PreLocal = 2,
    PreNext = 3,
    /// The Montgomery word `a`.
    Const = 4,
    IsFirst = 5,
    IsLast = 6,
    IsTransition = 7,
    Add = 8,
    Sub = 9,
    Mul = 10,
    Neg = 11,
    /// `acc += weight[b] · reg[a]`.
    Emit = 12,
    /// Public value `a`.
    Public = 13,
    /// Lookup (permutation) column `a` of this row: four base coordinates.
    PermLocal = 14,
    PermNext = 15,
    /// Entry `a` of the job's extension table (challenges, the terminal, constants).
    ExtLoad = 16,
    /// Base register `a` as an extension element.
    ExtFromBase = 17,
    ExtAdd = 18,
    ExtSub = 19,
    ExtMul = 20,
    ExtNeg = 21,
    /// `acc += weight[b] · ereg[a]`.
    ExtEmit = 22,
    /// `ereg[a] · reg[b]`.
    ExtMulBase = 23,
}

impl Op {
    pub const ALL: [Op; 24] = [
        Op::MainLocal,
        Op::MainNext,
        Op::PreLocal,
        Op::PreNext,
        Op::Const,
        Op::IsFirst,
        Op::IsLast,
        Op::IsTransition,
        Op::Add,
        Op::Sub,
        Op::Mul,
        Op::Neg,
        Op::Emit,
        Op::Public,
        Op::PermLocal,
        Op::PermNext,
        Op::ExtLoad,
        Op::ExtFromBase,
        Op::ExtAdd,
        Op::ExtSub,
        Op::ExtMul,
        Op::ExtNeg,
        Op::ExtEmit,
        Op::ExtMulBase,
    ];

    /// The `#define` name in `constants.h`.
    pub fn c_name(self) -> String {
        let name = format!("{self:?}");
        let mut out = String::from("QOP");
        for ch in name.chars() {
            if ch.is_ascii_uppercase() {
                out.push('_');
            }
            out.push(ch.to_ascii_uppercase());
        }
        out
    }

    /// Whether the result goes to an extension register.
    pub fn writes_ext(self) -> bool {
        matches!(
            self,
            Op::PermLocal
                | Op::PermNext
                | Op::ExtLoad
                | Op::ExtFromBase
                | Op::ExtAdd
                | Op::ExtSub
                | Op::ExtMul
                | Op::ExtNeg
                | Op::ExtMulBase
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_dense_and_named() {
        for (i, op) in Op::ALL.iter().enumerate() {
            assert_eq!(*op as usize, i);
        }
        assert_eq!(Op::ExtMulBase.c_name(), "QOP_EXT_MUL_BASE");
        assert_eq!(Op::MainLocal.c_name(), "QOP_MAIN_LOCAL");
    }
}
