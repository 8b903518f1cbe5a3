//! The initial process stack, laid out as the Linux kernel does for a static MIPS executable, so
//! that ordinary C start-up code (which reads argc/argv/envp/auxv from `$sp`) works unchanged.
//!
//! ```text
//! high  STACK_TOP
//!       argv strings, AT_RANDOM bytes
//!       auxv (AT_NULL-terminated pairs), envp (NULL), argv[] (NULL-terminated)
//! $sp → argc
//! ```

use crate::memory::Memory;

const AT_NULL: u32 = 0;
const AT_PAGESZ: u32 = 6;
const AT_ENTRY: u32 = 9;
const AT_RANDOM: u32 = 25;

/// The 16 "random" bytes handed to libc for stack protectors. They are fixed: execution must be
/// a pure function of the program and its inputs.
const AT_RANDOM_BYTES: [u8; 16] = *b"mipstark-determ!";

/// Writes argc/argv/envp/auxv below `top` and returns the initial `$sp` (16-byte aligned).
pub fn build_initial_stack(mem: &mut Memory, top: u32, entry: u32, args: &[String]) -> u32 {
    let mut cursor = top;
    let mut push_bytes = |mem: &mut Memory, bytes: &[u8]| {
        cursor -= bytes.len() as u32;
        mem.write_bytes(cursor, bytes);
        cursor
    };
    let random = push_bytes(mem, &AT_RANDOM_BYTES);
    let mut argv_ptrs: Vec<u32> = Vec::with_capacity(args.len());
    for a in args.iter().rev() {
        let mut s = a.as_bytes().to_vec();
        s.push(0);
        argv_ptrs.push(push_bytes(mem, &s));
    }
    argv_ptrs.reverse();
    let auxv = [
        AT_PAGESZ,
        crate::memory::PAGE_SIZE,
        AT_ENTRY,
        entry,
        AT_RANDOM,
        random,
        AT_NULL,
        0,
    ];
    let words = 1 + argv_ptrs.len() + 1 + 1 + auxv.len();
    let sp = (cursor - 4 * words as u32) & !15;
    let mut w = sp;
    let mut put = |mem: &mut Memory, v: u32| {
        mem.set_word(w, v);
        w += 4;
    };
    put(mem, args.len() as u32);
    for p in &argv_ptrs {
        put(mem, *p);
    }
    put(mem, 0); // argv terminator
    put(mem, 0); // empty environment
    for v in auxv {
        put(mem, v);
    }
    sp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argv_is_readable_from_sp() {
        let mut m = Memory::new();
        let sp = build_initial_stack(&mut m, 0x7fff_0000, 0x400000, &["prog".into(), "x".into()]);
        assert_eq!(sp % 16, 0);
        assert_eq!(m.word(sp), 2);
        let argv1 = m.word(sp + 8);
        assert_eq!(m.read_bytes(argv1, 2), b"x\0");
        assert_eq!(m.word(sp + 12), 0);
        assert_eq!(m.word(sp + 16), 0);
        assert_eq!((m.word(sp + 20), m.word(sp + 24)), (AT_PAGESZ, 4096));
    }
}
