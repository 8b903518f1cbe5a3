//! The guest ABI: `syscall` with the number in `$v0`, arguments in `$a0..$a3` (o32 passes a
//! fifth and sixth argument on the stack at `$sp+16`, `$sp+20`), result in `$v0`.
//!
//! Two families share the number space:
//! - zkVM calls compatible with Ziren (HALT, WRITE, COMMIT, SYSHINTLEN, SYSHINTREAD); these leave
//!   `$a3` untouched;
//! - a Linux o32 subset (4000 + n); these set `$a3` to 0 on success, or to 1 with the positive
//!   errno in `$v0`. Unknown Linux numbers fail with ENOSYS.
//!
//! Any other number is an error rather than a silent no-op: a guest built for precompiles we do
//! not have must not run on with garbage.

use crate::error::ExecErrorKind;
use crate::executor::{Executor, Stop};
use crate::io::fd;
use crate::memory::PAGE_SIZE;
use crate::record::{flags, RegAccess, SyscallEvent, REG_BRK, REG_BRK_HWM, REG_MMAP_TOP, REG_TLS};

/// zkVM syscall numbers (Ziren's table).
pub mod nr {
    pub const HALT: u32 = 0x00;
    pub const WRITE: u32 = 0x02;
    pub const COMMIT: u32 = 0x10;
    pub const SYSHINTLEN: u32 = 0xF0;
    pub const SYSHINTREAD: u32 = 0xF1;
    /// Linux o32 numbers start here.
    pub const LINUX_BASE: u32 = 4000;
    pub const LINUX_EXIT: u32 = 4001;
    pub const LINUX_READ: u32 = 4003;
    pub const LINUX_WRITE: u32 = 4004;
    pub const LINUX_BRK: u32 = 4045;
    pub const LINUX_MMAP: u32 = 4090;
    pub const LINUX_MUNMAP: u32 = 4091;
    pub const LINUX_MMAP2: u32 = 4210;
    pub const LINUX_EXIT_GROUP: u32 = 4246;
    pub const LINUX_SET_THREAD_AREA: u32 = 4283;
    /// One past the last o32 number.
    pub const LINUX_END: u32 = 5000;
    /// The Linux numbers with an effect of their own; every other number in
    /// `LINUX_BASE..LINUX_END` returns ENOSYS (the AIR proves non-membership in this list).
    pub const LINUX_HANDLED: [u32; 9] = [
        LINUX_EXIT,
        LINUX_READ,
        LINUX_WRITE,
        LINUX_BRK,
        LINUX_MMAP,
        LINUX_MUNMAP,
        LINUX_MMAP2,
        LINUX_EXIT_GROUP,
        LINUX_SET_THREAD_AREA,
    ];
}

/// MIPS Linux errno values.
pub mod errno {
    pub const EBADF: u32 = 9;
    pub const ENOMEM: u32 = 12;
    pub const EFAULT: u32 = 14;
    pub const EINVAL: u32 = 22;
    pub const ENOSYS: u32 = 89;
}

/// The most bytes one `brk` (or `MAP_FIXED` map) zeroes while recording: every zeroed word is a row of one shard's
/// syscall-buffer chip, whose height a proof caps at 2^22 (this bound also keeps a recording
/// from logging gigabytes for a single call).
pub const MAX_RECORDED_ZEROING: u32 = 4 << 22;

/// `mmap` flags (MIPS values): map exactly at the address; memory with no file behind it.
pub const MAP_FIXED: u32 = 0x10;
pub const MAP_ANONYMOUS: u32 = 0x800;

/// What a syscall returns to the guest.
enum Ret {
    /// zkVM call: `$v0` gets the value, `$a3` is untouched.
    Zkvm(u32),
    /// Linux call: `Ok(v)` → `$v0 = v, $a3 = 0`; `Err(e)` → `$v0 = e, $a3 = 1`.
    Linux(Result<u32, u32>),
}

const V0: u8 = 2;
const A0: u8 = 4;
const A3: u8 = 7;

impl Executor {
    pub(crate) fn syscall<const REC: bool>(&mut self) -> Result<(), Stop> {
        let num = self.regs[V0 as usize];
        let a = [self.regs[4], self.regs[5], self.regs[6], self.regs[7]];
        let mem_start = self.record.syscall_mem.len() as u32;
        let ret = match self.dispatch::<REC>(num, a) {
            Ok(ret) => ret,
            Err(Stop::Exit) => {
                self.log_syscall::<REC>(num, a, num, a[3], mem_start);
                return Err(Stop::Exit);
            }
            Err(e) => return Err(e),
        };
        let (v0, a3) = match ret {
            Ret::Zkvm(v) => (v, a[3]),
            Ret::Linux(Ok(v)) => (v, 0),
            Ret::Linux(Err(e)) => (e, 1),
        };
        self.regs[V0 as usize] = v0;
        self.regs[A3 as usize] = a3;
        self.log_syscall::<REC>(num, a, v0, a3, mem_start);
        Ok(())
    }

