//! The whole machine: every chip as one [`MipsAir`], the instance list of an execution split
//! into shards, and trace generation for all of them.
//!
//! Instances: the global chips (byte table, program table, initial image, final memory,
//! public values) once, then the per-shard chips for each shard. All instances are proved in
//! one batch, so the buses — the memory argument included — balance across shards under LogUp
//! challenges drawn after every shard's traces are committed. Shards are linked by their CPU
//! boundary public values, which the verifier chains (see [`Statement::check_chain`]).

use std::sync::Arc;

use mipstark_emulator::record::flags;
use mipstark_emulator::{ExecutionRecord, Program};
use p3_air::{Air, AirBuilder, BaseAir};
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::alu::add_sub::AddSubChip;
use crate::alu::add_sub_trap::AddSubTrapChip;
use crate::alu::bitfield::BitfieldChip;
use crate::alu::bitmanip::BitManipChip;
use crate::alu::bitwise::BitwiseChip;
use crate::alu::divrem::DivRemChip;
use crate::alu::events::{alu_events, bitfield_events, div_events, mul64_events};
use crate::alu::lt::LtChip;
use crate::alu::mul::MulChip;
use crate::alu::shift::ShiftChip;
use crate::bus::REG_SPACE;
use crate::byte::{ByteChip, ByteLookups};
use crate::cpu::{Boundary, CpuChip, CpuTraceError, NUM_BOUNDARY};
use crate::load_store::{mem_instr_events, LoadStoreChip};
use crate::memory::{final_state, initial_image, ImageChip, MemoryChip, REG_PV_LEN};
use crate::program::{ProgramChip, ProgramTableError};
use crate::recursion::RecursionChip;
use crate::syscall::{
    syscall_publics, PublicStream, PublicValuesChip, SysMemChip, SyscallChip, SyscallTraceError,
    SLOT_REGS,
};
use crate::F;

/// Every chip of the machine.
#[derive(Clone, Debug)]
pub enum MipsAir {
    Byte(ByteChip),
    Program(ProgramChip),
    Image(ImageChip),
    Memory(MemoryChip),
    PublicValues(PublicValuesChip),
    Cpu(CpuChip),
    AddSub(AddSubChip),
    AddSubTrap(AddSubTrapChip),
    Bitwise(BitwiseChip),
    Lt(LtChip),
    Shift(ShiftChip),
    BitManip(BitManipChip),
    Mul(MulChip),
    DivRem(DivRemChip),
    Bitfield(BitfieldChip),
    LoadStore(LoadStoreChip),
    Syscall(SyscallChip),
    SysMem(SysMemChip),
    /// A chip of the recursion machine (`crate::recursion`).
    Recursion(RecursionChip),
}

macro_rules! each {
    ($self:expr, $c:ident => $e:expr) => {
        match $self {
            MipsAir::Byte($c) => $e,
            MipsAir::Program($c) => $e,
            MipsAir::Image($c) => $e,
            MipsAir::Memory($c) => $e,
            MipsAir::PublicValues($c) => $e,
            MipsAir::Cpu($c) => $e,
            MipsAir::AddSub($c) => $e,
            MipsAir::AddSubTrap($c) => $e,
            MipsAir::Bitwise($c) => $e,
            MipsAir::Lt($c) => $e,
            MipsAir::Shift($c) => $e,
            MipsAir::BitManip($c) => $e,
            MipsAir::Mul($c) => $e,
            MipsAir::DivRem($c) => $e,
            MipsAir::Bitfield($c) => $e,
            MipsAir::LoadStore($c) => $e,
            MipsAir::Syscall($c) => $e,
            MipsAir::SysMem($c) => $e,
            MipsAir::Recursion($c) => $e,
        }
    };
}

impl MipsAir {
    /// A short name for reports and errors.
    pub fn name(&self) -> &'static str {
        match self {
            MipsAir::Byte(_) => "byte",
            MipsAir::Program(_) => "program",
            MipsAir::Image(_) => "image",
            MipsAir::Memory(_) => "memory",
            MipsAir::PublicValues(_) => "public_values",
            MipsAir::Cpu(_) => "cpu",
            MipsAir::AddSub(_) => "add_sub",
            MipsAir::AddSubTrap(_) => "add_sub_trap",
            MipsAir::Bitwise(_) => "bitwise",
            MipsAir::Lt(_) => "lt",
            MipsAir::Shift(_) => "shift",
            MipsAir::BitManip(_) => "bitmanip",
            MipsAir::Mul(_) => "mul",
            MipsAir::DivRem(_) => "divrem",
            MipsAir::Bitfield(_) => "bitfield",
            MipsAir::LoadStore(_) => "load_store",
            MipsAir::Syscall(_) => "syscall",
            MipsAir::SysMem(_) => "sysmem",
            MipsAir::Recursion(c) => c.name(),
        }
    }
}

