//! The syscall chip's rules, each tried against a cheater who regenerates the traces from a
//! false record and then recomputes every witness the lie needs: Linux error returns only where
//! due, and brk's, mmap's and munmap's results forced by their arguments and machine state.

mod common;

use common::forgery::{nth, EditEvent, EditMem, EditRow, SyscallForgery};
use mipstark_air::byte::ByteLookups;
use mipstark_air::gadgets::byte_sum_inverse;
use mipstark_air::syscall::{SysMemCols, SyscallCols};
use mipstark_air::F;
use mipstark_emulator::record::SyscallEvent;
use p3_field::PrimeCharacteristicRing;

/// brk's result is forced by its argument, the initial break and the mmap top: a break that
/// moves when it must not (or stays when it must move), a high-water mark that does not follow,
/// regrowth that skips the zeroing, and a zeroed word that is not zero are all rejected.
#[test]
fn brk_results_are_forced() {
    use mipstark_emulator::syscall::nr;
    let f = SyscallForgery::new(&mipstark_tests::asm::brk_program());
    let rec = &f.rec;
    let verdicts = |e: EditEvent, s: EditRow, m: EditMem| f.verdicts(e, s, m);
    let brk_calls: Vec<usize> = (0..rec.syscalls.len())
        .filter(|&i| rec.syscalls[i].number == nr::LINUX_BRK)
        .collect();
    assert_eq!(brk_calls.len(), 5);
    let none = |_: &mut SyscallEvent| {};
    assert_eq!(verdicts(&none, &|_| {}, &|_| {}), (false, false), "honest");
    // Claim call `k` set the break (and the result) to `v`, with the mark following.
    let moved = |k: usize, v: u32| {
        let at = brk_calls[k];
        move |ev: &mut SyscallEvent| {
            if ev.step == rec.syscalls[at].step {
                ev.regs[0].value = v;
                let [Some((_, b)), Some((_, h)), _] = &mut ev.state else {
                    unreachable!()
                };
                b.value = v;
                h.value = h.prev_value.max(v);
            }
        }
    };
    // The cheater's best `ok`: the one that explains the claimed break.
    let cheat_ok = |r: &mut SyscallCols<F>| {
        if r.lbrk == F::ONE {
            r.brk.ok = F::from_bool(r.st.value == r.regs[1].prev);
        }
    };
    let initial = rec.syscalls[brk_calls[0]].regs[0].value;
    for (what, k, v) in [
        ("brk(0) moved the break to 0", 0, 0),
        ("a request below the initial break moved it", 0, initial - 4),
        ("a growth did not move the break", 1, initial),
        ("a growth went elsewhere", 1, initial + 0x1000),
        (
            "a request beyond the mmap area moved the break",
            4,
            0xffff_f000,
        ),
    ] {
        assert!(verdicts(&moved(k, v), &cheat_ok, &|_| {}).0, "{what}");
    }
    // The growth claims the mark stayed.
    let at = rec.syscalls[brk_calls[1]].step;
    let stale_mark = move |ev: &mut SyscallEvent| {
        if ev.step == at {
            let Some((_, h)) = &mut ev.state[1] else {
                unreachable!()
            };
            h.value = h.prev_value;
        }
    };
    assert!(verdicts(&stale_mark, &|_| {}, &|_| {}).0, "the mark stayed");
    // The regrowth claims nothing to zero.
    let skip_zeroing = |r: &mut SyscallCols<F>| {
        if r.lbrk == F::ONE && r.len != [F::ZERO; 4] {
            r.len = [F::ZERO; 4];
            r.end = r.buf;
            r.carry = [F::ZERO; 4];
            r.end_off = r.buf_off;
            r.end_q = r.buf_q;
        }
    };
    assert!(
        verdicts(&none, &skip_zeroing, &|_| {}).0,
        "regrowth not zeroed"
    );
    // A zeroed word keeps a nonzero byte.
    let keep = |m: &mut SysMemCols<F>| {
        if m.zero == F::ONE {
            m.mem.value = m.mem.prev;
        }
    };
    assert!(
        verdicts(&none, &|_| {}, &keep).1,
        "a zeroed word is not zero"
    );
}

