//! An independent replay of step records: checks the invariants the prover's offline memory
//! argument relies on, so a recording bug shows up here rather than as an unprovable trace.

use std::collections::HashMap;

use mipstark_emulator::memory::Memory;
use mipstark_emulator::record::{ExecutionRecord, RegAccess, NUM_REGS};

/// Replayed machine: the last value and timestamp of every register and touched word.
pub struct Replay {
    regs: [(u32, u64); NUM_REGS],
    mem: HashMap<u32, (u32, u64)>,
    initial_mem: Memory,
    last_pc: Option<u32>,
    steps: u64,
}

impl Replay {
    /// Starts from the machine's initial registers and memory image.
    pub fn new(initial_regs: [u32; NUM_REGS], initial_mem: Memory) -> Self {
        Replay {
            regs: initial_regs.map(|v| (v, 0)),
            mem: HashMap::new(),
            initial_mem,
            last_pc: None,
            steps: 0,
        }
    }

    fn reg(&mut self, r: u8, a: &RegAccess, ts: u64, what: &str) -> Result<(), String> {
        let (v, t) = self.regs[r as usize];
        if (a.prev_value, a.prev_ts) != (v, t) {
            return Err(format!("{what}: register {r} access says previous ({:#x}, ts {}), replay has ({v:#x}, ts {t})", a.prev_value, a.prev_ts));
        }
        if ts <= t {
            return Err(format!("{what}: register {r} timestamp {ts} not after {t}"));
        }
        if r == 0 && a.value != 0 {
            return Err(format!("{what}: $0 written with {:#x}", a.value));
        }
        self.regs[r as usize] = (a.value, ts);
        Ok(())
    }

    fn word(
        &mut self,
        addr: u32,
        prev: u32,
        prev_ts: u64,
        value: u32,
        ts: u64,
        what: &str,
    ) -> Result<(), String> {
        if addr & 3 != 0 {
            return Err(format!("{what}: unaligned word address {addr:#x}"));
        }
        let init = self.initial_mem.word(addr);
        let (v, t) = *self.mem.get(&addr).unwrap_or(&(init, 0));
        if (prev, prev_ts) != (v, t) {
            return Err(format!("{what}: word {addr:#x} access says previous ({prev:#x}, ts {prev_ts}), replay has ({v:#x}, ts {t})"));
        }
        if ts <= t {
            return Err(format!(
                "{what}: word {addr:#x} timestamp {ts} not after {t}"
            ));
        }
        self.mem.insert(addr, (value, ts));
        Ok(())
    }

    /// Replays one chunk of records (chunks must be fed in order).
    pub fn feed(&mut self, rec: &ExecutionRecord) -> Result<(), String> {
        let mut sys = rec.syscalls.iter().peekable();
        for (i, s) in rec.steps.iter().enumerate() {
            let what = format!(
                "step {} (pc {:#010x}, {})",
                self.steps,
                s.pc,
                s.op.mnemonic()
            );
            if let Some(prev_next) = self.last_pc {
                if s.pc != prev_next {
                    return Err(format!(
                        "{what}: pc does not follow the previous step's next_pc {prev_next:#x}"
                    ));
                }
            }
            if s.clk != 8 * (self.steps + 1) {
                return Err(format!("{what}: clk {} out of sequence", s.clk));
            }
            for (k, (r, a)) in s.reg_accesses().enumerate() {
                self.reg(r, a, s.clk + k as u64, &what)?;
            }
            if let Some(m) = s.mem_access() {
                self.word(m.addr, m.prev_value, m.prev_ts, m.value, s.clk, &what)?;
            }
            if s.flags & mipstark_emulator::record::flags::SYSCALL != 0 {
                let ev = sys
                    .next()
                    .ok_or_else(|| format!("{what}: syscall step without event"))?;
                if ev.step as usize != i {
                    return Err(format!("{what}: syscall event points at step {}", ev.step));
                }
                for (k, (r, a)) in [2u8, 4, 5, 6, 7].iter().zip(ev.regs.iter()).enumerate() {
                    self.reg(*r, a, s.clk + k as u64, &what)?;
                }
                for m in rec.syscall_accesses(ev) {
                    self.word(m.addr, m.prev_value, m.prev_ts, m.value, s.clk, &what)?;
                }
            }
            self.last_pc = Some(s.next_pc);
            self.steps += 1;
        }
        if sys.next().is_some() {
            return Err("syscall event without a syscall step".into());
        }
        Ok(())
    }

    /// Checks the replayed final state against the machine's.
    pub fn finish(&self, regs: &[u32], mem: &Memory) -> Result<u64, String> {
        for (r, want) in regs.iter().enumerate() {
            if self.regs[r].0 != *want {
                return Err(format!(
                    "final register {r}: replay {:#x}, machine {want:#x}",
                    self.regs[r].0
                ));
            }
        }
        for (addr, (v, _)) in &self.mem {
            if mem.word(*addr) != *v {
                return Err(format!(
                    "final word {addr:#x}: replay {v:#x}, machine {:#x}",
                    mem.word(*addr)
                ));
            }
        }
        Ok(self.steps)
    }
}
