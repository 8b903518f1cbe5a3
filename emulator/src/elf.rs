//! ELF32 little-endian MIPS executable loading.
//!
//! The loader validates everything a malformed or foreign file could get wrong before any byte
//! reaches guest memory, so the executor can trust the [`Program`] it gets.

use crate::error::ElfError;
use crate::insn::{decode, Insn};
use goblin::elf::{header, program_header, Elf};

const EM_MIPS: u16 = 8;
const EF_MIPS_ARCH: u32 = 0xf000_0000;
/// MIPS I, MIPS II, MIPS32 and MIPS32r2 code all run on a MIPS32r2 core.
const ACCEPTED_ARCHS: [u32; 4] = [0x0000_0000, 0x1000_0000, 0x5000_0000, 0x7000_0000];
const EF_MIPS_MICROMIPS: u32 = 0x0200_0000;
const EF_MIPS_ARCH_ASE_M16: u32 = 0x0400_0000;
/// Executable segments are decoded up front; this bounds that table (16 Mi instructions,
/// 128 MiB decoded), far above any real guest, so a hostile ELF cannot exhaust host memory.
const MAX_TEXT_BYTES: u64 = 64 << 20;

/// One loadable segment: `data` is placed at `vaddr`, then zeroes up to `memsz` bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub vaddr: u32,
    pub memsz: u32,
    pub data: Vec<u8>,
    pub executable: bool,
    pub writable: bool,
}

/// A validated executable: segments, entry, and the decoded instruction table.
///
/// Instructions are fetched from this table (the "program" the prover commits to), never from
/// data memory: a guest that writes to its own text changes data memory only, and executes the
/// code it was loaded with.
#[derive(Clone, Debug)]
pub struct Program {
    pub entry: u32,
    pub segments: Vec<Segment>,
    /// Address of `text[0]`.
    pub text_base: u32,
    /// Raw instruction words covering every executable segment (gaps read as 0 = `nop`).
    pub text: Vec<u32>,
    /// `text` decoded.
    pub decoded: Vec<Insn>,
    /// The initial program break: the end of the highest segment, rounded up to a page.
    pub initial_brk: u32,
}

