//! ALU chips on the requests of real guest runs: constraints hold, the `alu` and `byte` buses
//! balance against a CPU stand-in, tampering is caught, and Plonky3 proves and verifies them.

use std::sync::Arc;

use mipstark_air::alu::add_sub::AddSubChip;
use mipstark_air::alu::add_sub_trap::{self, AddSubTrapChip};
use mipstark_air::alu::bitfield::BitfieldChip;
use mipstark_air::alu::bitmanip::BitManipChip;
use mipstark_air::alu::bitwise::{self, BitwiseChip};
use mipstark_air::alu::divrem::DivRemChip;
use mipstark_air::alu::events::{
    alu_events, bitfield_events, div_events, mul64_events, AluEvent, BitfieldEvent, DivEvent,
    Mul64Event,
};
use mipstark_air::alu::lt::LtChip;
use mipstark_air::alu::mul::MulChip;
use mipstark_air::alu::shift::ShiftChip;
use mipstark_air::alu::word_bytes;
use mipstark_air::bus::{
    AluOp, BitfieldOp, DivOp, Mul64Op, ALU, BITFIELD, DISPATCH, DIVREM, MUL64,
};
use mipstark_air::byte::{ByteChip, ByteLookups};
use mipstark_air::debug::{check_buses, check_chip, DebugError};
use mipstark_air::F;
use mipstark_emulator::{ExecConfig, Executor, GuestInput, Program};
use mipstark_prover_cpu_ref::{make_config, StarkParams};
mod common;

use common::{BusSender, SenderBus};
use p3_air::{Air, AirBuilder, BaseAir};
use p3_batch_stark::{prove_batch, verify_batch, ProverData, StarkInstance};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;

const SENDER_COLS: usize = 14;
/// The CPU's stand-ins: `(op, a, b, c)` on `alu`, `(op, hi, lo, b, c, acc_hi, acc_lo)` on `mul64`,
/// `(op, q, r, b, c)` on `divrem`, `(op, a, b, old, lsb, size − 1)` on `bitfield`.
const ALU_SENDER: BusSender = BusSender {
    bus: SenderBus::Dispatch(ALU),
    fields: SENDER_COLS - 1,
};
const MUL64_SENDER: BusSender = BusSender {
    bus: SenderBus::Dispatch(MUL64),
    fields: MUL64_COLS - 1,
};
const DIV_SENDER: BusSender = BusSender {
    bus: SenderBus::Dispatch(DIVREM),
    fields: DIV_COLS - 1,
};
const BITFIELD_SENDER: BusSender = BusSender {
    bus: SenderBus::Dispatch(BITFIELD),
    fields: BITFIELD_COLS - 1,
};

const MUL64_COLS: usize = 26;

fn mul64_sender_trace(events: &[Mul64Event]) -> RowMajorMatrix<F> {
    let h = events.len().next_power_of_two().max(1);
    let mut v = F::zero_vec(h * MUL64_COLS);
    for (row, e) in v.chunks_exact_mut(MUL64_COLS).zip(events) {
        row[0] = F::from_u8(e.op as u8);
        let words = [
            (e.result >> 32) as u32,
            e.result as u32,
            e.b,
            e.c,
            (e.acc >> 32) as u32,
            e.acc as u32,
        ];
        for (i, w) in words.iter().enumerate() {
            row[1 + 4 * i..5 + 4 * i].copy_from_slice(&word_bytes(*w));
        }
        row[25] = F::ONE;
    }
    RowMajorMatrix::new(v, MUL64_COLS)
}

const DIV_COLS: usize = 18;

fn div_sender_trace(events: &[DivEvent]) -> RowMajorMatrix<F> {
    let h = events.len().next_power_of_two().max(1);
    let mut v = F::zero_vec(h * DIV_COLS);
    for (row, e) in v.chunks_exact_mut(DIV_COLS).zip(events) {
        row[0] = F::from_u8(e.op as u8);
        for (i, w) in [e.q, e.r, e.b, e.c].iter().enumerate() {
            row[1 + 4 * i..5 + 4 * i].copy_from_slice(&word_bytes(*w));
        }
        row[17] = F::ONE;
    }
    RowMajorMatrix::new(v, DIV_COLS)
}

const BITFIELD_COLS: usize = 16;

