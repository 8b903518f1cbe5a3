//! Loads and stores: LB/LBU/LH/LHU/LW/LWL/LWR/SB/SH/SW/SWL/SWR/LL/SC.
//!
//! One row per request on the `mem_instr` bus `(op, clk, base, offset, rt_before, rt_after)`:
//! the effective address `base + offset` over bytes, its two low bits as a one-hot offset `k`
//! (alignment checked), the word access of the memory argument at `clk`, and for every
//! (operation, `k`) a fixed byte routing ([`route`]) from the old memory word and rt into the
//! loaded value or the stored word.
//!
//! LL/SC: LL writes the link registers (`addr + 1`, the word read); SC succeeds exactly when
//! the link names this address and the word still holds the linked value (an equality test
//! over eight bytes with an inverse witness), as the emulator and qemu decide.

mod trace;

use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;

use crate::bus::{LsOp, MEM_INSTR};
use crate::cpu::msb;
use crate::gadgets::{assert_add_bytes, one_hot_or_none, op_id, range_check_word};
use crate::memory::access::{access, range_pair, Clock, SlotCols};
use crate::{cols, F};

pub use trace::{load_value, mem_instr_events, sc_succeeds, store_value, MemInstrEvent};

#[repr(C)]
pub struct LoadStoreCols<T> {
    /// One-hot operation, indexed by `LsOp as usize`.
    pub sel: [T; 14],
    pub clk: T,
    /// `clk`'s high limb (`memory::access::Clock`).
    pub clk_hi: T,
    pub base: [T; 4],
    pub offset: [T; 4],
    pub addr: [T; 4],
    pub carry: [T; 4],
    /// One-hot `addr & 3`.
    pub k: [T; 4],
    /// `(addr_byte0 − (addr & 3)) / 4`.
    pub q: T,
    pub rt_before: [T; 4],
    pub rt_after: [T; 4],
    /// The word access at `clk` (`prev`: the word before, `value`: after).
    pub mem: SlotCols<T>,
    /// The byte whose sign LB/LH extend, and that sign.
    pub sign_byte: T,
    pub sign: T,
    pub sc_ok: T,
    /// The LL link as LL writes it / SC reads it, and the inverse witnessing a broken link.
    pub link_addr: [T; 4],
    pub link_val: [T; 4],
    pub sc_inv: T,
}

pub const NUM_COLS: usize = std::mem::size_of::<LoadStoreCols<u8>>();

/// Where one output byte comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Src {
    Mem(usize),
    Reg(usize),
    Zero,
    /// 0xff × the sign bit.
    Sign,
}

/// Output byte `j` for operation `op` at offset `k`: of rt_after for loads, of the new memory
/// word for stores. `None` where the combination is misaligned (and constrained impossible).
pub fn route(op: LsOp, k: usize, j: usize) -> Option<Src> {
    use LsOp::*;
    use Src::*;
    Some(match op {
        Lb | Lbu => match j {
            0 => Mem(k),
            _ if op == Lb => Sign,
            _ => Zero,
        },
        Lh | Lhu => {
            if !k.is_multiple_of(2) {
                return None;
            }
            match j {
                0 | 1 => Mem(k + j),
                _ if op == Lh => Sign,
                _ => Zero,
            }
        }
        Lw | Ll => {
            if k != 0 {
                return None;
            }
            Mem(j)
        }
        Lwl => {
            let s = 3 - k;
            if j >= s {
                Mem(j - s)
            } else {
                Reg(j)
            }
        }
        Lwr => {
            if j + k <= 3 {
                Mem(j + k)
            } else {
                Reg(j)
            }
        }
        Sb => {
            if j == k {
                Reg(0)
            } else {
                Mem(j)
            }
        }
        Sh => {
            if !k.is_multiple_of(2) {
                return None;
            }
            if j == k || j == k + 1 {
                Reg(j - k)
            } else {
                Mem(j)
            }
        }
        Sw => {
            if k != 0 {
                return None;
            }
            Reg(j)
        }
        Swl => {
            if j <= k {
                Reg(j + 3 - k)
            } else {
                Mem(j)
            }
        }
        Swr => {
            if j >= k {
                Reg(j - k)
            } else {
                Mem(j)
            }
        }
        Sc => {
            if k != 0 {
                return None;
            }
            // Routed by `sc_ok` in the AIR.
            Reg(j)
        }
    })
}

#[derive(Clone, Copy, Debug, Default)]
pub struct LoadStoreChip;

impl BaseAir<F> for LoadStoreChip {
    fn width(&self) -> usize {
        NUM_COLS
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
}

impl<AB: AirBuilder<F = F> + InteractionBuilder> Air<AB> for LoadStoreChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let r: &LoadStoreCols<AB::Var> = cols(main.current_slice());
        let is_real = one_hot_or_none(b, &r.sel);
        let one = AB::Expr::ONE;

