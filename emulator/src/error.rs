//! Typed errors. Every way a guest or its ELF can be wrong ends here, never in a panic.

use thiserror::Error;

/// Why an ELF file cannot be loaded.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ElfError {
    #[error("not an ELF file: {0}")]
    Malformed(String),
    #[error("ELF is 64-bit; mipstark runs 32-bit MIPS (ELFCLASS32) executables")]
    Not32Bit,
    #[error(
        "ELF is big-endian; mipstark runs little-endian MIPS (build with mipsel-*, not mips-*)"
    )]
    BigEndian,
    #[error("ELF is for machine {0} ({1}), not MIPS")]
    NotMips(u16, String),
    #[error("ELF flags {0:#010x} name a 64-bit or non-MIPS32 ISA; build with -march=mips32r2")]
    UnsupportedIsa(u32),
    #[error("ELF type {0} is not an executable (ET_EXEC); link with -static")]
    NotExecutable(u16),
    #[error("ELF is dynamically linked (it has an interpreter); link with -static")]
    Dynamic,
    #[error("ELF has no loadable segment")]
    NoLoadableSegment,
    #[error("segment {index} is truncated: its file data ends at byte {end} but the file has {file_len} bytes")]
    Truncated {
        index: usize,
        end: u64,
        file_len: usize,
    },
    #[error("segment {index} has file size {filesz:#x} larger than its memory size {memsz:#x}")]
    FileSizeExceedsMemSize {
        index: usize,
        filesz: u32,
        memsz: u32,
    },
    #[error(
        "segment {index} at {vaddr:#010x} with size {memsz:#x} runs past the 4 GiB address space"
    )]
    OutOfAddressSpace {
        index: usize,
        vaddr: u32,
        memsz: u32,
    },
    #[error("segments {first} and {second} overlap in memory")]
    Overlap { first: usize, second: usize },
    #[error("entry point {0:#010x} is not inside an executable segment")]
    EntryNotExecutable(u32),
    #[error("entry point {0:#010x} is not word-aligned (microMIPS/MIPS16 code is not supported)")]
    EntryMisaligned(u32),
    #[error("executable segments span {0:#x} bytes, more than the 64 MiB program limit")]
    ProgramTooLarge(u64),
}

/// What went wrong while executing one instruction.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ExecErrorKind {
    #[error("illegal instruction (reserved encoding)")]
    Illegal,
    #[error("unsupported instruction (FPU; build the guest with -msoft-float)")]
    Fpu,
    #[error(
        "unsupported instruction (privileged or coprocessor instruction a zkVM guest cannot use)"
    )]
    Unsupported,
    #[error(
        "instruction fetch from {0:#010x}, which is outside the program's executable segments"
    )]
    UnmappedFetch(u32),
    #[error("instruction fetch from misaligned address {0:#010x}")]
    MisalignedFetch(u32),
    #[error("misaligned {size}-byte access at address {addr:#010x}")]
    MisalignedAccess { addr: u32, size: u32 },
    #[error("branch or jump in a delay slot")]
    BranchInDelaySlot,
    #[error("integer overflow in a trapping add/sub (the guest would get SIGFPE)")]
    IntegerOverflow,
    #[error("trap instruction fired with code {0} (the guest would get SIGTRAP)")]
    Trap(u32),
    #[error("BREAK {0} executed (for gcc code, 7 is division by zero, 6 an overflow check)")]
    Break(u32),
    #[error("cycle limit of {0} instructions reached before the guest halted")]
    CycleLimit(u64),
    #[error("guest read past the end of the hint stream (it asked for more input than was given)")]
    HintExhausted,
    #[error("guest read {requested} bytes of a hint buffer that has {available} bytes")]
    HintLengthMismatch { requested: u32, available: u32 },
    #[error("COMMIT of public-values digest word {0}; only words 0..8 exist")]
    CommitIndexOutOfRange(u32),
    #[error("syscall buffer [{addr:#010x}, +{len:#x}) wraps around the end of the address space")]
    BufferWraps { addr: u32, len: u32 },
    #[error("syscall {0:#x} is not a supported zkVM call (mipstark has no such precompile)")]
    UnsupportedSyscall(u32),
    #[error("guest output of {0} bytes exceeds the output limit")]
    OutputLimit(u64),
    #[error(
        "brk regrows {0} bytes of earlier heap, which a proof zeroes word by word in one shard: \
         more than a proof can hold (run without recording, or shrink the heap less)"
    )]
    RegrowthTooLarge(u32),
    #[error(
        "mmap with MAP_FIXED zeroes {0} bytes, which a proof zeroes word by word in one shard: \
         more than a proof can hold (run without recording, or map less at a time)"
    )]
    FixedMapTooLarge(u32),
}

/// An execution error, with where it happened.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{kind} at pc {pc:#010x} (instruction {insn:#010x})")]
pub struct ExecError {
    pub kind: ExecErrorKind,
    pub pc: u32,
    pub insn: u32,
    /// Instructions completed before the failing one.
    pub cycle: u64,
}
