//! Lockstep differential testing against qemu: random but valid instruction streams run under
//! qemu (with a per-instruction register log) and under the emulator; every register, HI and
//! LO must agree before every instruction, and the scratch memory (written to stdout by the
//! stream's epilogue) at the end.
//!
//! A stream is: a prologue loading every register with edge or random values, a body of random
//! instructions (all integer opcode groups, forward branches and jumps with non-branch delay
//! slots, loads and stores into a 4 KiB scratch area based at `$gp`), and an epilogue that writes
//! the scratch area to stdout and exits. Trapping instructions (ADD overflow, TEQ, ...) may fire:
//! then qemu must die of the matching signal at the same pc.

use std::sync::Arc;

use mipstark_emulator::{insn::decode, ExecConfig, ExecErrorKind, Executor, GuestInput, Program};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::asm::*;
use crate::elfgen::{words_to_bytes, write_elf, GenSegment};
use crate::qemu::{self, CpuState};

pub const TEXT_BASE: u32 = 0x0040_0000;
pub const SCRATCH: u32 = 0x1000_0000;
pub const SCRATCH_LEN: u32 = 4096;
/// `$gp` points at the middle of the scratch area so signed 16-bit offsets cover it.
const BASE_REG: u32 = 28;
const BASE: u32 = SCRATCH + SCRATCH_LEN / 2;

/// A generated program.
pub struct Stream {
    pub elf: Vec<u8>,
    pub text: Vec<u32>,
    /// Address of the first body instruction.
    pub body_start: u32,
}

struct Gen {
    rng: ChaCha8Rng,
    words: Vec<u32>,
    /// Positions a branch may land on (not inside a multi-word sequence).
    landing: Vec<bool>,
    /// (word index of a branch/jump, wanted target index, kind) to patch once the body is known.
    fixups: Vec<(usize, usize, Fixup)>,
    last_ll_off: Option<i16>,
}

#[derive(Clone, Copy)]
enum Fixup {
    Branch,
    Jump,
    /// `lui; ori` pair at the index, loading the target address.
    LoadAddr,
}

fn edge_value(rng: &mut ChaCha8Rng) -> u32 {
    const EDGES: [u32; 12] = [
        0,
        1,
        2,
        0xffff_ffff,
        0x8000_0000,
        0x7fff_ffff,
        0x8000,
        0x7fff,
        0xffff,
        31,
        32,
        0xffff_8000,
    ];
    match rng.gen_range(0..4) {
        0 => EDGES[rng.gen_range(0..EDGES.len())],
        1 => rng.gen_range(0..64),
        _ => rng.gen(),
    }
}

impl Gen {
    fn reg(&mut self) -> u32 {
        self.rng.gen_range(0..32)
    }

    /// A destination register: anything but the scratch base.
    fn dst(&mut self) -> u32 {
        loop {
            let r = self.reg();
            if r != BASE_REG {
                return r;
            }
        }
    }

    fn push(&mut self, w: u32) {
        self.words.push(w);
        self.landing.push(true);
    }

    fn push_seq(&mut self, ws: &[u32]) {
        for (i, w) in ws.iter().enumerate() {
            self.words.push(*w);
            self.landing.push(i == 0);
        }
    }

    fn imm(&mut self) -> u16 {
        edge_value(&mut self.rng) as u16
    }

    fn mem_off(&mut self, align: i32) -> i16 {
        let half = (SCRATCH_LEN / 2) as i32;
        let off = self.rng.gen_range(-half..half - 4);
        (off & !(align - 1)) as i16
    }