    /// Records the syscall's five register accesses at `clk + 0..=4`.
    fn log_syscall<const REC: bool>(
        &mut self,
        num: u32,
        a: [u32; 4],
        v0: u32,
        a3: u32,
        mem_start: u32,
    ) {
        if !REC {
            return;
        }
        let clk = self.cur.clk;
        let mut regs = [RegAccess::default(); 5];
        let values = [
            (V0, num, v0),
            (A0, a[0], a[0]),
            (A0 + 1, a[1], a[1]),
            (A0 + 2, a[2], a[2]),
            (A3, a[3], a3),
        ];
        for (k, (r, prev, new)) in values.into_iter().enumerate() {
            regs[k] = RegAccess {
                prev_ts: self.reg_ts[r as usize],
                prev_value: prev,
                value: new,
            };
            self.reg_ts[r as usize] = clk + k as u64;
        }
        self.cur.flags |= flags::SYSCALL;
        self.record.syscalls.push(SyscallEvent {
            step: self.record.steps.len() as u32,
            number: num,
            regs,
            mem_start,
            mem_end: self.record.syscall_mem.len() as u32,
            state: std::mem::take(&mut self.pending_state),
        });
    }

    /// Writes machine-state register `r` in state slot `slot` (after the five argument slots:
    /// at `clk + 5 + slot`).
    fn set_state<const REC: bool>(&mut self, slot: usize, r: u8, v: u32) {
        if REC {
            let access = RegAccess {
                prev_ts: self.reg_ts[r as usize],
                prev_value: self.regs[r as usize],
                value: v,
            };
            self.reg_ts[r as usize] = self.cur.clk + 5 + slot as u64;
            self.pending_state[slot] = Some((r, access));
        }
        self.regs[r as usize] = v;
    }

    fn dispatch<const REC: bool>(&mut self, num: u32, a: [u32; 4]) -> Result<Ret, Stop> {
        Ok(match num {
            nr::HALT => {
                self.exit_code = Some(a[0]);
                return Err(Stop::Exit);
            }
            nr::WRITE => {
                self.check_output(a[2])?;
                let data = self.read_guest::<REC>(a[1], a[2])?;
                self.deliver(a[0], data)?;
                Ret::Zkvm(a[2])
            }
            nr::COMMIT => {
                let slot = self.io.out.committed.get_mut(a[0] as usize);
                *slot.ok_or(ExecErrorKind::CommitIndexOutOfRange(a[0]))? = a[1];
                Ret::Zkvm(0)
            }
            nr::SYSHINTLEN => {
                let len = self
                    .io
                    .hints
                    .front()
                    .ok_or(ExecErrorKind::HintExhausted)?
                    .len();
                Ret::Zkvm(len as u32)
            }
            nr::SYSHINTREAD => {
                let buf = self.io.hints.front().ok_or(ExecErrorKind::HintExhausted)?;
                if buf.len() != a[1] as usize {
                    let available = buf.len() as u32;
                    return Err(ExecErrorKind::HintLengthMismatch {
                        requested: a[1],
                        available,
                    }
                    .into());
                }
                let buf = self.io.hints.pop_front().unwrap_or_default();
                self.write_guest::<REC>(a[0], &buf)?;
                Ret::Zkvm(a[1])
            }
            nr::LINUX_EXIT | nr::LINUX_EXIT_GROUP => {
                self.exit_code = Some(a[0]);
                return Err(Stop::Exit);
            }
            nr::LINUX_READ => Ret::Linux(self.linux_read::<REC>(a)?),
            nr::LINUX_WRITE => {
                if !matches!(a[0], fd::STDOUT | fd::STDERR | fd::PUBLIC_VALUES | fd::HINT) {
                    Ret::Linux(Err(errno::EBADF))
                } else {
                    self.check_output(a[2])?;
                    let data = self.read_guest::<REC>(a[1], a[2])?;
                    self.deliver(a[0], data)?;
                    Ret::Linux(Ok(a[2]))
                }
            }
            nr::LINUX_BRK => Ret::Linux(Ok(self.linux_brk::<REC>(a[0])?)),
            // Only anonymous maps exist, so the stack-passed fd and offset are never needed.
            nr::LINUX_MMAP | nr::LINUX_MMAP2 => {
                Ret::Linux(self.linux_mmap::<REC>(a[0], a[1], a[3])?)
            }
            nr::LINUX_MUNMAP => {
                if !a[0].is_multiple_of(PAGE_SIZE)
                    || a[1] == 0
                    || a[0] as u64 + a[1] as u64 > 1 << 32
                {
                    Ret::Linux(Err(errno::EINVAL))
                } else {
                    Ret::Linux(Ok(0))
                }
            }
            nr::LINUX_SET_THREAD_AREA => {
                self.set_state::<REC>(0, REG_TLS, a[0]);
                Ret::Linux(Ok(0))
            }
            n if (nr::LINUX_BASE..nr::LINUX_END).contains(&n) => Ret::Linux(Err(errno::ENOSYS)),
            n => return Err(ExecErrorKind::UnsupportedSyscall(n).into()),
        })
    }

