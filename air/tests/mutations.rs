//! Malicious traces, chip by chip: take honest executions, change one cell of one chip on a
//! row that does something, and check the change is caught — by one of the chip's own
//! constraints, by a lookup of a tuple that is not in a fixed table (the byte table, the
//! program table), or by a bus that no longer balances.
//!
//! Every column of every chip is tried on several live rows with three kinds of change, and
//! the tally per chip is printed (`cargo test -p mipstark-air --test mutations -- --nocapture`).
//! A change nothing catches is a column the prover can set freely: the test fails and names it,
//! unless it is one of the few witness columns listed in [`free_witness`] with the reason it is
//! harmless.

use std::collections::{BTreeMap, HashMap, HashSet};

use mipstark_air::debug::{check_chip, check_rows, Interaction};
use mipstark_air::machine::{Machine, MipsAir};
use mipstark_air::F;
use p3_air::BaseAir;
use p3_field::{PrimeCharacteristicRing, PrimeField32};
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Guests that together reach every chip and most instruction classes, with the shard size
/// (in steps) they are recorded in: small enough that each trace stays short.
const RUNS: &[(&str, Option<u32>, u64)] = &[
    ("insn_arith", None, 1 << 11),
    ("insn_bits", None, 1 << 11),
    ("insn_branch", None, 1 << 11),
    ("insn_llsc", None, 1 << 11),
    ("insn_muldiv", None, 1 << 11),
    ("insn_unaligned", None, 1 << 11),
    ("hello", None, 1 << 11),
    ("fibonacci", Some(10), 300),
    ("heap", Some(1), 1 << 15),
];

/// Live rows tried per chip instance and column.
const ROWS_PER_COLUMN: usize = 3;

/// How a change was caught.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Verdict {
    /// One of the chip's polynomial constraints fails.
    Constraint,
    /// The chip now looks up a tuple that no row of a fixed table holds.
    Table,
    /// A bus between chips no longer balances: the chip on the other side would have to change
    /// too (and is mutated in its own right).
    Bus,
    /// Nothing changes: no constraint, no interaction — the cell is dead on this row (a column
    /// another instruction class uses), and the proof proves the same statement.
    Inert,
    /// The constraints hold and only fixed-table lookups move (the prover rebalances their
    /// multiplicities): a change nothing catches.
    Accepted,
}

#[derive(Default)]
struct Tally {
    tried: usize,
    by: BTreeMap<Verdict, usize>,
    survivors: BTreeMap<usize, String>,
}

struct Honest {
    airs: Vec<MipsAir>,
    traces: Vec<RowMajorMatrix<F>>,
    publics: Vec<Vec<F>>,
    pre: Vec<Option<RowMajorMatrix<F>>>,
    interactions: Vec<Vec<Interaction>>,
    /// Every tuple of the fixed tables, by bus.
    tables: HashMap<String, HashSet<Vec<F>>>,
}

fn honest(name: &str, hint: Option<u32>, shard: u64) -> Honest {
    let (program, shards) = mipstark_tests::guests::record(name, hint, shard);
    let m = Machine::new(program).unwrap();
    let t = m.generate_traces(&shards).unwrap();
    let airs = m.airs(shards.len());
    let pre: Vec<_> = airs.iter().map(|a| a.preprocessed_trace()).collect();
    let interactions: Vec<_> = airs
        .iter()
        .zip(&t.traces)
        .zip(&t.publics)
        .zip(&pre)
        .map(|(((a, tr), pv), p)| check_chip(a.name(), a, tr, p.as_ref(), pv).unwrap())
        .collect();
    let mut tables: HashMap<String, HashSet<Vec<F>>> = HashMap::new();
    for (a, ints) in airs.iter().zip(&interactions) {
        if matches!(a, MipsAir::Byte(_) | MipsAir::Program(_)) {
            for i in ints {
                tables
                    .entry(i.bus.clone())
                    .or_default()
                    .insert(i.fields.clone());
            }
        }
    }
    Honest {
        airs,
        traces: t.traces,
        publics: t.publics,
        pre,
        interactions,
        tables,
    }
}

/// Rows where the instance sends or receives something: where every column should matter.
fn live_rows(ints: &[Interaction]) -> Vec<usize> {
    let mut rows: Vec<usize> = ints
        .iter()
        .filter(|i| i.count != F::ZERO)
        .map(|i| i.row)
        .collect();
    rows.sort_unstable();
    rows.dedup();
    rows
}