    /// One instruction that is safe in a delay slot (no control transfer, no trap).
    fn simple(&mut self) {
        let (rs, rt, rd) = (self.reg(), self.reg(), self.dst());
        let sa = self.rng.gen_range(0..32);
        let w = match self.rng.gen_range(0..100) {
            0..=29 => {
                const F: [u32; 14] = [
                    0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2a, 0x2b, 0x04, 0x06, 0x07, 0x0a, 0x0b,
                    0x06,
                ];
                let k = self.rng.gen_range(0..F.len());
                // The last entry is SRLV with sa = 1: ROTRV.
                special(F[k], rs, rt, rd, (k == F.len() - 1) as u32)
            }
            30..=39 => {
                let (f, r) = [(0x00, 0), (0x02, 0), (0x03, 0), (0x02, 1)][self.rng.gen_range(0..4)];
                special(f, r, rt, rd, sa)
            }
            40..=54 => {
                let op = [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f][self.rng.gen_range(0..7)];
                let rs = if op == 0x0f { 0 } else { rs };
                let imm = self.imm();
                itype(op, rs, self.dst(), imm)
            }
            55..=64 => match self.rng.gen_range(0..12) {
                0 => special(0x18, rs, rt, 0, 0),
                1 => special(0x19, rs, rt, 0, 0),
                2 => special(0x1a, rs, rt, 0, 0),
                3 => special(0x1b, rs, rt, 0, 0),
                4 => special2(0x00, rs, rt, 0),
                5 => special2(0x01, rs, rt, 0),
                6 => special2(0x04, rs, rt, 0),
                7 => special2(0x05, rs, rt, 0),
                8 => special(0x10, 0, 0, rd, 0),
                9 => special(0x12, 0, 0, rd, 0),
                10 => special(0x11, rs, 0, 0, 0),
                _ => special(0x13, rs, 0, 0, 0),
            },
            65..=72 => match self.rng.gen_range(0..8) {
                0 => special2(0x02, rs, rt, rd),
                1 => special2(0x20, rs, rd, rd),
                2 => special2(0x21, rs, rd, rd),
                3 => {
                    let lsb = self.rng.gen_range(0..32);
                    let msbd = self.rng.gen_range(0..32 - lsb);
                    special3(0x00, rs, self.dst(), msbd, lsb)
                }
                4 => {
                    let lsb = self.rng.gen_range(0..32);
                    let msb = self.rng.gen_range(lsb..32);
                    special3(0x04, rs, self.dst(), msb, lsb)
                }
                5 => special3(0x20, 0, rt, rd, 0x02),
                6 => special3(0x20, 0, rt, rd, 0x10),
                _ => special3(0x20, 0, rt, rd, 0x18),
            },
            73..=96 => {
                let rt_dst = self.dst();
                match self.rng.gen_range(0..15) {
                    0 => itype(0x20, BASE_REG, rt_dst, self.mem_off(1) as u16),
                    1 => itype(0x24, BASE_REG, rt_dst, self.mem_off(1) as u16),
                    2 => itype(0x21, BASE_REG, rt_dst, self.mem_off(2) as u16),
                    3 => itype(0x25, BASE_REG, rt_dst, self.mem_off(2) as u16),
                    4 => itype(0x23, BASE_REG, rt_dst, self.mem_off(4) as u16),
                    5 => itype(0x22, BASE_REG, rt_dst, self.mem_off(1) as u16),
                    6 => itype(0x26, BASE_REG, rt_dst, self.mem_off(1) as u16),
                    7 => itype(0x28, BASE_REG, rt, self.mem_off(1) as u16),
                    8 => itype(0x29, BASE_REG, rt, self.mem_off(2) as u16),
                    9 => itype(0x2b, BASE_REG, rt, self.mem_off(4) as u16),
                    10 => itype(0x2a, BASE_REG, rt, self.mem_off(1) as u16),
                    11 => itype(0x2e, BASE_REG, rt, self.mem_off(1) as u16),
                    12 => {
                        let off = self.mem_off(4);
                        self.last_ll_off = Some(off);
                        itype(0x30, BASE_REG, rt_dst, off as u16)
                    }
                    13 => {
                        let off = match self.last_ll_off {
                            Some(o) if self.rng.gen_bool(0.7) => o,
                            _ => self.mem_off(4),
                        };
                        itype(0x38, BASE_REG, rt_dst, off as u16)
                    }
                    _ => itype(0x33, BASE_REG, self.reg(), self.mem_off(1) as u16), // pref
                }
            }
            97 => special(0x0f, 0, 0, 0, 0),           // sync
            _ => special3(0x3b, 0, self.dst(), 29, 0), // rdhwr $29
        };
        self.push(w);
    }

