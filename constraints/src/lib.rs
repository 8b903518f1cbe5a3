//! The constraint bytecode: an AIR's constraints (its own and its lookups') compiled once from
//! Plonky3's symbolic DAGs, and interpreted by every consumer — the GPU quotient kernel
//! (`quotient.cu`), its CPU twin ([`QuotientProgram::eval_row`]) and the recursive verifier,
//! which runs it over its builder at the out-of-domain point ([`QuotientProgram::run`]). One
//! lowering, so the constraints the prover divides by the vanishing polynomial are the ones the
//! recursive verifier checks.
//!
//! One instruction per distinct DAG node, registers reused after a value's last use so the
//! kernel's register files stay small. Base-field values live in base registers; extension
//! values (lookup columns, challenges, the lookup terminal, and whatever is computed from them)
//! in extension registers, so the common base-field arithmetic of the AIR's own constraints
//! never pays for the extension.

use std::collections::HashMap;
use std::sync::Arc;

mod compiled;
mod interp;

pub use compiled::CompiledAir;
pub use interp::Interp;
pub use mipstark_kernels::quotient_ops::Op;
use mipstark_kernels::quotient_ops::{MAX_EXT_REGS, MAX_REGS};
use p3_air::{
    BaseEntry, BaseLeaf, ExtEntry, ExtLeaf, SymbolicExpr, SymbolicExpression, SymbolicExpressionExt,
};
use p3_field::extension::BinomialExtensionField;
use p3_field::{BasedVectorSpace, PrimeCharacteristicRing};
use p3_koala_bear::KoalaBear;

/// Why an AIR's constraints do not compile to bytecode.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct CompileError(pub String);

pub(crate) type F = KoalaBear;
pub(crate) type EF = BinomialExtensionField<F, 4>;
type ExtExpr = SymbolicExpressionExt<F, EF>;

/// One instruction: `dst ← op(a, b)`; for loads `a` is the column/public/table index, for
/// `Const` it is the Montgomery word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instr {
    pub op: Op,
    pub dst: u32,
    pub a: u32,
    pub b: u32,
}

/// A compiled constraint system: base constraints first (weights `0..nb`), then extension
/// constraints (weights `nb..`), each in emission order.
#[derive(Clone, Debug)]
pub struct QuotientProgram {
    pub instrs: Vec<Instr>,
    pub num_regs: usize,
    pub num_ext_regs: usize,
    pub num_constraints: usize,
    /// Extension constants of the constraints; the job's extension table is its lookup
    /// challenges, then its terminal values, then these ([`QuotientProgram::ext_table`]).
    pub ext_constants: Vec<EF>,
    num_challenges: usize,
    num_perm_values: usize,
}

/// What one row's evaluation reads.
pub struct RowInputs<'a> {
    pub main_local: &'a [F],
    pub main_next: &'a [F],
    pub pre_local: &'a [F],
    pub pre_next: &'a [F],
    pub perm_local: &'a [EF],
    pub perm_next: &'a [EF],
    pub public_values: &'a [F],
    pub ext_table: &'a [EF],
    pub is_first: F,
    pub is_last: F,
    pub is_transition: F,
}

#[derive(Clone, Copy)]
enum Node {
    Leaf(Op, u32),
    Bin(Op, usize, usize),
    Un(Op, usize),
}

impl Node {
    fn op(self) -> Op {
        match self {
            Node::Leaf(op, _) | Node::Bin(op, ..) | Node::Un(op, _) => op,
        }
    }
}

struct Lowering {
    nodes: Vec<Node>,
    base_by_ptr: HashMap<*const SymbolicExpression<F>, usize>,
    ext_by_ptr: HashMap<*const ExtExpr, usize>,
    by_shape: HashMap<(u32, u32, u32), usize>,
    ext_constants: Vec<EF>,
    num_challenges: usize,
    num_perm_values: usize,
}

