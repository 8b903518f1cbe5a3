//! The version-cycle forgery of issue 14, as a cheating prover would build it: honest traces,
//! then one access made to read a stale version of its location.
//!
//! The overwriting write's own version is carried once around the field by three sysmem rows
//! (each a read of the location whose token-bus send equals its receive, so it cancels on the
//! sysmem chain) and comes back as the write's "previous" version. Four timestamp differences
//! of about `p/4` each close the loop, each below the access gadget's difference bound. The
//! stale version is then free for the reader. Every other chip is rewritten to agree (final
//! values, public values, the byte table's multiplicities recounted from all lookups). Before
//! the fix, `debug_check` and the verifier accepted the result.

use std::mem::{offset_of, size_of};
use std::sync::Arc;

use mipstark_air::bus::ByteOp;
use mipstark_air::byte::{ByteChip, ByteLookups};
use mipstark_air::cpu::{CpuCols, SlotCols};
use mipstark_air::debug::{all_interactions, DebugError};
use mipstark_air::load_store::LoadStoreCols;
use mipstark_air::machine::{debug_check, Machine, MachineTraces, NUM_GLOBAL};
use mipstark_air::memory::MemoryCols;
use mipstark_air::syscall::{SysMemCols, SyscallCols, SLOT_REGS};
use mipstark_air::{cols, cols_mut, F, F_ORDER};
use mipstark_emulator::{ExecConfig, Executor, GuestInput, Program};
use p3_air::BaseAir;
use p3_field::{PrimeCharacteristicRing, PrimeField32};

/// Instance offsets inside a shard, and of the global chips (`Machine::airs`' order).
pub const CPU: usize = 0;
pub const LOAD_STORE: usize = 10;
pub const SYSCALL: usize = 11;
pub const SYSMEM: usize = 12;
const BYTE_INST: usize = 0;
const MEMORY_INST: usize = 3;
pub const PV_INST: usize = 4;

/// Where one access's columns ([`SlotCols`]) sit: instance, row, first column.
#[derive(Clone, Copy, Debug)]
pub struct Site {
    pub inst: usize,
    pub row: usize,
    pub col: usize,
}

/// A one-shard execution's honest traces, being edited into a forgery.
pub struct Forge {
    pub m: Machine,
    pub t: MachineTraces,
}

fn word(v: u32) -> [F; 4] {
    v.to_le_bytes().map(F::from_u8)
}

fn word_of(w: &[F; 4]) -> u32 {
    u32::from_le_bytes(w.map(|b| b.as_canonical_u32() as u8))
}

/// `ts − prev_ts − 1` in the field, as the access gadget's limbs.
fn diff_limbs(ts: F, prev_ts: F) -> [F; 2] {
    let d = (ts - prev_ts - F::ONE).as_canonical_u32();
    [F::from_u32(d & 0xffff), F::from_u32(d >> 16)]
}

impl Forge {
    pub fn run(words: &[u32]) -> Self {
        let elf = mipstark_tests::elfgen::program_elf(words);
        let program = Arc::new(Program::from_elf(&elf).unwrap());
        let (shards, _) = Executor::new(
            program.clone(),
            GuestInput::default(),
            ExecConfig::default(),
        )
        .record_shards(1 << 10)
        .unwrap();
        assert_eq!(shards.len(), 1);
        let m = Machine::new(program).unwrap();
        let t = m.generate_traces(&shards).unwrap();
        Forge { m, t }
    }

    fn shard_inst(k: usize) -> usize {
        NUM_GLOBAL + k
    }

    fn rows<'a, C: 'a>(&'a self, inst: usize) -> impl Iterator<Item = (usize, &'a C)> {
        let tr = &self.t.traces[inst];
        tr.values
            .chunks_exact(tr.width)
            .map(cols::<C, F>)
            .enumerate()
    }

    /// The row of `inst` (columns `C`) whose clock column equals `clk` and that `pick` accepts.
    fn find<C>(
        &self,
        inst: usize,
        clk: impl Fn(&C) -> F,
        t: u64,
        pick: impl Fn(&C) -> bool,
    ) -> usize {
        self.rows::<C>(inst)
            .find(|(_, r)| clk(r) == F::from_u64(t) && pick(r))
            .unwrap_or_else(|| panic!("no row at clk {t} in instance {inst}"))
            .0
    }

