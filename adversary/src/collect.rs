//! A chip as data: its constraints and its bus interactions as symbolic expressions over one
//! two-row window, read off by evaluating the chip once with p3-lookup's
//! `InteractionSymbolicBuilder` (the same `eval` the prover runs).

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use mipstark_air::bus::{BYTE, DISPATCH, MEMORY, PROGRAM, PUBLIC, SYSMEM};
use mipstark_air::recursion::RMEM;
use mipstark_air::F;
use p3_air::symbolic::{AirLayout, BaseEntry, BaseLeaf, SymbolicExpression};
use p3_air::{Air, BaseAir};
use p3_field::{PrimeCharacteristicRing, PrimeField32};
use p3_lookup::symbolic::InteractionSymbolicBuilder;

pub type Expr = SymbolicExpression<F>;

/// The permutation ("token") buses: every tuple sent must be received.
pub const TOKEN_BUSES: [&str; 3] = [MEMORY.name(), SYSMEM.name(), PUBLIC.name()];
/// The lookup buses: a table answers every query, with multiplicities the prover chooses (the
/// recursion machine's memory, last, with multiplicities its key fixes).
pub const LOOKUP_BUSES: [&str; 4] = [BYTE.name(), PROGRAM.name(), DISPATCH.name(), RMEM.name()];

/// Which side of its bus an interaction is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// A token sent (positive count on a permutation bus).
    Send,
    /// A token received (negative count).
    Receive,
    /// A lookup of a table row (`lookup_key`).
    Query,
    /// A table row offered (`table_entry`, its multiplicity chosen by the prover).
    Answer,
}

/// One interaction of a row: `count` copies of `fields` on `bus`.
#[derive(Clone, Debug)]
pub struct Interaction {
    pub bus: &'static str,
    pub side: Side,
    pub fields: Vec<Expr>,
    pub count: Expr,
}

impl Interaction {
    pub fn is_token(&self) -> bool {
        TOKEN_BUSES.contains(&self.bus)
    }
}

/// A chip's row system.
pub struct ChipSystem {
    pub name: String,
    pub main_width: usize,
    pub pre_width: usize,
    pub num_publics: usize,
    pub constraints: Vec<Expr>,
    pub interactions: Vec<Interaction>,
    /// Main columns some constraint or interaction reads on the next row: their values on
    /// this row are set by the previous row's transition (the chip's running state).
    pub state_columns: BTreeSet<usize>,
}

fn bus_of(name: &str) -> &'static str {
    TOKEN_BUSES
        .iter()
        .chain(LOOKUP_BUSES.iter())
        .find(|b| **b == name)
        .copied()
        .unwrap_or_else(|| panic!("unknown bus {name}"))
}

/// Whether a count expression is syntactically negated (`receive` and `table_entry` negate).
fn negated(e: &Expr) -> bool {
    match e {
        Expr::Neg { .. } => true,
        Expr::Leaf(BaseLeaf::Constant(c)) => c.as_canonical_u32() > F::ORDER_U32 / 2,
        Expr::Mul { x, y, .. } => negated(x) != negated(y),
        _ => false,
    }
}

impl ChipSystem {
    pub fn collect<A>(name: &str, air: &A) -> Self
    where
        A: BaseAir<F> + Air<InteractionSymbolicBuilder<F>>,
    {
        let layout = AirLayout::from_air(air);
        let b = InteractionSymbolicBuilder::<F>::from_air(air, layout);
        let side = |bus: &str, count: &Expr, weight: u32| {
            let token = TOKEN_BUSES.contains(&bus);
            match (token, negated(count)) {
                (true, false) => Side::Send,
                (true, true) => Side::Receive,
                // `table_entry` declares weight 0 and negates its multiplicity.
                (false, true) if weight == 0 => Side::Answer,
                (false, _) => Side::Query,
            }
        };
        let mut interactions = Vec::new();
        for i in b.global_interactions() {
            interactions.push(Interaction {
                bus: bus_of(&i.bus_name),
                side: side(&i.bus_name, &i.count, i.count_weight),
                fields: i.fields.clone(),
                count: i.count.clone(),
            });
        }
        for group in b.exclusive_interactions() {
            for br in &group.branches {
                let count = br.flag.clone() * br.count.clone();
                interactions.push(Interaction {
                    bus: bus_of(&group.bus_name),
                    side: side(&group.bus_name, &br.count, br.count_weight),
                    fields: br.fields.clone(),
                    count,
                });
            }
        }
        assert!(
            b.local_interactions().is_empty(),
            "{name}: local interactions are not modelled"
        );
        let constraints = b.base_constraints();
        let mut state_columns = BTreeSet::new();
        let mut seen = HashSet::new();
        for e in constraints
            .iter()
            .chain(interactions.iter().flat_map(|i| i.fields.iter()))
            .chain(interactions.iter().map(|i| &i.count))
        {
            next_row_columns(e, &mut state_columns, &mut seen);
        }
        ChipSystem {
            name: name.to_string(),
            main_width: BaseAir::<F>::width(air),
            pre_width: BaseAir::<F>::preprocessed_width(air),
            num_publics: BaseAir::<F>::num_public_values(air),
            constraints,
            interactions,
            state_columns,
        }
    }

    /// Columns constrained boolean by an unconditional `x·(x − 1) = 0`.
    pub fn boolean_columns(&self) -> HashSet<(BaseEntry, usize)> {
        let mut out = HashSet::new();
        for c in &self.constraints {
            if let Expr::Mul { x, y, .. } = c {
                if let (Some(a), Some(b)) = (var_of(x), minus_one_of(y)) {
                    if a == b {
                        out.insert(a);
                    }
                }
            }
        }
        out
    }
}

fn var_key(e: &Expr) -> Option<(BaseEntry, usize)> {
    match e {
        Expr::Leaf(BaseLeaf::Variable(v)) => Some((v.entry, v.index)),
        _ => None,
    }
}

fn var_of(e: &Arc<Expr>) -> Option<(BaseEntry, usize)> {
    var_key(e)
}

/// `v − 1` (or `v + (p − 1)`): the variable `v`.
fn minus_one_of(e: &Arc<Expr>) -> Option<(BaseEntry, usize)> {
    match &**e {
        Expr::Sub { x, y, .. } if is_const(y, F::ONE) => var_of(x),
        Expr::Add { x, y, .. } if is_const(y, F::NEG_ONE) => var_of(x),
        _ => None,
    }
}

fn is_const(e: &Expr, c: F) -> bool {
    matches!(e, Expr::Leaf(BaseLeaf::Constant(k)) if *k == c)
}

fn next_row_columns(e: &Expr, out: &mut BTreeSet<usize>, seen: &mut HashSet<*const Expr>) {
    match e {
        Expr::Leaf(BaseLeaf::Variable(v)) => {
            if v.entry == (BaseEntry::Main { offset: 1 }) {
                out.insert(v.index);
            }
        }
        Expr::Leaf(_) => {}
        Expr::Add { x, y, .. } | Expr::Sub { x, y, .. } | Expr::Mul { x, y, .. } => {
            for c in [x, y] {
                if seen.insert(Arc::as_ptr(c)) {
                    next_row_columns(c, out, seen);
                }
            }
        }
        Expr::Neg { x, .. } => {
            if seen.insert(Arc::as_ptr(x)) {
                next_row_columns(x, out, seen);
            }
        }
    }
}
