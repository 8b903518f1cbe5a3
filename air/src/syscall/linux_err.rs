//! Linux error returns: `$v0` = errno, `$a3` = 1, no other effect. Each is provable only where
//! the emulator returns it, which the row proves from the arguments:
//!
//! - `write` with EBADF: the descriptor is not 1, 2, 13 or 14 (a high byte is nonzero, or the
//!   low byte `x` has `(x−1)(x−2)(x−13)(x−14) ≠ 0`);
//! - `read` with EBADF: the descriptor is not 0;
//! - ENOSYS: the number lies in `4000..5000` (two byte-pair range checks) and is none of
//!   [`nr::LINUX_HANDLED`] (a running product of the differences, shown nonzero by an inverse);
//! - mmap/mmap2's EINVAL, EBADF, ENOMEM (a `MAP_FIXED` map's EINVAL too) and munmap's
//!   EINVAL: see [`super::mmap`];
//! - read's EFAULT: fd 0 and a buffer running past 2^32 (in the syscall chip's buffer columns).

use mipstark_emulator::syscall::{errno, nr};
use p3_air::AirBuilder;
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;

use crate::memory::access::{range_pair, SlotCols};
use crate::F;

#[repr(C)]
pub struct LinuxErrCols<T> {
    /// `write` to a descriptor outside {1, 2, 13, 14}.
    pub badf_write: T,
    /// `read` from a descriptor other than 0.
    pub badf_read: T,
    /// A Linux number the emulator does not implement.
    pub enosys: T,
    /// mmap/mmap2 with EINVAL (length 0), EBADF (not anonymous), ENOMEM (no room), and
    /// munmap with EINVAL: their conditions are proven in [`super::mmap`].
    pub mmap_inval: T,
    pub mmap_badf: T,
    pub mmap_nomem: T,
    pub munmap_inval: T,
    /// read from fd 0 into a buffer that runs past 2^32 (EFAULT): the syscall chip's buffer
    /// columns prove `buf + len` carries out with a nonzero end.
    pub read_fault: T,
    /// A `MAP_FIXED` mmap/mmap2 with EINVAL (see [`super::mmap::FixedCols`]).
    pub mmap_fixed_inval: T,
    /// `write`: `fd_lo·fd_hi`, whether a high byte of the descriptor is nonzero, and the value
    /// shown nonzero (`fd_prod`, or the high bytes' sum).
    pub fd_prod: T,
    pub hi_nz: T,
    pub nonzero: T,
    /// The inverse witnessing the nonzero value of the row's case.
    pub inv: T,
    /// ENOSYS: `n − 4000` and `999 − (n − 4000)` as (low, high) byte pairs.
    pub lo: [T; 2],
    pub hi: [T; 2],
    /// ENOSYS: `Π (n − h)` over the handled numbers, one factor more per column.
    pub prods: [T; nr::LINUX_HANDLED.len() - 1],
}

/// The errno an error row returns, by selector.
pub const ERRNO: [u32; 9] = [
    errno::EBADF,
    errno::EBADF,
    errno::ENOSYS,
    errno::EINVAL,
    errno::EBADF,
    errno::ENOMEM,
    errno::EINVAL,
    errno::EFAULT,
    errno::EINVAL,
];

impl<T: Copy> LinuxErrCols<T> {
    pub fn selectors(&self) -> [T; 9] {
        [
            self.badf_write,
            self.badf_read,
            self.enosys,
            self.mmap_inval,
            self.mmap_badf,
            self.mmap_nomem,
            self.munmap_inval,
            self.read_fault,
            self.mmap_fixed_inval,
        ]
    }
}