/// An anonymous map is exactly the page-rounded length below the mmap top, never below the
/// break's mark, and only for MAP_ANONYMOUS without MAP_FIXED; munmap succeeds only on an
/// aligned, nonempty, non-wrapping range and returns 0. Every other claim is rejected, with the
/// cheater's best witnesses recomputed for it.
#[test]
fn mmap_results_are_forced() {
    use mipstark_air::alu::word_bytes;
    use mipstark_air::syscall::mmap;
    use p3_field::PrimeField32;
    let f = SyscallForgery::new(&mipstark_tests::asm::mmap_program());
    assert!(!f.rejects(&|_| {}), "honest");
    let word = |w: &[F; 4]| {
        w.iter()
            .rev()
            .fold(0u32, |acc, b| (acc << 8) | b.as_canonical_u32())
    };
    // The first map (mmap, 5000 bytes) claims another start, or another mark; the witnesses
    // are recomputed from the claim.
    let remap = |start_delta: i64, flags: Option<u32>, hwm: Option<u32>| {
        move |r: &mut SyscallCols<F>| {
            if r.lmmap != F::ONE || r.mmap.is2 != F::ZERO {
                return;
            }
            let top = word(&r.st.prev);
            let start = (word(&r.st.value) as i64 + start_delta) as u32;
            r.st.value = word_bytes(start);
            r.regs[0].value = word_bytes(start);
            if let Some(fl) = flags {
                r.regs[4].prev = word_bytes(fl);
            }
            if let Some(h) = hwm {
                r.st1.prev = word_bytes(h);
                r.st1.value = word_bytes(h);
            }
            let (len, fl) = (word(&r.regs[2].prev), word(&r.regs[4].prev));
            let hwm = word(&r.st1.prev);
            let mut bytes = ByteLookups::default();
            mmap::fill_mmap(
                &mut r.mmap,
                4090,
                len,
                fl,
                Some(((top, start), hwm)),
                &mut bytes,
            );
        }
    };
    assert!(
        !f.rejects(&remap(0, None, None)),
        "recomputing changes nothing"
    );
    for (what, edit) in [
        ("a map one page short", remap(4096, None, None)),
        ("a map one page too long", remap(-4096, None, None)),
        ("a map off the page grid", remap(-4, None, None)),
        ("MAP_FIXED", remap(0, Some(0x812), None)),
        ("no MAP_ANONYMOUS", remap(0, Some(0x002), None)),
        (
            "a map below the break's mark",
            remap(0, None, Some(0x6fff_f000)),
        ),
    ] {
        assert!(f.rejects(&edit), "{what}");
    }
    // The number, the result and the mark, each changed alone on the first map's row.
    let first = |edit: fn(&mut SyscallCols<F>)| {
        move |r: &mut SyscallCols<F>| {
            if r.lmmap == F::ONE && r.mmap.is2 == F::ZERO && r.regs[0].prev[0] == F::from_u8(0xfa) {
                edit(r)
            }
        }
    };
    for (what, edit) in [
        ("mmap claimed as mmap2", first(|r| r.mmap.is2 = F::ONE)),
        (
            "a result other than the new top",
            first(|r| r.regs[0].value[1] += F::from_u8(16)),
        ),
        ("the mark moved", first(|r| r.st1.value[3] += F::ONE)),
        (
            "MAP_FIXED hidden in a low part of 18 (only the range lookup objects)",
            first(|r| {
                r.regs[4].prev[0] = F::from_u8(0x12);
                r.regs[4].value[0] = F::ZERO;
                r.mmap.f0_lo = F::from_u8(18);
                r.mmap.f0_hi = F::ZERO;
            }),
        ),
    ] {
        assert!(f.rejects(&edit), "{what}");
    }
    // munmap: misaligned, empty, wrapping, or a nonzero result.
    let unmap = |addr: Option<u32>, len: Option<u32>, result: u32| {
        move |r: &mut SyscallCols<F>| {
            if r.lmunmap != F::ONE {
                return;
            }
            if let Some(a) = addr {
                r.regs[1].prev = word_bytes(a);
                r.regs[1].value = word_bytes(a);
            }
            if let Some(l) = len {
                r.regs[2].prev = word_bytes(l);
                r.regs[2].value = word_bytes(l);
            }
            r.regs[0].value = word_bytes(result);
            let (a, l) = (word(&r.regs[1].prev), word(&r.regs[2].prev));
            mmap::fill_munmap(&mut r.munmap, a, l, &mut ByteLookups::default());
            // A success row's witness: no reason, the length's inverse.
            r.munmap.why = [F::ZERO; 3];
            r.munmap.len_inv = byte_sum_inverse(l);
        }
    };
    assert!(
        !f.rejects(&unmap(None, None, 0)),
        "recomputing changes nothing"
    );
    assert!(
        !f.rejects(&unmap(Some(0xffff_f000), Some(0x1000), 0)),
        "a range ending exactly at 2^32"
    );
    for (what, edit) in [
        ("a misaligned address", unmap(Some(0x6fff_f010), None, 0)),
        ("an empty range", unmap(None, Some(0), 0)),
        (
            "a wrapping range",
            unmap(Some(0xffff_f000), Some(0x2000), 0),
        ),
        ("a nonzero result", unmap(None, None, 22)),
    ] {
        assert!(f.rejects(&edit), "{what}");
    }
}