fn bitfield_sender_trace(events: &[BitfieldEvent]) -> RowMajorMatrix<F> {
    let h = events.len().next_power_of_two().max(1);
    let mut v = F::zero_vec(h * BITFIELD_COLS);
    for (row, e) in v.chunks_exact_mut(BITFIELD_COLS).zip(events) {
        row[0] = F::from_u8(e.op as u8);
        for (i, w) in [e.a, e.b, e.old].iter().enumerate() {
            row[1 + 4 * i..5 + 4 * i].copy_from_slice(&word_bytes(*w));
        }
        row[13] = F::from_u32(e.lsb);
        row[14] = F::from_u32(e.size - 1);
        row[15] = F::ONE;
    }
    RowMajorMatrix::new(v, BITFIELD_COLS)
}

fn sender_trace(events: &[AluEvent]) -> RowMajorMatrix<F> {
    let h = events.len().next_power_of_two();
    let mut v = F::zero_vec(h * SENDER_COLS);
    for (row, e) in v.chunks_exact_mut(SENDER_COLS).zip(events) {
        row[0] = F::from_u8(e.op as u8);
        row[1..5].copy_from_slice(&word_bytes(e.a));
        row[5..9].copy_from_slice(&word_bytes(e.b));
        row[9..13].copy_from_slice(&word_bytes(e.c));
        row[13] = F::ONE;
    }
    RowMajorMatrix::new(v, SENDER_COLS)
}

/// ALU, HI/LO multiply and division requests of a run.
#[derive(Default)]
struct Events {
    alu: Vec<AluEvent>,
    mul64: Vec<Mul64Event>,
    div: Vec<DivEvent>,
    bitfield: Vec<BitfieldEvent>,
}

impl Events {
    fn extend(&mut self, other: Events) {
        self.alu.extend(other.alu);
        self.mul64.extend(other.mul64);
        self.div.extend(other.div);
        self.bitfield.extend(other.bitfield);
    }
}

fn events_of(name: &str, hint: Option<u32>) -> Events {
    let program = Program::from_elf(&mipstark_tests::guests::zkvm_elf(name)).unwrap();
    let input = match hint {
        Some(h) => GuestInput::default().with_u32_hint(h),
        None => GuestInput::default(),
    };
    let mut ex = Executor::new(Arc::new(program.clone()), input, ExecConfig::default());
    ex.run_recording(1 << 24).unwrap().expect("halts");
    let record = ex.take_record();
    let div = div_events(&record);
    for e in &div {
        assert_eq!(
            e.op.eval(e.b, e.c),
            (e.q, e.r),
            "the bus rule disagrees with the emulator on {e:?}"
        );
    }
    let bitfield = bitfield_events(&program, &record);
    Events {
        alu: alu_events(&program, &record),
        mul64: mul64_events(&record),
        div,
        bitfield,
    }
}

const EDGE_WORDS: [u32; 9] = [
    0,
    1,
    0x80,
    0xff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1234_5678,
    0xfffe_0001,
];