    /// One body element: a simple instruction, a branch/jump with its delay slot, or a trap.
    fn element(&mut self) {
        match self.rng.gen_range(0..100) {
            0..=81 => self.simple(),
            82..=91 => {
                // Conditional branch; compare registers with themselves or $0 often so both
                // directions occur.
                let rs = self.reg();
                let rt = match self.rng.gen_range(0..3) {
                    0 => rs,
                    1 => 0,
                    _ => self.reg(),
                };
                let w = match self.rng.gen_range(0..16) {
                    0 => itype(0x04, rs, rt, 0),
                    1 => itype(0x05, rs, rt, 0),
                    2 => itype(0x06, rs, 0, 0),
                    3 => itype(0x07, rs, 0, 0),
                    4 => itype(0x14, rs, rt, 0),
                    5 => itype(0x15, rs, rt, 0),
                    6 => itype(0x16, rs, 0, 0),
                    7 => itype(0x17, rs, 0, 0),
                    k => regimm(
                        [0x00, 0x01, 0x02, 0x03, 0x10, 0x11, 0x12, 0x13][k - 8],
                        rs,
                        0,
                    ),
                };
                let target = self.words.len() + 2 + self.rng.gen_range(0..6);
                self.fixups.push((self.words.len(), target, Fixup::Branch));
                self.push(w);
                self.simple();
            }
            92..=95 => {
                let target = self.words.len() + 2 + self.rng.gen_range(0..6);
                self.fixups.push((self.words.len(), target, Fixup::Jump));
                let op = if self.rng.gen_bool(0.5) { 0x02 } else { 0x03 };
                self.push(jtype(op, 0));
                self.simple();
            }
            96..=98 => {
                // lui/ori the target into a register, then jr or jalr.
                let r = loop {
                    let r = self.dst();
                    if r != 0 {
                        break r;
                    }
                };
                let target = self.words.len() + 4 + self.rng.gen_range(0..6);
                self.fixups
                    .push((self.words.len(), target, Fixup::LoadAddr));
                let link = loop {
                    let l = self.dst();
                    if l != r {
                        break l;
                    }
                };
                let j = if self.rng.gen_bool(0.5) {
                    jr(r)
                } else {
                    special(0x09, r, 0, link, 0)
                };
                self.push_seq(&[lui(r, 0), ori(r, r, 0), j]);
                self.simple();
            }
            _ => {
                // Traps and trapping arithmetic: rare, since a firing one ends the stream.
                let (rs, rt) = (self.reg(), self.reg());
                let w = match self.rng.gen_range(0..15) {
                    0 => special(0x34, rs, rt, 0, 0),
                    1 => special(0x36, rs, rs, 0, 0),
                    2 => special(0x30, rs, rt, 0, 0),
                    3 => special(0x31, rs, rt, 0, 0),
                    4 => special(0x32, rs, rt, 0, 0),
                    5 => special(0x33, rs, rt, 0, 0),
                    6 => regimm(0x0c, rs, self.imm()),
                    7 => regimm(0x0e, rs, rs as u16),
                    8 => regimm(0x08, rs, self.imm()),
                    9 => regimm(0x09, rs, self.imm()),
                    10 => regimm(0x0a, rs, self.imm()),
                    11 => regimm(0x0b, rs, self.imm()),
                    12 => special(0x20, rs, rt, self.dst(), 0),
                    13 => special(0x22, rs, rt, self.dst(), 0),
                    _ => itype(0x08, rs, self.dst(), self.imm()),
                };
                self.push(w);
            }
        }
    }
}

