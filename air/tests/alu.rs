//! ALU chips on the requests of real guest runs: constraints hold, the `alu` and `byte` buses
//! balance against a CPU stand-in, tampering is caught, and Plonky3 proves and verifies them.

use std::sync::Arc;

use mipstark_air::alu::add_sub::AddSubChip;
use mipstark_air::alu::bitmanip::BitManipChip;
use mipstark_air::alu::bitwise::{self, BitwiseChip};
use mipstark_air::alu::events::{alu_events, AluEvent};
use mipstark_air::alu::lt::LtChip;
use mipstark_air::alu::shift::ShiftChip;
use mipstark_air::alu::word_bytes;
use mipstark_air::bus::{AluOp, ALU};
use mipstark_air::byte::{ByteChip, ByteLookups};
use mipstark_air::debug::{check_buses, check_chip, DebugError};
use mipstark_air::F;
use mipstark_emulator::{ExecConfig, Executor, GuestInput, Program};
use mipstark_prover_cpu_ref::{make_config, StarkParams};
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_batch_stark::{prove_batch, verify_batch, ProverData, StarkInstance};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

/// Sends each event on the `alu` bus, as the CPU chip will: `(op, a, b, c, is_real)`.
#[derive(Clone, Copy)]
struct AluSender;

const SENDER_COLS: usize = 14;