fn sample_events() -> Events {
    let mut ev = events_of("insn_arith", None);
    ev.extend(events_of("insn_muldiv", None));
    ev.extend(events_of("insn_bits", None));
    for lsb in [0u32, 1, 7, 8, 13, 31] {
        for size in [1u32, 2, 8, 9, 16, 32 - lsb] {
            if lsb + size > 32 {
                continue;
            }
            for (b, old) in [
                (0xdead_beefu32, 0x1111_1111u32),
                (u32::MAX, 0),
                (0, u32::MAX),
                (0x8000_0001, 0x7fff_fffe),
            ] {
                for op in [BitfieldOp::Ext, BitfieldOp::Ins] {
                    let old = if op == BitfieldOp::Ext { 0 } else { old };
                    ev.bitfield.push(BitfieldEvent {
                        op,
                        a: op.eval(b, old, lsb, size),
                        b,
                        old,
                        lsb,
                        size,
                    });
                }
            }
        }
    }
    ev.extend(events_of("sha256", Some(100)));
    let mut k = events_of("keccak256", Some(40));
    k.alu.truncate(3000);
    ev.extend(k);
    let binary = [
        AluOp::Add,
        AluOp::Sub,
        AluOp::And,
        AluOp::Or,
        AluOp::Xor,
        AluOp::Nor,
        AluOp::Slt,
        AluOp::Sltu,
        AluOp::Mul,
    ];
    let shifts = [AluOp::Sll, AluOp::Srl, AluOp::Sra, AluOp::Rotr];
    let unary = [AluOp::Clz, AluOp::Clo, AluOp::Seb, AluOp::Seh, AluOp::Wsbh];
    for b in EDGE_WORDS {
        for c in EDGE_WORDS {
            for op in [AluOp::AddTrap, AluOp::SubTrap] {
                if !op.overflows(b, c) {
                    ev.alu.push(AluEvent {
                        op,
                        a: op.eval(b, c),
                        b,
                        c,
                    });
                }
            }
            for op in binary {
                ev.alu.push(AluEvent {
                    op,
                    a: op.eval(b, c),
                    b,
                    c,
                });
            }
            for op in Mul64Op::ALL {
                let acc = ((c as u64) << 32) | b as u64;
                let acc = if matches!(op, Mul64Op::Mult | Mul64Op::Multu) {
                    0
                } else {
                    acc
                };
                ev.mul64.push(Mul64Event {
                    op,
                    b,
                    c,
                    acc,
                    result: op.eval(b, c, acc),
                });
            }
            for op in [DivOp::Div, DivOp::Divu] {
                let (q, r) = op.eval(b, c);
                ev.div.push(DivEvent { op, b, c, q, r });
            }
        }
        for op in shifts {
            for c in [0u32, 1, 7, 8, 13, 31, 0xffff_ffe4] {
                ev.alu.push(AluEvent {
                    op,
                    a: op.eval(b, c),
                    b,
                    c,
                });
            }
        }
        for op in unary {
            ev.alu.push(AluEvent {
                op,
                a: op.eval(b, 0),
                b,
                c: 0,
            });
        }
    }
    ev
}

struct Traces {
    byte: RowMajorMatrix<F>,
    add_sub: RowMajorMatrix<F>,
    add_sub_trap: RowMajorMatrix<F>,
    bitwise: RowMajorMatrix<F>,
    lt: RowMajorMatrix<F>,
    shift: RowMajorMatrix<F>,
    bitmanip: RowMajorMatrix<F>,
    mul: RowMajorMatrix<F>,
    div: RowMajorMatrix<F>,
    bitfield: RowMajorMatrix<F>,
    sender: RowMajorMatrix<F>,
    mul64_sender: RowMajorMatrix<F>,
    div_sender: RowMajorMatrix<F>,
    bitfield_sender: RowMajorMatrix<F>,
}

fn traces(ev: &Events) -> Traces {
    let mut bytes = ByteLookups::default();
    let add_sub = AddSubChip::generate_trace(&ev.alu, &mut bytes);
    let add_sub_trap = AddSubTrapChip::generate_trace(&ev.alu, &mut bytes);
    let bitwise = BitwiseChip::generate_trace(&ev.alu, &mut bytes);
    let lt = LtChip::generate_trace(&ev.alu, &mut bytes);
    // The bit-field chip's shift requests are answered by the shift chip too.
    let shifts: Vec<AluEvent> = ev
        .alu
        .iter()
        .copied()
        .chain(BitfieldChip::alu_requests(&ev.bitfield))
        .collect();
    let shift = ShiftChip::generate_trace(&shifts, &mut bytes);
    let bitmanip = BitManipChip::generate_trace(&ev.alu, &mut bytes);
    let mul = MulChip::generate_trace(&ev.alu, &ev.mul64, &mut bytes);
    let div = DivRemChip::generate_trace(&ev.div, &mut bytes);
    let bitfield = BitfieldChip::generate_trace(&ev.bitfield, &mut bytes);
    let byte = ByteChip::generate_trace(&bytes);
    let sender = sender_trace(&ev.alu);
    let mul64_sender = mul64_sender_trace(&ev.mul64);
    let div_sender = div_sender_trace(&ev.div);
    let bitfield_sender = bitfield_sender_trace(&ev.bitfield);
    Traces {
        byte,
        add_sub,
        add_sub_trap,
        bitwise,
        lt,
        shift,
        bitmanip,
        mul,
        div,
        bitfield,
        sender,
        mul64_sender,
        div_sender,
        bitfield_sender,
    }
}

