//! The executor: machine state, the run loops and recording.
//!
//! One generic step function serves every mode. The const parameters `REC` (write step records)
//! and `CNT` (count the instruction mix) are resolved at compile time, so the fast mode pays
//! nothing for recording. Instruction semantics live in `semantics.rs`, syscalls in
//! `syscall.rs`; this file owns state, access logging and the loop.

use std::sync::Arc;

use crate::elf::Program;
use crate::error::{ExecError, ExecErrorKind};
use crate::insn::Op;
use crate::io::{Echo, GuestInput, GuestOutput, IoState};
use crate::memory::{Memory, WordTable};
use crate::record::{
    flags, ExecutionRecord, MemAccess, RegAccess, Step, CLK_STRIDE, NUM_REGS, REG_BRK, REG_BRK_HWM,
    REG_MMAP_TOP,
};
use crate::stack;

/// Highest address of the initial stack (it grows down).
pub const STACK_TOP: u32 = 0x7fff_0000;
/// Anonymous `mmap` regions are handed out downwards from here, above the heap.
pub const MMAP_TOP: u32 = 0x7000_0000;

/// How an execution is set up.
#[derive(Clone, Debug)]
pub struct ExecConfig {
    /// Stop with [`ExecErrorKind::CycleLimit`] after this many instructions.
    pub max_cycles: u64,
    /// The guest's `argv` (`argv[0]` is the program name).
    pub args: Vec<String>,
    /// Bound on captured stdout + stderr + public values, in bytes.
    pub max_output: u64,
}

impl Default for ExecConfig {
    fn default() -> Self {
        ExecConfig {
            max_cycles: 1 << 34,
            args: vec!["guest".into()],
            max_output: 1 << 30,
        }
    }
}

/// Why execution stopped inside a step; `Exit` is the normal end.
pub(crate) enum Stop {
    Exit,
    Fault(ExecErrorKind),
}

impl From<ExecErrorKind> for Stop {
    fn from(k: ExecErrorKind) -> Self {
        Stop::Fault(k)
    }
}

/// The result of a completed execution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExitInfo {
    pub exit_code: u32,
    pub cycles: u64,
}

/// A MIPS32r2 machine running one program.
pub struct Executor {
    pub(crate) program: Arc<Program>,
    /// GPRs 0..=31, then HI (32) and LO (33).
    pub(crate) regs: [u32; NUM_REGS],
    pub(crate) pc: u32,
    pub(crate) next_pc: u32,
    /// The instruction at `pc` sits in a delay slot.
    pub(crate) in_delay: bool,
    pub(crate) mem: Memory,
    pub(crate) io: IoState,
    pub(crate) cycle: u64,
    pub(crate) exit_code: Option<u32>,
    config: ExecConfig,
    op_counts: Box<[u64; Op::COUNT]>,
    // Recording state: last access timestamp per register and per memory word.
    pub(crate) reg_ts: [u64; NUM_REGS],
    pub(crate) mem_ts: WordTable<u64>,
    pub(crate) cur: Step,
    pub(crate) record: ExecutionRecord,
    /// The state-register accesses of the syscall being executed, for its `SyscallEvent`.
    pub(crate) pending_state: [Option<(u8, RegAccess)>; 3],
}

impl Executor {
    /// Loads `program` with its initial stack and inputs; nothing runs yet.
    pub fn new(program: Arc<Program>, input: GuestInput, config: ExecConfig) -> Self {
        let mut mem = Memory::new();
        for s in &program.segments {
            mem.write_bytes(s.vaddr, &s.data);
        }
        let sp = stack::build_initial_stack(&mut mem, STACK_TOP, program.entry, &config.args);
        let mut regs = [0u32; NUM_REGS];
        regs[29] = sp;
        regs[REG_BRK as usize] = program.initial_brk;
        regs[REG_BRK_HWM as usize] = program.initial_brk;
        regs[REG_MMAP_TOP as usize] = MMAP_TOP;
        Executor {
            pc: program.entry,
            next_pc: program.entry.wrapping_add(4),
            program,
            regs,
            in_delay: false,
            mem,
            io: IoState::new(input),
            cycle: 0,
            exit_code: None,
            config,
            op_counts: Box::new([0; Op::COUNT]),
            reg_ts: [0; NUM_REGS],
            mem_ts: WordTable::default(),
            cur: Step::new(0, 0, 0, Op::Invalid),
            record: ExecutionRecord::default(),
            pending_state: [None; 3],
        }
    }

