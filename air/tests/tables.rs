//! The byte and program tables: honest traces satisfy every constraint and balance their buses,
//! tampering is named precisely, and both prove and verify with Plonky3's batch STARK
//! (so Plonky3's own verifier accepts our chips).

use std::sync::Arc;

use mipstark_air::bus::{ByteOp, BYTE, PROGRAM};
use mipstark_air::byte::{ByteChip, ByteLookups};
use mipstark_air::debug::{check_buses, check_chip, DebugError};
use mipstark_air::program::decode::NUM_DECODED;
use mipstark_air::program::ProgramChip;
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
use rand::{Rng, SeedableRng};

/// Looks up `(op, x, y, z)` rows on the byte bus.
const BYTE_USER: BusSender = BusSender {
    bus: SenderBus::Plain(BYTE),
    fields: 4,
};
/// Fetches `(pc, decoded fields)` like the CPU does.
const FETCHER: BusSender = BusSender {
    bus: SenderBus::Plain(PROGRAM),
    fields: 1 + NUM_DECODED,
};

/// Plonky3's batch prover takes one AIR type: the test chips as an enum.
#[derive(Clone)]
enum TestAir {
    Byte(ByteChip),
    Sender(BusSender),
    Program(ProgramChip),
}

impl BaseAir<F> for TestAir {
    fn width(&self) -> usize {
        match self {
            TestAir::Byte(a) => a.width(),
            TestAir::Sender(a) => a.width(),
            TestAir::Program(a) => a.width(),
        }
    }
    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<F>> {
        match self {
            TestAir::Byte(a) => a.preprocessed_trace(),
            TestAir::Program(a) => a.preprocessed_trace(),
            _ => None,
        }
    }
    fn preprocessed_width(&self) -> usize {
        match self {
            TestAir::Byte(a) => a.preprocessed_width(),
            TestAir::Program(a) => a.preprocessed_width(),
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

impl<AB: AirBuilder<F = F> + InteractionBuilder> Air<AB> for TestAir {
    fn eval(&self, b: &mut AB) {
        match self {
            TestAir::Byte(a) => a.eval(b),
            TestAir::Sender(a) => a.eval(b),
            TestAir::Program(a) => a.eval(b),
        }
    }
}

fn byte_user_trace(rows: usize, seed: u64) -> (RowMajorMatrix<F>, ByteLookups) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut lookups = ByteLookups::default();
    let mut v = Vec::new();
    for i in 0..rows {
        let op = ByteOp::ALL[rng.gen_range(0..ByteOp::ALL.len())];
        let (x, y): (u8, u8) = (rng.gen(), if op.is_unary() { 0 } else { rng.gen() });
        let real = i % 5 != 4; // some padding rows
        if real {
            lookups.add(op, x, y);
        }
        v.extend(op.table_tuple(x, y).map(F::from_u32));
        v.push(F::from_bool(real));
    }
    (RowMajorMatrix::new(v, 5), lookups)
}

#[test]
fn byte_table_balances_and_names_tampering() {
    let (user, lookups) = byte_user_trace(256, 1);
    let table = ByteChip::generate_trace(&lookups);
    let pre = ByteChip::preprocessed();
    let t = check_chip("byte", &ByteChip, &table, Some(&pre), &[]).unwrap();
    let u = check_chip("user", &BYTE_USER, &user, None, &[]).unwrap();
    check_buses(&[("byte", &t), ("user", &u)]).unwrap();

    // A wrong AND answer is a tuple the table does not have.
    let mut bad = user.clone();
    let row = (0..256)
        .find(|r| bad.values[5 * r] == F::from_u8(ByteOp::And as u8) && r % 5 != 4)
        .unwrap();
    bad.values[5 * row + 3] += F::ONE;
    let u = check_chip("user", &BYTE_USER, &bad, None, &[]).unwrap();
    assert!(matches!(
        check_buses(&[("byte", &t), ("user", &u)]),
        Err(DebugError::Bus { .. })
    ));
    // A non-boolean is_real is named as constraint 0 of the user chip on that row.
    let mut bad = user.clone();
    bad.values[5 * 7 + 4] = F::TWO;
    assert_eq!(
        check_chip("user", &BYTE_USER, &bad, None, &[]).unwrap_err(),
        DebugError::Constraint {
            chip: "user".into(),
            row: 7,
            constraint: 0,
            value: 2
        }
    );
}

fn fib_record() -> (Program, mipstark_emulator::ExecutionRecord) {
    let elf = mipstark_tests::guests::zkvm_elf("fibonacci");
    let program = Program::from_elf(&elf).unwrap();
    let mut ex = Executor::new(
        Arc::new(program.clone()),
        GuestInput::default().with_u32_hint(20),
        ExecConfig::default(),
    );
    ex.run_recording(1 << 20).unwrap().expect("halts");
    (program, ex.take_record())
}

fn fetch_trace(
    program: &Program,
    record: &mipstark_emulator::ExecutionRecord,
) -> RowMajorMatrix<F> {
    let chip = ProgramChip::new(program).unwrap();
    let w = FETCHER.fields + 1;
    let mut v = Vec::new();
    for s in &record.steps {
        v.push(F::from_u32(s.pc));
        v.extend(chip.decoded(s.pc).unwrap().to_field().as_array());
        v.push(F::ONE);
    }
    let h = record.steps.len().next_power_of_two();
    v.resize(h * w, F::ZERO);
    RowMajorMatrix::new(v, w)
}

#[test]
fn program_table_matches_fetches_of_a_real_run() {
    let (program, record) = fib_record();
    let chip = ProgramChip::new(&program).unwrap();
    let table = chip.generate_trace(&record).unwrap();
    let pre = chip.preprocessed_trace().unwrap();
    let fetches = fetch_trace(&program, &record);
    let t = check_chip("program", &chip, &table, Some(&pre), &[]).unwrap();
    let f = check_chip("fetch", &FETCHER, &fetches, None, &[]).unwrap();
    check_buses(&[("program", &t), ("fetch", &f)]).unwrap();
    // Fetching a different decoded field (slot 0's register) at a real pc is caught.
    let mut bad = fetches.clone();
    bad.values[(FETCHER.fields + 1) * 3 + 1] += F::ONE;
    let f = check_chip("fetch", &FETCHER, &bad, None, &[]).unwrap();
    assert!(matches!(
        check_buses(&[("program", &t), ("fetch", &f)]),
        Err(DebugError::Bus { .. })
    ));
}

#[test]
fn tables_prove_and_verify_with_plonky3() {
    let (program, record) = fib_record();
    let pchip = ProgramChip::new(&program).unwrap();
    let (user, lookups) = byte_user_trace(1 << 10, 2);
    let traces = [
        ByteChip::generate_trace(&lookups),
        user,
        pchip.generate_trace(&record).unwrap(),
        fetch_trace(&program, &record),
    ];
    let airs = vec![
        TestAir::Byte(ByteChip),
        TestAir::Sender(BYTE_USER),
        TestAir::Program(pchip),
        TestAir::Sender(FETCHER),
    ];
    let config = make_config(StarkParams::TESTING);
    let instances: Vec<StarkInstance<'_, _, TestAir>> = airs
        .iter()
        .zip(traces.iter())
        .map(|(air, trace)| StarkInstance {
            air,
            trace,
            public_values: vec![],
        })
        .collect();
    let pd = ProverData::from_instances(&config, &instances).unwrap();
    let proof = prove_batch(&config, &instances, &pd).unwrap();
    let pvs = vec![vec![]; 4];
    verify_batch(&config, &airs, &proof, &pvs, &pd.common)
        .expect("Plonky3 verifies the table chips");
}