impl Lowering {
    fn push(&mut self, node: Node) -> usize {
        // Identical leaves and identical operations on identical operands are one node.
        let key = match node {
            Node::Leaf(op, a) => (op as u32, a, u32::MAX),
            Node::Bin(op, a, b) => (op as u32 | 1 << 16, a as u32, b as u32),
            Node::Un(op, a) => (op as u32 | 2 << 16, a as u32, u32::MAX),
        };
        *self.by_shape.entry(key).or_insert_with(|| {
            self.nodes.push(node);
            self.nodes.len() - 1
        })
    }

    fn is_ext(&self, i: usize) -> bool {
        self.nodes[i].op().writes_ext()
    }

    fn lower(&mut self, e: &SymbolicExpression<F>) -> Result<usize, CompileError> {
        let key = e as *const _;
        if let Some(&i) = self.base_by_ptr.get(&key) {
            return Ok(i);
        }
        let idx = match e {
            SymbolicExpr::Leaf(l) => match l {
                BaseLeaf::Variable(v) => {
                    let op = match v.entry {
                        BaseEntry::Main { offset: 0 } => Op::MainLocal,
                        BaseEntry::Main { offset: 1 } => Op::MainNext,
                        BaseEntry::Preprocessed { offset: 0 } => Op::PreLocal,
                        BaseEntry::Preprocessed { offset: 1 } => Op::PreNext,
                        BaseEntry::Public => Op::Public,
                        other => {
                            return Err(CompileError(format!(
                                "quotient bytecode does not support {other:?} variables"
                            )))
                        }
                    };
                    self.push(Node::Leaf(op, v.index as u32))
                }
                BaseLeaf::IsFirstRow => self.push(Node::Leaf(Op::IsFirst, 0)),
                BaseLeaf::IsLastRow => self.push(Node::Leaf(Op::IsLast, 0)),
                BaseLeaf::IsTransition => self.push(Node::Leaf(Op::IsTransition, 0)),
                BaseLeaf::Constant(c) => {
                    self.push(Node::Leaf(Op::Const, mipstark_kernels::as_words(&[*c])[0]))
                }
            },
            SymbolicExpr::Add { x, y, .. } => self.base_bin(Op::Add, x, y)?,
            SymbolicExpr::Sub { x, y, .. } => self.base_bin(Op::Sub, x, y)?,
            SymbolicExpr::Mul { x, y, .. } => self.base_bin(Op::Mul, x, y)?,
            SymbolicExpr::Neg { x, .. } => {
                let a = self.lower(x)?;
                self.push(Node::Un(Op::Neg, a))
            }
        };
        self.base_by_ptr.insert(key, idx);
        Ok(idx)
    }

    fn base_bin(
        &mut self,
        op: Op,
        x: &Arc<SymbolicExpression<F>>,
        y: &Arc<SymbolicExpression<F>>,
    ) -> Result<usize, CompileError> {
        let a = self.lower(x)?;
        let b = self.lower(y)?;
        Ok(self.push(Node::Bin(op, a, b)))
    }

    fn ext_table_index(&mut self, c: EF) -> u32 {
        let k = match self.ext_constants.iter().position(|x| *x == c) {
            Some(k) => k,
            None => {
                self.ext_constants.push(c);
                self.ext_constants.len() - 1
            }
        };
        (self.num_challenges + self.num_perm_values + k) as u32
    }

