//! The CPU chip: one row per executed instruction.
//!
//! A row fetches its decoded instruction from the program table (one `program` lookup by pc),
//! performs up to four register accesses as accesses of the memory argument, and hands the
//! operation to the chip that constrains it (`alu`, `mul64`, `divrem`, `bitfield`, `mem_instr`,
//! `syscall`). What stays here is control flow: delay slots, branch conditions and targets,
//! jumps, links, conditional moves, the no-trap conditions of TEQ/TNE, and halting (ADD/ADDI/SUB's
//! no-overflow condition is the `add_sub_trap` chip's).
//!
//! Real rows form a prefix; padding rows keep the machine state unchanged, so the last row of
//! every trace holds the state after the shard, which the chip exposes as public values next
//! to the state before it (see [`Boundary`]).

mod trace;

use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};

use crate::bus::{
    ByteOp, ALU, BITFIELD, BYTE, DISPATCH, DIVREM, MEM_INSTR, MUL64, PROGRAM, REG_SPACE, SYSCALL,
};
use crate::memory::access::{access, access_read, Clock};
pub use crate::memory::access::{ReadSlotCols, SlotCols};
use crate::program::decode::DecodedCols;
use crate::{cols, F};

pub use trace::{CpuTraceError, MAX_CLK};

#[repr(C)]
pub struct CpuCols<T> {
    pub is_real: T,
    pub clk: T,
    /// `clk`'s high limb: the clock is range-checked on real rows (`memory::access::Clock`).
    pub clk_hi: T,
    pub pc: T,
    /// The pc after this one (the delay slot of a branch).
    pub npc: T,
    /// `npc` of the next row.
    pub new_npc: T,
    /// This instruction sits in a delay slot.
    pub in_delay: T,
    /// The machine has halted before this row.
    pub halted: T,
    /// This row's syscall halts.
    pub is_halt: T,
    pub d: DecodedCols<T>,
    /// Access slot 0, a read for every instruction (its value is `prev`).
    pub read0: ReadSlotCols<T>,
    /// Access slots 1, 2 and 3.
    pub slots: [SlotCols<T>; 3],
    /// The comparison's byte differences, 1 when equal, and the inverse witnessing inequality.
    pub cmp_diff: [T; 4],
    pub cmp_eq: T,
    pub cmp_inv: T,
    /// Sign bit of slot 0 (BLTZ/BGEZ/BLEZ/BGTZ and their variants).
    pub sign_b: T,
    /// Branch taken, or MOVZ/MOVN moves.
    pub taken: T,
    /// Branch-likely not taken: the delay slot is skipped.
    pub nullify: T,
}

pub const NUM_COLS: usize = std::mem::size_of::<CpuCols<u8>>();

/// The machine state at a shard boundary: the CPU's public values are `before ++ after`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Boundary {
    pub pc: u32,
    pub npc: u32,
    pub clk: u64,
    pub in_delay: bool,
    pub halted: bool,
}

pub const NUM_BOUNDARY: usize = 5;
pub const NUM_PUBLIC: usize = 2 * NUM_BOUNDARY;

impl Boundary {
    /// The state a program starts in.
    pub fn start(entry: u32) -> Self {
        Boundary {
            pc: entry,
            npc: entry.wrapping_add(4),
            clk: mipstark_emulator::record::CLK_STRIDE,
            in_delay: false,
            halted: false,
        }
    }

    pub fn to_field(&self) -> [F; NUM_BOUNDARY] {
        [
            F::from_u32(self.pc),
            F::from_u32(self.npc),
            F::from_u64(self.clk),
            F::from_bool(self.in_delay),
            F::from_bool(self.halted),
        ]
    }
}

/// The CPU chip (one instance per shard).
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuChip;

impl BaseAir<F> for CpuChip {
    fn width(&self) -> usize {
        NUM_COLS
    }
    fn num_public_values(&self) -> usize {
        NUM_PUBLIC
    }
}