/// mmap's and munmap's error returns are forced by the arguments, the mmap top and the mark:
/// each errno stands only where its condition holds, and no other errno (nor success) can be
/// claimed in its place.
#[test]
fn mmap_errors_are_forced() {
    use mipstark_air::alu::word_bytes;
    use mipstark_air::syscall::mmap;
    use mipstark_emulator::syscall::errno;
    let words = mipstark_tests::asm::mmap_errors_program();
    let f = SyscallForgery::new(&words);
    assert_eq!(f.exit_code, 133, "the errnos");
    assert!(!f.rejects(&|_| {}), "honest");
    // Rows by errno selector; the `k`-th row of a kind gets the edit.
    // Refill an mmap row from its (edited) arguments and state.
    fn refill(r: &mut SyscallCols<F>) {
        let word = |w: &[F; 4]| {
            w.iter().rev().fold(0u32, |acc, b| {
                (acc << 8) | p3_field::PrimeField32::as_canonical_u32(b)
            })
        };
        let (len, flags) = (word(&r.regs[2].prev), word(&r.regs[4].prev));
        let sized = (r.err.mmap_badf == F::ZERO)
            .then(|| ((word(&r.st.prev), word(&r.st.value)), word(&r.st1.prev)));
        let number = word(&r.regs[0].prev);
        r.mmap = unsafe { std::mem::zeroed() };
        mmap::fill_mmap(
            &mut r.mmap,
            number,
            len,
            flags,
            sized,
            &mut ByteLookups::default(),
        );
    }
    for k in 0..3 {
        assert!(
            !f.rejects(&nth(|r| r.err.mmap_nomem, k, refill)),
            "recomputing ENOMEM row {k} changes nothing"
        );
    }
    assert!(
        !f.rejects(&nth(|r| r.err.mmap_badf, 0, refill)),
        "recomputing the EBADF row changes nothing"
    );
    for (what, edit) in [
        (
            "EINVAL for a nonzero length",
            Box::new(nth(
                |r| r.err.mmap_inval,
                0,
                |r| {
                    r.regs[2].prev[1] = F::from_u8(16);
                    r.regs[2].value[1] = F::from_u8(16);
                },
            )) as Box<dyn Fn(&mut SyscallCols<F>)>,
        ),
        (
            "EBADF for an anonymous map",
            Box::new(nth(
                |r| r.err.mmap_badf,
                0,
                |r| {
                    r.regs[4].prev[1] = F::from_u8(8); // $a3's value is the error flag
                    refill(r); // MAP_ANONYMOUS read as set
                },
            )),
        ),
        (
            "ENOMEM for a map that fits below the top",
            Box::new(nth(
                |r| r.err.mmap_nomem,
                0,
                |r| {
                    r.regs[2].prev = word_bytes(0x1000);
                    r.regs[2].value = word_bytes(0x1000);
                    refill(r);
                },
            )),
        ),
        (
            "ENOMEM for a map that fits above the mark",
            Box::new(nth(
                |r| r.err.mmap_nomem,
                2,
                |r| {
                    r.st1.prev = word_bytes(0x1000_0000);
                    r.st1.value = word_bytes(0x1000_0000);
                    refill(r);
                },
            )),
        ),
        (
            "ENOMEM with the top moved",
            Box::new(nth(
                |r| r.err.mmap_nomem,
                0,
                |r| {
                    r.st.value[3] = F::from_u8(0x10);
                },
            )),
        ),
        (
            "EINVAL claimed where ENOMEM is due",
            Box::new(nth(
                |r| r.err.mmap_nomem,
                1,
                |r| {
                    r.err.mmap_nomem = F::ZERO;
                    r.err.mmap_inval = F::ONE;
                    r.regs[0].value = word_bytes(errno::EINVAL);
                },
            )),
        ),
        (
            "ENOMEM claimed where EBADF is due",
            Box::new(nth(
                |r| r.err.mmap_badf,
                0,
                |r| {
                    r.err.mmap_badf = F::ZERO;
                    r.err.mmap_nomem = F::ONE;
                    r.regs[0].value = word_bytes(errno::ENOMEM);
                },
            )),
        ),
        (
            "another errno",
            Box::new(nth(
                |r| r.err.mmap_badf,
                0,
                |r| {
                    r.regs[0].value = word_bytes(errno::EINVAL);
                },
            )),
        ),
        (
            "munmap's EINVAL for an aligned address",
            Box::new(nth(
                |r| r.err.munmap_inval,
                0,
                |r| {
                    r.regs[1].prev[0] = F::ZERO;
                    r.regs[1].value[0] = F::ZERO;
                    let mut bytes = ByteLookups::default();
                    mmap::fill_munmap(&mut r.munmap, 0x1000_0000, 4096, &mut bytes);
                    r.munmap.why = [F::ONE, F::ZERO, F::ZERO];
                },
            )),
        ),
        (
            "munmap's EINVAL for a nonzero length",
            Box::new(nth(
                |r| r.err.munmap_inval,
                1,
                |r| {
                    r.regs[2].prev[1] = F::from_u8(16);
                    r.regs[2].value[1] = F::from_u8(16);
                    let mut bytes = ByteLookups::default();
                    mmap::fill_munmap(&mut r.munmap, 0x1000_0000, 4096, &mut bytes);
                    r.munmap.why = [F::ZERO, F::ONE, F::ZERO];
                },
            )),
        ),
        (
            "munmap's EINVAL for a range ending below 2^32",
            Box::new(nth(
                |r| r.err.munmap_inval,
                2,
                |r| {
                    let (a, l) = (0xffff_e000u32, 0x1000u32);
                    r.regs[1].prev = word_bytes(a);
                    r.regs[1].value = word_bytes(a);
                    r.regs[2].prev = word_bytes(l);
                    r.regs[2].value = word_bytes(l);
                    mmap::fill_munmap(&mut r.munmap, a, l, &mut ByteLookups::default());
                    r.munmap.why = [F::ZERO, F::ZERO, F::ONE];
                    r.munmap.len_inv = byte_sum_inverse(a.wrapping_add(l));
                },
            )),
        ),
        (
            "munmap's EINVAL for a range ending exactly at 2^32",
            Box::new(nth(
                |r| r.err.munmap_inval,
                2,
                |r| {
                    r.regs[2].prev[1] = F::from_u8(16);
                    r.regs[2].value[1] = F::from_u8(16);
                    let (a, l) = (0xffff_f000u32, 0x1000u32);
                    mmap::fill_munmap(&mut r.munmap, a, l, &mut ByteLookups::default());
                    r.munmap.why = [F::ZERO, F::ZERO, F::ONE];
                },
            )),
        ),
    ] {
        assert!(f.rejects(&*edit), "{what}");
    }
}