impl Honest {
    /// The verdict on instance `k` with `trace` (one cell of row `row` changed).
    fn judge(&self, k: usize, trace: &RowMajorMatrix<F>, row: usize) -> Verdict {
        let h = trace.height();
        let rows = [(row + h - 1) % h, row];
        let air = &self.airs[k];
        let Ok(new) = check_rows(
            air.name(),
            air,
            trace,
            self.pre[k].as_ref(),
            &self.publics[k],
            rows,
        ) else {
            return Verdict::Constraint;
        };
        // The tuples this instance looks up in a fixed table must be rows of it.
        let is_table_instance = matches!(air, MipsAir::Byte(_) | MipsAir::Program(_));
        if !is_table_instance {
            for i in new.iter().filter(|i| i.count != F::ZERO) {
                if let Some(t) = self.tables.get(&i.bus) {
                    if !t.contains(&i.fields) {
                        return Verdict::Table;
                    }
                }
            }
        }
        // Otherwise the bus balance changes by (new − old) on the re-evaluated rows.
        let mut net: HashMap<(&str, &[F]), F> = HashMap::new();
        for i in &new {
            *net.entry((&i.bus, &i.fields)).or_insert(F::ZERO) += i.count;
        }
        for i in self.interactions[k]
            .iter()
            .filter(|i| rows.contains(&i.row))
        {
            *net.entry((&i.bus, &i.fields)).or_insert(F::ZERO) -= i.count;
        }
        net.retain(|_, c| *c != F::ZERO);
        if net.is_empty() {
            return Verdict::Inert;
        }
        // A fixed table's multiplicities are the prover's to choose: a change that only moves
        // lookups between rows of fixed tables is rebalanced there, and goes through.
        if net.keys().all(|(bus, _)| self.tables.contains_key(*bus)) && !is_table_instance {
            Verdict::Accepted
        } else {
            Verdict::Bus
        }
    }
}

/// Witness columns whose value, on some rows, is genuinely free: why changing `col` of `row`
/// of `chip` proves nothing false, or `None` when it must be caught.
fn free_witness(chip: &str, col: usize, row: &[F]) -> Option<&'static str> {
    use mipstark_air::alu::divrem::DivRemCols;
    use mipstark_air::cols;
    match chip {
        "divrem" => {
            let idx: Vec<usize> = (0..row.len()).collect();
            let c: &DivRemCols<usize> = cols(&idx);
            let special = row[c.c_zero] == F::ONE || row[c.overflow] == F::ONE;
            let unused =
                c.carry_lo.contains(&col) || c.carry_hi.contains(&col) || c.gap.contains(&col);
            (special && unused).then_some(
                "division by zero and INT_MIN / -1 fix q and r outright: the product carries and \
                 the remainder-bound gap are not used on those rows (only range checked)",
            )
        }
        _ => None,
    }
}

fn mutate_all(h: &Honest, rng: &mut ChaCha8Rng, tallies: &mut BTreeMap<&'static str, Tally>) {
    for k in 0..h.airs.len() {
        let name = h.airs[k].name();
        let tally = tallies.entry(name).or_default();
        let live = live_rows(&h.interactions[k]);
        if live.is_empty() {
            continue;
        }
        let width = h.airs[k].width();
        let mut trace = h.traces[k].clone();
        for col in 0..width {
            let mut rows = vec![live[0], live[live.len() - 1]];
            while rows.len() < ROWS_PER_COLUMN.min(live.len()) {
                rows.push(live[rng.gen_range(0..live.len())]);
            }
            rows.dedup();
            for &row in &rows {
                let cell = row * width + col;
                let orig = trace.values[cell];
                let random = F::new(rng.gen_range(2..F::ORDER_U32 - 1));
                for change in [F::ONE, F::NEG_ONE, random] {
                    trace.values[cell] = orig + change;
                    let v = h.judge(k, &trace, row);
                    tally.tried += 1;
                    *tally.by.entry(v).or_default() += 1;
                    let row_vals = &trace.values[row * width..(row + 1) * width];
                    if v == Verdict::Accepted && free_witness(name, col, row_vals).is_none() {
                        tally.survivors.entry(col).or_insert_with(|| {
                            format!(
                                "row {row}: {} → {}",
                                orig.as_canonical_u32(),
                                (orig + change).as_canonical_u32()
                            )
                        });
                    }
                }
                trace.values[cell] = orig;
            }
        }
    }
}

#[test]
fn every_single_cell_change_is_caught() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let mut tallies = BTreeMap::new();
    for &(name, hint, shard) in RUNS {
        let h = honest(name, hint, shard);
        mutate_all(&h, &mut rng, &mut tallies);
    }
    eprintln!(
        "{:<14} {:>7} {:>11} {:>7} {:>7} {:>7} {:>9}",
        "chip", "tried", "constraint", "table", "bus", "inert", "accepted"
    );
    let mut failures = Vec::new();
    for (chip, t) in &tallies {
        let n = |v| t.by.get(&v).copied().unwrap_or(0);
        eprintln!(
            "{chip:<14} {:>7} {:>11} {:>7} {:>7} {:>7} {:>9}",
            t.tried,
            n(Verdict::Constraint),
            n(Verdict::Table),
            n(Verdict::Bus),
            n(Verdict::Inert),
            n(Verdict::Accepted)
        );
        if t.tried == 0 {
            failures.push(format!("{chip}: no live row in any run"));
        }
        for (col, what) in &t.survivors {
            failures.push(format!("{chip}: column {col} is free ({what})"));
        }
    }
    assert!(
        failures.is_empty(),
        "changes nothing catches:\n{}",
        failures.join("\n")
    );
}