impl BaseAir<F> for AluSender {
    fn width(&self) -> usize {
        SENDER_COLS
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
}

impl<AB: AirBuilder<F = F> + InteractionBuilder> Air<AB> for AluSender {
    fn eval(&self, b: &mut AB) {
        let m = b.main();
        let r = m.current_slice().to_vec();
        b.assert_bool(r[13]);
        ALU.lookup_key(b, r[..13].to_vec(), Count::bounded(r[13].into(), 1));
    }
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

fn events_of(name: &str, hint: Option<u32>) -> Vec<AluEvent> {
    let program = Program::from_elf(&mipstark_tests::guests::zkvm_elf(name)).unwrap();
    let input = match hint {
        Some(h) => GuestInput::default().with_u32_hint(h),
        None => GuestInput::default(),
    };
    let mut ex = Executor::new(Arc::new(program.clone()), input, ExecConfig::default());
    ex.run_recording(1 << 24).unwrap().expect("halts");
    alu_events(&program, &ex.take_record())
}

fn sample_events() -> Vec<AluEvent> {
    let mut ev = events_of("insn_arith", None);
    ev.extend(events_of("sha256", Some(100)));
    ev.extend(events_of("keccak256", Some(40)).into_iter().take(3000));
    for op in [
        AluOp::Add,
        AluOp::Sub,
        AluOp::And,
        AluOp::Or,
        AluOp::Xor,
        AluOp::Nor,
        AluOp::Slt,
        AluOp::Sltu,
        AluOp::Sll,
        AluOp::Srl,
        AluOp::Sra,
        AluOp::Rotr,
    ] {
        for (b, c) in [
            (0u32, 0u32),
            (u32::MAX, 1),
            (0x8000_0000, 0x8000_0000),
            (0, u32::MAX),
            (0x7fff_ffff, 0xffff_ffff),
            (0x8123_4567, 31),
            (0x8123_4567, 8),
            (0xf00f_1234, 13),
            (0x1234_5678, 0xffff_ffe4),
        ] {
            ev.push(AluEvent {
                op,
                a: op.eval(b, c),
                b,
                c,
            });
        }
    }
    for op in [AluOp::Clz, AluOp::Clo, AluOp::Seb, AluOp::Seh, AluOp::Wsbh] {
        for b in [
            0u32,
            1,
            0x80,
            0xff,
            0x7f80,
            0x8000,
            0xffff_ffff,
            0x8000_0000,
            0x00ff_0000,
            0x0001_0000,
            0xfffe_ffff,
            0x1234_5678,
        ] {
            ev.push(AluEvent {
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
    bitwise: RowMajorMatrix<F>,
    lt: RowMajorMatrix<F>,
    shift: RowMajorMatrix<F>,
    bitmanip: RowMajorMatrix<F>,
    sender: RowMajorMatrix<F>,
}

fn traces(events: &[AluEvent]) -> Traces {
    let mut bytes = ByteLookups::default();
    let add_sub = AddSubChip::generate_trace(events, &mut bytes);
    let bitwise = BitwiseChip::generate_trace(events, &mut bytes);
    let lt = LtChip::generate_trace(events, &mut bytes);
    let shift = ShiftChip::generate_trace(events, &mut bytes);
    let bitmanip = BitManipChip::generate_trace(events, &mut bytes);
    let byte = ByteChip::generate_trace(&bytes);
    let sender = sender_trace(events);
    Traces {
        byte,
        add_sub,
        bitwise,
        lt,
        shift,
        bitmanip,
        sender,
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
        (
            "sender",
            check_chip("sender", &AluSender, &t.sender, None, &[])?,
        ),
    ];
    let refs: Vec<(&str, &[_])> = ints.iter().map(|(n, i)| (*n, i.as_slice())).collect();
    check_buses(&refs)
}

#[test]
fn honest_alu_traces_satisfy_constraints_and_balance() {
    let events = sample_events();
    for op in [
        AluOp::Nor,
        AluOp::Sub,
        AluOp::Slt,
        AluOp::Sltu,
        AluOp::Sll,
        AluOp::Srl,
        AluOp::Sra,
        AluOp::Rotr,
    ] {
        assert!(
            events.iter().filter(|e| e.op == op).count() >= 5,
            "too few {op:?} events"
        );
    }
    check(&traces(&events)).unwrap();
}

#[test]
fn tampered_alu_traces_are_caught() {
    let events = sample_events();
    // A wrong sum byte breaks the carry chain.
    let mut t = traces(&events);
    t.add_sub.values[0] += F::ONE;
    assert!(
        matches!(check(&t), Err(DebugError::Constraint { ref chip, row: 0, .. }) if chip == "add_sub")
    );
    // A flipped carry also breaks it.
    let mut t = traces(&events);
    t.add_sub.values[12] = F::ONE - t.add_sub.values[12];
    assert!(matches!(check(&t), Err(DebugError::Constraint { ref chip, .. }) if chip == "add_sub"));
    // A wrong result requested by the CPU has no matching ALU row.
    let mut t = traces(&events);
    t.sender.values[1] += F::ONE;
    assert!(matches!(check(&t), Err(DebugError::Bus { ref bus, .. }) if bus == "alu"));
    // A bitwise answer the byte table does not hold (table_out edited along with a).
    let mut t = traces(&events);
    let row = (0..t.bitwise.values.len() / bitwise::NUM_COLS)
        .find(|r| t.bitwise.values[r * bitwise::NUM_COLS + 17] == F::ONE) // an AND row (is_and)
        .expect("an AND row");
    let at = row * bitwise::NUM_COLS;
    t.bitwise.values[at + 12] += F::ONE; // table_out[0]
    t.bitwise.values[at] += F::ONE; // a[0]: the row's own constraint still holds
    assert!(matches!(check(&t), Err(DebugError::Bus { .. })));
    // A shift result off by one bit breaks the chain or the byte selection.
    let mut t = traces(&events);
    t.shift.values[0] += F::ONE;
    assert!(matches!(check(&t), Err(DebugError::Constraint { ref chip, .. }) if chip == "shift"));
    // CLZ claiming one more leading zero than the top byte has.
    let mut t = traces(&events);
    t.bitmanip.values[0] += F::ONE;
    assert!(check(&t).is_err());
    // A comparison claiming the opposite answer breaks the borrow relation.
    let mut t = traces(&events);
    t.lt.values[0] = F::ONE - t.lt.values[0];
    assert!(matches!(check(&t), Err(DebugError::Constraint { ref chip, .. }) if chip == "lt"));
}

#[derive(Clone)]
enum AluAir {
    Byte(ByteChip),
    AddSub(AddSubChip),
    Bitwise(BitwiseChip),
    Lt(LtChip),
    Shift(ShiftChip),
    BitManip(BitManipChip),
    Sender(AluSender),
}

impl BaseAir<F> for AluAir {
    fn width(&self) -> usize {
        match self {
            AluAir::Byte(a) => a.width(),
            AluAir::AddSub(a) => a.width(),
            AluAir::Bitwise(a) => a.width(),
            AluAir::Lt(a) => a.width(),
            AluAir::Shift(a) => a.width(),
            AluAir::BitManip(a) => a.width(),
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
            AluAir::Bitwise(a) => a.eval(b),
            AluAir::Lt(a) => a.eval(b),
            AluAir::Shift(a) => a.eval(b),
            AluAir::BitManip(a) => a.eval(b),
            AluAir::Sender(a) => a.eval(b),
        }
    }
}

#[test]
fn alu_chips_prove_and_verify_with_plonky3() {
    let events = events_of("sha256", Some(64));
    let t = traces(&events);
    let airs = vec![
        AluAir::Byte(ByteChip),
        AluAir::AddSub(AddSubChip),
        AluAir::Bitwise(BitwiseChip),
        AluAir::Lt(LtChip),
        AluAir::Shift(ShiftChip),
        AluAir::BitManip(BitManipChip),
        AluAir::Sender(AluSender),
    ];
    let mats = [
        t.byte, t.add_sub, t.bitwise, t.lt, t.shift, t.bitmanip, t.sender,
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
    verify_batch(&config, &airs, &proof, &vec![vec![]; 7], &pd.common)
        .expect("Plonky3 verifies the ALU chips");
}