/// Linux error returns are provable only where the emulator returns them: EBADF for a write to
/// fd 1 and ENOSYS for an implemented call (brk) violate the syscall chip.
#[test]
fn linux_errors_only_where_due() {
    use mipstark_air::syscall::linux_err;
    use mipstark_tests::asm::*;
    // write(1, 0, 0); syscall 4054 (ioctl: ENOSYS); halt.
    let mut w = vec![addiu(4, 0, 1), addiu(5, 0, 0), addiu(6, 0, 0)];
    w.extend(li(2, 4004));
    w.push(SYSCALL);
    w.extend(li(2, 4054));
    w.push(SYSCALL);
    w.extend([addiu(4, 0, 0), addiu(2, 0, 0), SYSCALL]);
    let f = SyscallForgery::new(&w);
    assert!(!f.rejects(&|_| {}), "the honest run");
    // The successful write to fd 1 claimed as EBADF.
    let badf = |ev: &mut SyscallEvent| {
        if ev.number == 4004 {
            ev.regs[0].value = 9;
            ev.regs[4].value = 1;
            ev.mem_end = ev.mem_start;
        }
    };
    assert!(f.verdicts(&badf, &|_| {}, &|_| {}).0, "EBADF for fd 1");
    // The ENOSYS row re-labelled, with every witness recomputed: as another unimplemented
    // call it still holds; as brk (4045) it does not.
    let relabel = |n: u32| {
        move |r: &mut SyscallCols<F>| {
            if r.err.enosys == F::ONE {
                r.regs[0].prev = n.to_le_bytes().map(F::from_u8);
                linux_err::fill(&mut r.err, n, 0, F::ZERO, F::ZERO);
            }
        }
    };
    assert!(!f.rejects(&relabel(4055)), "ENOSYS for 4055");
    assert!(f.rejects(&relabel(4045)), "ENOSYS for brk");
}

