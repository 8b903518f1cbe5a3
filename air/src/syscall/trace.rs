//! Syscall and syscall-buffer traces from the records.

use mipstark_emulator::record::SyscallEvent;
use mipstark_emulator::syscall::{errno, nr, MAP_FIXED};
use mipstark_emulator::ExecutionRecord;
use p3_field::{Field, PrimeCharacteristicRing};
use p3_matrix::dense::RowMajorMatrix;
use thiserror::Error;

use super::{
    brk, linux_err, mmap, SysMemCols, SyscallChip, SyscallCols, FD_PUBLIC, NUM_SYSCALL_COLS,
    NUM_SYSMEM_COLS, PV_CAPACITY,
};
use crate::alu::word_bytes;
use crate::bus::ByteOp;
use crate::byte::ByteLookups;
use crate::gadgets::{add_carries, byte_sum_inverse, fill_sub};
use crate::memory::access::{fill_access, fill_clock};
use crate::memory::NUM_COMMIT;
use crate::{cols_mut, F};

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SyscallTraceError {
    #[error(
        "syscall {number} at pc {pc:#010x} cannot be proved yet (provable: HALT, WRITE, COMMIT, \
         SYSHINTLEN, SYSHINTREAD; Linux exit, exit_group, write, read, set_thread_area, brk, \
         mmap/mmap2, munmap, their error returns, and the ENOSYS of unimplemented calls)"
    )]
    Unsupported { number: u32, pc: u32 },
    #[error(
        "syscall {number} at pc {pc:#010x} touches memory up to exactly address 2^32, which a \
         proof cannot show yet (a buffer's end is a 32-bit word): keep buffers and maps below \
         the last byte of the address space"
    )]
    BufferEndsAtTop { number: u32, pc: u32 },
    #[error("the program wrote {0} public-values bytes; a proof carries at most {PV_CAPACITY}")]
    PublicValuesTooLong(usize),
}

/// The syscall chips' traces for a span of the execution.
#[derive(Debug)]
pub struct SyscallTraces {
    pub syscalls: RowMajorMatrix<F>,
    pub sysmem: RowMajorMatrix<F>,
    /// The exit code, if the span halts.
    pub exit_code: Option<u32>,
}

/// The public values as the memory argument sees them: the stream's length register and
/// bytes, and the commit registers' words and timestamps.
#[derive(Clone, Debug, Default)]
pub struct PublicStream {
    pub len: u32,
    pub ts: u64,
    pub bytes: Vec<u8>,
    pub committed: [u32; NUM_COMMIT],
    pub commit_ts: [u64; NUM_COMMIT],
}

impl SyscallCols<F> {
    /// Fills the buffer columns for `(buf, len)` and returns the (wrapping) end: its bytes'
    /// range checks are recorded, and the low-byte splits' too when `splits_checked` (rows
    /// that send the buffer's tokens).
    pub fn fill_buffer(
        &mut self,
        buf: u32,
        len: u32,
        bytes: &mut ByteLookups,
        splits_checked: bool,
    ) -> u32 {
        let end = buf.wrapping_add(len);
        self.buf = word_bytes(buf);
        self.len = word_bytes(len);
        self.end = word_bytes(end);
        self.carry = add_carries(buf, len);
        bytes.range_word(end);
        for (v, off, q) in [
            (buf, &mut self.buf_off, &mut self.buf_q),
            (end, &mut self.end_off, &mut self.end_q),
        ] {
            *off = F::from_u32(v & 3);
            *q = F::from_u32((v & 0xff) >> 2);
            if splits_checked {
                bytes.add(ByteOp::Range, (v & 3) as u8, ((v & 3) * 64) as u8);
                bytes.add(ByteOp::Range, ((v & 0xff) >> 2) as u8, (v & 0xfc) as u8);
            }
        }
        end
    }
}

