//! Load/store requests from step records, and the chip's trace.

use mipstark_emulator::record::Step;
use mipstark_emulator::{lwl, lwr, swl, swr};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_matrix::dense::RowMajorMatrix;

use super::{LoadStoreChip, LoadStoreCols, NUM_COLS};
use crate::alu::word_bytes;
use crate::bus::{ByteOp, LsOp};
use crate::byte::ByteLookups;
use crate::memory::access::{fill_access, fill_clock};
use crate::program::decode::ls_op;
use crate::{cols_mut, F};

/// The value a load writes to rt (`old` is rt before, merged by LWL/LWR).
pub fn load_value(op: LsOp, word: u32, addr: u32, old: u32) -> u32 {
    let sh = (addr & 3) * 8;
    match op {
        LsOp::Lb => (word >> sh) as u8 as i8 as i32 as u32,
        LsOp::Lbu => (word >> sh) as u8 as u32,
        LsOp::Lh => (word >> sh) as u16 as i16 as i32 as u32,
        LsOp::Lhu => (word >> sh) as u16 as u32,
        LsOp::Lwl => lwl(old, word, addr),
        LsOp::Lwr => lwr(old, word, addr),
        _ => word,
    }
}

/// The word a store leaves in memory (SC: as if it succeeds).
pub fn store_value(op: LsOp, mem: u32, reg: u32, addr: u32) -> u32 {
    let sh = (addr & 3) * 8;
    match op {
        LsOp::Sb => (mem & !(0xff << sh)) | ((reg & 0xff) << sh),
        LsOp::Sh => (mem & !(0xffff << sh)) | ((reg & 0xffff) << sh),
        LsOp::Swl => swl(mem, reg, addr),
        LsOp::Swr => swr(mem, reg, addr),
        _ => reg,
    }
}

/// SC's rule: the link names `addr` and the word still holds the linked value.
pub fn sc_succeeds(addr: u32, link_addr: u32, link_val: u32, word: u32) -> bool {
    link_addr == addr.wrapping_add(1) && link_val == word
}

/// One request on the `mem_instr` bus, with the memory access that serves it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemInstrEvent {
    pub op: LsOp,
    pub clk: u64,
    pub base: u32,
    pub offset: u32,
    pub rt_before: u32,
    pub rt_after: u32,
    pub mem_prev: u32,
    pub mem_new: u32,
    pub prev_ts: u64,
    pub sc_ok: bool,
    pub link_addr: u32,
    pub link_val: u32,
}

/// The load/store requests of `steps`, exactly as the CPU rows send them (a load into `$0`
/// carries the loaded value; an SC into `$0` reports success when memory holds its 0).
pub fn mem_instr_events(
    program: &mipstark_emulator::Program,
    steps: &[Step],
) -> Vec<MemInstrEvent> {
    steps
        .iter()
        .filter_map(|s| {
            let op = ls_op(s.op)?;
            let insn = program.decoded[((s.pc - program.text_base) / 4) as usize];
            let base = s.regs[0].value;
            let addr = base.wrapping_add(insn.imm);
            let rt = &s.regs[1];
            let zero = insn.rt == 0;
            let (rt_before, rt_after, sc_ok) = if op.is_store() && op != LsOp::Sc {
                (rt.value, rt.value, false)
            } else if op == LsOp::Sc {
                let ok = sc_succeeds(addr, s.regs[2].value, s.regs[3].value, s.mem.prev_value);
                (rt.prev_value, ok as u32, ok)
            } else if zero {
                (0, load_value(op, s.mem.prev_value, addr, 0), false)
            } else {
                (rt.prev_value, rt.value, false)
            };
            Some(MemInstrEvent {
                op,
                clk: s.clk,
                base,
                offset: insn.imm,
                rt_before,
                rt_after,
                mem_prev: s.mem.prev_value,
                mem_new: s.mem.value,
                prev_ts: s.mem.prev_ts,
                sc_ok,
                link_addr: if matches!(op, LsOp::Ll | LsOp::Sc) {
                    s.regs[2].value
                } else {
                    0
                },
                link_val: if matches!(op, LsOp::Ll | LsOp::Sc) {
                    s.regs[3].value
                } else {
                    0
                },
            })
        })
        .collect()
}

impl LoadStoreChip {
    pub fn generate_trace(events: &[MemInstrEvent], bytes: &mut ByteLookups) -> RowMajorMatrix<F> {
        let height = events.len().next_power_of_two().max(4);
        let mut m = RowMajorMatrix::new(F::zero_vec(height * NUM_COLS), NUM_COLS);
        for (row, e) in m.values.chunks_exact_mut(NUM_COLS).zip(events) {
            let r: &mut LoadStoreCols<F> = cols_mut(row);
            r.sel[e.op as usize] = F::ONE;
            r.clk = F::from_u64(e.clk);
            r.clk_hi = fill_clock(bytes, e.clk);
            r.base = word_bytes(e.base);
            r.offset = word_bytes(e.offset);
            let addr = e.base.wrapping_add(e.offset);
            r.addr = word_bytes(addr);
            let (bb, ob) = (e.base.to_le_bytes(), e.offset.to_le_bytes());
            let mut carry = 0u32;
            for i in 0..4 {
                carry = (bb[i] as u32 + ob[i] as u32 + carry) >> 8;
                r.carry[i] = F::from_u32(carry);
            }
            bytes.range_word(addr);
            let k = (addr & 3) as usize;
            r.k[k] = F::ONE;
            let q = (addr & 0xff) >> 2;
            r.q = F::from_u32(q);
            bytes.add(ByteOp::Range, q as u8, (q * 4) as u8);
            r.rt_before = word_bytes(e.rt_before);
            r.rt_after = word_bytes(e.rt_after);
            fill_access(&mut r.mem, e.mem_prev, e.mem_new, e.prev_ts, e.clk, bytes);
            let mp = e.mem_prev.to_le_bytes();
            let sign_byte = match e.op {
                LsOp::Lb => Some(mp[k]),
                LsOp::Lh => Some(mp[k + 1]),
                _ => None,
            };
            if let Some(sb) = sign_byte {
                r.sign_byte = F::from_u8(sb);
                r.sign = F::from_u8(bytes.add(ByteOp::Msb, sb, 0));
            }
            r.sc_ok = F::from_bool(e.sc_ok);
            r.link_addr = word_bytes(e.link_addr);
            r.link_val = word_bytes(e.link_val);
            if e.op == LsOp::Sc {
                let (la, lv) = (e.link_addr.to_le_bytes(), e.link_val.to_le_bytes());
                let (ab, mb) = (addr.to_le_bytes(), e.mem_prev.to_le_bytes());
                let mut sq = F::ZERO;
                for i in 0..4 {
                    let d1 = F::from_u8(la[i]) - F::from_u8(ab[i]) - F::from_bool(i == 0);
                    let d2 = F::from_u8(lv[i]) - F::from_u8(mb[i]);
                    sq += d1 * d1 + d2 * d2;
                }
                r.sc_inv = sq.try_inverse().unwrap_or(F::ZERO);
            }
        }
        m
    }
}
