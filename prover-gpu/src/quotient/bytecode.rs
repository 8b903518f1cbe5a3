//! The constraint bytecode: one instruction per distinct DAG node, registers reused after a
//! value's last use so the kernel's register file stays small.

use std::collections::HashMap;
use std::sync::Arc;

use p3_air::{BaseEntry, BaseLeaf, SymbolicExpr, SymbolicExpression};
use p3_field::extension::BinomialExtensionField;
use p3_field::PrimeCharacteristicRing;
use p3_koala_bear::KoalaBear;

use crate::error::GpuError;

type F = KoalaBear;
type EF = BinomialExtensionField<F, 4>;

/// Registers the kernel reserves per thread (`QUOTIENT_MAX_REGS` in quotient.cu).
pub const MAX_REGS: usize = 256;

/// Operation codes (`QOP_*` in quotient.cu).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Op {
    MainLocal = 0,
    MainNext = 1,
    PreLocal = 2,
    PreNext = 3,
    Const = 4,
    IsFirst = 5,
    IsLast = 6,
    IsTransition = 7,
    Add = 8,
    Sub = 9,
    Mul = 10,
    Neg = 11,
    /// `acc += weight[b] · reg[a]`.
    Emit = 12,
    Public = 13,
}

/// One instruction: `reg[dst] = op(a, b)`; for loads `a` is the column/public index, for
/// `Const` it is the Montgomery word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instr {
    pub op: Op,
    pub dst: u32,
    pub a: u32,
    pub b: u32,
}

/// A compiled constraint system.
#[derive(Clone, Debug)]
pub struct QuotientProgram {
    pub instrs: Vec<Instr>,
    pub num_regs: usize,
    pub num_constraints: usize,
}

/// What one row's evaluation reads.
pub struct RowInputs<'a> {
    pub main_local: &'a [F],
    pub main_next: &'a [F],
    pub pre_local: &'a [F],
    pub pre_next: &'a [F],
    pub public_values: &'a [F],
    pub is_first: F,
    pub is_last: F,
    pub is_transition: F,
}

enum Node {
    Leaf(Op, u32),
    Bin(Op, usize, usize),
    Neg(usize),
}

struct Lowering {
    nodes: Vec<Node>,
    by_ptr: HashMap<*const SymbolicExpression<F>, usize>,
    by_leaf: HashMap<(u32, u32), usize>,
}

impl Lowering {
    fn leaf(&mut self, op: Op, a: u32) -> usize {
        *self.by_leaf.entry((op as u32, a)).or_insert_with(|| {
            self.nodes.push(Node::Leaf(op, a));
            self.nodes.len() - 1
        })
    }

    fn lower(&mut self, e: &SymbolicExpression<F>) -> Result<usize, GpuError> {
        let key = e as *const _;
        if let Some(&i) = self.by_ptr.get(&key) {
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
                            return Err(GpuError::Shape(format!(
                                "quotient bytecode does not support {other:?} variables yet"
                            )))
                        }
                    };
                    self.leaf(op, v.index as u32)
                }
                BaseLeaf::IsFirstRow => self.leaf(Op::IsFirst, 0),
                BaseLeaf::IsLastRow => self.leaf(Op::IsLast, 0),
                BaseLeaf::IsTransition => self.leaf(Op::IsTransition, 0),
                BaseLeaf::Constant(c) => self.leaf(Op::Const, crate::kernels::as_words(&[*c])[0]),
            },
            SymbolicExpr::Add { x, y, .. } => self.bin(Op::Add, x, y)?,
            SymbolicExpr::Sub { x, y, .. } => self.bin(Op::Sub, x, y)?,
            SymbolicExpr::Mul { x, y, .. } => self.bin(Op::Mul, x, y)?,
            SymbolicExpr::Neg { x, .. } => {
                let a = self.lower(x)?;
                self.nodes.push(Node::Neg(a));
                self.nodes.len() - 1
            }
        };
        self.by_ptr.insert(key, idx);
        Ok(idx)
    }

    fn bin(
        &mut self,
        op: Op,
        x: &Arc<SymbolicExpression<F>>,
        y: &Arc<SymbolicExpression<F>>,
    ) -> Result<usize, GpuError> {
        let a = self.lower(x)?;
        let b = self.lower(y)?;
        self.nodes.push(Node::Bin(op, a, b));
        Ok(self.nodes.len() - 1)
    }
}