    /// Echoes guest stdout/stderr to these writers as they are produced (they are captured too).
    pub fn set_echo(&mut self, stdout: Echo, stderr: Echo) {
        self.io.echo_stdout = stdout;
        self.io.echo_stderr = stderr;
    }

    /// Runs to completion recording nothing (the fast mode).
    pub fn run(&mut self) -> Result<ExitInfo, ExecError> {
        self.run_mode::<false, false>(u64::MAX)?;
        self.exit_info()
    }

    /// Runs to completion counting instructions per operation (see [`Executor::op_counts`]).
    pub fn run_counting(&mut self) -> Result<ExitInfo, ExecError> {
        self.run_mode::<false, true>(u64::MAX)?;
        self.exit_info()
    }

    /// Executes up to `n` more instructions in fast mode; `Some(exit)` once the guest has halted.
    pub fn run_for(&mut self, n: u64) -> Result<Option<ExitInfo>, ExecError> {
        self.run_mode::<false, false>(n)?;
        Ok(self.exit_code.map(|exit_code| ExitInfo {
            exit_code,
            cycles: self.cycle,
        }))
    }

    /// Executes up to `max_steps` more instructions, appending their records to the record
    /// buffer ([`Executor::take_record`]). Returns `Some(exit)` once the guest has halted.
    pub fn run_recording(&mut self, max_steps: u64) -> Result<Option<ExitInfo>, ExecError> {
        self.record.steps.reserve(
            max_steps
                .min(1 << 22)
                .saturating_sub(self.record.steps.len() as u64) as usize,
        );
        self.run_mode::<true, false>(max_steps)?;
        Ok(self.exit_code.map(|exit_code| ExitInfo {
            exit_code,
            cycles: self.cycle,
        }))
    }

    /// Runs to the halt, recording the execution as consecutive shards of at most
    /// `steps_per_shard` instructions (the prover's unit of trace generation).
    pub fn record_shards(
        &mut self,
        steps_per_shard: u64,
    ) -> Result<(Vec<ExecutionRecord>, ExitInfo), ExecError> {
        let mut shards = Vec::new();
        loop {
            let done = self.run_recording(steps_per_shard.max(1))?;
            shards.push(self.take_record());
            if let Some(exit) = done {
                return Ok((shards, exit));
            }
        }
    }

    /// Fault injection for soundness tests (as Cannon's fault tests): the last recorded
    /// instruction's last register access — its destination for every instruction that writes
    /// one, `$v0` for a syscall — stores `value ^ mask` instead, in the record and in the
    /// machine, which then runs on honestly from the forged state. Returns the register, or
    /// `None` when there is none (or it is `$0`).
    pub fn inject_fault(&mut self, mask: u32) -> Option<u8> {
        let step = self.record.steps.last_mut()?;
        let (r, access) = if step.flags & flags::SYSCALL != 0 {
            (2, &mut self.record.syscalls.last_mut()?.regs[0])
        } else {
            let k = step.nregs.checked_sub(1)? as usize;
            (step.reg_ids[k], &mut step.regs[k])
        };
        if r == 0 {
            return None;
        }
        access.value ^= mask;
        self.regs[r as usize] = access.value;
        Some(r)
    }

    /// Takes the records produced so far, leaving an empty buffer.
    pub fn take_record(&mut self) -> ExecutionRecord {
        std::mem::take(&mut self.record)
    }

    /// Records into `buffer` (cleared first), reusing its allocation from an earlier run.
    pub fn reuse_record_buffer(&mut self, mut buffer: ExecutionRecord) {
        buffer.clear();
        self.record = buffer;
    }

    /// The records produced so far.
    pub fn record(&self) -> &ExecutionRecord {
        &self.record
    }

    /// Drops the records produced so far but keeps their allocation, so the next shard writes
    /// into memory that is already mapped.
    pub fn clear_record(&mut self) {
        self.record.clear();
    }

