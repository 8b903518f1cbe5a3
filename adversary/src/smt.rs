//! A chip's row system as SMT-LIB 2 text over the integers: every column is an integer in
//! `[0, p)`, every constraint says its polynomial is `≡ 0 (mod p)`, every bus field and count is
//! compared through its residue mod p. A product with a column that a constraint makes boolean
//! is written `ite(v = 1, e, 0)`, which keeps the selector-heavy chips in linear arithmetic.
//!
//! Byte-table queries (`ByteOp`) are facts about their residues (both operands bytes, the
//! answer the operation's: bit-vector `and`/`or`/`xor`, the sign bit, leading zeros; `Range16`
//! below 2^16). Program and dispatch queries are left free: an over-approximation, so a
//! satisfiable query is a lead to read, and an unsatisfiable one a proof for that question.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;

use mipstark_air::bus::{ByteOp, BYTE};
use mipstark_air::F;
use p3_air::symbolic::{BaseEntry, BaseLeaf};
use p3_field::PrimeField32;

use crate::cases::Case;
use crate::collect::{ChipSystem, Expr, Interaction};

pub const P: u32 = F::ORDER_U32;

/// One copy of a chip's row in a query (determinism uses two).
pub struct RowCopy {
    pub tag: String,
    /// 1: the window (this row, next row); 0: the window (previous row, this row), whose
    /// selectors say the previous row is not the last.
    pub base: usize,
    memo: HashMap<*const Expr, String>,
}

/// SMT-LIB text under construction.
pub struct Smt<'s> {
    pub sys: &'s ChipSystem,
    booleans: HashSet<(BaseEntry, usize)>,
    declared: HashSet<String>,
    pub text: String,
    next: usize,
}

impl<'s> Smt<'s> {
    pub fn new(sys: &'s ChipSystem) -> Self {
        Smt {
            sys,
            booleans: sys.boolean_columns(),
            declared: HashSet::new(),
            text: String::new(),
            next: 0,
        }
    }

    pub fn copy(&self, tag: &str) -> RowCopy {
        RowCopy {
            tag: tag.to_string(),
            base: 1,
            memo: HashMap::new(),
        }
    }

    /// The window (previous row, this row) of copy `c`'s row.
    pub fn previous(&self, c: &RowCopy) -> RowCopy {
        RowCopy {
            tag: c.tag.clone(),
            base: 0,
            memo: HashMap::new(),
        }
    }

    pub fn assert(&mut self, b: &str) {
        writeln!(self.text, "(assert {b})").unwrap();
    }

    fn define(&mut self, sort: &str, term: String) -> String {
        let name = format!("e{}", self.next);
        self.next += 1;
        writeln!(self.text, "(define-fun {name} () {sort} {term})").unwrap();
        name
    }

    fn declare(&mut self, name: &str, boolean: bool) {
        if self.declared.insert(name.to_string()) {
            let hi = if boolean { 1 } else { P - 1 };
            writeln!(
                self.text,
                "(declare-const {name} Int)\n(assert (and (<= 0 {name}) (<= {name} {hi})))"
            )
            .unwrap();
        }
    }

    /// The SMT name of a column of copy `c` (preprocessed columns, public values and the row
    /// selectors are shared by every copy: they are not the prover's to choose per copy).
    pub fn var(&mut self, c: &RowCopy, entry: BaseEntry, index: usize) -> String {
        let name = match entry {
            BaseEntry::Main { offset } => format!("{}_r{}_{index}", c.tag, c.base + offset),
            BaseEntry::Preprocessed { offset } => format!("pre_r{}_{index}", c.base + offset),
            BaseEntry::Public => format!("pub_{index}"),
            BaseEntry::Periodic => panic!("{}: periodic columns are not modelled", self.sys.name),
        };
        let boolean = self.booleans.contains(&(entry, index));
        self.declare(&name, boolean);
        name
    }

    fn selectors(&mut self) {
        self.declare("is_first", true);
        self.declare("is_last", true);
        // A trace has at least two rows.
        if self.declared.insert("sel_rule".into()) {
            self.assert("(not (and (= is_first 1) (= is_last 1)))");
        }
    }

    fn boolean_leaf(&self, e: &Expr) -> Option<(BaseEntry, usize)> {
        match e {
            Expr::Leaf(BaseLeaf::Variable(v)) if self.booleans.contains(&(v.entry, v.index)) => {
                Some((v.entry, v.index))
            }
            _ => None,
        }
    }