    /// Lowers an extension expression; the node may be a base one when every leaf under it is.
    fn lower_ext(&mut self, e: &ExtExpr) -> Result<usize, CompileError> {
        let key = e as *const _;
        if let Some(&i) = self.ext_by_ptr.get(&key) {
            return Ok(i);
        }
        let idx = match e {
            SymbolicExpr::Leaf(l) => match l {
                ExtLeaf::Base(b) => self.lower(b)?,
                ExtLeaf::ExtConstant(c) => {
                    let at = self.ext_table_index(*c);
                    self.push(Node::Leaf(Op::ExtLoad, at))
                }
                ExtLeaf::ExtVariable(v) => {
                    let (op, at) = match v.entry {
                        ExtEntry::Permutation { offset: 0 } => (Op::PermLocal, v.index),
                        ExtEntry::Permutation { offset: 1 } => (Op::PermNext, v.index),
                        ExtEntry::Challenge if v.index < self.num_challenges => {
                            (Op::ExtLoad, v.index)
                        }
                        ExtEntry::PermutationValue if v.index < self.num_perm_values => {
                            (Op::ExtLoad, self.num_challenges + v.index)
                        }
                        other => {
                            return Err(CompileError(format!(
                                "quotient bytecode does not support {other:?} #{} variables",
                                v.index
                            )))
                        }
                    };
                    self.push(Node::Leaf(op, at as u32))
                }
            },
            SymbolicExpr::Add { x, y, .. } => self.ext_bin(Op::Add, x, y)?,
            SymbolicExpr::Sub { x, y, .. } => self.ext_bin(Op::Sub, x, y)?,
            SymbolicExpr::Mul { x, y, .. } => self.ext_bin(Op::Mul, x, y)?,
            SymbolicExpr::Neg { x, .. } => {
                let a = self.lower_ext(x)?;
                let op = if self.is_ext(a) { Op::ExtNeg } else { Op::Neg };
                self.push(Node::Un(op, a))
            }
        };
        self.ext_by_ptr.insert(key, idx);
        Ok(idx)
    }

    fn lift(&mut self, i: usize) -> usize {
        if self.is_ext(i) {
            i
        } else {
            self.push(Node::Un(Op::ExtFromBase, i))
        }
    }

    fn ext_bin(
        &mut self,
        op: Op,
        x: &Arc<ExtExpr>,
        y: &Arc<ExtExpr>,
    ) -> Result<usize, CompileError> {
        let a = self.lower_ext(x)?;
        let b = self.lower_ext(y)?;
        let node = match (self.is_ext(a), self.is_ext(b), op) {
            (false, false, _) => Node::Bin(op, a, b),
            (true, false, Op::Mul) => Node::Bin(Op::ExtMulBase, a, b),
            (false, true, Op::Mul) => Node::Bin(Op::ExtMulBase, b, a),
            _ => {
                let ext_op = match op {
                    Op::Add => Op::ExtAdd,
                    Op::Sub => Op::ExtSub,
                    _ => Op::ExtMul,
                };
                let (a, b) = (self.lift(a), self.lift(b));
                Node::Bin(ext_op, a, b)
            }
        };
        Ok(self.push(node))
    }
}

/// Two register files (`[base, ext]`) with free lists.
#[derive(Default)]
struct Registers {
    free: [Vec<u32>; 2],
    used: [u32; 2],
}

impl Registers {
    fn take(&mut self, file: usize) -> u32 {
        self.free[file].pop().unwrap_or_else(|| {
            self.used[file] += 1;
            self.used[file] - 1
        })
    }

    fn free(&mut self, file: usize, r: u32) {
        self.free[file].push(r);
    }
}

impl QuotientProgram {
    /// Compiles base-field constraints only (weight `k` for constraint `k`).
    pub fn compile(constraints: &[SymbolicExpression<F>]) -> Result<Self, CompileError> {
        Self::compile_with_lookups(constraints, &[], 0, 0)
    }