impl Program {
    /// Parses and validates an ELF file.
    pub fn from_elf(bytes: &[u8]) -> Result<Program, ElfError> {
        check_ident(bytes)?;
        let elf = Elf::parse(bytes).map_err(|e| ElfError::Malformed(e.to_string()))?;
        if elf.header.e_machine != EM_MIPS {
            let m = elf.header.e_machine;
            return Err(ElfError::NotMips(m, header::machine_to_str(m).to_string()));
        }
        let flags = elf.header.e_flags;
        if !ACCEPTED_ARCHS.contains(&(flags & EF_MIPS_ARCH))
            || flags & (EF_MIPS_MICROMIPS | EF_MIPS_ARCH_ASE_M16) != 0
        {
            return Err(ElfError::UnsupportedIsa(flags));
        }
        if elf.header.e_type != header::ET_EXEC {
            return Err(ElfError::NotExecutable(elf.header.e_type));
        }
        if elf
            .program_headers
            .iter()
            .any(|ph| ph.p_type == program_header::PT_INTERP)
        {
            return Err(ElfError::Dynamic);
        }
        let mut segments = Vec::new();
        for (index, ph) in elf.program_headers.iter().enumerate() {
            if ph.p_type != program_header::PT_LOAD || ph.p_memsz == 0 {
                continue;
            }
            let (vaddr, filesz, memsz) = (ph.p_vaddr as u32, ph.p_filesz as u32, ph.p_memsz as u32);
            if filesz > memsz {
                return Err(ElfError::FileSizeExceedsMemSize {
                    index,
                    filesz,
                    memsz,
                });
            }
            if vaddr as u64 + memsz as u64 > 1 << 32 {
                return Err(ElfError::OutOfAddressSpace {
                    index,
                    vaddr,
                    memsz,
                });
            }
            let end = ph.p_offset + ph.p_filesz;
            if end > bytes.len() as u64 {
                return Err(ElfError::Truncated {
                    index,
                    end,
                    file_len: bytes.len(),
                });
            }
            segments.push((
                index,
                Segment {
                    vaddr,
                    memsz,
                    data: bytes[ph.p_offset as usize..end as usize].to_vec(),
                    executable: ph.p_flags & program_header::PF_X != 0,
                    writable: ph.p_flags & program_header::PF_W != 0,
                },
            ));
        }
        if segments.is_empty() {
            return Err(ElfError::NoLoadableSegment);
        }
        segments.sort_by_key(|(_, s)| s.vaddr);
        for pair in segments.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            if a.1.vaddr as u64 + a.1.memsz as u64 > b.1.vaddr as u64 {
                return Err(ElfError::Overlap {
                    first: a.0.min(b.0),
                    second: a.0.max(b.0),
                });
            }
        }
        let segments: Vec<Segment> = segments.into_iter().map(|(_, s)| s).collect();
        Program::from_segments(elf.entry as u32, segments)
    }

    /// Builds a program from already-validated, non-overlapping segments sorted by address.
    pub fn from_segments(entry: u32, segments: Vec<Segment>) -> Result<Program, ElfError> {
        if entry & 3 != 0 {
            return Err(ElfError::EntryMisaligned(entry));
        }
        let exec: Vec<&Segment> = segments.iter().filter(|s| s.executable).collect();
        let (lo, hi) = match (exec.first(), exec.last()) {
            (Some(f), Some(l)) => (f.vaddr & !3, l.vaddr as u64 + l.memsz as u64),
            _ => return Err(ElfError::EntryNotExecutable(entry)),
        };
        if hi - lo as u64 > MAX_TEXT_BYTES {
            return Err(ElfError::ProgramTooLarge(hi - lo as u64));
        }
        if !exec
            .iter()
            .any(|s| entry >= s.vaddr && (entry as u64) < s.vaddr as u64 + s.memsz as u64)
        {
            return Err(ElfError::EntryNotExecutable(entry));
        }
        let mut text = vec![0u32; (hi - lo as u64).div_ceil(4) as usize];
        for s in &exec {
            for (i, b) in s.data.iter().enumerate() {
                let off = (s.vaddr - lo) as usize + i;
                text[off / 4] |= (*b as u32) << ((off % 4) * 8);
            }
        }
        let decoded = text.iter().map(|w| decode(*w)).collect();
        let top = segments
            .iter()
            .map(|s| s.vaddr as u64 + s.memsz as u64)
            .max()
            .unwrap_or(0);
        let initial_brk = top
            .next_multiple_of(crate::memory::PAGE_SIZE as u64)
            .min(u32::MAX as u64) as u32;
        Ok(Program {
            entry,
            segments,
            text_base: lo,
            text,
            decoded,
            initial_brk,
        })
    }
}

/// Checks the identification bytes ourselves so that the common mistakes (a 64-bit or
/// big-endian build) get a precise message rather than a generic parse error.
fn check_ident(bytes: &[u8]) -> Result<(), ElfError> {
    if bytes.len() < header::SIZEOF_IDENT || &bytes[..4] != header::ELFMAG {
        return Err(ElfError::Malformed(
            "missing the \\x7fELF magic number".into(),
        ));
    }
    match bytes[header::EI_CLASS] {
        header::ELFCLASS32 => {}
        header::ELFCLASS64 => return Err(ElfError::Not32Bit),
        c => return Err(ElfError::Malformed(format!("unknown ELF class {c}"))),
    }
    match bytes[header::EI_DATA] {
        header::ELFDATA2LSB => Ok(()),
        header::ELFDATA2MSB => Err(ElfError::BigEndian),
        d => Err(ElfError::Malformed(format!(
            "unknown ELF data encoding {d}"
        ))),
    }
}
