//! Step records: what the prover needs from each executed instruction.
//!
//! Memory consistency is proven by offline memory checking: every access to a register or a
//! memory word is a pair (previous value, previous timestamp) → (value, timestamp), and the
//! prover shows that the multiset of "writes" equals the multiset of "reads" shifted by one access.
//! The records therefore carry, for each access, the value and timestamp the location had before.
//!
//! Timestamps: instruction `i` (0-based, counted over the whole execution) has `clk = 8 * (i + 1)`;
//! its k-th register access happens at `clk + k`, its memory accesses at `clk`. Timestamp 0 is the
//! initial state. Registers and memory are separate address spaces, so they may share a timestamp.
//!
//! Records are flat, fixed-size `Copy` structs in vectors so trace generation can split them into
//! chunks and fill chip rows in parallel.

use crate::insn::Op;

/// Register index of HI in [`Step::reg_ids`] (GPRs are 0..=31).
pub const REG_HI: u8 = 32;
/// Register index of LO.
pub const REG_LO: u8 = 33;
/// The LL link: the linked word's address plus one (0: no link), and the value LL read. They
/// are registers so that SC's success is decided by values the memory argument checks.
pub const REG_LL_ADDR: u8 = 34;
pub const REG_LL_VAL: u8 = 35;
/// The thread pointer: written by Linux `set_thread_area`, read by `rdhwr $29`.
pub const REG_TLS: u8 = 36;
/// The program break (Linux `brk`), initially the program's `initial_brk`.
pub const REG_BRK: u8 = 37;
/// The highest break so far: memory below it may have been used and is zeroed when the break
/// grows back over it; memory above it has never been part of the heap.
pub const REG_BRK_HWM: u8 = 38;
/// The bottom of the mmap area: anonymous maps are carved downwards from it (initially
/// [`crate::executor::MMAP_TOP`]).
pub const REG_MMAP_TOP: u8 = 39;
/// Number of registers tracked by the memory argument (32 GPRs, HI, LO, the LL link, TLS, the
/// break, its high-water mark and the mmap top).
pub const NUM_REGS: usize = 40;
/// Timestamp stride per instruction; accesses use `clk + slot` with `slot < CLK_STRIDE`.
pub const CLK_STRIDE: u64 = 8;

/// One access to a register: a read has `value == prev_value`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct RegAccess {
    pub prev_ts: u64,
    pub prev_value: u32,
    pub value: u32,
}

/// One access to an aligned memory word.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct MemAccess {
    pub prev_ts: u64,
    /// Word-aligned address.
    pub addr: u32,
    pub prev_value: u32,
    pub value: u32,
}

/// Flag bits of [`Step::flags`].
pub mod flags {
    /// `Step::mem` holds a memory access.
    pub const HAS_MEM: u8 = 1;
    /// The instruction executed in a branch delay slot.
    pub const DELAY_SLOT: u8 = 2;
    /// The instruction was a syscall; its accesses are in the matching `SyscallEvent`.
    pub const SYSCALL: u8 = 4;
}

/// One executed instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Step {
    pub clk: u64,
    pub pc: u32,
    /// The pc executed next (the delay slot, a branch-likely's fall-through, ...).
    pub next_pc: u32,
    /// The pc executed after `next_pc` (a taken branch's target once its slot has run).
    pub next_next_pc: u32,
    /// The raw instruction word (what the program table holds at `pc`).
    pub insn: u32,
    pub op: Op,
    pub flags: u8,
    /// Number of valid entries in `reg_ids` / `regs`.
    pub nregs: u8,
    /// Registers accessed, in slot order (`REG_HI`/`REG_LO` for HI/LO).
    pub reg_ids: [u8; 4],
    pub regs: [RegAccess; 4],
    pub mem: MemAccess,
}

impl Step {
    pub(crate) fn new(clk: u64, pc: u32, insn: u32, op: Op) -> Self {
        Step {
            clk,
            pc,
            next_pc: 0,
            next_next_pc: 0,
            insn,
            op,
            flags: 0,
            nregs: 0,
            reg_ids: [0; 4],
            regs: [RegAccess::default(); 4],
            mem: MemAccess::default(),
        }
    }

    /// The register accesses as (register, access) pairs.
    pub fn reg_accesses(&self) -> impl Iterator<Item = (u8, &RegAccess)> {
        self.reg_ids
            .iter()
            .copied()
            .zip(self.regs.iter())
            .take(self.nregs as usize)
    }

    /// The memory access, if the instruction made one.
    pub fn mem_access(&self) -> Option<&MemAccess> {
        (self.flags & flags::HAS_MEM != 0).then_some(&self.mem)
    }
}

/// A syscall's effects. Register slots: 0 = $v0 (number in, result out), 1..=3 = $a0..$a2,
/// 4 = $a3 (fourth argument in, Linux error flag out).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyscallEvent {
    /// Index of the syscall's `Step` in `ExecutionRecord::steps`.
    pub step: u32,
    pub number: u32,
    pub regs: [RegAccess; 5],
    /// Range of this syscall's memory accesses in `ExecutionRecord::syscall_mem`.
    pub mem_start: u32,
    pub mem_end: u32,
    /// The machine-state registers a Linux call accesses, the `i`-th at `clk + 5 + i`:
    /// `set_thread_area`'s [`REG_TLS`]; `brk`'s [`REG_BRK`], [`REG_BRK_HWM`] and (read)
    /// [`REG_MMAP_TOP`]; `mmap`'s [`REG_MMAP_TOP`] and (read) [`REG_BRK_HWM`].
    pub state: [Option<(u8, RegAccess)>; 3],
}

/// Everything recorded over a span of execution (a shard, or the whole run).
#[derive(Clone, Debug, Default)]
pub struct ExecutionRecord {
    pub steps: Vec<Step>,
    pub syscalls: Vec<SyscallEvent>,
    pub syscall_mem: Vec<MemAccess>,
}

impl ExecutionRecord {
    /// Memory accesses of one syscall.
    pub fn syscall_accesses(&self, ev: &SyscallEvent) -> &[MemAccess] {
        &self.syscall_mem[ev.mem_start as usize..ev.mem_end as usize]
    }

    /// Drops all records, keeping the allocations for the next shard.
    pub fn clear(&mut self) {
        self.steps.clear();
        self.syscalls.clear();
        self.syscall_mem.clear();
    }
}