/// The constraints of the error rows; `fd_lo`, `fd_hi` are the syscall chip's `(x−1)(x−2)`
/// and `(x−13)(x−14)` of the descriptor's low byte (constrained there for `badf_write` too).
pub fn eval<AB: AirBuilder<F = F> + InteractionBuilder>(
    b: &mut AB,
    e: &LinuxErrCols<AB::Var>,
    v0: &SlotCols<AB::Var>,
    a0: &SlotCols<AB::Var>,
    fd_lo: AB::Var,
    fd_hi: AB::Var,
) {
    let k = |v: u32| AB::Expr::from_u32(v);
    for (i, sel) in e.selectors().into_iter().enumerate() {
        let errno = ERRNO[i];
        for (j, byte) in errno.to_le_bytes().into_iter().enumerate() {
            b.when(sel).assert_eq(v0.value[j], k(byte as u32));
        }
    }
    for (sel, num) in [
        (e.badf_write, nr::LINUX_WRITE),
        (e.badf_read, nr::LINUX_READ),
    ] {
        for (j, byte) in num.to_le_bytes().into_iter().enumerate() {
            b.when(sel).assert_eq(v0.prev[j], k(byte as u32));
        }
    }

    // write: fd ∉ {1, 2, 13, 14}.
    let w = e.badf_write;
    b.assert_bool(e.hi_nz);
    b.when(w).assert_eq(e.fd_prod, fd_lo.into() * fd_hi.into());
    let hi_sum: AB::Expr = (1..4).map(|j| a0.prev[j].into()).sum();
    b.when(w).assert_eq(
        e.nonzero,
        e.fd_prod.into() + e.hi_nz.into() * (hi_sum - e.fd_prod.into()),
    );
    b.when(w).assert_one(e.inv.into() * e.nonzero.into());

    // read: fd ≠ 0 (its bytes are bytes, so their sum is zero only for 0).
    let fd_sum: AB::Expr = (0..4).map(|j| a0.prev[j].into()).sum();
    b.when(e.badf_read).assert_one(e.inv.into() * fd_sum);

    // ENOSYS: 4000 ≤ n < 5000, n ∉ LINUX_HANDLED.
    let s = e.enosys;
    b.when(s).assert_zero(v0.prev[2]);
    b.when(s).assert_zero(v0.prev[3]);
    let n: AB::Expr = v0.prev[0].into() + v0.prev[1].into() * k(256);
    let d = n.clone() - k(nr::LINUX_BASE);
    let span = nr::LINUX_END - nr::LINUX_BASE - 1;
    b.when(s)
        .assert_eq(d.clone(), e.lo[0].into() + e.hi[0].into() * k(256));
    b.when(s)
        .assert_eq(k(span) - d, e.lo[1].into() + e.hi[1].into() * k(256));
    for j in 0..2 {
        range_pair(b, e.lo[j].into(), e.hi[j].into(), s.into());
    }
    let h = nr::LINUX_HANDLED;
    b.when(s)
        .assert_eq(e.prods[0], (n.clone() - k(h[0])) * (n.clone() - k(h[1])));
    for j in 1..e.prods.len() {
        b.when(s).assert_eq(
            e.prods[j],
            e.prods[j - 1].into() * (n.clone() - k(h[j + 1])),
        );
    }
    b.when(s)
        .assert_one(e.inv.into() * e.prods[e.prods.len() - 1].into());
}

/// The witness columns of an error row (the selector is set by the caller).
pub fn fill(e: &mut LinuxErrCols<F>, number: u32, fd: u32, fd_lo: F, fd_hi: F) -> Vec<(u8, u8)> {
    use p3_field::Field;
    let mut ranges = Vec::new();
    let bytes = fd.to_le_bytes();
    match number {
        nr::LINUX_WRITE => {
            e.fd_prod = fd_lo * fd_hi;
            let hi_sum: u32 = bytes[1..].iter().map(|&x| x as u32).sum();
            e.hi_nz = F::from_bool(hi_sum != 0);
            e.nonzero = if hi_sum != 0 {
                F::from_u32(hi_sum)
            } else {
                e.fd_prod
            };
            e.inv = e.nonzero.try_inverse().unwrap_or(F::ZERO);
        }
        nr::LINUX_READ => {
            let sum: u32 = bytes.iter().map(|&x| x as u32).sum();
            e.inv = F::from_u32(sum).try_inverse().unwrap_or(F::ZERO);
        }
        n => {
            let d = n.wrapping_sub(nr::LINUX_BASE);
            let rest = (nr::LINUX_END - nr::LINUX_BASE - 1).wrapping_sub(d);
            for (j, v) in [d, rest].into_iter().enumerate() {
                e.lo[j] = F::from_u32(v & 0xff);
                e.hi[j] = F::from_u32((v >> 8) & 0xff);
                ranges.push(((v & 0xff) as u8, ((v >> 8) & 0xff) as u8));
            }
            let nf = F::from_u32(n);
            let h = nr::LINUX_HANDLED;
            let mut acc = (nf - F::from_u32(h[0])) * (nf - F::from_u32(h[1]));
            e.prods[0] = acc;
            for j in 1..e.prods.len() {
                acc *= nf - F::from_u32(h[j + 1]);
                e.prods[j] = acc;
            }
            e.inv = acc.try_inverse().unwrap_or(F::ZERO);
        }
    }
    ranges
}
