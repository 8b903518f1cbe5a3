//! Evaluates a chip's constraints on every row of a concrete trace, and checks that the buses
//! balance across chips — naming the first failure precisely, where Plonky3's own checker
//! panics. Only for honest-trace debugging and tests: it proves nothing.

use std::collections::HashMap;

use p3_air::{Air, AirBuilder, RowWindow};
use p3_field::{PrimeCharacteristicRing, PrimeField32};
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;
use thiserror::Error;

use crate::F;

/// One evaluated interaction: `count` copies of `fields` on `bus`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interaction {
    pub bus: String,
    pub fields: Vec<F>,
    pub count: F,
    pub row: usize,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum DebugError {
    #[error("chip {chip}: constraint #{constraint} fails on row {row} (evaluates to {value})")]
    Constraint {
        chip: String,
        row: usize,
        constraint: usize,
        value: u32,
    },
    #[error(
        "bus {bus}: tuple {fields:?} is unbalanced by {net} (first seen in chip {chip}, row {row})"
    )]
    Bus {
        bus: String,
        fields: Vec<u32>,
        net: i64,
        chip: String,
        row: usize,
    },
    #[error("chip {chip}: trace height {height} is not a power of two")]
    Height { chip: String, height: usize },
}

/// The builder that evaluates one row.
pub struct DebugBuilder<'a> {
    main: RowWindow<'a, F>,
    pre: RowWindow<'a, F>,
    publics: &'a [F],
    first: F,
    last: F,
    transition: F,
    row: usize,
    constraint: usize,
    failure: Option<(usize, F)>,
    interactions: Vec<Interaction>,
}

impl<'a> AirBuilder for DebugBuilder<'a> {
    type F = F;
    type Expr = F;
    type Var = F;
    type PreprocessedWindow = RowWindow<'a, F>;
    type MainWindow = RowWindow<'a, F>;
    type PublicVar = F;
    type PeriodicVar = F;

    fn main(&self) -> Self::MainWindow {
        self.main
    }
    fn preprocessed(&self) -> &Self::PreprocessedWindow {
        &self.pre
    }
    fn is_first_row(&self) -> F {
        self.first
    }
    fn is_last_row(&self) -> F {
        self.last
    }
    fn is_transition(&self) -> F {
        self.transition
    }
    fn assert_zero<I: Into<F>>(&mut self, x: I) {
        let v = x.into();
        if v != F::ZERO && self.failure.is_none() {
            self.failure = Some((self.constraint, v));
        }
        self.constraint += 1;
    }
    fn public_values(&self) -> &[F] {
        self.publics
    }
}

impl InteractionBuilder for DebugBuilder<'_> {
    fn push_interaction<E: Into<F>>(
        &mut self,
        bus_name: &str,
        fields: impl IntoIterator<Item = E>,
        count: impl Into<Count<F>>,
    ) {
        let (count, _) = count.into().into_parts();
        self.interactions.push(Interaction {
            bus: bus_name.to_string(),
            fields: fields.into_iter().map(Into::into).collect(),
            count,
            row: self.row,
        });
    }

    /// Each branch counts `flag · count` (the AIR makes the flags one-hot or zero, which
    /// the LogUp column relies on; here a non-boolean flag simply scales the count).
    fn push_exclusive_interaction(
        &mut self,
        bus_name: &str,
        branches: impl IntoIterator<Item = (F, Count<F>, Vec<F>)>,
    ) {
        for (flag, count, fields) in branches {
            let (count, weight) = count.into_parts();
            self.push_interaction(bus_name, fields, Count::bounded(flag * count, weight));
        }
    }

    fn push_local_interaction(&mut self, tuples: impl IntoIterator<Item = (Vec<F>, Count<F>)>) {
        for (fields, count) in tuples {
            let (count, _) = count.into_parts();
            let bus = "(local)".to_string();
            self.interactions.push(Interaction {
                bus,
                fields,
                count,
                row: self.row,
            });
        }
    }
}

/// Evaluates every constraint of `air` on every row (the next row of the last row wraps to
/// row 0, as on the trace domain) and returns the chip's interactions.
pub fn check_chip<A>(
    chip: &str,
    air: &A,
    main: &RowMajorMatrix<F>,
    pre: Option<&RowMajorMatrix<F>>,
    publics: &[F],
) -> Result<Vec<Interaction>, DebugError>
where
    A: for<'a> Air<DebugBuilder<'a>>,
{
    let h = main.height();
    if !h.is_power_of_two() {
        return Err(DebugError::Height {
            chip: chip.into(),
            height: h,
        });
    }
    check_rows(chip, air, main, pre, publics, 0..h)
}