    /// Compiles an AIR's base and extension constraints (as `get_symbolic_constraints`
    /// returns them) for a job with `num_challenges` lookup challenges and `num_perm_values`
    /// terminal values.
    pub fn compile_with_lookups(
        base: &[SymbolicExpression<F>],
        ext: &[ExtExpr],
        num_challenges: usize,
        num_perm_values: usize,
    ) -> Result<Self, CompileError> {
        let mut low = Lowering {
            nodes: Vec::new(),
            base_by_ptr: HashMap::new(),
            ext_by_ptr: HashMap::new(),
            by_shape: HashMap::new(),
            ext_constants: Vec::new(),
            num_challenges,
            num_perm_values,
        };
        let mut roots = Vec::with_capacity(base.len() + ext.len());
        for c in base {
            roots.push(low.lower(c)?);
        }
        for c in ext {
            roots.push(low.lower_ext(c)?);
        }
        let n = low.nodes.len();
        // Leaves (column, constant, challenge loads) are not kept in registers between uses:
        // each reader loads its own copy right before it and frees it right after, so a column
        // read by the first and the last constraint does not hold a register in between.
        let is_leaf = |i: usize| matches!(low.nodes[i], Node::Leaf(..));
        // Last reader of every interior node: its parents, or its Emit right after it.
        let mut last_use: Vec<usize> = (0..n).collect();
        for (i, node) in low.nodes.iter().enumerate() {
            match *node {
                Node::Bin(_, a, b) => {
                    last_use[a] = i;
                    last_use[b] = i;
                }
                Node::Un(_, a) => last_use[a] = i,
                Node::Leaf(..) => {}
            }
        }
        let mut emits_after: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (k, &r) in roots.iter().enumerate() {
            emits_after[r].push(k);
        }
        let mut releases: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, &lu) in last_use.iter().enumerate() {
            if !is_leaf(i) {
                releases[lu].push(i);
            }
        }
        let file_of = |op: Op| usize::from(op.writes_ext());
        let mut regs = Registers::default();
        let mut reg_of = vec![u32::MAX; n];
        let mut instrs = Vec::with_capacity(n + roots.len());
        for (i, node) in low.nodes.iter().enumerate() {
            if is_leaf(i) && emits_after[i].is_empty() {
                continue;
            }
            // Load the leaf operands into temporaries.
            let mut temps = Vec::new();
            let mut operand = |j: usize, regs: &mut Registers, instrs: &mut Vec<Instr>| {
                if let Node::Leaf(op, a) = low.nodes[j] {
                    let r = regs.take(file_of(op));
                    instrs.push(Instr {
                        op,
                        dst: r,
                        a,
                        b: 0,
                    });
                    temps.push((file_of(op), r));
                    r
                } else {
                    reg_of[j]
                }
            };
            let (a, b) = match *node {
                Node::Leaf(_, a) => (a, 0),
                Node::Bin(_, x, y) => {
                    let a = operand(x, &mut regs, &mut instrs);
                    (a, operand(y, &mut regs, &mut instrs))
                }
                Node::Un(_, x) => (operand(x, &mut regs, &mut instrs), 0),
            };
            // The destination is taken before this node's dead operands are freed, so it never
            // aliases an operand.
            let file = file_of(node.op());
            let dst = regs.take(file);
            reg_of[i] = dst;
            instrs.push(Instr {
                op: node.op(),
                dst,
                a,
                b,
            });
            for &k in &emits_after[i] {
                let op = if file == 1 { Op::ExtEmit } else { Op::Emit };
                instrs.push(Instr {
                    op,
                    dst: 0,
                    a: dst,
                    b: k as u32,
                });
            }
            for (f, r) in temps {
                regs.free(f, r);
            }
            if is_leaf(i) {
                regs.free(file, dst);
            }
            for &dead in &releases[i] {
                regs.free(file_of(low.nodes[dead].op()), reg_of[dead]);
            }
        }
        let next_reg = regs.used;
        let [num_regs, num_ext_regs] = next_reg.map(|r| r as usize);
        Ok(QuotientProgram {
            instrs,
            num_regs,
            num_ext_regs,
            num_constraints: roots.len(),
            ext_constants: low.ext_constants,
            num_challenges,
            num_perm_values,
        })
    }

    /// Registers past the kernel's private files, `(base, extension)`: they live in a device
    /// scratch buffer.
    pub fn spills(&self) -> (usize, usize) {
        (
            self.num_regs.saturating_sub(MAX_REGS),
            self.num_ext_regs.saturating_sub(MAX_EXT_REGS),
        )
    }

    /// The extension table of a job: its lookup challenges, its terminal values, then the
    /// program's constants.
    pub fn ext_table(
        &self,
        challenges: &[EF],
        perm_values: &[EF],
    ) -> Result<Vec<EF>, CompileError> {
        if challenges.len() != self.num_challenges || perm_values.len() != self.num_perm_values {
            return Err(CompileError(format!(
                "job has {} challenges and {} terminal values; the program was compiled for {} and {}",
                challenges.len(),
                perm_values.len(),
                self.num_challenges,
                self.num_perm_values
            )));
        }
        Ok([challenges, perm_values, &self.ext_constants].concat())
    }

    /// The instructions as the kernel reads them: 4 words each (op, dst, a, b).
    pub fn words(&self) -> Vec<u32> {
        self.instrs
            .iter()
            .flat_map(|i| [i.op as u32, i.dst, i.a, i.b])
            .collect()
    }

    /// CPU twin of the kernel: `Σ_k weights[k] · C_k(row)`.
    pub fn eval_row(&self, row: &RowInputs<'_>, weights: &[EF]) -> EF {
        let mut it = interp::RowInterp {
            row,
            weights,
            acc: EF::ZERO,
        };
        self.run(&mut it);
        it.acc
    }

    /// Runs the program on `it`'s values, instruction by instruction (registers hold whatever
    /// `it` computes with). Every consumer of the bytecode interprets it through this loop.
    pub fn run<I: Interp>(&self, it: &mut I) {
        let mut regs: Vec<Option<I::Base>> = vec![None; self.num_regs];
        let mut eregs: Vec<Option<I::Ext>> = vec![None; self.num_ext_regs];
        let get = |r: &[Option<I::Base>], i: u32| r[i as usize].expect("written before it is read");
        let get_e =
            |r: &[Option<I::Ext>], i: u32| r[i as usize].expect("written before it is read");
        for ins in &self.instrs {
            let d = ins.dst as usize;
            match ins.op {
                Op::MainLocal
                | Op::MainNext
                | Op::PreLocal
                | Op::PreNext
                | Op::Public
                | Op::IsFirst
                | Op::IsLast
                | Op::IsTransition => regs[d] = Some(it.load(ins.op, ins.a)),
                Op::Const => {
                    let c = mipstark_kernels::from_words(vec![ins.a])[0];
                    regs[d] = Some(it.constant(c));
                }
                Op::Add => regs[d] = Some(it.add(get(&regs, ins.a), get(&regs, ins.b))),
                Op::Sub => regs[d] = Some(it.sub(get(&regs, ins.a), get(&regs, ins.b))),
                Op::Mul => regs[d] = Some(it.mul(get(&regs, ins.a), get(&regs, ins.b))),
                Op::Neg => regs[d] = Some(it.neg(get(&regs, ins.a))),
                Op::Emit => it.emit(ins.b as usize, get(&regs, ins.a)),
                Op::PermLocal | Op::PermNext | Op::ExtLoad => {
                    eregs[d] = Some(it.load_ext(ins.op, ins.a))
                }
                Op::ExtFromBase => eregs[d] = Some(it.lift(get(&regs, ins.a))),
                Op::ExtAdd => {
                    eregs[d] = Some(it.add_ext(get_e(&eregs, ins.a), get_e(&eregs, ins.b)))
                }
                Op::ExtSub => {
                    eregs[d] = Some(it.sub_ext(get_e(&eregs, ins.a), get_e(&eregs, ins.b)))
                }
                Op::ExtMul => {
                    eregs[d] = Some(it.mul_ext(get_e(&eregs, ins.a), get_e(&eregs, ins.b)))
                }
                Op::ExtNeg => eregs[d] = Some(it.neg_ext(get_e(&eregs, ins.a))),
                Op::ExtMulBase => {
                    eregs[d] = Some(it.mul_ext_base(get_e(&eregs, ins.a), get(&regs, ins.b)))
                }
                Op::ExtEmit => it.emit_ext(ins.b as usize, get_e(&eregs, ins.a)),
            }
        }
    }
}