    fn exit_info(&self) -> Result<ExitInfo, ExecError> {
        match self.exit_code {
            Some(exit_code) => Ok(ExitInfo {
                exit_code,
                cycles: self.cycle,
            }),
            None => Err(self.error_here(ExecErrorKind::CycleLimit(self.config.max_cycles))),
        }
    }

    fn run_mode<const REC: bool, const CNT: bool>(
        &mut self,
        max_steps: u64,
    ) -> Result<(), ExecError> {
        if self.exit_code.is_some() {
            return Ok(());
        }
        let stop = self
            .cycle
            .saturating_add(max_steps)
            .min(self.config.max_cycles);
        while self.cycle < stop {
            match self.step::<REC, CNT>() {
                Ok(()) => {}
                Err(Stop::Exit) => {
                    self.cycle += 1;
                    return Ok(());
                }
                Err(Stop::Fault(kind)) => return Err(self.error_here(kind)),
            }
        }
        if self.cycle >= self.config.max_cycles {
            return Err(self.error_here(ExecErrorKind::CycleLimit(self.config.max_cycles)));
        }
        Ok(())
    }

    fn error_here(&self, kind: ExecErrorKind) -> ExecError {
        let insn = self.program.fetch_word(self.pc).unwrap_or(0);
        ExecError {
            kind,
            pc: self.pc,
            insn,
            cycle: self.cycle,
        }
    }

    /// Executes one instruction.
    #[inline(always)]
    fn step<const REC: bool, const CNT: bool>(&mut self) -> Result<(), Stop> {
        let pc = self.pc;
        if pc & 3 != 0 {
            return Err(ExecErrorKind::MisalignedFetch(pc).into());
        }
        let idx = (pc.wrapping_sub(self.program.text_base) >> 2) as usize;
        let Some(&insn) = self.program.decoded.get(idx) else {
            return Err(ExecErrorKind::UnmappedFetch(pc).into());
        };
        if CNT {
            self.op_counts[insn.op as usize] += 1;
        }
        if REC {
            let clk = (self.cycle + 1) * CLK_STRIDE;
            self.cur = Step::new(clk, pc, self.program.text[idx], insn.op);
            if self.in_delay {
                self.cur.flags |= flags::DELAY_SLOT;
            }
        }
        let flow = match self.execute::<REC>(insn) {
            Ok(flow) => flow,
            Err(Stop::Exit) => {
                // The halting instruction is part of the execution: record it, with the pc
                // staying where the machine stopped.
                if REC {
                    self.cur.next_pc = pc;
                    self.cur.next_next_pc = pc;
                    self.record.steps.push(self.cur);
                }
                return Err(Stop::Exit);
            }
            Err(fault) => return Err(fault),
        };
        let (new_pc, new_npc) = match flow {
            Flow::Next => (self.next_pc, self.next_pc.wrapping_add(4)),
            Flow::Branch(target) => (self.next_pc, target),
            Flow::NotTaken => (self.next_pc, self.next_pc.wrapping_add(4)),
            Flow::Nullify => (self.next_pc.wrapping_add(4), self.next_pc.wrapping_add(8)),
        };
        if REC {
            self.cur.next_pc = new_pc;
            self.cur.next_next_pc = new_npc;
            self.record.steps.push(self.cur);
        }
        self.in_delay = matches!(flow, Flow::Branch(_) | Flow::NotTaken);
        self.pc = new_pc;
        self.next_pc = new_npc;
        self.cycle += 1;
        Ok(())
    }

    /// Reads a register (0..=31, `REG_HI`, `REG_LO`), logging the access when recording.
    #[inline(always)]
    pub(crate) fn read<const REC: bool>(&mut self, r: u8) -> u32 {
        let v = self.regs[r as usize];
        if REC {
            self.log_reg(r, v, v);
        }
        v
    }

    /// Writes a register; writes to $0 are discarded (and logged as writing 0).
    #[inline(always)]
    pub(crate) fn write<const REC: bool>(&mut self, r: u8, v: u32) {
        let v = if r == 0 { 0 } else { v };
        if REC {
            let prev = self.regs[r as usize];
            self.log_reg(r, prev, v);
        }
        self.regs[r as usize] = v;
    }