/// [`check_chip`] restricted to `rows`: after changing one cell of row `r`, only the rows
/// `r − 1` and `r` (whose windows contain it) need evaluating again.
pub fn check_rows<A>(
    chip: &str,
    air: &A,
    main: &RowMajorMatrix<F>,
    pre: Option<&RowMajorMatrix<F>>,
    publics: &[F],
    rows: impl IntoIterator<Item = usize>,
) -> Result<Vec<Interaction>, DebugError>
where
    A: for<'a> Air<DebugBuilder<'a>>,
{
    eval_rows(chip, air, main, pre, publics, rows, true)
}

/// Every interaction of `air` on every row, whether or not the rows' constraints hold: the
/// bookkeeping a cheating prover balances (e.g. the byte table's multiplicities) before it
/// proves rows that break a constraint. Forgery tests use it to give the verifier the best
/// such a prover could do.
pub fn all_interactions<A>(
    air: &A,
    main: &RowMajorMatrix<F>,
    pre: Option<&RowMajorMatrix<F>>,
    publics: &[F],
) -> Vec<Interaction>
where
    A: for<'a> Air<DebugBuilder<'a>>,
{
    eval_rows("", air, main, pre, publics, 0..main.height(), false).unwrap_or_default()
}

fn eval_rows<A>(
    chip: &str,
    air: &A,
    main: &RowMajorMatrix<F>,
    pre: Option<&RowMajorMatrix<F>>,
    publics: &[F],
    rows: impl IntoIterator<Item = usize>,
    stop_on_failure: bool,
) -> Result<Vec<Interaction>, DebugError>
where
    A: for<'a> Air<DebugBuilder<'a>>,
{
    let h = main.height();
    let mut all = Vec::new();
    let row_of =
        |m: &RowMajorMatrix<F>, r: usize| m.values[r * m.width..(r + 1) * m.width].to_vec();
    for row in rows {
        let next = (row + 1) % h;
        let (pl, pn) = match pre {
            Some(p) => (row_of(p, row), row_of(p, next)),
            None => (Vec::new(), Vec::new()),
        };
        let (ml, mn) = (row_of(main, row), row_of(main, next));
        let mut b = DebugBuilder {
            main: RowWindow::from_two_rows(&ml, &mn),
            pre: RowWindow::from_two_rows(&pl, &pn),
            publics,
            first: F::from_bool(row == 0),
            last: F::from_bool(row == h - 1),
            transition: F::from_bool(row != h - 1),
            row,
            constraint: 0,
            failure: None,
            interactions: Vec::new(),
        };
        air.eval(&mut b);
        if let Some((constraint, v)) = b.failure.filter(|_| stop_on_failure) {
            return Err(DebugError::Constraint {
                chip: chip.into(),
                row,
                constraint,
                value: v.as_canonical_u32(),
            });
        }
        all.extend(b.interactions);
    }
    Ok(all)
}

/// Checks that every (bus, tuple) nets to zero over all chips' interactions.
pub fn check_buses(chips: &[(&str, &[Interaction])]) -> Result<(), DebugError> {
    let mut net: HashMap<(String, Vec<u32>), (i64, String, usize)> = HashMap::new();
    for (chip, ints) in chips {
        for i in *ints {
            let key = (
                i.bus.clone(),
                i.fields
                    .iter()
                    .map(|f| f.as_canonical_u32())
                    .collect::<Vec<_>>(),
            );
            let c = i.count.as_canonical_u32() as i64;
            let signed = if c > (F::ORDER_U32 / 2) as i64 {
                c - F::ORDER_U32 as i64
            } else {
                c
            };
            let e = net.entry(key).or_insert((0, chip.to_string(), i.row));
            e.0 += signed;
        }
    }
    let mut bad: Vec<_> = net.into_iter().filter(|(_, (n, _, _))| *n != 0).collect();
    bad.sort_by(|a, b| a.0.cmp(&b.0));
    match bad.into_iter().next() {
        None => Ok(()),
        Some(((bus, fields), (n, chip, row))) => Err(DebugError::Bus {
            bus,
            fields,
            net: n,
            chip,
            row,
        }),
    }
}