fn word<AB: AirBuilder>(w: &[AB::Var; 4]) -> [AB::Expr; 4] {
    w.map(Into::into)
}

impl<AB: AirBuilder<F = F> + InteractionBuilder> Air<AB> for CpuChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let r: &CpuCols<AB::Var> = cols(main.current_slice());
        let n: &CpuCols<AB::Var> = cols(main.next_slice());
        let publics: Vec<AB::Expr> = b.public_values().iter().map(|&p| p.into()).collect();
        let d = &r.d;
        let c = &d.class;
        let one = AB::Expr::ONE;
        let is_real: AB::Expr = r.is_real.into();

        // Exactly one class on real rows, none (and no decoded field at all) on padding rows.
        b.assert_bool(r.is_real);
        let mut class_sum = AB::Expr::ZERO;
        for f in c.as_array() {
            b.assert_bool(f);
            class_sum += f.into();
        }
        b.assert_eq(class_sum, is_real.clone());
        for f in d.as_array() {
            b.when(one.clone() - is_real.clone()).assert_zero(f);
        }
        let mut fetch = vec![r.pc.into()];
        fetch.extend(d.as_array().map(Into::into));
        PROGRAM.lookup_key(b, fetch, Count::bounded(is_real.clone(), 1));

        // Register accesses: slot 0 reads (its value is its previous value), slots 1–3 read or
        // write. `val[k]` / `prv[k]` are slot k's value and previous value.
        let s = &r.slots;
        let val: [[AB::Var; 4]; 4] = [r.read0.prev, s[0].value, s[1].value, s[2].value];
        let prv: [[AB::Var; 4]; 4] = [r.read0.prev, s[0].prev, s[1].prev, s[2].prev];
        let reg_addr = |k: usize| -> AB::Expr { AB::Expr::from_u32(REG_SPACE) + d.reg[k].into() };
        let clock = Clock::new(b, r.clk, r.clk_hi, is_real.clone());
        let m0: AB::Expr = d.mem[0].into();
        for i in 0..4 {
            b.when(one.clone() - m0.clone())
                .assert_zero(r.read0.prev[i]);
        }
        access_read(b, &r.read0, reg_addr(0), clock.at(0), m0);
        for (j, slot) in s.iter().enumerate() {
            let k = j + 1;
            let (m, w): (AB::Expr, AB::Expr) = (d.mem[k].into(), d.write[j].into());
            for i in 0..4 {
                b.when(m.clone() * (one.clone() - w.clone()))
                    .assert_eq(slot.value[i], slot.prev[i]);
                b.when((one.clone() - m.clone()) * (one.clone() - w.clone()))
                    .assert_zero(slot.value[i]);
                b.when(one.clone() - m.clone()).assert_zero(slot.prev[i]);
            }
            access(b, slot, reg_addr(k), clock.at(k as u32), m);
        }

        // Values written from the instruction itself, and register moves.
        let (v0, v1) = (val[0], val[1]);
        for i in 0..4 {
            b.when(d.imm_to_s1).assert_eq(v1[i], d.imm[i]);
            b.when(c.mov).assert_eq(v1[i], v0[i]);
        }

        // Comparison: x = slot 0 against rt, the immediate or 0; MOVZ/MOVN test slot 1 against 0.
        let movzn: AB::Expr = c.movz.into() + c.movn.into();
        let mut sq = AB::Expr::ZERO;
        for i in 0..4 {
            let plain =
                v0[i].into() - d.cmp_rt.into() * v1[i].into() - d.cmp_imm.into() * d.imm[i].into();
            let expect = (one.clone() - movzn.clone()) * plain + movzn.clone() * v1[i].into();
            b.assert_eq(r.cmp_diff[i], expect);
            b.when(r.cmp_eq).assert_zero(r.cmp_diff[i]);
            sq += r.cmp_diff[i].into() * r.cmp_diff[i].into();
        }
        b.assert_bool(r.cmp_eq);
        b.assert_eq(one.clone() - r.cmp_eq.into(), r.cmp_inv.into() * sq);
        b.when(c.teq).assert_zero(r.cmp_eq);
        b.when(c.tne).assert_one(r.cmp_eq);

        // The sign of slot 0 (the branch-on-sign comparisons) through the byte table's MSB
        // answers, and a register jump target below the field (top byte ≤ 0x7e, so it names a
        // pc): two degree-1 lookups, which share a column.
        let sign_kinds: AB::Expr =
            c.br_ltz.into() + c.br_gez.into() + c.br_lez.into() + c.br_gtz.into();
        msb(b, val[0][3].into(), r.sign_b.into(), sign_kinds);
        msb(
            b,
            val[0][3].into() + one.clone(),
            AB::Expr::ZERO,
            c.jr.into(),
        );

        // Branch condition / conditional move.
        let (eq, sb): (AB::Expr, AB::Expr) = (r.cmp_eq.into(), r.sign_b.into());
        let taken = c.br_eq.into() * eq.clone()
            + c.br_ne.into() * (one.clone() - eq.clone())
            + c.br_ltz.into() * sb.clone()
            + c.br_gez.into() * (one.clone() - sb.clone())
            + c.br_lez.into() * (sb.clone() + eq.clone())
            + c.br_gtz.into() * (one.clone() - sb - eq.clone())
            + c.movz.into() * eq.clone()
            + c.movn.into() * (one.clone() - eq);
        b.assert_eq(r.taken, taken);
        for i in 0..4 {
            let moved = r.taken.into() * val[0][i].into()
                + (one.clone() - r.taken.into()) * prv[2][i].into();
            b.when(movzn.clone()).assert_eq(val[2][i], moved);
        }
        b.assert_eq(r.nullify, d.likely.into() * (one.clone() - r.taken.into()));

        // Next pcs.
        let is_branch: AB::Expr = c.branches().into_iter().map(Into::into).sum();
        let npc4: AB::Expr = r.npc.into() + AB::Expr::from_u8(4);
        let jr_target: AB::Expr = (0..4)
            .map(|i| val[0][i].into() * AB::Expr::from_u32(1 << (8 * i)))
            .sum();
        let new_npc = npc4.clone()
            + AB::Expr::from_u8(4) * r.nullify.into()
            + (is_branch.clone() * r.taken.into() + c.jump.into())
                * (d.target.into() - npc4.clone())
            + c.jr.into() * (jr_target - npc4);
        b.assert_eq(r.new_npc, new_npc);
        let is_control = is_branch + c.jump.into() + c.jr.into();
        b.when(r.in_delay).assert_zero(is_control.clone());

        // Halting: only a syscall halts, and nothing runs after it.
        b.assert_bool(r.halted);
        b.assert_bool(r.is_halt);
        b.when(r.is_halt).assert_one(c.syscall);
        b.when(r.halted).assert_zero(r.is_real);

        // Transitions (padding rows keep the state).
        let mut t = b.when_transition();
        t.assert_eq(
            n.pc,
            r.pc.into()
                + is_real.clone()
                    * (r.npc.into() + r.nullify.into() * AB::Expr::from_u8(4) - r.pc.into()),
        );
        t.assert_eq(
            n.npc,
            r.npc.into() + is_real.clone() * (r.new_npc.into() - r.npc.into()),
        );
        t.assert_eq(n.clk, r.clk.into() + is_real.clone() * AB::Expr::from_u8(8));
        // A nullified branch-likely skips its delay slot: what runs next is not in one.
        t.assert_eq(
            n.in_delay,
            r.in_delay.into()
                + is_real.clone() * (is_control - r.nullify.into() - r.in_delay.into()),
        );
        t.assert_eq(n.halted, r.halted.into() + r.is_halt.into());
        t.when(n.is_real).assert_one(r.is_real);

        // Boundaries.
        let state = [r.pc, r.npc, r.clk, r.in_delay, r.halted];
        for (k, v) in state.iter().enumerate() {
            b.when_first_row().assert_eq(*v, publics[k].clone());
            b.when_last_row()
                .assert_eq(*v, publics[NUM_BOUNDARY + k].clone());
        }
        b.when_last_row().assert_zero(r.is_real);

        // Requests to the chips that constrain each operation: one per class that has one,
        // the classes are one-hot, so they share one exclusive column of the dispatch bus.
        // Every payload field is a column (degree 1): MUL64's accumulator and INS's old rt are
        // the previous HI/LO and rt whatever the instruction, and the chips that answer
        // ignore them for MULT/MULTU and EXT.
        let op: AB::Expr = d.sub_op.into();
        let (s0, s1, s2, s3) = (
            word::<AB>(&val[0]),
            word::<AB>(&val[1]),
            word::<AB>(&val[2]),
            word::<AB>(&val[3]),
        );
        let imm = word::<AB>(&d.imm);
        let alu = |x: &[AB::Expr; 4], y: &[AB::Expr; 4], z: &[AB::Expr; 4]| {
            let mut t = vec![op.clone()];
            t.extend(x.iter().chain(y).chain(z).cloned());
            ALU.tuple(t)
        };
        let expect = [
            d.expect.into(),
            AB::Expr::ZERO,
            AB::Expr::ZERO,
            AB::Expr::ZERO,
        ];
        // A compare trap tests rs against rt or the immediate: the other one is zero (the
        // immediate of the register forms is 0, and the immediate forms access no slot 1).
        let s1_or_imm: [AB::Expr; 4] = core::array::from_fn(|i| s1[i].clone() + imm[i].clone());
        let prev = |k: usize| word::<AB>(&prv[k]);
        let mut mul = vec![op.clone()];
        mul.extend(s2.iter().chain(&s3).chain(&s0).chain(&s1).cloned());
        mul.extend(prev(2).into_iter().chain(prev(3)));
        let mut div = vec![op.clone()];
        div.extend(s3.iter().chain(&s2).chain(&s0).chain(&s1).cloned());
        let mut bitfield = vec![op.clone()];
        bitfield.extend(s1.iter().chain(&s0).cloned());
        bitfield.extend(prev(1));
        bitfield.extend([d.imm[0].into(), d.imm[1].into()]);
        let mut mem = vec![op.clone(), r.clk.into()];
        mem.extend(s0.iter().chain(&imm).cloned());
        mem.extend(prev(1).into_iter().chain(s1.iter().cloned()));
        // The LL link (slots 2 and 3 of LL and SC; zero for other loads and stores).
        mem.extend(s2.iter().chain(&s3).cloned());
        let branches: Vec<(AB::Expr, Vec<AB::Expr>)> = vec![
            (c.alu_rrr.into(), alu(&s2, &s0, &s1)),
            (c.alu_rri.into(), alu(&s1, &s0, &imm)),
            (c.alu_var.into(), alu(&s2, &s1, &s0)),
            (c.trap_cmp.into(), alu(&expect, &s0, &s1_or_imm)),
            (c.mul64.into(), MUL64.tuple(mul)),
            (c.div.into(), DIVREM.tuple(div)),
            (c.bitfield.into(), BITFIELD.tuple(bitfield)),
            (c.load_store.into(), MEM_INSTR.tuple(mem)),
            (
                c.syscall.into(),
                SYSCALL.tuple([r.clk.into(), r.is_halt.into()]),
            ),
        ];
        DISPATCH.lookup_key_exclusive(b, branches);
    }
}

/// Looks up `(Msb, x, 0, bit)`: `x` is a byte with top bit `bit`.
pub(crate) fn msb<AB: AirBuilder<F = F> + InteractionBuilder>(
    b: &mut AB,
    x: AB::Expr,
    bit: AB::Expr,
    count: AB::Expr,
) {
    let key = [AB::Expr::from_u8(ByteOp::Msb as u8), x, AB::Expr::ZERO, bit];
    BYTE.lookup_key(b, key, Count::bounded(count, 1));
}