/// The base coordinates of extension values, as the kernel reads lookup columns.
pub fn ext_words(values: &[EF]) -> Vec<F> {
    values
        .iter()
        .flat_map(|v| v.as_basis_coefficients_slice().to_vec())
        .collect()
}

#[cfg(test)]
mod tests {
    use p3_air::{SymbolicVariable, SymbolicVariableExt};

    use super::*;

    fn var(i: usize) -> SymbolicExpression<F> {
        SymbolicExpression::from(SymbolicVariable::new(BaseEntry::Main { offset: 0 }, i))
    }

    fn row<'a>(local: &'a [F], perm: &'a [EF], table: &'a [EF]) -> RowInputs<'a> {
        RowInputs {
            main_local: local,
            main_next: &[],
            pre_local: &[],
            pre_next: &[],
            perm_local: perm,
            perm_next: &[],
            public_values: &[],
            ext_table: table,
            is_first: F::ZERO,
            is_last: F::ZERO,
            is_transition: F::ONE,
        }
    }

    /// Many independent constraints reuse a handful of registers, and the program computes
    /// what the expressions say.
    #[test]
    fn registers_are_reused_and_values_are_right() {
        let cols = 64;
        let constraints: Vec<_> = (0..cols - 2)
            .map(|i| {
                var(i) * var(i + 1) - var(i + 2) + SymbolicExpression::from(F::from_u32(i as u32))
            })
            .collect();
        let prog = QuotientProgram::compile(&constraints).unwrap();
        assert!(
            prog.num_regs <= 8,
            "{} registers for independent constraints",
            prog.num_regs
        );
        let local: Vec<F> = (0..cols).map(|i| F::from_u32(3 * i as u32 + 1)).collect();
        let weights: Vec<EF> = (0..constraints.len())
            .map(|k| EF::from(F::from_u32(k as u32 + 5)))
            .collect();
        let want: EF = (0..cols - 2)
            .map(|i| weights[i] * (local[i] * local[i + 1] - local[i + 2] + F::from_u32(i as u32)))
            .sum();
        assert_eq!(prog.eval_row(&row(&local, &[], &[]), &weights), want);
    }

    /// Mixed constraints: lookup columns times base expressions, challenges, constants and
    /// the terminal, with base subtrees kept in base registers.
    #[test]
    fn extension_constraints_are_right() {
        let ext = |e: ExtEntry, i: usize| ExtExpr::from(SymbolicVariableExt::new(e, i));
        let lift = |e: SymbolicExpression<F>| ExtExpr::from(e);
        let c = EF::from_basis_coefficients_fn(|i| F::from_u32(7 + i as u32));
        let perm0 = ext(ExtEntry::Permutation { offset: 0 }, 0);
        let perm1 = ext(ExtEntry::Permutation { offset: 0 }, 1);
        let ch1 = ext(ExtEntry::Challenge, 1);
        let pv = ext(ExtEntry::PermutationValue, 0);
        let constraints = vec![
            perm0.clone() * lift(var(0) + var(1)) - ch1.clone(),
            (perm1.clone() - pv.clone()) * (ch1.clone() + ExtExpr::from(c)),
            lift(var(2) * var(2)),
            -perm0.clone(),
        ];
        let prog = QuotientProgram::compile_with_lookups(&[var(3)], &constraints, 2, 1).unwrap();
        let local: Vec<F> = (0..4).map(|i| F::from_u32(11 * i + 3)).collect();
        let perm: Vec<EF> = (0..2)
            .map(|k| EF::from_basis_coefficients_fn(|i| F::from_u32(100 * k + i as u32 + 1)))
            .collect();
        let challenges: Vec<EF> = (0..2)
            .map(|k| EF::from_basis_coefficients_fn(|i| F::from_u32(50 + 9 * k + i as u32)))
            .collect();
        let terminal = [EF::from_basis_coefficients_fn(|i| {
            F::from_u32(3 + i as u32)
        })];
        let table = prog.ext_table(&challenges, &terminal).unwrap();
        let weights: Vec<EF> = (0..5)
            .map(|k| EF::from_basis_coefficients_fn(|i| F::from_u32(k * 4 + i as u32 + 1)))
            .collect();
        let values = [
            EF::from(local[3]),
            perm[0] * (local[0] + local[1]) - challenges[1],
            (perm[1] - terminal[0]) * (challenges[1] + c),
            EF::from(local[2] * local[2]),
            -perm[0],
        ];
        let want: EF = values.iter().zip(&weights).map(|(v, w)| *v * *w).sum();
        assert_eq!(prog.eval_row(&row(&local, &perm, &table), &weights), want);
        assert!(prog.ext_table(&challenges, &[]).is_err());
    }

    #[test]
    fn unsupported_variables_are_an_error() {
        let periodic = SymbolicExpression::<F>::from(SymbolicVariable::new(BaseEntry::Periodic, 0));
        assert!(QuotientProgram::compile(&[periodic]).is_err());
    }
}