impl BaseAir<F> for MipsAir {
    fn width(&self) -> usize {
        each!(self, c => BaseAir::<F>::width(c))
    }
    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<F>> {
        each!(self, c => BaseAir::<F>::preprocessed_trace(c))
    }
    fn preprocessed_width(&self) -> usize {
        each!(self, c => BaseAir::<F>::preprocessed_width(c))
    }
    fn num_public_values(&self) -> usize {
        each!(self, c => BaseAir::<F>::num_public_values(c))
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        each!(self, c => BaseAir::<F>::main_next_row_columns(c))
    }
    fn preprocessed_next_row_columns(&self) -> Vec<usize> {
        each!(self, c => BaseAir::<F>::preprocessed_next_row_columns(c))
    }
}

impl<AB: AirBuilder<F = F> + InteractionBuilder> Air<AB> for MipsAir {
    fn eval(&self, b: &mut AB) {
        each!(self, c => c.eval(b))
    }
}

/// Number of global instances before the shards' ones.
pub const NUM_GLOBAL: usize = 5;
/// Instances per shard.
pub const NUM_PER_SHARD: usize = 13;

/// What a proof states: the program is the verifying key's; the rest is here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    pub exit_code: u32,
    /// The bytes written to fd 13.
    pub public_values: Vec<u8>,
    /// The words committed by COMMIT (0 where never committed).
    pub committed: [u32; 8],
    /// The machine state before and after each shard.
    pub shards: Vec<(Boundary, Boundary)>,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum StatementError {
    #[error("the proof has no shards")]
    NoShards,
    #[error("shard 0 does not start at the program's entry point")]
    BadStart,
    #[error("shard {0} does not start where the shard before it ended")]
    Broken(usize),
    #[error("the last shard does not end halted")]
    NotHalted,
    #[error("shard {0} is empty (its clock does not advance)")]
    EmptyShard(usize),
    #[error(
        "shard {0}'s boundary is out of range (clock at or past 2^29, or a pc outside the field)"
    )]
    OutOfRange(usize),
    #[error("{0} public-values bytes exceed the capacity")]
    TooManyPublicValues(usize),
}

impl Statement {
    /// The shard chain: starts at `entry`, each shard continues the last, the last halts.
    pub fn check_chain(&self, entry: u32) -> Result<(), StatementError> {
        let first = self.shards.first().ok_or(StatementError::NoShards)?;
        if first.0 != Boundary::start(entry) {
            return Err(StatementError::BadStart);
        }
        for k in 1..self.shards.len() {
            if self.shards[k].0 != self.shards[k - 1].1 {
                return Err(StatementError::Broken(k));
            }
        }
        for (k, (before, after)) in self.shards.iter().enumerate() {
            // Timestamp differences are range-checked below 2^29, which rules out a wrap modulo
            // p only while every timestamp stays below 2^29; pcs are field elements.
            let in_range = |b: &Boundary| {
                b.clk < crate::cpu::MAX_CLK && b.pc < crate::F_ORDER && b.npc < crate::F_ORDER
            };
            if !in_range(before) || !in_range(after) {
                return Err(StatementError::OutOfRange(k));
            }
            if after.clk <= before.clk {
                return Err(StatementError::EmptyShard(k));
            }
        }
        if !self.shards.last().is_some_and(|s| s.1.halted) {
            return Err(StatementError::NotHalted);
        }
        if self.public_values.len() > crate::syscall::PV_CAPACITY {
            return Err(StatementError::TooManyPublicValues(
                self.public_values.len(),
            ));
        }
        Ok(())
    }

    /// Each instance's public values, for a program whose initial break is `initial_brk` (a
    /// constant of the verifying key: the verifier passes its own, never the proof's).
    pub fn instance_publics(&self, initial_brk: u32) -> Vec<Vec<F>> {
        let boundaries: Vec<_> = self
            .shards
            .iter()
            .map(|(b, a)| (b.to_field(), a.to_field()))
            .collect();
        lay_out_publics(
            PublicValuesChip::public_values(&self.public_values, &self.committed),
            syscall_publics(self.exit_code, initial_brk),
            &boundaries,
        )
    }
}