impl QuotientProgram {
    /// Compiles base-field constraints (in emission order: constraint `k` is weighted by
    /// `weights[k]` at evaluation).
    pub fn compile(constraints: &[SymbolicExpression<F>]) -> Result<Self, GpuError> {
        let mut low = Lowering {
            nodes: Vec::new(),
            by_ptr: HashMap::new(),
            by_leaf: HashMap::new(),
        };
        let roots: Vec<usize> = constraints
            .iter()
            .map(|c| low.lower(c))
            .collect::<Result<_, _>>()?;
        // Last use of every node: its parents, or its Emit.
        let n = low.nodes.len();
        let mut last_use = vec![0usize; n];
        for (i, node) in low.nodes.iter().enumerate() {
            match node {
                Node::Bin(_, a, b) => {
                    last_use[*a] = i;
                    last_use[*b] = i;
                }
                Node::Neg(a) => last_use[*a] = i,
                Node::Leaf(..) => {}
            }
        }
        // Emits are scheduled right after their root is computed; a root is live until then.
        let mut emits_after: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (k, r) in roots.iter().enumerate() {
            emits_after[*r].push(k);
            last_use[*r] = last_use[*r].max(*r);
        }
        let mut free: Vec<u32> = Vec::new();
        let mut next_reg = 0u32;
        let mut reg_of = vec![u32::MAX; n];
        let mut instrs = Vec::with_capacity(n + roots.len());
        let mut releases: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, &lu) in last_use.iter().enumerate() {
            // Roots and interior nodes alike are freed after their last reader.
            releases[lu.max(i)].push(i);
        }
        for (i, node) in low.nodes.iter().enumerate() {
            // Operands whose last use is this node can be freed *after* reading them; the
            // destination is taken first so it never aliases a live operand.
            let dst = free.pop().unwrap_or_else(|| {
                next_reg += 1;
                next_reg - 1
            });
            reg_of[i] = dst;
            let ins = match node {
                Node::Leaf(op, a) => Instr {
                    op: *op,
                    dst,
                    a: *a,
                    b: 0,
                },
                Node::Bin(op, a, b) => Instr {
                    op: *op,
                    dst,
                    a: reg_of[*a],
                    b: reg_of[*b],
                },
                Node::Neg(a) => Instr {
                    op: Op::Neg,
                    dst,
                    a: reg_of[*a],
                    b: 0,
                },
            };
            instrs.push(ins);
            for &k in &emits_after[i] {
                instrs.push(Instr {
                    op: Op::Emit,
                    dst: 0,
                    a: dst,
                    b: k as u32,
                });
            }
            for &dead in &releases[i] {
                free.push(reg_of[dead]);
            }
        }
        let num_regs = next_reg as usize;
        if num_regs > MAX_REGS {
            return Err(GpuError::Shape(format!(
                "constraint program needs {num_regs} registers; the kernel has {MAX_REGS}"
            )));
        }
        Ok(QuotientProgram {
            instrs,
            num_regs,
            num_constraints: constraints.len(),
        })
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
        let mut regs = vec![F::ZERO; self.num_regs.max(1)];
        let mut acc = EF::ZERO;
        for ins in &self.instrs {
            let (a, b) = (ins.a as usize, ins.b as usize);
            let v = match ins.op {
                Op::MainLocal => row.main_local[a],
                Op::MainNext => row.main_next[a],
                Op::PreLocal => row.pre_local[a],
                Op::PreNext => row.pre_next[a],
                Op::Public => row.public_values[a],
                Op::Const => crate::kernels::from_words(vec![ins.a])[0],
                Op::IsFirst => row.is_first,
                Op::IsLast => row.is_last,
                Op::IsTransition => row.is_transition,
                Op::Add => regs[a] + regs[b],
                Op::Sub => regs[a] - regs[b],
                Op::Mul => regs[a] * regs[b],
                Op::Neg => -regs[a],
                Op::Emit => {
                    acc += weights[b] * regs[a];
                    continue;
                }
            };
            regs[ins.dst as usize] = v;
        }
        acc
    }
}

#[cfg(test)]
mod tests {
    use p3_air::SymbolicVariable;

    use super::*;

    fn var(i: usize) -> SymbolicExpression<F> {
        SymbolicExpression::from(SymbolicVariable::new(BaseEntry::Main { offset: 0 }, i))
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
        let row = RowInputs {
            main_local: &local,
            main_next: &[],
            pre_local: &[],
            pre_next: &[],
            public_values: &[],
            is_first: F::ZERO,
            is_last: F::ZERO,
            is_transition: F::ONE,
        };
        let want: EF = (0..cols - 2)
            .map(|i| weights[i] * (local[i] * local[i + 1] - local[i + 2] + F::from_u32(i as u32)))
            .sum();
        assert_eq!(prog.eval_row(&row, &weights), want);
    }

    #[test]
    fn unsupported_variables_are_an_error() {
        let periodic = SymbolicExpression::<F>::from(SymbolicVariable::new(BaseEntry::Periodic, 0));
        assert!(QuotientProgram::compile(&[periodic]).is_err());
    }
}