fn check(t: &Traces) -> Result<(), DebugError> {
    let pre = ByteChip::preprocessed();
    let ints = [
        (
            "byte",
            check_chip("byte", &ByteChip, &t.byte, Some(&pre), &[])?,
        ),
        (
            "add_sub",
            check_chip("add_sub", &AddSubChip, &t.add_sub, None, &[])?,
        ),
        (
            "add_sub_trap",
            check_chip("add_sub_trap", &AddSubTrapChip, &t.add_sub_trap, None, &[])?,
        ),
        (
            "bitwise",
            check_chip("bitwise", &BitwiseChip, &t.bitwise, None, &[])?,
        ),
        ("lt", check_chip("lt", &LtChip, &t.lt, None, &[])?),
        (
            "shift",
            check_chip("shift", &ShiftChip, &t.shift, None, &[])?,
        ),
        (
            "bitmanip",
            check_chip("bitmanip", &BitManipChip, &t.bitmanip, None, &[])?,
        ),
        ("mul", check_chip("mul", &MulChip, &t.mul, None, &[])?),
        ("div", check_chip("div", &DivRemChip, &t.div, None, &[])?),
        (
            "sender",
            check_chip("sender", &ALU_SENDER, &t.sender, None, &[])?,
        ),
        (
            "mul64_sender",
            check_chip("mul64_sender", &MUL64_SENDER, &t.mul64_sender, None, &[])?,
        ),
        (
            "div_sender",
            check_chip("div_sender", &DIV_SENDER, &t.div_sender, None, &[])?,
        ),
        (
            "bitfield",
            check_chip("bitfield", &BitfieldChip, &t.bitfield, None, &[])?,
        ),
        (
            "bitfield_sender",
            check_chip(
                "bitfield_sender",
                &BITFIELD_SENDER,
                &t.bitfield_sender,
                None,
                &[],
            )?,
        ),
    ];
    let refs: Vec<(&str, &[_])> = ints.iter().map(|(n, i)| (*n, i.as_slice())).collect();
    check_buses(&refs)
}

#[test]
fn honest_alu_traces_satisfy_constraints_and_balance() {
    let ev = sample_events();
    for op in [
        AluOp::Nor,
        AluOp::Sub,
        AluOp::AddTrap,
        AluOp::SubTrap,
        AluOp::Slt,
        AluOp::Sltu,
        AluOp::Sll,
        AluOp::Srl,
        AluOp::Sra,
        AluOp::Rotr,
        AluOp::Clz,
        AluOp::Mul,
    ] {
        assert!(
            ev.alu.iter().filter(|e| e.op == op).count() >= 5,
            "too few {op:?} events"
        );
    }
    assert!(
        ev.mul64.len() > 6 * 81,
        "the guests' MULT/MADD/MSUB requests are missing"
    );
    assert!(
        ev.div.len() > 2 * 81,
        "the guests' DIV/DIVU requests are missing"
    );
    assert!(ev.bitfield.len() > 100, "the EXT/INS requests are missing");
    check(&traces(&ev)).unwrap();
}