    #[inline(always)]
    fn log_reg(&mut self, r: u8, prev_value: u32, value: u32) {
        let k = self.cur.nregs as usize;
        let ts = self.cur.clk + k as u64;
        self.cur.reg_ids[k] = r;
        self.cur.regs[k] = RegAccess {
            prev_ts: self.reg_ts[r as usize],
            prev_value,
            value,
        };
        self.reg_ts[r as usize] = ts;
        self.cur.nregs += 1;
    }

    /// Reads the aligned word at `addr` as the instruction's memory access.
    #[inline(always)]
    pub(crate) fn load_word<const REC: bool>(&mut self, addr: u32) -> u32 {
        let v = self.mem.word(addr);
        if REC {
            self.cur.mem = self.mem_access(addr, v, v);
            self.cur.flags |= flags::HAS_MEM;
        }
        v
    }

    /// Replaces the aligned word at `addr` by `f(old)` as the instruction's memory access.
    #[inline(always)]
    pub(crate) fn modify_word<const REC: bool>(&mut self, addr: u32, f: impl FnOnce(u32) -> u32) {
        let old = self.mem.word(addr);
        let new = f(old);
        self.mem.set_word(addr, new);
        if REC {
            self.cur.mem = self.mem_access(addr, old, new);
            self.cur.flags |= flags::HAS_MEM;
        }
    }

    /// Builds a memory access record at the current step's timestamp and advances the word's
    /// last-access time.
    #[inline(always)]
    pub(crate) fn mem_access(&mut self, addr: u32, prev_value: u32, value: u32) -> MemAccess {
        let addr = addr & !3;
        let ts = self.mem_ts.get_mut(addr);
        let prev_ts = *ts;
        *ts = self.cur.clk;
        MemAccess {
            prev_ts,
            addr,
            prev_value,
            value,
        }
    }

    // ---- Read-only views -------------------------------------------------------------------

    /// General-purpose registers 0..=31.
    pub fn gprs(&self) -> &[u32] {
        &self.regs[..32]
    }
    /// All tracked registers (GPRs, HI, LO, the LL link, the thread pointer), as the memory
    /// argument numbers them.
    pub fn registers(&self) -> &[u32; NUM_REGS] {
        &self.regs
    }

    /// HI and LO.
    pub fn hi_lo(&self) -> (u32, u32) {
        (self.regs[32], self.regs[33])
    }
    /// The pc of the next instruction to execute.
    pub fn pc(&self) -> u32 {
        self.pc
    }
    /// Instructions executed so far.
    pub fn cycles(&self) -> u64 {
        self.cycle
    }
    /// Guest memory.
    pub fn memory(&self) -> &Memory {
        &self.mem
    }
    /// The program being run.
    pub fn program(&self) -> &Arc<Program> {
        &self.program
    }
    /// Output produced so far.
    pub fn output(&self) -> &GuestOutput {
        &self.io.out
    }
    /// Takes the output produced so far.
    pub fn take_output(&mut self) -> GuestOutput {
        std::mem::take(&mut self.io.out)
    }
    /// Exit code once halted.
    pub fn exit_code(&self) -> Option<u32> {
        self.exit_code
    }
    /// Executed-instruction counts per operation (filled by [`Executor::run_counting`]).
    pub fn op_counts(&self) -> impl Iterator<Item = (Op, u64)> + '_ {
        Op::ALL
            .iter()
            .map(|op| (*op, self.op_counts[*op as usize]))
            .filter(|(_, n)| *n > 0)
    }
    /// Configured bound on captured output.
    pub(crate) fn max_output(&self) -> u64 {
        self.config.max_output
    }
}

/// How control continues after an instruction.
pub(crate) enum Flow {
    /// Fall through to `next_pc`.
    Next,
    /// A branch or jump: the delay slot runs, then the target.
    Branch(u32),
    /// A branch not taken: the delay slot runs, then the fall-through.
    NotTaken,
    /// A branch-likely not taken: the delay slot is skipped.
    Nullify,
}

impl Program {
    /// The raw instruction word at `pc`, if it lies in the program.
    pub fn fetch_word(&self, pc: u32) -> Option<u32> {
        if pc & 3 != 0 {
            return None;
        }
        self.text
            .get((pc.wrapping_sub(self.text_base) >> 2) as usize)
            .copied()
    }
}