    /// Fails before `len` bytes are read (and, when recording, logged word by word) when they
    /// would exceed the output bound: a huge length must not allocate first.
    fn check_output(&self, len: u32) -> Result<(), Stop> {
        if self.io.captured_len() + len as u64 > self.max_output() {
            return Err(ExecErrorKind::OutputLimit(self.max_output()).into());
        }
        Ok(())
    }

    fn deliver(&mut self, fd: u32, data: Vec<u8>) -> Result<(), Stop> {
        self.check_output(data.len() as u32)?;
        // An unknown descriptor swallows the bytes (the zkVM WRITE has no error channel).
        self.io.write(fd, data);
        Ok(())
    }

    fn linux_read<const REC: bool>(&mut self, a: [u32; 4]) -> Result<Result<u32, u32>, Stop> {
        if a[0] != fd::STDIN {
            return Ok(Err(errno::EBADF));
        }
        let avail = self.io.stdin.len() - self.io.stdin_pos;
        let n = avail.min(a[2] as usize);
        let chunk = self.io.stdin[self.io.stdin_pos..self.io.stdin_pos + n].to_vec();
        if a[1] as u64 + n as u64 > 1 << 32 {
            return Ok(Err(errno::EFAULT));
        }
        self.write_guest::<REC>(a[1], &chunk)?;
        self.io.stdin_pos += n;
        Ok(Ok(n as u32))
    }

    /// `brk`: moves the break within [initial break, lowest mmap); anything else leaves it.
    /// Memory a shrinking break gave back comes back zeroed when the break grows over it again
    /// (what `calloc` relies on); memory above the highest break so far has never been part of
    /// the heap and is taken as it is (zero, unless the guest wrote above its break — which
    /// qemu would zero when the break grows within the same page, and Linux may not).
    fn linux_brk<const REC: bool>(&mut self, want: u32) -> Result<u32, Stop> {
        let cur = self.regs[REG_BRK as usize];
        let hwm = self.regs[REG_BRK_HWM as usize];
        let top = self.regs[REG_MMAP_TOP as usize];
        let new = if want >= self.program.initial_brk && want <= top {
            want
        } else {
            cur
        };
        let zero_end = new.min(hwm);
        if zero_end > cur {
            let len = zero_end - cur;
            if !REC {
                self.mem.zero_range(cur, len);
            } else if len > MAX_RECORDED_ZEROING {
                return Err(ExecErrorKind::RegrowthTooLarge(len).into());
            } else {
                // Logged word by word: the proof shows each zeroed word.
                self.write_guest::<REC>(cur, &vec![0; len as usize])?;
            }
        }
        self.set_state::<REC>(0, REG_BRK, new);
        self.set_state::<REC>(1, REG_BRK_HWM, hwm.max(new));
        self.set_state::<REC>(2, REG_MMAP_TOP, top); // read
        Ok(new)
    }

