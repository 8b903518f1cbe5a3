//! `MAP_FIXED` maps, each rule tried against a cheater who recomputes every witness the lie
//! needs (the harness of `syscalls.rs`).

mod common;

use common::forgery::{nth, SyscallForgery};
use mipstark_air::byte::ByteLookups;
use mipstark_air::syscall::{SysMemCols, SyscallCols};
use mipstark_air::F;
use p3_field::PrimeCharacteristicRing;

/// A `MAP_FIXED` map zeroes exactly its pages, returns its address and moves the mmap top only
/// when it lands in the free area (to the address, or the mark rounded up); its EINVAL stands
/// only for a misaligned address, a range past 2^32 or a length rounding up to 2^32. Every
/// other claim is rejected, with the cheater's witnesses recomputed for it.
#[test]
fn mmap_fixed_results_are_forced() {
    use mipstark_air::alu::word_bytes;
    use mipstark_air::syscall::mmap;
    use p3_field::PrimeField32;
    let f = SyscallForgery::new(&mipstark_tests::asm::mmap_fixed_program());
    assert_eq!(f.exit_code, 0x1000 + 66);
    assert!(!f.rejects(&|_| {}), "honest");
    fn word(w: &[F; 4]) -> u32 {
        w.iter()
            .rev()
            .fold(0u32, |acc, b| (acc << 8) | b.as_canonical_u32())
    }
    // Recompute a MAP_FIXED row's witnesses from its (edited) arguments and state.
    fn refill(r: &mut SyscallCols<F>) {
        let ok = r.lmmap_fixed == F::ONE;
        let (addr, len, flags) = (
            word(&r.regs[1].prev),
            word(&r.regs[2].prev),
            word(&r.regs[4].prev),
        );
        let state = ok.then(|| ((word(&r.st.prev), word(&r.st.value)), word(&r.st1.prev)));
        let number = word(&r.regs[0].prev);
        r.mmap = unsafe { std::mem::zeroed() };
        r.fixed = unsafe { std::mem::zeroed() };
        let mut bytes = ByteLookups::default();
        let aligned = mmap::fill_fixed(
            &mut r.mmap,
            &mut r.fixed,
            number,
            addr,
            len,
            flags,
            state,
            &mut bytes,
        );
        r.fill_buffer(addr, aligned, &mut bytes, ok);
    }
    let ok = |r: &SyscallCols<F>| r.lmmap_fixed;
    let inval = |r: &SyscallCols<F>| r.err.mmap_fixed_inval;
    for k in 0..2 {
        assert!(!f.rejects(&nth(ok, k, refill)), "refilling map {k}");
    }
    for k in 0..3 {
        assert!(!f.rejects(&nth(inval, k, refill)), "refilling EINVAL {k}");
    }
    type Edit = Box<dyn Fn(&mut SyscallCols<F>)>;
    let cases: Vec<(&str, Edit)> = vec![
        (
            "the top moved by a map over a mapped page",
            Box::new(nth(ok, 0, |r| {
                r.st.value = word_bytes(word(&r.st.prev) - 0x1000);
                refill(r);
            })),
        ),
        (
            "the top kept by a map in the free area",
            Box::new(nth(ok, 1, |r| {
                r.st.value = r.st.prev;
                refill(r);
            })),
        ),
        (
            "the top moved elsewhere",
            Box::new(nth(ok, 1, |r| {
                r.st.value = word_bytes(word(&r.st.value) - 0x1000);
                refill(r);
            })),
        ),
        (
            "a result other than the address",
            Box::new(nth(ok, 0, |r| r.regs[0].value[1] += F::from_u8(16))),
        ),
        (
            "a map of a misaligned address",
            Box::new(nth(ok, 0, |r| {
                r.regs[1].prev[0] = F::from_u8(0x10);
                r.regs[1].value[0] = F::from_u8(0x10);
                r.regs[0].value[0] = F::from_u8(0x10);
                refill(r);
            })),
        ),
        (
            "one page zeroed of three",
            Box::new(nth(ok, 1, |r| {
                let buf = word(&r.buf);
                let mut bytes = ByteLookups::default();
                r.fill_buffer(buf, 0x1000, &mut bytes, true);
            })),
        ),
        (
            "nothing zeroed",
            Box::new(nth(ok, 0, |r| {
                let buf = word(&r.buf);
                let mut bytes = ByteLookups::default();
                r.fill_buffer(buf, 0, &mut bytes, true);
            })),
        ),
        (
            "EINVAL for an aligned address",
            Box::new(nth(inval, 0, |r| {
                r.regs[1].prev[0] = F::ZERO;
                r.regs[1].value[0] = F::ZERO;
                refill(r);
            })),
        ),
        (
            "EINVAL for a range ending below 2^32",
            Box::new(nth(inval, 1, |r| {
                r.regs[1].prev[3] = F::from_u8(0x60);
                r.regs[1].value[3] = F::from_u8(0x60);
                refill(r);
            })),
        ),
        (
            "EINVAL for a length rounding below 2^32",
            Box::new(nth(inval, 2, |r| {
                r.regs[2].prev[3] = F::from_u8(0x10);
                r.regs[2].value[3] = F::from_u8(0x10);
                refill(r);
            })),
        ),
    ];
    for (what, edit) in cases {
        assert!(f.rejects(&edit), "{what}");
    }
    // A zeroed word keeps a nonzero byte (the word the program stored).
    let keep = |m: &mut SysMemCols<F>| {
        if m.zero == F::ONE && m.mem.prev != [F::ZERO; 4] {
            m.mem.value = m.mem.prev;
        }
    };
    assert!(f.verdicts(&|_| {}, &|_| {}, &keep).1, "a zeroed word kept");
}
