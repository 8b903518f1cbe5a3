//! A small MIPS32r2 encoder for generated test programs.
//!
//! It is independent of the emulator's decoder on purpose: the differential tests run the same
//! bytes under qemu, so an encoding slip here changes which instruction is tested, never whether
//! the comparison is fair.

/// R-type (SPECIAL) instruction.
pub const fn special(funct: u32, rs: u32, rt: u32, rd: u32, sa: u32) -> u32 {
    (rs << 21) | (rt << 16) | (rd << 11) | (sa << 6) | funct
}

/// SPECIAL2 (opcode 0x1c) instruction.
pub const fn special2(funct: u32, rs: u32, rt: u32, rd: u32) -> u32 {
    (0x1c << 26) | special(funct, rs, rt, rd, 0)
}

/// SPECIAL3 (opcode 0x1f) instruction.
pub const fn special3(funct: u32, rs: u32, rt: u32, rd: u32, sa: u32) -> u32 {
    (0x1f << 26) | special(funct, rs, rt, rd, sa)
}

/// I-type instruction.
pub const fn itype(op: u32, rs: u32, rt: u32, imm: u16) -> u32 {
    (op << 26) | (rs << 21) | (rt << 16) | imm as u32
}

/// REGIMM (opcode 1) instruction: `rt` selects the operation.
pub const fn regimm(sub: u32, rs: u32, imm: u16) -> u32 {
    itype(1, rs, sub, imm)
}

/// J-type instruction with a 26-bit word index.
pub const fn jtype(op: u32, target: u32) -> u32 {
    (op << 26) | ((target >> 2) & 0x03ff_ffff)
}

pub const NOP: u32 = 0;
pub const SYSCALL: u32 = 0x0000_000c;

pub const fn lui(rt: u32, imm: u16) -> u32 {
    itype(0x0f, 0, rt, imm)
}
pub const fn ori(rt: u32, rs: u32, imm: u16) -> u32 {
    itype(0x0d, rs, rt, imm)
}
pub const fn addiu(rt: u32, rs: u32, imm: u16) -> u32 {
    itype(0x09, rs, rt, imm)
}
pub const fn jr(rs: u32) -> u32 {
    special(0x08, rs, 0, 0, 0)
}
pub const fn mthi(rs: u32) -> u32 {
    special(0x11, rs, 0, 0, 0)
}
pub const fn mtlo(rs: u32) -> u32 {
    special(0x13, rs, 0, 0, 0)
}

/// `lui rt, hi; ori rt, rt, lo`: loads any 32-bit constant.
pub fn li(rt: u32, v: u32) -> [u32; 2] {
    [lui(rt, (v >> 16) as u16), ori(rt, rt, v as u16)]
}

pub const fn lw(rt: u32, base: u32, off: u16) -> u32 {
    itype(0x23, base, rt, off)
}
pub const fn sw(rt: u32, base: u32, off: u16) -> u32 {
    itype(0x2b, base, rt, off)
}
pub const fn addu(rd: u32, rs: u32, rt: u32) -> u32 {
    special(0x21, rs, rt, rd, 0)
}
pub const fn subu(rd: u32, rs: u32, rt: u32) -> u32 {
    special(0x23, rs, rt, rd, 0)
}

/// Every kind of Linux `brk` call: a query (`brk(0)`, below the initial break: no move), growth
/// to an unaligned break, stores, a shrink, regrowth over the stored words (zeroed below the
/// high-water mark, byte-exact at both unaligned ends), and a request beyond the mmap area (no
/// move). Halts with `0x000000ef + 0xde000000 + 0x2000`: the two partly zeroed words and the
/// final break's offset.
pub fn brk_program() -> Vec<u32> {
    const BRK: u32 = 4045;
    let mut w = Vec::new();
    // brk with `$a0` set by `set_a0`.
    let call = |w: &mut Vec<u32>, set_a0: &[u32]| {
        w.extend_from_slice(set_a0);
        w.extend(li(2, BRK));
        w.push(SYSCALL);
    };
    call(&mut w, &[addiu(4, 0, 0)]); // brk(0)
    w.push(addu(16, 2, 0)); // $s0 = initial break
    call(&mut w, &[addiu(4, 16, 0x1003)]); // grow to s0 + 0x1003
    w.extend(li(8, 0xdead_beef));
    w.push(sw(8, 16, 0x800));
    w.push(sw(8, 16, 0x1000));
    call(&mut w, &[addiu(4, 16, 0x801)]); // shrink to s0 + 0x801
    call(&mut w, &[addiu(4, 16, 0x2000)]); // regrow: zeroes [s0 + 0x801, s0 + 0x1003)
    call(&mut w, &li(4, 0xffff_f000)); // beyond the mmap area, no move
    w.push(subu(10, 2, 16)); // $t2 = break − s0
    w.push(lw(9, 16, 0x800));
    w.push(lw(11, 16, 0x1000));
    w.push(addu(4, 9, 11));
    w.push(addu(4, 4, 10));
    w.extend([addiu(2, 0, 0), SYSCALL]); // HALT($a0)
    w
}