#[test]
fn tampered_alu_traces_are_caught() {
    let ev = sample_events();
    let constraint_in = |t: &Traces, chip: &str| matches!(check(t), Err(DebugError::Constraint { chip: ref c, .. }) if c == chip);
    // A wrong sum byte breaks the carry chain.
    let mut t = traces(&ev);
    t.add_sub.values[0] += F::ONE;
    assert!(constraint_in(&t, "add_sub"));
    // A flipped carry also breaks it.
    let mut t = traces(&ev);
    t.add_sub.values[12] = F::ONE - t.add_sub.values[12];
    assert!(constraint_in(&t, "add_sub"));
    // A wrong result requested by the CPU has no matching ALU row.
    let mut t = traces(&ev);
    t.sender.values[1] += F::ONE;
    assert!(
        matches!(check(&t), Err(DebugError::Bus { ref bus, ref fields, .. })
        if bus == DISPATCH.name() && fields[0] == ALU.tag as u32)
    );
    // A bitwise answer the byte table does not hold (table_out edited along with a).
    let mut t = traces(&ev);
    let row = (0..t.bitwise.values.len() / bitwise::NUM_COLS)
        .find(|r| t.bitwise.values[r * bitwise::NUM_COLS + 17] == F::ONE) // an AND row (is_and)
        .expect("an AND row");
    let at = row * bitwise::NUM_COLS;
    t.bitwise.values[at + 12] += F::ONE; // table_out[0]
    t.bitwise.values[at] += F::ONE; // a[0]: the row's own constraint still holds
    assert!(matches!(check(&t), Err(DebugError::Bus { .. })));
    // A shift result off by one breaks the chain or the byte selection.
    let mut t = traces(&ev);
    t.shift.values[0] += F::ONE;
    assert!(constraint_in(&t, "shift"));
    // CLZ claiming one more leading zero than the top byte has.
    let mut t = traces(&ev);
    t.bitmanip.values[0] += F::ONE;
    assert!(check(&t).is_err());
    // A product byte off by one (HI of a MULT) breaks the multiplication chain.
    let mut t = traces(&ev);
    t.mul.values[8 + 4] += F::ONE; // r[4], the low byte of HI
    assert!(constraint_in(&t, "mul"));
    // A quotient one too small with the remainder grown to keep b = q·c + r: the bound fails.
    let w = mipstark_air::alu::divrem::NUM_COLS;
    let row = ev
        .div
        .iter()
        .position(|e| e.op == DivOp::Divu && e.c == 0x1234_5678 && e.b == u32::MAX)
        .expect("a DIVU row");
    let e = ev.div[row];
    let (q, r) = (e.q - 1, e.r + e.c);
    let mut t = traces(&ev);
    t.div.values[row * w + 8..row * w + 12].copy_from_slice(&word_bytes(q));
    t.div.values[row * w + 12..row * w + 16].copy_from_slice(&word_bytes(r));
    t.div_sender.values[row * DIV_COLS + 1..row * DIV_COLS + 5].copy_from_slice(&word_bytes(q));
    t.div_sender.values[row * DIV_COLS + 5..row * DIV_COLS + 9].copy_from_slice(&word_bytes(r));
    assert!(check(&t).is_err());
    // Claiming the zero-divisor rule for a non-zero divisor.
    let mut t = traces(&ev);
    let row = ev
        .div
        .iter()
        .position(|e| e.c == 1 && e.b == 0x80)
        .expect("a /1 row");
    t.div.values[row * w + 20] = F::ONE; // c_zero
    assert!(constraint_in(&t, "div"));
    // An INS result with a bit outside the field flipped.
    let mut t = traces(&ev);
    let row = ev
        .bitfield
        .iter()
        .position(|e| e.op == BitfieldOp::Ins && e.lsb == 8 && e.size == 8)
        .expect("an INS row");
    t.bitfield.values[row * mipstark_air::alu::bitfield::NUM_COLS] += F::ONE; // a[0], outside the field
    assert!(constraint_in(&t, "bitfield"));
    // A trapping addition that overflowed (honest chain and sign bits, forged to run on) is
    // caught by the no-overflow constraint, and by nothing else.
    for (op, b, c) in [
        (AluOp::AddTrap, 0x7fff_ffffu32, 1u32),
        (AluOp::AddTrap, 0x8000_0000, 0x8000_0000),
        (AluOp::SubTrap, 0x8000_0000, 1),
        (AluOp::SubTrap, 0x7fff_ffff, 0xffff_ffff),
    ] {
        assert!(op.overflows(b, c));
        let e = AluEvent {
            op,
            a: op.eval(b, c),
            b,
            c,
        };
        let mut bytes = ByteLookups::default();
        let forged = AddSubTrapChip::generate_trace(&[e], &mut bytes);
        let verdict = check_chip("add_sub_trap", &AddSubTrapChip, &forged, None, &[]);
        assert!(
            matches!(verdict, Err(DebugError::Constraint { ref chip, .. }) if chip == "add_sub_trap"),
            "{op:?}({b:#x}, {c:#x}): {verdict:?}"
        );
        let idx: Vec<usize> = (0..add_sub_trap::NUM_COLS).collect();
        let cols: &add_sub_trap::AddSubTrapCols<usize> = mipstark_air::cols(&idx);
        let mut no_check = forged.clone();
        no_check.values[cols.same_sign] = F::ZERO;
        assert!(
            check_chip("add_sub_trap", &AddSubTrapChip, &no_check, None, &[]).is_err(),
            "same_sign is forced by the signs"
        );
    }
    // A comparison claiming the opposite answer breaks the borrow relation.
    let mut t = traces(&ev);
    t.lt.values[0] = F::ONE - t.lt.values[0];
    assert!(constraint_in(&t, "lt"));
}