    /// The unreduced integer value of `e` in copy `c`.
    pub fn term(&mut self, c: &mut RowCopy, e: &Expr) -> String {
        let key = e as *const Expr;
        if let Some(n) = c.memo.get(&key) {
            return n.clone();
        }
        let t = match e {
            Expr::Leaf(BaseLeaf::Variable(v)) => self.var(c, v.entry, v.index),
            Expr::Leaf(BaseLeaf::Constant(k)) => k.as_canonical_u32().to_string(),
            Expr::Leaf(BaseLeaf::IsFirstRow) if c.base == 0 => {
                self.declare("prev_is_first", true);
                "prev_is_first".into()
            }
            Expr::Leaf(BaseLeaf::IsLastRow) if c.base == 0 => "0".into(),
            Expr::Leaf(BaseLeaf::IsTransition) if c.base == 0 => "1".into(),
            Expr::Leaf(BaseLeaf::IsFirstRow) => {
                self.selectors();
                "is_first".into()
            }
            Expr::Leaf(BaseLeaf::IsLastRow) => {
                self.selectors();
                "is_last".into()
            }
            Expr::Leaf(BaseLeaf::IsTransition) => {
                self.selectors();
                "(- 1 is_last)".into()
            }
            Expr::Add { x, y, .. } => {
                let (a, b) = (self.term(c, x), self.term(c, y));
                self.define("Int", format!("(+ {a} {b})"))
            }
            Expr::Sub { x, y, .. } => {
                let (a, b) = (self.term(c, x), self.term(c, y));
                self.define("Int", format!("(- {a} {b})"))
            }
            Expr::Neg { x, .. } => {
                let a = self.term(c, x);
                self.define("Int", format!("(- {a})"))
            }
            Expr::Mul { x, y, .. } => {
                let (a, b) = (self.term(c, x), self.term(c, y));
                let t = if self.boolean_leaf(x).is_some() {
                    format!("(ite (= {a} 1) {b} 0)")
                } else if self.boolean_leaf(y).is_some() {
                    format!("(ite (= {b} 1) {a} 0)")
                } else {
                    format!("(* {a} {b})")
                };
                self.define("Int", t)
            }
        };
        c.memo.insert(key, t.clone());
        t
    }

    /// The residue of `e` mod p, in `[0, p)`.
    pub fn residue(&mut self, c: &mut RowCopy, e: &Expr) -> String {
        if let Expr::Leaf(BaseLeaf::Constant(k)) = e {
            return k.as_canonical_u32().to_string();
        }
        let t = self.term(c, e);
        self.define("Int", format!("(mod {t} {P})"))
    }

    /// Copy `c`'s row is one a prover adds: not the first row, and (for a chip that reads the
    /// next row) preceded by a row whose constraints hold with it.
    pub fn added_row(&mut self, c: &mut RowCopy) {
        self.row_holds(c);
        self.selectors();
        self.assert("(= is_first 0)");
        if !self.sys.state_columns.is_empty() {
            let mut prev = self.previous(c);
            self.row_holds(&mut prev);
        }
    }

    /// Copy `c`'s row is any row of a trace, the first included: its constraints hold, and its
    /// range queries (`Range`, `Range16`) are rows of the byte table. Its other byte queries
    /// are left free — a relaxation (more rows), so an unsatisfiable query about this row is
    /// still a proof, and the bit-vector facts that slow z3 down on the big chips stay out.
    pub fn any_row(&mut self, c: &mut RowCopy) {
        let all: Vec<usize> = (0..self.sys.constraints.len()).collect();
        let queries: Vec<usize> = (0..self.sys.interactions.len()).collect();
        self.some_row(c, &all, &queries);
    }

    /// [`Self::any_row`] over the constraints `constraints` and the range queries among
    /// `queries` only: a further relaxation, so an unsatisfiable query is still a proof.
    pub fn some_row(&mut self, c: &mut RowCopy, constraints: &[usize], queries: &[usize]) {
        let sys = self.sys;
        self.constraints_hold(c, constraints.iter().copied());
        for i in queries.iter().map(|&k| &sys.interactions[k]) {
            if i.bus == BYTE.name() {
                let op = self.residue(c, &i.fields[0]);
                let fact = self.byte_fact(c, i);
                let n = self.residue(c, &i.count);
                let ranges = [ByteOp::Range, ByteOp::Range16]
                    .map(|o| format!("(= {op} {})", o as u32))
                    .join(" ");
                self.assert(&format!("(=> (and (not (= {n} 0)) (or {ranges})) {fact})"));
            }
        }
        self.selectors();
    }

    /// Copy `c`'s row is in `case`: its fixed columns have their values.
    pub fn fix(&mut self, c: &RowCopy, case: &Case) {
        for &((entry, index), v) in &case.fixed {
            let x = self.var(c, entry, index);
            self.assert(&format!("(= {x} {v})"));
        }
    }

    /// Every constraint of the chip holds on copy `c`, and every byte query it makes is a row
    /// of the byte table.
    pub fn row_holds(&mut self, c: &mut RowCopy) {
        self.constraints_hold(c, 0..self.sys.constraints.len());
        let sys = self.sys;
        for i in &sys.interactions {
            if i.bus == BYTE.name() {
                let fact = self.byte_fact(c, i);
                let n = self.residue(c, &i.count);
                self.assert(&format!("(=> (not (= {n} 0)) {fact})"));
            }
        }
    }