/// Generates the stream for `seed` with about `body_len` body instructions.
pub fn generate(seed: u64, body_len: usize) -> Stream {
    let mut g = Gen {
        rng: ChaCha8Rng::seed_from_u64(seed),
        words: Vec::new(),
        landing: Vec::new(),
        fixups: Vec::new(),
        last_ll_off: None,
    };
    // Prologue: every register but $0, then HI/LO.
    for r in 1..32 {
        let v = if r == BASE_REG {
            BASE
        } else {
            edge_value(&mut g.rng)
        };
        g.push_seq(&li(r, v));
    }
    let (h, l) = (g.reg(), g.reg());
    g.push_seq(&[mthi(h), mtlo(l)]);
    let body_start_idx = g.words.len();
    while g.words.len() - body_start_idx < body_len {
        g.element();
    }
    let end = g.words.len();
    // Epilogue: write(1, scratch, len); exit_group(0).
    g.push_seq(&[lui(2, 0), ori(2, 2, 4004), addiu(4, 0, 1)]);
    g.push_seq(&li(5, SCRATCH));
    g.push_seq(&[
        ori(6, 0, SCRATCH_LEN as u16),
        SYSCALL,
        ori(2, 0, 4246),
        addiu(4, 0, 0),
        SYSCALL,
    ]);
    g.landing[end] = true;
    let addr = |i: usize| TEXT_BASE + 4 * i as u32;
    for (at, want, kind) in std::mem::take(&mut g.fixups) {
        let mut t = want.min(end);
        while !g.landing[t] {
            t += 1;
        }
        match kind {
            Fixup::Branch => {
                let off = (t as i64 - at as i64 - 1) as u16;
                g.words[at] = (g.words[at] & 0xffff_0000) | off as u32;
            }
            Fixup::Jump => {
                g.words[at] = (g.words[at] & 0xfc00_0000) | ((addr(t) >> 2) & 0x03ff_ffff)
            }
            Fixup::LoadAddr => {
                g.words[at] |= addr(t) >> 16;
                g.words[at + 1] |= addr(t) & 0xffff;
            }
        }
    }
    let scratch: Vec<u8> = (0..SCRATCH_LEN).map(|_| g.rng.gen()).collect();
    let elf = write_elf(
        TEXT_BASE,
        &[
            GenSegment {
                vaddr: TEXT_BASE,
                data: words_to_bytes(&g.words),
                bss: 0,
                executable: true,
                writable: false,
            },
            GenSegment {
                vaddr: SCRATCH,
                data: scratch,
                bss: 0,
                executable: false,
                writable: true,
            },
        ],
    );
    Stream {
        elf,
        text: g.words,
        body_start: addr(body_start_idx),
    }
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    Exit(u32),
    /// A fatal guest signal (qemu) or the emulator error it corresponds to.
    Signal(i32),
    Other(String),
}

/// Our side: states before each instruction, stdout, ending.
pub fn run_emulator(elf: &[u8], max_steps: u64) -> (Vec<CpuState>, Vec<u8>, Ending) {
    let program = Arc::new(Program::from_elf(elf).expect("generated ELF loads"));
    let config = ExecConfig {
        max_cycles: max_steps,
        ..Default::default()
    };
    let mut ex = Executor::new(program, GuestInput::default(), config);
    let mut states = Vec::new();
    let ending = loop {
        let mut gpr = [0u32; 32];
        gpr.copy_from_slice(ex.gprs());
        let (hi, lo) = ex.hi_lo();
        states.push(CpuState {
            pc: ex.pc(),
            hi,
            lo,
            gpr,
        });
        match ex.run_for(1) {
            Ok(Some(exit)) => break Ending::Exit(exit.exit_code),
            Ok(None) => {}
            Err(e) => {
                break match e.kind {
                    ExecErrorKind::Trap(_) | ExecErrorKind::Break(_) => Ending::Signal(5),
                    ExecErrorKind::IntegerOverflow => Ending::Signal(8),
                    _ => Ending::Other(e.to_string()),
                }
            }
        }
    };
    (states, ex.take_output().stdout, ending)
}