impl SyscallChip {
    /// Traces of the syscalls in `events` of a program whose initial break is `initial_brk`;
    /// `stream` carries the public-values state across spans.
    pub fn generate_traces(
        &self,
        initial_brk: u32,
        record: &ExecutionRecord,
        events: &[SyscallEvent],
        stream: &mut PublicStream,
        bytes: &mut ByteLookups,
    ) -> Result<SyscallTraces, SyscallTraceError> {
        let h = events.len().next_power_of_two().max(4);
        let mut sys = RowMajorMatrix::new(F::zero_vec(h * NUM_SYSCALL_COLS), NUM_SYSCALL_COLS);
        let mut mem_rows: Vec<SysMemCols<F>> = Vec::new();
        let mut exit_code = None;
        for (row, ev) in sys.values.chunks_exact_mut(NUM_SYSCALL_COLS).zip(events) {
            let step = &record.steps[ev.step as usize];
            let r: &mut SyscallCols<F> = cols_mut(row);
            match ev.number {
                nr::HALT => r.halt = F::ONE,
                nr::WRITE => r.write = F::ONE,
                nr::COMMIT => r.commit = F::ONE,
                nr::SYSHINTLEN => r.hintlen = F::ONE,
                nr::SYSHINTREAD => r.hintread = F::ONE,
                nr::LINUX_EXIT => r.lexit = F::ONE,
                nr::LINUX_EXIT_GROUP => r.lexit_group = F::ONE,
                // The successful cases; their error returns are matched below.
                nr::LINUX_WRITE
                    if matches!(ev.regs[1].prev_value, 1 | 2 | 13 | 14)
                        && ev.regs[4].value == 0 =>
                {
                    r.lwrite = F::ONE
                }
                nr::LINUX_READ if ev.regs[1].prev_value == 0 && ev.regs[4].value == 0 => {
                    r.lread = F::ONE
                }
                nr::LINUX_SET_THREAD_AREA => r.lset_tls = F::ONE,
                nr::LINUX_BRK => r.lbrk = F::ONE,
                nr::LINUX_MMAP | nr::LINUX_MMAP2
                    if ev.regs[4].value == 0 && ev.regs[4].prev_value & MAP_FIXED == 0 =>
                {
                    r.lmmap = F::ONE
                }
                nr::LINUX_MMAP | nr::LINUX_MMAP2 if ev.regs[4].value == 0 => r.lmmap_fixed = F::ONE,
                nr::LINUX_MUNMAP if ev.regs[4].value == 0 => r.lmunmap = F::ONE,
                // mmap's errors before and outside MAP_FIXED, and munmap's EINVAL.
                nr::LINUX_MMAP | nr::LINUX_MMAP2 if ev.regs[4].value == 1 => {
                    let (len, flags) = (ev.regs[2].prev_value, ev.regs[4].prev_value);
                    match ev.regs[0].value {
                        errno::EINVAL if len == 0 => r.err.mmap_inval = F::ONE,
                        errno::EBADF => r.err.mmap_badf = F::ONE,
                        errno::EINVAL if flags & MAP_FIXED != 0 => r.err.mmap_fixed_inval = F::ONE,
                        errno::ENOMEM if flags & MAP_FIXED == 0 => r.err.mmap_nomem = F::ONE,
                        _ => {
                            return Err(SyscallTraceError::Unsupported {
                                number: ev.number,
                                pc: step.pc,
                            })
                        }
                    }
                }
                nr::LINUX_MUNMAP => r.err.munmap_inval = F::ONE,
                // Error returns ($a3 = 1) with the errno their arguments force.
                nr::LINUX_WRITE if ev.regs[0].value == errno::EBADF => r.err.badf_write = F::ONE,
                nr::LINUX_READ if ev.regs[0].value == errno::EBADF => r.err.badf_read = F::ONE,
                nr::LINUX_READ if ev.regs[0].value == errno::EFAULT => r.err.read_fault = F::ONE,
                n if (nr::LINUX_BASE..nr::LINUX_END).contains(&n)
                    && !nr::LINUX_HANDLED.contains(&n) =>
                {
                    r.err.enosys = F::ONE
                }
                number => {
                    return Err(SyscallTraceError::Unsupported {
                        number,
                        pc: step.pc,
                    })
                }
            }
            let clk = step.clk;
            r.clk = F::from_u64(clk);
            r.clk_hi = fill_clock(bytes, clk);
            for (k, a) in ev.regs.iter().enumerate() {
                fill_access(
                    &mut r.regs[k],
                    a.prev_value,
                    a.value,
                    a.prev_ts,
                    clk + k as u64,
                    bytes,
                );
            }
            let a: [u32; 4] = std::array::from_fn(|k| ev.regs[k + 1].prev_value);
            if matches!(ev.number, nr::HALT | nr::LINUX_EXIT | nr::LINUX_EXIT_GROUP) {
                exit_code = Some(a[0]);
            }
            if ev.number == nr::COMMIT {
                // The emulator rejects an index of 8 or more, so `a[0] < 8` here.
                let k = a[0] as usize;
                bytes.add(ByteOp::Range, (a[0] * 32) as u8, 0);
                let (prev, prev_ts) = (stream.committed[k], stream.commit_ts[k]);
                fill_access(&mut r.cm, prev, a[1], prev_ts, clk + 6, bytes);
                stream.committed[k] = a[1];
                stream.commit_ts[k] = clk + 6;
            }
            for (i, slot) in [&mut r.st, &mut r.st1, &mut r.st2].into_iter().enumerate() {
                if let Some((_, st)) = ev.state[i] {
                    let ts = clk + 5 + i as u64;
                    fill_access(slot, st.prev_value, st.value, st.prev_ts, ts, bytes);
                }
            }
            if ev.number == nr::SYSHINTLEN {
                bytes.range_word(ev.regs[0].value);
            }
            let n = ev.regs[0].value;
            if r.lread == F::ONE {
                bytes.range_word(n);
                fill_sub(&mut r.room, n, a[2], bytes);
            }
            if ev.number == nr::LINUX_WRITE {
                let x = F::from_u32(a[0] & 0xff);
                r.fd_lo = (x - F::ONE) * (x - F::TWO);
                r.fd_hi = (x - F::from_u8(13)) * (x - F::from_u8(14));
            }
            if r.err.selectors().contains(&F::ONE) {
                match ev.number {
                    nr::LINUX_MMAP | nr::LINUX_MMAP2 if r.err.mmap_fixed_inval == F::ONE => {
                        // The range (addr, aligned) sits in the buffer columns for the wrap
                        // check; the low-byte splits are filled to satisfy their sums.
                        let aligned = mmap::fill_fixed(
                            &mut r.mmap,
                            &mut r.fixed,
                            ev.number,
                            a[0],
                            a[1],
                            a[3],
                            None,
                            bytes,
                        );
                        r.fill_buffer(a[0], aligned, bytes, false);
                    }
                    nr::LINUX_MMAP | nr::LINUX_MMAP2 => {
                        // ENOMEM reads the top and the mark.
                        let sized = match ev.state {
                            [Some((_, top)), Some((_, hwm)), None] => {
                                Some(((top.prev_value, top.value), hwm.value))
                            }
                            _ => None,
                        };
                        mmap::fill_mmap(&mut r.mmap, ev.number, a[1], a[3], sized, bytes);
                    }
                    nr::LINUX_MUNMAP => mmap::fill_munmap(&mut r.munmap, a[0], a[1], bytes),
                    nr::LINUX_READ if r.err.read_fault == F::ONE => {
                        // The buffer columns hold (a1, a2) and their wrapping end; the
                        // low-byte splits are filled (unchecked on this row) to satisfy
                        // their unconditional sums.
                        let end = r.fill_buffer(a[1], a[2], bytes, false);
                        r.err.inv = byte_sum_inverse(end);
                    }
                    _ => {
                        let fds = linux_err::fill(&mut r.err, ev.number, a[0], r.fd_lo, r.fd_hi);
                        for (x, y) in fds {
                            bytes.add(ByteOp::Range, x, y);
                        }
                    }
                }
                continue; // an error return touches no memory
            }
            let (buf, len) = match ev.number {
                nr::WRITE | nr::LINUX_WRITE => (a[1], a[2]),
                nr::SYSHINTREAD => (a[0], a[1]),
                nr::LINUX_READ => (a[1], n),
                nr::LINUX_BRK => {
                    let [Some((_, b0)), Some((_, b1)), Some((_, top))] = ev.state else {
                        unreachable!("the emulator records brk's three state accesses")
                    };
                    brk::fill(
                        &mut r.brk,
                        initial_brk,
                        a[0],
                        (b0.prev_value, b0.value),
                        (b1.prev_value, b1.value),
                        top.value,
                        bytes,
                    )
                }
                nr::LINUX_MMAP | nr::LINUX_MMAP2 if r.lmmap_fixed == F::ONE => {
                    let [Some((_, top)), Some((_, hwm)), None] = ev.state else {
                        unreachable!("the emulator records MAP_FIXED's two state accesses")
                    };
                    let aligned = mmap::fill_fixed(
                        &mut r.mmap,
                        &mut r.fixed,
                        ev.number,
                        a[0],
                        a[1],
                        a[3],
                        Some(((top.prev_value, top.value), hwm.value)),
                        bytes,
                    );
                    (a[0], aligned)
                }
                nr::LINUX_MMAP | nr::LINUX_MMAP2 => {
                    let [Some((_, top)), Some((_, hwm)), None] = ev.state else {
                        unreachable!("the emulator records mmap's two state accesses")
                    };
                    mmap::fill_mmap(
                        &mut r.mmap,
                        ev.number,
                        a[1],
                        a[3],
                        Some(((top.prev_value, top.value), hwm.value)),
                        bytes,
                    );
                    continue;
                }
                nr::LINUX_MUNMAP => {
                    mmap::fill_munmap(&mut r.munmap, a[0], a[1], bytes);
                    continue;
                }
                _ => continue,
            };
            if len > 0 && buf as u64 + len as u64 == 1 << 32 {
                return Err(SyscallTraceError::BufferEndsAtTop {
                    number: ev.number,
                    pc: step.pc,
                });
            }
            let writing = matches!(ev.number, nr::WRITE | nr::LINUX_WRITE);
            let is_pv = writing && a[0] == FD_PUBLIC;
            if writing {
                let mut sq = F::ZERO;
                for (x, y) in a[0].to_le_bytes().iter().zip(FD_PUBLIC.to_le_bytes()) {
                    let d = F::from_u8(*x) - F::from_u8(y);
                    sq += d * d;
                }
                r.fd_inv = sq.try_inverse().unwrap_or(F::ZERO);
            }
            r.is_pv = F::from_bool(is_pv);
            let end = r.fill_buffer(buf, len, bytes, true);
            let mut idx = 0u32;
            if is_pv {
                let new_len = stream.len + len;
                fill_access(&mut r.pv, stream.len, new_len, stream.ts, clk + 5, bytes);
                bytes.range_word(new_len);
                idx = stream.len;
                stream.len = new_len;
                stream.ts = clk + 5;
                if stream.len as usize > PV_CAPACITY {
                    return Err(SyscallTraceError::PublicValuesTooLong(stream.len as usize));
                }
            }
            let words = record.syscall_accesses(ev);
            let n = words.len();
            for (i, w) in words.iter().enumerate() {
                let mut m: SysMemCols<F> = unsafe { std::mem::zeroed() };
                m.clk = F::from_u64(clk);
                m.clk_hi = fill_clock(bytes, clk);
                m.word = F::from_u32(w.addr >> 2);
                let first = if i == 0 { (buf & 3) as usize } else { 0 };
                let last = if i + 1 == n {
                    ((end.wrapping_sub(1)) & 3) as usize
                } else {
                    3
                };
                m.first[first] = F::ONE;
                m.last[last] = F::ONE;
                m.idx = F::from_u32(idx);
                let zero = ev.number == nr::LINUX_BRK || r.lmmap_fixed == F::ONE;
                let writes = zero || matches!(ev.number, nr::SYSHINTREAD | nr::LINUX_READ);
                m.writes = F::from_bool(writes);
                m.public = F::from_bool(is_pv);
                m.zero = F::from_bool(zero);
                fill_access(&mut m.mem, w.prev_value, w.value, w.prev_ts, clk, bytes);
                if writes {
                    bytes.range_word(w.value);
                }
                if is_pv {
                    let pb = w.prev_value.to_le_bytes();
                    stream.bytes.extend_from_slice(&pb[first..=last]);
                    idx += (last + 1 - first) as u32;
                }
                mem_rows.push(m);
            }
        }
        let h = mem_rows.len().next_power_of_two().max(4);
        let mut mem = RowMajorMatrix::new(F::zero_vec(h * NUM_SYSMEM_COLS), NUM_SYSMEM_COLS);
        for (row, m) in mem.values.chunks_exact_mut(NUM_SYSMEM_COLS).zip(mem_rows) {
            *cols_mut::<SysMemCols<F>, F>(row) = m;
        }
        Ok(SyscallTraces {
            syscalls: sys,
            sysmem: mem,
            exit_code,
        })
    }
}

impl super::PublicValuesChip {
    /// The chip's trace for `stream`.
    pub fn generate_trace(stream: &PublicStream) -> RowMajorMatrix<F> {
        let w = super::PV_COLS;
        let mut m = RowMajorMatrix::new(F::zero_vec(4 * w), w);
        for i in 0..stream.bytes.len() {
            m.values[i] = F::ONE;
        }
        for k in 0..NUM_COMMIT {
            m.values[PV_CAPACITY + k] = F::from_u64(stream.commit_ts[k]);
        }
        m.values[w - 1] = F::ONE;
        m
    }

    /// `[len, byte_0, …]` padded with zeros to the capacity, then the commit words' bytes.
    pub fn public_values(bytes: &[u8], committed: &[u32; NUM_COMMIT]) -> Vec<F> {
        let mut pv = vec![F::from_usize(bytes.len())];
        pv.extend((0..PV_CAPACITY).map(|i| F::from_u8(bytes.get(i).copied().unwrap_or(0))));
        for w in committed {
            pv.extend(w.to_le_bytes().map(F::from_u8));
        }
        pv
    }
}