    /// The constraints `which` hold on copy `c`.
    fn constraints_hold(&mut self, c: &mut RowCopy, which: impl IntoIterator<Item = usize>) {
        let sys = self.sys;
        for k in which {
            let t = self.term(c, &sys.constraints[k]);
            self.assert(&format!("(= (mod {t} {P}) 0)"));
        }
    }

    fn byte_fact(&mut self, c: &mut RowCopy, i: &Interaction) -> String {
        let f: Vec<String> = i.fields.iter().map(|e| self.residue(c, e)).collect();
        let (x, y, z) = (&f[1], &f[2], &f[3]);
        let bv = |v: &str| format!("((_ int2bv 8) {v})");
        let bytes = format!("(< {x} 256) (< {y} 256)");
        let per_op = |op: ByteOp| -> String {
            let rule = match op {
                ByteOp::Range => format!("{bytes} (= {z} 0)"),
                ByteOp::And => format!("{bytes} (= {z} (bv2int (bvand {} {})))", bv(x), bv(y)),
                ByteOp::Or => format!("{bytes} (= {z} (bv2int (bvor {} {})))", bv(x), bv(y)),
                ByteOp::Xor => format!("{bytes} (= {z} (bv2int (bvxor {} {})))", bv(x), bv(y)),
                ByteOp::Msb => format!("(< {x} 256) (= {y} 0) (= {z} (ite (>= {x} 128) 1 0))"),
                ByteOp::Clz8 => {
                    // Outermost test first: x ≥ 128 gives 0, …, x ≥ 1 gives 7, else 8.
                    let mut t = "8".to_string();
                    for k in (0..8).rev() {
                        t = format!("(ite (>= {x} {}) {k} {t})", 1u32 << (7 - k));
                    }
                    format!("(< {x} 256) (= {y} 0) (= {z} {t})")
                }
                ByteOp::Range16 => format!("(< {x} 65536) (= {y} 0) (= {z} 0)"),
            };
            format!("(and {rule})")
        };
        let cases: Vec<String> = ByteOp::ALL
            .into_iter()
            .map(|op| format!("(and (= {} {}) {})", f[0], op as u32, per_op(op)))
            .collect();
        format!("(or {})", cases.join(" "))
    }

    /// The residues of `fields` in copy `c`.
    pub fn residues(&mut self, c: &mut RowCopy, fields: &[Expr]) -> Vec<String> {
        fields.iter().map(|e| self.residue(c, e)).collect()
    }

    /// Two lists of residues are equal position by position (false for different widths).
    pub fn eq_lists(&mut self, a: &[String], b: &[String]) -> String {
        if a.len() != b.len() {
            return "false".into();
        }
        if a.is_empty() {
            return "true".into();
        }
        let eqs: Vec<String> = a
            .iter()
            .zip(b)
            .map(|(x, y)| format!("(= {x} {y})"))
            .collect();
        self.define("Bool", format!("(and {})", eqs.join(" ")))
    }

    /// The interactions `idx` of copy `c` cancel as a multiset: for each live tuple, the counts
    /// of the equal tuples sum to 0 mod p.
    pub fn cancels(&mut self, c: &mut RowCopy, idx: &[usize]) -> String {
        let sys = self.sys;
        let res: Vec<Vec<String>> = idx
            .iter()
            .map(|&i| self.residues(c, &sys.interactions[i].fields))
            .collect();
        let counts: Vec<String> = idx
            .iter()
            .map(|&i| self.residue(c, &sys.interactions[i].count))
            .collect();
        let mut all = Vec::new();
        for a in 0..idx.len() {
            let mut terms = Vec::new();
            for b in 0..idx.len() {
                let eq = if a == b {
                    "true".to_string()
                } else {
                    self.eq_lists(&res[a], &res[b])
                };
                terms.push(format!("(ite {eq} {} 0)", counts[b]));
            }
            all.push(format!(
                "(=> (not (= {} 0)) (= (mod (+ 0 {}) {P}) 0))",
                counts[a],
                terms.join(" ")
            ));
        }
        if all.is_empty() {
            return "true".into();
        }
        format!("(and {})", all.join(" "))
    }

    /// `(or (count_i ≢ 0) …)` over `idx`.
    pub fn any_live(&mut self, c: &mut RowCopy, idx: &[usize]) -> String {
        let sys = self.sys;
        let mut v = Vec::new();
        for &i in idx {
            let n = self.residue(c, &sys.interactions[i].count);
            v.push(format!("(not (= {n} 0))"));
        }
        if v.is_empty() {
            return "false".into();
        }
        format!("(or {})", v.join(" "))
    }

    /// The residues of every interaction's count in copy `c`, named for `get-value`.
    pub fn count_names(&mut self, c: &mut RowCopy) -> Vec<String> {
        let sys = self.sys;
        sys.interactions
            .iter()
            .map(|i| self.residue(c, &i.count))
            .collect()
    }
}