#[derive(Clone)]
enum AluAir {
    Byte(ByteChip),
    AddSub(AddSubChip),
    AddSubTrap(AddSubTrapChip),
    Bitwise(BitwiseChip),
    Lt(LtChip),
    Shift(ShiftChip),
    BitManip(BitManipChip),
    Mul(MulChip),
    Div(DivRemChip),
    Bitfield(BitfieldChip),
    Sender(BusSender),
}

impl BaseAir<F> for AluAir {
    fn width(&self) -> usize {
        match self {
            AluAir::Byte(a) => a.width(),
            AluAir::AddSub(a) => a.width(),
            AluAir::AddSubTrap(a) => a.width(),
            AluAir::Bitwise(a) => a.width(),
            AluAir::Lt(a) => a.width(),
            AluAir::Shift(a) => a.width(),
            AluAir::BitManip(a) => a.width(),
            AluAir::Mul(a) => a.width(),
            AluAir::Div(a) => a.width(),
            AluAir::Bitfield(a) => a.width(),
            AluAir::Sender(a) => a.width(),
        }
    }
    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<F>> {
        match self {
            AluAir::Byte(a) => a.preprocessed_trace(),
            _ => None,
        }
    }
    fn preprocessed_width(&self) -> usize {
        match self {
            AluAir::Byte(a) => a.preprocessed_width(),
            _ => 0,
        }
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
    fn preprocessed_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
}

impl<AB: AirBuilder<F = F> + InteractionBuilder> Air<AB> for AluAir {
    fn eval(&self, b: &mut AB) {
        match self {
            AluAir::Byte(a) => a.eval(b),
            AluAir::AddSub(a) => a.eval(b),
            AluAir::AddSubTrap(a) => a.eval(b),
            AluAir::Bitwise(a) => a.eval(b),
            AluAir::Lt(a) => a.eval(b),
            AluAir::Shift(a) => a.eval(b),
            AluAir::BitManip(a) => a.eval(b),
            AluAir::Mul(a) => a.eval(b),
            AluAir::Div(a) => a.eval(b),
            AluAir::Bitfield(a) => a.eval(b),
            AluAir::Sender(a) => a.eval(b),
        }
    }
}

#[test]
fn alu_chips_prove_and_verify_with_plonky3() {
    let mut ev = events_of("sha256", Some(64));
    ev.extend(events_of("insn_muldiv", None));
    ev.extend(events_of("insn_bits", None));
    let t = traces(&ev);
    let airs = vec![
        AluAir::Byte(ByteChip),
        AluAir::AddSub(AddSubChip),
        AluAir::AddSubTrap(AddSubTrapChip),
        AluAir::Bitwise(BitwiseChip),
        AluAir::Lt(LtChip),
        AluAir::Shift(ShiftChip),
        AluAir::BitManip(BitManipChip),
        AluAir::Mul(MulChip),
        AluAir::Div(DivRemChip),
        AluAir::Bitfield(BitfieldChip),
        AluAir::Sender(ALU_SENDER),
        AluAir::Sender(MUL64_SENDER),
        AluAir::Sender(DIV_SENDER),
        AluAir::Sender(BITFIELD_SENDER),
    ];
    let mats = [
        t.byte,
        t.add_sub,
        t.add_sub_trap,
        t.bitwise,
        t.lt,
        t.shift,
        t.bitmanip,
        t.mul,
        t.div,
        t.bitfield,
        t.sender,
        t.mul64_sender,
        t.div_sender,
        t.bitfield_sender,
    ];
    let config = make_config(StarkParams::TESTING);
    let instances: Vec<StarkInstance<'_, _, AluAir>> = airs
        .iter()
        .zip(mats.iter())
        .map(|(air, trace)| StarkInstance {
            air,
            trace,
            public_values: vec![],
        })
        .collect();
    let pd = ProverData::from_instances(&config, &instances).unwrap();
    let proof = prove_batch(&config, &instances, &pd).unwrap();
    verify_batch(
        &config,
        &airs,
        &proof,
        &vec![vec![]; airs.len()],
        &pd.common,
    )
    .expect("Plonky3 verifies the ALU chips");
}