/// Summary of one compared stream.
#[derive(Debug, Default, Clone, Copy)]
pub struct Compared {
    pub instructions: usize,
    pub trapped: bool,
}

/// Runs stream `seed` under both and compares; `Err` describes the first difference.
pub fn compare(
    qemu_path: &std::path::Path,
    seed: u64,
    body_len: usize,
) -> Result<Compared, String> {
    let s = generate(seed, body_len);
    let (ours, out, ending) = run_emulator(&s.elf, 100_000);
    let q = qemu::run(qemu_path, &s.elf, &[], &[], true);
    let qend = match (q.exit_code, q.signal) {
        (Some(c), _) if !String::from_utf8_lossy(&q.stderr).contains("uncaught target signal") => {
            Ending::Exit(c as u32)
        }
        (_, Some(sig)) => Ending::Signal(sig),
        _ => {
            // qemu-user reports some guest signals on stderr and exits with 128 + signal.
            let text = String::from_utf8_lossy(&q.stderr);
            match text
                .split("uncaught target signal ")
                .nth(1)
                .and_then(|t| t.split_whitespace().next())
            {
                Some(n) => Ending::Signal(n.parse().unwrap_or(-1)),
                None => Ending::Other(format!("qemu status {:?}", q.exit_code)),
            }
        }
    };
    let start_ours = ours
        .iter()
        .position(|st| st.pc == s.body_start)
        .ok_or("emulator never reached the body")?;
    let start_q = q
        .trace
        .iter()
        .position(|st| st.pc == s.body_start)
        .ok_or("qemu never reached the body")?;
    let (a, b) = (&ours[start_ours..], &q.trace[start_q..]);
    let describe = |pc: u32| -> String {
        let w = s
            .text
            .get(((pc.wrapping_sub(TEXT_BASE)) / 4) as usize)
            .copied()
            .unwrap_or(0);
        format!("{pc:#010x}: {w:#010x} ({})", decode(w).op.mnemonic())
    };
    for (i, (x, y)) in a.iter().zip(b.iter()).enumerate() {
        if x != y {
            let prev = if i > 0 {
                describe(a[i - 1].pc)
            } else {
                "-".into()
            };
            let mut diffs = Vec::new();
            if x.pc != y.pc {
                diffs.push(format!("pc ours {:#010x} qemu {:#010x}", x.pc, y.pc));
            }
            if (x.hi, x.lo) != (y.hi, y.lo) {
                diffs.push(format!(
                    "hi/lo ours {:#x}/{:#x} qemu {:#x}/{:#x}",
                    x.hi, x.lo, y.hi, y.lo
                ));
            }
            for r in 0..32 {
                if x.gpr[r] != y.gpr[r] {
                    diffs.push(format!(
                        "${r} ours {:#010x} qemu {:#010x}",
                        x.gpr[r], y.gpr[r]
                    ));
                }
            }
            return Err(format!(
                "seed {seed}: state differs before body instruction {i}, after executing {prev}: {}",
                diffs.join(", ")
            ));
        }
    }
    if a.len() != b.len() {
        return Err(format!(
            "seed {seed}: ours ran {} body instructions, qemu {} (ours ended {ending:?}, qemu {qend:?}); last ours {}",
            a.len(),
            b.len(),
            describe(a.last().map(|s| s.pc).unwrap_or(0))
        ));
    }
    if ending != qend {
        return Err(format!("seed {seed}: ours ended {ending:?}, qemu {qend:?}"));
    }
    if let Ending::Exit(_) = ending {
        if out != q.stdout {
            let first = out
                .iter()
                .zip(&q.stdout)
                .position(|(x, y)| x != y)
                .unwrap_or(out.len().min(q.stdout.len()));
            return Err(format!("seed {seed}: scratch memory differs first at byte {first} (ours {} bytes, qemu {})", out.len(), q.stdout.len()));
        }
    }
    Ok(Compared {
        instructions: a.len(),
        trapped: matches!(ending, Ending::Signal(_)),
    })
}