    /// Anonymous `mmap`: regions are carved downwards from the mmap top (initially
    /// `MMAP_TOP`), never reused and never below the break's high-water mark, so a new region
    /// is memory that was never mapped: it is taken as it is (zero, unless the guest wrote
    /// there without a mapping). `MAP_FIXED` maps exactly where asked, zeroed, and moves the top
    /// below itself when it lands in the free area, so later regions stay fresh.
    /// The outer error stops a recording whose zeroing a proof could not hold.
    fn linux_mmap<const REC: bool>(
        &mut self,
        addr: u32,
        len: u32,
        flags: u32,
    ) -> Result<Result<u32, u32>, Stop> {
        if len == 0 {
            return Ok(Err(errno::EINVAL));
        }
        if flags & MAP_ANONYMOUS == 0 {
            return Ok(Err(errno::EBADF)); // there are no files to map
        }
        let len = (len as u64).next_multiple_of(PAGE_SIZE as u64);
        let top = self.regs[REG_MMAP_TOP as usize];
        let hwm = self.regs[REG_BRK_HWM as usize];
        if flags & MAP_FIXED != 0 {
            // A whole 4 GiB map cannot be (its length is not a u32).
            if !addr.is_multiple_of(PAGE_SIZE) || addr as u64 + len > 1 << 32 || len == 1 << 32 {
                return Ok(Err(errno::EINVAL));
            }
            let len = len as u32;
            if !REC {
                self.mem.zero_range(addr, len);
            } else if len > MAX_RECORDED_ZEROING {
                return Err(ExecErrorKind::FixedMapTooLarge(len).into());
            } else {
                // Logged word by word: the proof shows each zeroed word.
                self.write_guest::<REC>(addr, &vec![0; len as usize])?;
            }
            // Later maps go below this one; rounding the mark up keeps the top above it.
            let lands_free = addr < top && addr as u64 + len as u64 > hwm as u64;
            let new_top = if lands_free {
                addr.max(hwm.next_multiple_of(PAGE_SIZE))
            } else {
                top
            };
            self.set_state::<REC>(0, REG_MMAP_TOP, new_top);
            self.set_state::<REC>(1, REG_BRK_HWM, hwm); // read
            return Ok(Ok(addr));
        }
        // No room also reads the top and the mark: the proof shows the map would not fit.
        let start = (top as u64).checked_sub(len).filter(|&s| s >= hwm as u64);
        self.set_state::<REC>(0, REG_MMAP_TOP, start.map_or(top, |s| s as u32));
        self.set_state::<REC>(1, REG_BRK_HWM, hwm); // read
        Ok(start.map(|s| s as u32).ok_or(errno::ENOMEM))
    }

    /// Reads guest bytes for a syscall, logging one access per word touched.
    fn read_guest<const REC: bool>(&mut self, addr: u32, len: u32) -> Result<Vec<u8>, Stop> {
        check_range(addr, len)?;
        if REC {
            self.log_words(addr, len, |_, _| None);
        }
        Ok(self.mem.read_bytes(addr, len))
    }

    /// Writes guest bytes for a syscall, logging one access per word touched.
    fn write_guest<const REC: bool>(&mut self, addr: u32, data: &[u8]) -> Result<(), Stop> {
        check_range(addr, data.len() as u32)?;
        if REC {
            let old: Vec<u32> = words_of(addr, data.len() as u32)
                .map(|w| self.mem.word(w))
                .collect();
            self.mem.write_bytes(addr, data);
            let mut i = 0;
            self.log_words(addr, data.len() as u32, |mem, w| {
                let o = old[i];
                i += 1;
                Some((o, mem.word(w)))
            });
        } else {
            self.mem.write_bytes(addr, data);
        }
        Ok(())
    }

    /// Logs an access for each word in `[addr, addr+len)`: `values` gives (prev, new) for writes,
    /// `None` for reads.
    fn log_words(
        &mut self,
        addr: u32,
        len: u32,
        mut values: impl FnMut(&crate::memory::Memory, u32) -> Option<(u32, u32)>,
    ) {
        for w in words_of(addr, len) {
            let (prev, new) = values(&self.mem, w).unwrap_or_else(|| {
                let v = self.mem.word(w);
                (v, v)
            });
            let acc = self.mem_access(w, prev, new);
            self.record.syscall_mem.push(acc);
        }
    }
}

fn check_range(addr: u32, len: u32) -> Result<(), Stop> {
    if addr as u64 + len as u64 > 1 << 32 {
        return Err(ExecErrorKind::BufferWraps { addr, len }.into());
    }
    Ok(())
}

/// The aligned word addresses covering `[addr, addr + len)` (which must not wrap).
fn words_of(addr: u32, len: u32) -> impl Iterator<Item = u32> {
    let first = (addr & !3) as u64;
    let end = addr as u64 + len as u64;
    (first..end).step_by(4).map(|w| w as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elf::{Program, Segment};
    use crate::{ExecConfig, GuestInput};
    use std::sync::Arc;

    /// ENOSYS comes back exactly for the numbers outside `LINUX_HANDLED` (zero arguments make
    /// every handled call do something else: succeed, exit, or fail with another errno).
    #[test]
    fn enosys_exactly_outside_the_handled_list() {
        let text = Segment {
            vaddr: 0x0040_0000,
            memsz: 4,
            data: vec![0; 4],
            executable: true,
            writable: false,
        };
        let program = Arc::new(Program::from_segments(0x0040_0000, vec![text]).unwrap());
        for n in nr::LINUX_BASE..nr::LINUX_END {
            let mut ex = Executor::new(
                program.clone(),
                GuestInput::default(),
                ExecConfig::default(),
            );
            let enosys = matches!(
                ex.dispatch::<false>(n, [0; 4]),
                Ok(Ret::Linux(Err(errno::ENOSYS)))
            );
            assert_eq!(enosys, !nr::LINUX_HANDLED.contains(&n), "syscall {n}");
        }
    }
}