/// Index of the public-values chip among the global instances.
pub const PUBLIC_VALUES_INSTANCE: usize = 4;

/// The instances' public-value lists from a statement's parts, over any value type (field
/// values here, a recursive verifier's variables there, so both lay them out alike): the
/// public-values chip gets `public_values`, every shard's CPU its boundaries (before, then
/// after), every shard's syscall chip `syscall` (the exit code and the break).
pub fn lay_out_publics<T: Clone>(
    public_values: Vec<T>,
    syscall: Vec<T>,
    boundaries: &[([T; NUM_BOUNDARY], [T; NUM_BOUNDARY])],
) -> Vec<Vec<T>> {
    let mut out = vec![vec![]; NUM_GLOBAL];
    out[PUBLIC_VALUES_INSTANCE] = public_values;
    for (before, after) in boundaries {
        for air in shard_airs() {
            out.push(match air {
                MipsAir::Cpu(_) => before.iter().chain(after).cloned().collect(),
                MipsAir::Syscall(_) => syscall.clone(),
                _ => vec![],
            });
        }
    }
    out
}

/// The chips every shard has, in instance order.
fn shard_airs() -> [MipsAir; NUM_PER_SHARD] {
    [
        MipsAir::Cpu(CpuChip),
        MipsAir::AddSub(AddSubChip),
        MipsAir::AddSubTrap(AddSubTrapChip),
        MipsAir::Bitwise(BitwiseChip),
        MipsAir::Lt(LtChip),
        MipsAir::Shift(ShiftChip),
        MipsAir::BitManip(BitManipChip),
        MipsAir::Mul(MulChip),
        MipsAir::DivRem(DivRemChip),
        MipsAir::Bitfield(BitfieldChip),
        MipsAir::LoadStore(LoadStoreChip),
        MipsAir::Syscall(SyscallChip),
        MipsAir::SysMem(SysMemChip),
    ]
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum MachineError {
    #[error(transparent)]
    Program(#[from] ProgramTableError),
    #[error(transparent)]
    Cpu(#[from] CpuTraceError),
    #[error(transparent)]
    Syscall(#[from] SyscallTraceError),
    #[error("the execution did not halt")]
    NotHalted,
    #[error(
        "shard chip {chip}'s trace has 2^{natural} rows, more than the shard profile's 2^{profile}"
    )]
    ProfileTooSmall {
        chip: &'static str,
        natural: usize,
        profile: usize,
    },
    #[error("a shard profile has {found} heights, the machine {expected} shard chips")]
    ProfileLength { found: usize, expected: usize },
}

/// Pads one shard's traces (in the shard chips' order) to `log_heights`, so that shards of
/// other sizes share one shape (a recursion profile, `docs/recursion.md` §4.3). A CPU trace
/// repeats its last row: a padding row (the trace always has one) holding the state after
/// the shard, which padding rows carry and the last row must. Every other shard chip repeats
/// its own padding row, the row its trace generator writes where there is no event (taken
/// from the traces of an empty shard): none of them reads a next row.
pub fn pad_shard_traces(
    machine: &Machine,
    traces: &mut [RowMajorMatrix<F>],
    log_heights: &[usize],
) -> Result<(), MachineError> {
    let airs = shard_airs();
    if log_heights.len() != airs.len() || traces.len() != airs.len() {
        return Err(MachineError::ProfileLength {
            found: log_heights.len(),
            expected: airs.len(),
        });
    }
    let mut cursor = ShardCursor::start(machine.program.entry);
    let empty = machine.shard_traces(
        &ExecutionRecord::default(),
        &mut cursor,
        &mut ByteLookups::default(),
    )?;
    for (((t, air), &log), e) in traces.iter_mut().zip(&airs).zip(log_heights).zip(&empty) {
        let height = t.height();
        let natural = height.trailing_zeros() as usize;
        if natural > log {
            return Err(MachineError::ProfileTooSmall {
                chip: air.name(),
                natural,
                profile: log,
            });
        }
        let width = t.width;
        let row = match air {
            MipsAir::Cpu(_) => t.values[(height - 1) * width..].to_vec(),
            _ => e.values[..width].to_vec(),
        };
        t.values.reserve(((1 << log) - height) * width);
        for _ in height..1 << log {
            t.values.extend_from_slice(&row);
        }
    }
    Ok(())
}

/// The parts of the machine fixed by the program (the verifying key's content).
#[derive(Clone, Debug)]
pub struct Machine {
    pub program: Arc<Program>,
    pub program_chip: ProgramChip,
    pub image_chip: ImageChip,
    pub image: Vec<(u32, u32)>,
}

/// Every instance's trace and public values, and the statement they prove.
pub struct MachineTraces {
    pub traces: Vec<RowMajorMatrix<F>>,
    pub publics: Vec<Vec<F>>,
    pub statement: Statement,
}

impl Machine {
    pub fn new(program: Arc<Program>) -> Result<Self, ProgramTableError> {
        let program_chip = ProgramChip::new(&program)?;
        let image = initial_image(&program);
        let image_chip = ImageChip::new(&image);
        Ok(Machine {
            program,
            program_chip,
            image_chip,
            image,
        })
    }

    /// The global instances (before every shard's).
    pub fn global_airs(&self) -> Vec<MipsAir> {
        vec![
            MipsAir::Byte(ByteChip),
            MipsAir::Program(self.program_chip.clone()),
            MipsAir::Image(self.image_chip.clone()),
            MipsAir::Memory(MemoryChip),
            MipsAir::PublicValues(PublicValuesChip),
        ]
    }

    /// One shard's instances.
    pub fn shard_airs(&self) -> Vec<MipsAir> {
        shard_airs().to_vec()
    }

    /// The instance list for `shards` shards.
    pub fn airs(&self, shards: usize) -> Vec<MipsAir> {
        let mut airs = self.global_airs();
        for _ in 0..shards {
            airs.extend(self.shard_airs());
        }
        airs
    }

    /// The traces of the shard recorded in `rec`, which starts where `cursor` stands; moves
    /// the cursor to the shard's end and counts the shard's byte lookups in `bytes`. Running it
    /// again from a copy of the same cursor gives the same traces, which is how a prover
    /// regenerates a shard instead of keeping it.
    pub fn shard_traces(
        &self,
        rec: &ExecutionRecord,
        cursor: &mut ShardCursor,
        bytes: &mut ByteLookups,
    ) -> Result<Vec<RowMajorMatrix<F>>, MachineError> {
        let program = &self.program;
        let (cpu, after) = CpuChip::generate_trace(
            &self.program_chip,
            rec,
            0..rec.steps.len(),
            cursor.state,
            bytes,
        )?;
        cursor.state = after;
        let alu = alu_events(program, rec);
        let bitfield = bitfield_events(program, rec);
        let mut shift_requests = alu.clone();
        shift_requests.extend(BitfieldChip::alu_requests(&bitfield));
        let sys = SyscallChip.generate_traces(
            program.initial_brk,
            rec,
            &rec.syscalls,
            &mut cursor.stream,
            bytes,
        )?;
        if sys.exit_code.is_some() {
            cursor.exit_code = sys.exit_code;
        }
        Ok(vec![
            cpu,
            AddSubChip::generate_trace(&alu, bytes),
            AddSubTrapChip::generate_trace(&alu, bytes),
            BitwiseChip::generate_trace(&alu, bytes),
            LtChip::generate_trace(&alu, bytes),
            ShiftChip::generate_trace(&shift_requests, bytes),
            BitManipChip::generate_trace(&alu, bytes),
            MulChip::generate_trace(&alu, &mul64_events(rec), bytes),
            DivRemChip::generate_trace(&div_events(rec), bytes),
            BitfieldChip::generate_trace(&bitfield, bytes),
            LoadStoreChip::generate_trace(&mem_instr_events(program, &rec.steps), bytes),
            sys.syscalls,
            sys.sysmem,
        ])
    }

    /// The global instances' traces, once every shard's have been generated (their byte
    /// lookups counted in `bytes`, `cursor` at the end of the last shard), and the statement.
    pub fn global_traces(
        &self,
        shards: &[ExecutionRecord],
        bounds: Vec<(Boundary, Boundary)>,
        cursor: &ShardCursor,
        mut bytes: ByteLookups,
    ) -> Result<(Vec<RowMajorMatrix<F>>, Statement), MachineError> {
        if !cursor.state.halted {
            return Err(MachineError::NotHalted);
        }
        let stream = &cursor.stream;
        let state = final_state(&self.image, accesses(&self.program_chip, shards, stream));
        let memory = MemoryChip::generate_trace(&state, &mut bytes);
        let pv_trace = PublicValuesChip::generate_trace(stream);
        let traces = vec![
            ByteChip::generate_trace(&bytes),
            self.program_chip.generate_trace_multi(shards)?,
            self.image_chip.generate_trace(),
            memory,
            pv_trace,
        ];
        let statement = Statement {
            exit_code: cursor.exit_code.ok_or(MachineError::NotHalted)?,
            public_values: stream.bytes.clone(),
            committed: stream.committed,
            shards: bounds,
        };
        Ok((traces, statement))
    }

    /// Traces of a halted execution recorded as `shards` (consecutive records).
    pub fn generate_traces(
        &self,
        shards: &[ExecutionRecord],
    ) -> Result<MachineTraces, MachineError> {
        let mut bytes = ByteLookups::default();
        let mut cursor = ShardCursor::start(self.program.entry);
        let mut per_shard = Vec::new();
        let mut bounds = Vec::new();
        for rec in shards {
            let before = cursor.state;
            per_shard.extend(self.shard_traces(rec, &mut cursor, &mut bytes)?);
            bounds.push((before, cursor.state));
        }
        let (mut traces, statement) = self.global_traces(shards, bounds, &cursor, bytes)?;
        traces.extend(per_shard);
        Ok(MachineTraces {
            traces,
            publics: statement.instance_publics(self.program.initial_brk),
            statement,
        })
    }
}

/// Where trace generation stands between shards: the machine state, the public-values stream
/// and the exit code seen so far.
#[derive(Clone, Debug)]
pub struct ShardCursor {
    pub state: Boundary,
    pub stream: PublicStream,
    pub exit_code: Option<u32>,
}

impl ShardCursor {
    /// Before the first shard of a program entered at `entry`.
    pub fn start(entry: u32) -> Self {
        ShardCursor {
            state: Boundary::start(entry),
            stream: PublicStream::default(),
            exit_code: None,
        }
    }
}

/// Every access of the memory argument as `(address, value, ts)`.
fn accesses<'a>(
    program: &'a ProgramChip,
    shards: &'a [ExecutionRecord],
    stream: &'a PublicStream,
) -> impl Iterator<Item = (u32, u32, u64)> + 'a {
    let steps = shards
        .iter()
        .flat_map(|r| r.steps.iter())
        .flat_map(move |s| {
            let d = program.decoded(s.pc);
            let regs = (0..s.nregs as usize).filter_map(move |k| {
                let reg = s.reg_ids[k];
                (reg != 0 && d.is_some())
                    .then(|| (REG_SPACE + reg as u32, s.regs[k].value, s.clk + k as u64))
            });
            let mem =
                (s.flags & flags::HAS_MEM != 0).then_some((s.mem.addr >> 2, s.mem.value, s.clk));
            regs.chain(mem)
        });
    let sys = shards.iter().flat_map(|r| {
        r.syscalls.iter().flat_map(move |ev| {
            let clk = r.steps[ev.step as usize].clk;
            let regs =
                (0..5).map(move |k| (REG_SPACE + SLOT_REGS[k], ev.regs[k].value, clk + k as u64));
            let mem = r
                .syscall_accesses(ev)
                .iter()
                .map(move |a| (a.addr >> 2, a.value, clk));
            let state = ev.state.into_iter().enumerate().filter_map(move |(i, s)| {
                s.map(|(reg, a)| (REG_SPACE + reg as u32, a.value, clk + 5 + i as u64))
            });
            regs.chain(mem).chain(state)
        })
    });
    let pv = (stream.ts > 0).then_some((REG_SPACE + REG_PV_LEN, stream.len, stream.ts));
    steps.chain(sys).chain(pv)
}

/// Evaluates every constraint of every instance on every row, then checks every bus balances;
/// the error names the instance (`chip#index`), row and constraint, or the unbalanced tuple.
pub fn debug_check(
    airs: &[MipsAir],
    traces: &[RowMajorMatrix<F>],
    publics: &[Vec<F>],
) -> Result<(), crate::debug::DebugError> {
    let mut all = Vec::with_capacity(airs.len());
    let mut names = Vec::with_capacity(airs.len());
    for (i, ((air, trace), pv)) in airs.iter().zip(traces).zip(publics).enumerate() {
        let name = format!("{}#{i}", air.name());
        let pre = air.preprocessed_trace();
        all.push(crate::debug::check_chip(
            &name,
            air,
            trace,
            pre.as_ref(),
            pv,
        )?);
        names.push(name);
    }
    let chips: Vec<(&str, &[crate::debug::Interaction])> = names
        .iter()
        .zip(&all)
        .map(|(n, i)| (n.as_str(), i.as_slice()))
        .collect();
    crate::debug::check_buses(&chips)
}