    /// The CPU slot that writes register `reg` in the instruction at `clk`.
    pub fn cpu_write(&self, clk: u64, reg: u32) -> Site {
        let inst = Self::shard_inst(CPU);
        let row = self.find::<CpuCols<F>>(inst, |r| r.clk, clk, |_| true);
        let r: &CpuCols<F> = self.rows(inst).nth(row).unwrap().1;
        let k = (1..4)
            .find(|&k| {
                r.d.reg[k] == F::from_u32(reg) && r.d.mem[k] == F::ONE && r.d.write[k - 1] == F::ONE
            })
            .expect("the instruction writes the register");
        let col = offset_of!(CpuCols<u8>, slots) + (k - 1) * size_of::<SlotCols<u8>>();
        Site { inst, row, col }
    }

    /// The syscall at `clk`'s access to argument register `reg` (`$v0`, `$a0..$a3`).
    pub fn syscall_reg(&self, clk: u64, reg: u32) -> Site {
        let inst = Self::shard_inst(SYSCALL);
        let row = self.find::<SyscallCols<F>>(inst, |r| r.clk, clk, |_| true);
        let k = SLOT_REGS.iter().position(|&r| r == reg).unwrap();
        let col = offset_of!(SyscallCols<u8>, regs) + k * size_of::<SlotCols<u8>>();
        Site { inst, row, col }
    }

    /// The COMMIT at `clk`'s access to its commit register.
    pub fn syscall_commit(&self, clk: u64) -> Site {
        let inst = Self::shard_inst(SYSCALL);
        let row = self.find::<SyscallCols<F>>(inst, |r| r.clk, clk, |_| true);
        let col = offset_of!(SyscallCols<u8>, cm);
        Site { inst, row, col }
    }

    /// The load or store at `clk`'s word access.
    pub fn load_store(&self, clk: u64) -> Site {
        let inst = Self::shard_inst(LOAD_STORE);
        let pick = |r: &LoadStoreCols<F>| r.sel.contains(&F::ONE);
        let row = self.find::<LoadStoreCols<F>>(inst, |r| r.clk, clk, pick);
        let col = offset_of!(LoadStoreCols<u8>, mem);
        Site { inst, row, col }
    }

    /// The first buffer word's access of the syscall at `clk`.
    pub fn sysmem_word(&self, clk: u64) -> Site {
        let inst = Self::shard_inst(SYSMEM);
        let pick = |r: &SysMemCols<F>| r.first.contains(&F::ONE);
        let row = self.find::<SysMemCols<F>>(inst, |r| r.clk, clk, pick);
        let col = offset_of!(SysMemCols<u8>, mem);
        Site { inst, row, col }
    }

    pub fn slot(&mut self, s: Site) -> &mut SlotCols<F> {
        let tr = &mut self.t.traces[s.inst];
        let w = tr.width;
        let row = &mut tr.values[s.row * w..(s.row + 1) * w];
        cols_mut(&mut row[s.col..s.col + size_of::<SlotCols<u8>>()])
    }

    fn ts(&mut self, s: Site) -> F {
        let a = self.slot(s);
        a.prev_ts + F::ONE + a.diff[0] + a.diff[1] * F::from_u32(1 << 16)
    }

    /// Makes `reader` (the access after `writer` to `addr`; `None`: the final boundary) read the
    /// version `writer` overwrote; `is_read`: the reader keeps the value it reads. Returns the
    /// stale version `(value, ts)`, which the reader now passes on.
    pub fn stale_read(
        &mut self,
        addr: u32,
        writer: Site,
        reader: Option<(Site, bool)>,
    ) -> (u32, F) {
        let ts_b = self.ts(writer);
        let w = *self.slot(writer);
        let (v_a, ts_a, v_b) = (w.prev, w.prev_ts, w.value);
        if let Some((r, is_read)) = reader {
            let ts_r = self.ts(r);
            let a = self.slot(r);
            assert_eq!(
                (a.prev, a.prev_ts),
                (v_b, ts_b),
                "the reader reads the writer"
            );
            a.prev = v_a;
            if is_read {
                a.value = v_a;
            }
            a.prev_ts = ts_a;
            a.diff = diff_limbs(ts_r, ts_a);
        }
        // Three clocks about p/4 apart after the write; the fourth gap closes the loop.
        let gap = (F_ORDER as u64 - 4) / 4;
        let mut clocks = Vec::new();
        let mut c = ts_b.as_canonical_u32() as u64;
        for _ in 0..3 {
            c += 1 + gap;
            clocks.push(c);
        }
        let mut prev = ts_b;
        for c in &clocks {
            let f = F::from_u64(*c);
            self.push_sysmem_read(addr, v_b, prev, f);
            prev = f;
        }
        let a = self.slot(writer);
        a.prev = v_b;
        a.prev_ts = prev;
        a.diff = diff_limbs(ts_b, prev);
        (word_of(&v_a), ts_a)
    }