        // Effective address and its offset within the word.
        assert_add_bytes(
            b,
            r.base.map(Into::into),
            r.offset.map(Into::into),
            r.addr.map(Into::into),
            r.carry,
        );
        range_check_word(b, r.addr.map(Into::into), is_real.clone());
        let k_sum = one_hot_or_none(b, &r.k);
        b.assert_eq(k_sum, is_real.clone());
        let k_val: AB::Expr = (0..4)
            .map(|i| r.k[i].into() * AB::Expr::from_usize(i))
            .sum();
        b.assert_eq(r.addr[0], k_val + r.q.into() * AB::Expr::from_u8(4));
        // q and 4q both bytes: q is an integer below 64 (4q alone would allow q = v/4).
        range_pair(
            b,
            r.q.into(),
            r.q.into() * AB::Expr::from_u8(4),
            is_real.clone(),
        );
        let word_addr = r.q.into()
            + r.addr[1].into() * AB::Expr::from_u32(1 << 6)
            + r.addr[2].into() * AB::Expr::from_u32(1 << 14)
            + r.addr[3].into() * AB::Expr::from_u32(1 << 22);

        // The memory access at clk.
        let clock = Clock::new(b, r.clk, r.clk_hi, is_real.clone());
        access(b, &r.mem, word_addr, clock.at(0), is_real.clone());

        // Byte routing.
        let src = |s: Src| -> AB::Expr {
            match s {
                Src::Mem(i) => r.mem.prev[i].into(),
                Src::Reg(i) => r.rt_before[i].into(),
                Src::Zero => AB::Expr::ZERO,
                Src::Sign => r.sign.into() * AB::Expr::from_u8(0xff),
            }
        };
        for op in LsOp::ALL {
            let s = r.sel[op as usize];
            for k in 0..4 {
                let when = s.into() * r.k[k].into();
                for j in 0..4 {
                    match route(op, k, j) {
                        None => b.assert_zero(when.clone()),
                        Some(from) => {
                            let out = if op.is_store() {
                                r.mem.value[j]
                            } else {
                                r.rt_after[j]
                            };
                            if op == LsOp::Sc {
                                // mem_new = sc_ok ? rt : mem_prev.
                                let v = r.sc_ok.into() * r.rt_before[j].into()
                                    + (one.clone() - r.sc_ok.into()) * r.mem.prev[j].into();
                                b.when(s).assert_eq(out, v);
                            } else {
                                b.when(when.clone()).assert_eq(out, src(from));
                            }
                        }
                    }
                }
                // The sign LB/LH extend is the top bit of the byte they load last.
                let top = match op {
                    LsOp::Lb => Some(k),
                    LsOp::Lh if k % 2 == 0 => Some(k + 1),
                    _ => None,
                };
                if let Some(t) = top {
                    b.when(when).assert_eq(r.sign_byte, r.mem.prev[t]);
                }
            }
        }
        let signed: AB::Expr = r.sel[LsOp::Lb as usize].into() + r.sel[LsOp::Lh as usize].into();
        msb(b, r.sign_byte.into(), r.sign.into(), signed);
        b.assert_bool(r.sc_ok);
        let sc = r.sel[LsOp::Sc as usize];
        b.when(sc).assert_eq(r.rt_after[0], r.sc_ok);
        for j in 1..4 {
            b.when(sc).assert_zero(r.rt_after[j]);
        }
        // Loads leave memory as it was; stores leave rt (a read) as it was.
        let loads: AB::Expr = LsOp::ALL
            .iter()
            .filter(|o| !o.is_store())
            .map(|o| r.sel[*o as usize].into())
            .sum();
        let stores: AB::Expr = LsOp::ALL
            .iter()
            .filter(|o| o.is_store() && **o != LsOp::Sc)
            .map(|o| r.sel[*o as usize].into())
            .sum();
        for j in 0..4 {
            b.when(loads.clone())
                .assert_eq(r.mem.value[j], r.mem.prev[j]);
            b.when(stores.clone())
                .assert_eq(r.rt_after[j], r.rt_before[j]);
        }

        // LL sets the link; SC succeeds iff the link holds.
        let ll = r.sel[LsOp::Ll as usize];
        let mut sq = AB::Expr::ZERO;
        for i in 0..4 {
            let plus = if i == 0 { one.clone() } else { AB::Expr::ZERO };
            b.when(ll)
                .assert_eq(r.link_addr[i], r.addr[i].into() + plus.clone());
            b.when(ll).assert_eq(r.link_val[i], r.mem.prev[i]);
            for d in [
                r.link_addr[i].into() - r.addr[i].into() - plus,
                r.link_val[i].into() - r.mem.prev[i].into(),
            ] {
                b.when(sc).when(r.sc_ok).assert_zero(d.clone());
                sq += d.clone() * d;
            }
        }
        b.when(sc)
            .assert_eq(one.clone() - r.sc_ok.into(), r.sc_inv.into() * sq);

        let sels: Vec<(AB::Var, u8)> = LsOp::ALL
            .iter()
            .map(|o| (r.sel[*o as usize], *o as u8))
            .collect();
        let mut t = vec![op_id::<AB>(&sels), r.clk.into()];
        t.extend(
            r.base
                .iter()
                .chain(&r.offset)
                .chain(&r.rt_before)
                .chain(&r.rt_after)
                .chain(&r.link_addr)
                .chain(&r.link_val)
                .map(|v| (*v).into()),
        );
        MEM_INSTR.table_entry(b, t, is_real);
    }
}