/// read's EFAULT stands only for fd 0 and a buffer that runs past 2^32.
#[test]
fn read_fault_only_where_due() {
    use mipstark_air::alu::word_bytes;
    use mipstark_tests::asm::*;
    // read(0, 0xffff_fff0, 0x20) with stdin to read: EFAULT; halt.
    let mut w = vec![addiu(4, 0, 0)];
    w.extend(li(5, 0xffff_fff0));
    w.extend(li(6, 0x20));
    w.extend(li(2, 4003));
    w.push(SYSCALL);
    w.extend([addiu(4, 0, 0), addiu(2, 0, 0), SYSCALL]);
    let f = SyscallForgery::with_stdin(&w, vec![7; 64]);
    assert!(!f.rejects(&|_| {}), "the honest run");
    // Claim EFAULT for other arguments, every witness recomputed as the prover would.
    let claim = |fd: u32, buf: u32, len: u32| {
        move |r: &mut SyscallCols<F>| {
            if r.err.read_fault != F::ONE {
                return;
            }
            for (k, v) in [(1, fd), (2, buf), (3, len)] {
                r.regs[k].prev = word_bytes(v);
                r.regs[k].value = word_bytes(v);
            }
            let end = r.fill_buffer(buf, len, &mut ByteLookups::default(), false);
            r.err.inv = byte_sum_inverse(end);
        }
    };
    assert!(
        !f.rejects(&claim(0, 0xffff_fff0, 0x20)),
        "recomputing changes nothing"
    );
    assert!(
        !f.rejects(&claim(0, 0xffff_ff00, 0x101)),
        "one byte past 2^32"
    );
    for (what, edit) in [
        (
            "a buffer ending exactly at 2^32",
            claim(0, 0xffff_ff00, 0x100),
        ),
        ("a buffer below 2^32", claim(0, 0x1000, 0x20)),
        ("fd 1", claim(1, 0xffff_fff0, 0x20)),
    ] {
        assert!(f.rejects(&edit), "{what}");
    }
}