    /// A sysmem row with `first = last + 1` (no byte in the buffer): a read of `word` at `clk`.
    fn push_sysmem_read(&mut self, word: u32, v: [F; 4], prev_ts: F, clk: F) {
        let inst = Self::shard_inst(SYSMEM);
        let tr = &mut self.t.traces[inst];
        let w = tr.width;
        let free = |tr: &p3_matrix::dense::RowMajorMatrix<F>| {
            tr.values.chunks_exact(w).position(|r| {
                cols::<SysMemCols<F>, F>(r)
                    .first
                    .iter()
                    .all(|f| *f == F::ZERO)
            })
        };
        if free(tr).is_none() {
            let h = tr.values.len() / w;
            tr.values.resize(2 * h * w, F::ZERO);
        }
        let row = free(tr).unwrap();
        let r: &mut SysMemCols<F> = cols_mut(&mut tr.values[row * w..(row + 1) * w]);
        r.clk = clk;
        r.clk_hi = F::from_u32(clk.as_canonical_u32() >> 16);
        r.word = F::from_u32(word);
        r.first = [F::ZERO, F::ONE, F::ZERO, F::ZERO];
        r.last = [F::ONE, F::ZERO, F::ZERO, F::ZERO];
        r.mem.prev = v;
        r.mem.value = v;
        r.mem.prev_ts = prev_ts;
        r.mem.diff = diff_limbs(clk, prev_ts);
    }

    /// The memory chip's final version of `addr`.
    pub fn set_final(&mut self, addr: u32, value: u32, ts: F) {
        let tr = &mut self.t.traces[MEMORY_INST];
        let w = tr.width;
        let r = tr
            .values
            .chunks_exact_mut(w)
            .map(cols_mut::<MemoryCols<F>, F>)
            .find(|r| r.is_real == F::ONE && r.addr == F::from_u32(addr))
            .expect("the memory chip holds the address");
        r.value = word(value);
        r.ts = ts;
    }

    /// The commit register `k`'s final timestamp (the public-values chip's column).
    pub fn set_commit_ts(&mut self, k: usize, ts: F) {
        let tr = &mut self.t.traces[PV_INST];
        tr.values[mipstark_air::syscall::PV_CAPACITY + k] = ts;
    }

    /// Instance public values from the (edited) statement, and the byte table's multiplicities
    /// recounted from every chip's lookups: what a cheating prover hands the prover.
    pub fn finish(&mut self) {
        self.t.publics = self
            .t
            .statement
            .instance_publics(self.m.program.initial_brk);
        let airs = self.m.airs(self.t.statement.shards.len());
        let mut lookups = ByteLookups::default();
        for (i, air) in airs.iter().enumerate().filter(|(i, _)| *i != BYTE_INST) {
            let pre = air.preprocessed_trace();
            let ints = all_interactions(air, &self.t.traces[i], pre.as_ref(), &self.t.publics[i]);
            for it in ints.iter().filter(|it| it.bus == "byte") {
                let f: Vec<u32> = it.fields.iter().map(|x| x.as_canonical_u32()).collect();
                let tuple: [u32; 4] = f.try_into().unwrap();
                if !ByteOp::table_holds(tuple) {
                    continue; // no multiplicity can count it
                }
                for _ in 0..it.count.as_canonical_u32() {
                    if tuple[0] == ByteOp::Range16 as u32 {
                        lookups.range16(tuple[1] as u16);
                    } else {
                        let op = ByteOp::ALL[tuple[0] as usize];
                        lookups.add(op, tuple[1] as u8, tuple[2] as u8);
                    }
                }
            }
        }
        self.t.traces[BYTE_INST] = ByteChip::generate_trace(&lookups);
    }

    pub fn debug(&self) -> Result<(), DebugError> {
        let airs = self.m.airs(self.t.statement.shards.len());
        debug_check(&airs, &self.t.traces, &self.t.publics)
    }

    /// Proves the (forged) traces as a cheating prover would and verifies the proof: `Ok` only
    /// when the verifier accepts.
    pub fn prove_and_verify(self) -> Result<(), String> {
        use mipstark_prover_cpu_ref::machine::{prove_traces, verify};
        use mipstark_prover_cpu_ref::StarkParams;
        let Forge { m, t } = self;
        let p = StarkParams::TESTING;
        let proved =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| prove_traces(&m, t, p)));
        match proved {
            Err(_) => Err("the prover panicked".into()),
            Ok(Err(e)) => Err(format!("the prover refused: {e}")),
            Ok(Ok(proof)) => verify(&m, &proof, p).map_err(|e| format!("verify: {e}")),
        }
    }
}
