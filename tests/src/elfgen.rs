//! A minimal ELF32 little-endian MIPS executable writer for generated test programs.

/// A segment to place in the generated ELF.
pub struct GenSegment {
    pub vaddr: u32,
    pub data: Vec<u8>,
    /// Bytes of zeroes after `data` (bss).
    pub bss: u32,
    pub executable: bool,
    pub writable: bool,
}

const EHDR: usize = 52;
const PHDR: usize = 32;
/// e_flags: MIPS32r2 architecture, o32 ABI.
pub const MIPS32R2_O32_FLAGS: u32 = 0x7000_1000;

/// Writes an ELF with one PT_LOAD per segment; file offsets are congruent to addresses modulo
/// the 4 KiB page so Linux (and qemu) can map them.
pub fn write_elf(entry: u32, segments: &[GenSegment]) -> Vec<u8> {
    write_elf_raw(entry, segments, MIPS32R2_O32_FLAGS)
}

/// As [`write_elf`] with explicit e_flags (for loader tests).
pub fn write_elf_raw(entry: u32, segments: &[GenSegment], flags: u32) -> Vec<u8> {
    let mut out = vec![0u8; EHDR + PHDR * segments.len()];
    let mut offsets = Vec::new();
    for s in segments {
        let page = 0x1000;
        let mut off = out.len().next_multiple_of(page);
        off += (s.vaddr as usize) % page;
        out.resize(off, 0);
        out.extend_from_slice(&s.data);
        offsets.push(off);
    }
    let h = &mut out[..EHDR];
    h[..4].copy_from_slice(b"\x7fELF");
    h[4] = 1; // ELFCLASS32
    h[5] = 1; // little-endian
    h[6] = 1; // EV_CURRENT
    put16(h, 16, 2); // ET_EXEC
    put16(h, 18, 8); // EM_MIPS
    put32(h, 20, 1);
    put32(h, 24, entry);
    put32(h, 28, EHDR as u32); // e_phoff
    put32(h, 36, flags);
    put16(h, 40, EHDR as u16);
    put16(h, 42, PHDR as u16);
    put16(h, 44, segments.len() as u16);
    put16(h, 46, 40); // e_shentsize (no sections)
    for (i, s) in segments.iter().enumerate() {
        let p = &mut out[EHDR + i * PHDR..EHDR + (i + 1) * PHDR];
        put32(p, 0, 1); // PT_LOAD
        put32(p, 4, offsets[i] as u32);
        put32(p, 8, s.vaddr);
        put32(p, 12, s.vaddr);
        put32(p, 16, s.data.len() as u32);
        put32(p, 20, s.data.len() as u32 + s.bss);
        let flags = 4 | if s.writable { 2 } else { 0 } | if s.executable { 1 } else { 0 };
        put32(p, 24, flags);
        put32(p, 28, 0x1000);
    }
    out
}

fn put16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_le_bytes());
}

fn put32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

/// Instruction words as little-endian bytes.
pub fn words_to_bytes(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// A one-segment executable ELF at 0x400000 holding `words` (entry at its start).
pub fn program_elf(words: &[u32]) -> Vec<u8> {
    write_elf(
        0x40_0000,
        &[GenSegment {
            vaddr: 0x40_0000,
            data: words_to_bytes(words),
            bss: 0,
            executable: true,
            writable: false,
        }],
    )
}
