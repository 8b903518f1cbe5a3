//! Case splits by one-hot selectors. A chip whose rows are one of several operations keeps a
//! group of boolean selectors with at most one set (`one_hot_or_none`: every selector boolean
//! and their sum boolean; the CPU's classes: their sum equals the boolean `is_real`). Fixing
//! the selectors of one case turns every `ite(selector = 1, e, 0)` of the row into `e` or `0`,
//! which is where z3 spends its time on the large chips. The cases — each selector set alone,
//! and none set (padding) — cover every row the constraints allow, so a question is answered
//! *none* for the chip exactly when it is *none* in every case.

use std::collections::{HashMap, HashSet};

use p3_air::symbolic::{BaseEntry, BaseLeaf};
use p3_field::PrimeField32;

use crate::collect::{ChipSystem, Expr};
use crate::smt::P;

/// A column of the row: its entry (main or preprocessed, this row) and index.
pub type Column = (BaseEntry, usize);

/// One case of a split: columns fixed to values on the row the question is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    pub label: String,
    pub fixed: Vec<(Column, u32)>,
}

impl Case {
    /// No split: the whole chip.
    pub fn whole() -> Self {
        Case {
            label: "all rows".into(),
            fixed: vec![],
        }
    }

    /// The selector this case sets, if any.
    pub fn selected(&self) -> Option<Column> {
        self.fixed.iter().find(|(_, v)| *v == 1).map(|(c, _)| *c)
    }
}

/// A linear form `Σ coeff·column + constant`, coefficients as signed residues.
type Linear = (HashMap<Column, i64>, i64);

fn signed(k: u32) -> i64 {
    if k > P / 2 {
        k as i64 - P as i64
    } else {
        k as i64
    }
}

fn linear(e: &Expr) -> Option<Linear> {
    let scale = |(m, c): Linear, s: i64| -> Linear {
        (m.into_iter().map(|(k, v)| (k, v * s)).collect(), c * s)
    };
    let add = |(mut m, c): Linear, (n, d): Linear| -> Linear {
        for (k, v) in n {
            *m.entry(k).or_insert(0) += v;
        }
        m.retain(|_, v| *v != 0);
        (m, c + d)
    };
    match e {
        Expr::Leaf(BaseLeaf::Variable(v)) => Some((HashMap::from([((v.entry, v.index), 1)]), 0)),
        Expr::Leaf(BaseLeaf::Constant(k)) => Some((HashMap::new(), signed(k.as_canonical_u32()))),
        Expr::Add { x, y, .. } => Some(add(linear(x)?, linear(y)?)),
        Expr::Sub { x, y, .. } => Some(add(linear(x)?, scale(linear(y)?, -1))),
        Expr::Neg { x, .. } => Some(scale(linear(x)?, -1)),
        Expr::Mul { x, y, .. } => match (&**x, &**y) {
            (Expr::Leaf(BaseLeaf::Constant(k)), o) | (o, Expr::Leaf(BaseLeaf::Constant(k))) => {
                Some(scale(linear(o)?, signed(k.as_canonical_u32())))
            }
            _ => None,
        },
        _ => None,
    }
}

fn on_row(c: &Column) -> bool {
    matches!(
        c.0,
        BaseEntry::Main { offset: 0 } | BaseEntry::Preprocessed { offset: 0 }
    )
}

/// The one-hot groups of a chip (two selectors or more, all boolean columns of the row):
/// constraints `S·(S − 1)` with `S` a sum of boolean columns, and `S − v` with `v` boolean.
pub fn one_hot_groups(sys: &ChipSystem) -> Vec<Vec<Column>> {
    let booleans: HashSet<Column> = sys.boolean_columns();
    let sum_of_booleans = |l: &Linear| -> Option<Vec<Column>> {
        let ok = l.1 == 0
            && l.0.len() >= 2
            && l.0
                .iter()
                .all(|(c, v)| *v == 1 && booleans.contains(c) && on_row(c));
        ok.then(|| {
            let mut g: Vec<Column> = l.0.keys().copied().collect();
            g.sort_by_key(|(e, i)| (matches!(e, BaseEntry::Preprocessed { .. }), *i));
            g
        })
    };
    let mut groups: Vec<Vec<Column>> = Vec::new();
    for c in &sys.constraints {
        let group = match c {
            Expr::Mul { x, y, .. } => (|| {
                let (lx, ly) = (linear(x)?, linear(y)?);
                let g = sum_of_booleans(&lx)?;
                (ly.0 == lx.0 && ly.1 == -1).then_some(g)
            })(),
            _ => linear(c).and_then(|(mut m, k)| {
                // `S − v`: exactly one coefficient −1, on a boolean column.
                let neg: Vec<Column> = m
                    .iter()
                    .filter(|(_, v)| **v == -1)
                    .map(|(c, _)| *c)
                    .collect();
                let [v] = neg[..] else { return None };
                if !booleans.contains(&v) {
                    return None;
                }
                m.remove(&v);
                sum_of_booleans(&(m, k))
            }),
        };
        if let Some(g) = group {
            if !groups.contains(&g) {
                groups.push(g);
            }
        }
    }
    groups
}

/// The cases of the chip's largest one-hot group (`names` labels its columns), or the whole
/// chip when it has none.
pub fn selector_cases(sys: &ChipSystem, names: &dyn Fn(Column) -> String) -> Vec<Case> {
    let groups = one_hot_groups(sys);
    let Some(g) = groups.iter().max_by_key(|g| g.len()) else {
        return vec![Case::whole()];
    };
    let mut out: Vec<Case> = g
        .iter()
        .map(|&s| Case {
            label: names(s),
            fixed: g.iter().map(|&c| (c, (c == s) as u32)).collect(),
        })
        .collect();
    out.push(Case {
        label: "none (padding)".into(),
        fixed: g.iter().map(|&c| (c, 0)).collect(),
    });
    out
}