/// Anonymous `mmap` and `mmap2` (carved down from the mmap top, lengths rounded up to pages), a
/// store and load in the new region, a successful `munmap`, and a `brk` into the mapped area
/// (refused). Halts with `(top − s0) + (s0 − s1) + 0x1234_5678`: `0x2000 + 0x1000 + …`.
pub fn mmap_program() -> Vec<u32> {
    let mut w = Vec::new();
    let mmap = |w: &mut Vec<u32>, nr: u32, len: u32| {
        w.push(addiu(4, 0, 0));
        w.extend(li(5, len));
        w.push(addiu(6, 0, 3)); // PROT_READ | PROT_WRITE
        w.extend(li(7, 0x802)); // MAP_PRIVATE | MAP_ANONYMOUS
        w.extend(li(2, nr));
        w.push(SYSCALL);
    };
    mmap(&mut w, 4090, 5000);
    w.push(addu(16, 2, 0)); // $s0 = first region (two pages)
    mmap(&mut w, 4210, 4096);
    w.push(addu(17, 2, 0)); // $s1 = second region, just below
    w.extend(li(8, 0x1234_5678));
    w.push(sw(8, 17, 0x10));
    w.push(lw(9, 17, 0x10));
    w.push(addu(4, 17, 0));
    w.extend(li(5, 4096));
    w.extend(li(2, 4091)); // munmap(s1, 4096) = 0
    w.push(SYSCALL);
    w.push(addu(9, 9, 2));
    w.push(addiu(4, 17, 0x1000)); // brk(s1 + 4096): inside the maps, refused
    w.extend(li(2, 4045));
    w.push(SYSCALL);
    w.extend(li(10, 0x7000_0000));
    w.push(subu(10, 10, 17)); // $t2 = top − s1
    w.push(addu(4, 9, 10));
    w.extend([addiu(2, 0, 0), SYSCALL]); // HALT($a0)
    w
}

/// `MAP_FIXED` maps: one over a mapped page holding a stored word (zeroed; the top stays), one
/// in the free area (the top moves down to it, so the next anonymous map lands just below),
/// and three refused with EINVAL (a misaligned address, a range past 2^32, a length rounding
/// up to 2^32). Halts with `(0x6000_0000 − s2) + word + 3·22 = 0x1000 + 0 + 66`.
pub fn mmap_fixed_program() -> Vec<u32> {
    let mut w = Vec::new();
    let call = |w: &mut Vec<u32>, nr: u32, args: [u32; 4]| {
        for (k, v) in args.into_iter().enumerate() {
            w.extend(li(4 + k as u32, v));
        }
        w.extend(li(2, nr));
        w.push(SYSCALL);
    };
    call(&mut w, 4090, [0, 5000, 3, 0x802]);
    w.push(addu(16, 2, 0)); // $s0 = an anonymous region
    w.extend(li(8, 0x1234_5678));
    w.push(sw(8, 16, 0x10));
    // MAP_FIXED over the region's first page: zeroed, the top unchanged.
    w.push(addu(4, 16, 0));
    w.extend(li(5, 100));
    w.push(addiu(6, 0, 3));
    w.extend(li(7, 0x812));
    w.extend(li(2, 4090));
    w.push(SYSCALL);
    w.push(lw(17, 16, 0x10)); // $s1 = the zeroed word
                              // MAP_FIXED in the free area: the top moves down to it.
    call(&mut w, 4210, [0x6000_0000, 0x3000, 3, 0x812]);
    call(&mut w, 4090, [0, 4096, 3, 0x802]);
    w.push(addu(18, 2, 0)); // $s2 = 0x5fff_f000
                            // Refused: misaligned, past 2^32, rounding up to 2^32.
    for args in [
        [0x6000_0010, 0x1000, 3, 0x812],
        [0xffff_f000, 0x2000, 3, 0x812],
        [0x1000_0000, 0xffff_ff00, 3, 0x812],
    ] {
        call(&mut w, 4090, args);
        w.push(addu(17, 17, 2)); // $s1 += errno
    }
    w.extend(li(10, 0x6000_0000));
    w.push(subu(10, 10, 18));
    w.push(addu(4, 17, 10));
    w.extend([addiu(2, 0, 0), SYSCALL]); // HALT($a0)
    w
}

/// Refused `mmap` and `munmap` calls, one per error the emulator returns: a zero length
/// (EINVAL), a file map (EBADF), more than the top (ENOMEM, the aligned length exceeds it), a
/// length rounding up to 2^32 (ENOMEM), and — after `brk` raises the mark near the top — a map
/// that would start below the mark (ENOMEM); munmap of a misaligned address, of no bytes, and
/// of a range past 2^32 (EINVAL). Halts with the sum of the errnos: 22 + 9 + 3·12 + 3·22 = 133.
pub fn mmap_errors_program() -> Vec<u32> {
    let mut w = Vec::new();
    let call = |w: &mut Vec<u32>, nr: u32, args: [u32; 4]| {
        for (k, v) in args.into_iter().enumerate() {
            w.extend(li(4 + k as u32, v));
        }
        w.extend(li(2, nr));
        w.push(SYSCALL);
        w.push(addu(16, 16, 2)); // $s0 += errno
    };
    call(&mut w, 4090, [0, 0, 3, 0x802]);
    call(&mut w, 4210, [0, 4096, 3, 0x002]);
    call(&mut w, 4090, [0, 0xf000_0000, 3, 0x802]);
    call(&mut w, 4090, [0, 0xffff_ff00, 3, 0x802]);
    // brk(0x6fff_f000): the mark rises to a page below the top (memory above the old mark is
    // not zeroed, so nothing is written).
    w.extend(li(4, 0x6fff_f000));
    w.extend(li(2, 4045));
    w.push(SYSCALL);
    call(&mut w, 4210, [0, 0x2000, 3, 0x802]);
    call(&mut w, 4091, [0x1000_0010, 4096, 0, 0]);
    call(&mut w, 4091, [0x1000_0000, 0, 0, 0]);
    call(&mut w, 4091, [0xffff_f000, 0x2000, 0, 0]);
    w.push(addu(4, 16, 0));
    w.extend([addiu(2, 0, 0), SYSCALL]); // HALT($s0)
    w
}
