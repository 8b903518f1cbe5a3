//! The recording backend: each builder call appends one instruction to a straight-line
//! [`Program`], whose variables are SSA ids. The program is what the recursion machine will
//! prove (`docs/recursion.md` §2): its instructions become the chips' preprocessed rows, and
//! the values the recorder computes along the way (when it runs on a real proof) become their
//! main traces.
//!
//! Two modes, one program: [`Recorder::with_values`] computes every variable's value as the
//! native backend would (so hints, such as restored Merkle paths, can be read), while
//! [`Recorder::shape_only`] computes none. The verifier never branches on a value, so both
//! record the same instructions — the recursion verifying key cannot depend on the proof.
//!
//! Pure instructions are hash-consed: a constant, or an operation on the same operands, is
//! recorded once. Witnesses and assertions never are.

use std::collections::HashMap;

use p3_field::{BasedVectorSpace, PrimeCharacteristicRing, PrimeField32};

use super::native::Failure;
use super::{Builder, Digest, DIGEST_ELEMS, EXT_DEGREE, PERM_WIDTH};
use crate::{Challenge, Val};

/// A base-field variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FVar(pub u32);
/// An extension variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EVar(pub u32);
/// A boolean variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BitVar(pub u32);

/// One instruction. Outputs are the next ids of their kind, in order, so an instruction
/// names only its operands.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Instr {
    /// → F: a constant (canonical value).
    ConstF(u32),
    /// → F: the next witness value.
    WitnessF,
    AddF(FVar, FVar),
    SubF(FVar, FVar),
    MulF(FVar, FVar),
    /// → F: `1/a`, asserting `a ≠ 0`.
    InvF(FVar),
    /// → E.
    ExtFromCoeffs([FVar; EXT_DEGREE]),
    /// → EXT_DEGREE × F.
    ExtCoeffs(EVar),
    AddE(EVar, EVar),
    SubE(EVar, EVar),
    MulE(EVar, EVar),
    /// → E: `1/a`, asserting `a ≠ 0`.
    InvE(EVar),
    /// → F: `a` where the bit is 0, `b` where it is 1.
    SelectF(BitVar, FVar, FVar),
    /// Asserts `a = b`.
    AssertEqF(FVar, FVar),
    /// → n × Bit: the low `n` bits of `x` (`n < 31`: asserting `x < 2^n`; `n = 31`: the
    /// canonical decomposition).
    Bits(FVar, u8),
    /// → F: a bit as a field element.
    BitF(BitVar),
    /// → 16 × F: the Poseidon2 permutation.
    Poseidon2(Box<[FVar; PERM_WIDTH]>),
    /// → 16 × F: the permutation of `left ‖ right` where the bit is 0, of `right ‖ left`
    /// where it is 1 (a Merkle path's step: [`Builder::compress_ordered`]).
    Poseidon2Ordered(Box<[FVar; PERM_WIDTH]>, BitVar),
    /// Exposes a value as the next public value.
    Public(FVar),
}

impl Instr {
    fn is_pure(&self) -> bool {
        !matches!(
            self,
            Instr::WitnessF | Instr::AssertEqF(..) | Instr::Public(_)
        )
    }
}

/// A recorded straight-line program.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Program {
    pub instrs: Vec<Instr>,
    pub num_f: u32,
    pub num_e: u32,
    pub num_bits: u32,
    pub num_witnesses: u32,
}

/// Instruction counts by kind (for sizing the recursion machine's chips).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Census {
    pub constants: usize,
    pub witnesses: usize,
    pub base_alu: usize,
    pub inverses: usize,
    pub ext_alu: usize,
    pub ext_packing: usize,
    pub selects: usize,
    pub assertions: usize,
    pub decompositions: usize,
    pub decomposed_bits: usize,
    pub poseidon2: usize,
    pub publics: usize,
}

impl Program {
    pub fn census(&self) -> Census {
        let mut c = Census::default();
        for i in &self.instrs {
            match i {
                Instr::ConstF(_) => c.constants += 1,
                Instr::WitnessF => c.witnesses += 1,
                Instr::AddF(..) | Instr::SubF(..) | Instr::MulF(..) | Instr::BitF(_) => {
                    c.base_alu += 1
                }
                Instr::InvF(_) | Instr::InvE(_) => c.inverses += 1,
                Instr::AddE(..) | Instr::SubE(..) | Instr::MulE(..) => c.ext_alu += 1,
                Instr::ExtFromCoeffs(_) | Instr::ExtCoeffs(_) => c.ext_packing += 1,
                Instr::SelectF(..) => c.selects += 1,
                Instr::AssertEqF(..) => c.assertions += 1,
                Instr::Bits(_, n) => {
                    c.decompositions += 1;
                    c.decomposed_bits += *n as usize;
                }
                Instr::Poseidon2(_) | Instr::Poseidon2Ordered(..) => c.poseidon2 += 1,
                Instr::Public(_) => c.publics += 1,
            }
        }
        c
    }

    /// The instruction that defines `v`.
    pub fn defining(&self, v: FVar) -> Option<&Instr> {
        let mut next = 0u32;
        self.instrs.iter().find(|i| {
            next += outputs(i).0;
            next > v.0
        })
    }

    /// Runs the program on `witnesses` (in [`Instr::WitnessF`] order) and checks every
    /// assertion: the verdict a proof of this program's execution stands for. Checks are
    /// numbered as the native backend numbers them.
    pub fn execute(&self, witnesses: &[Val]) -> Result<(), Failure> {
        self.values(witnesses).1
    }

    /// Every variable's value on `witnesses`, and the verdict (as [`Self::execute`]).
    ///
    /// # Panics
    ///
    /// When `witnesses` has fewer values than the program has witnesses.
    pub fn values(&self, witnesses: &[Val]) -> (Values, Result<(), Failure>) {
        let mut v = Values::default();
        let mut next_witness = witnesses.iter();
        let mut native = super::native::Native::new();
        for instr in &self.instrs {
            let w = match instr {
                Instr::WitnessF => Some(*next_witness.next().expect("one value per witness")),
                _ => None,
            };
            v.apply(instr, w, &mut native);
        }
        (v, native.finish())
    }
}

/// Every variable's value, by kind (indexed by variable id).
#[derive(Clone, Debug, Default)]
pub struct Values {
    pub f: Vec<Val>,
    pub e: Vec<Challenge>,
    pub bits: Vec<bool>,
    /// The exposed values, in order.
    pub publics: Vec<Val>,
}

impl Values {
    /// Computes `instr`'s outputs (with the native backend's checks) and appends them.
    fn apply(&mut self, instr: &Instr, witness: Option<Val>, b: &mut super::native::Native) {
        let f = |i: FVar, v: &Values| v.f[i.0 as usize];
        let e = |i: EVar, v: &Values| v.e[i.0 as usize];
        match instr {
            Instr::ConstF(c) => self.f.push(Val::from_u32(*c)),
            Instr::WitnessF => self.f.push(witness.expect("a witness value")),
            Instr::AddF(x, y) => self.f.push(f(*x, self) + f(*y, self)),
            Instr::SubF(x, y) => self.f.push(f(*x, self) - f(*y, self)),
            Instr::MulF(x, y) => self.f.push(f(*x, self) * f(*y, self)),
            Instr::InvF(x) => {
                let r = b.inv_f(f(*x, self));
                self.f.push(r)
            }
            Instr::ExtFromCoeffs(c) => self
                .e
                .push(Challenge::from_basis_coefficients_fn(|i| f(c[i], self))),
            Instr::ExtCoeffs(x) => {
                let c = e(*x, self);
                self.f.extend_from_slice(c.as_basis_coefficients_slice());
            }
            Instr::AddE(x, y) => self.e.push(e(*x, self) + e(*y, self)),
            Instr::SubE(x, y) => self.e.push(e(*x, self) - e(*y, self)),
            Instr::MulE(x, y) => self.e.push(e(*x, self) * e(*y, self)),
            Instr::InvE(x) => {
                let r = b.inv_e(e(*x, self));
                self.e.push(r)
            }
            Instr::SelectF(bit, x, y) => {
                let r = if self.bits[bit.0 as usize] {
                    f(*y, self)
                } else {
                    f(*x, self)
                };
                self.f.push(r)
            }
            Instr::AssertEqF(x, y) => b.assert_eq_f(f(*x, self), f(*y, self)),
            Instr::Bits(x, n) => {
                let bits = b.bits(f(*x, self), *n as usize);
                self.bits.extend(bits);
            }
            Instr::BitF(bit) => self.f.push(Val::from_bool(self.bits[bit.0 as usize])),
            Instr::Poseidon2(state) => {
                let s = b.poseidon2(state.map(|x| f(x, self)));
                self.f.extend_from_slice(&s);
            }
            Instr::Poseidon2Ordered(state, bit) => {
                let read = state.map(|x| f(x, self));
                let half = PERM_WIDTH / 2;
                let swap = self.bits[bit.0 as usize];
                let input = std::array::from_fn(|i| {
                    if swap {
                        read[(i + half) % PERM_WIDTH]
                    } else {
                        read[i]
                    }
                });
                let s = b.poseidon2(input);
                self.f.extend_from_slice(&s);
            }
            Instr::Public(x) => self.publics.push(f(*x, self)),
        }
    }
}

/// A recording with values: the witness values (in [`Instr::WitnessF`] order) and their
/// verdict.
pub type Run = (Vec<Val>, Result<(), Failure>);

/// How many variables of each kind an instruction defines.
pub fn outputs(instr: &Instr) -> (u32, u32, u32) {
    match instr {
        Instr::ExtFromCoeffs(_)
        | Instr::AddE(..)
        | Instr::SubE(..)
        | Instr::MulE(..)
        | Instr::InvE(_) => (0, 1, 0),
        Instr::ExtCoeffs(_) => (EXT_DEGREE as u32, 0, 0),
        Instr::AssertEqF(..) | Instr::Public(_) => (0, 0, 0),
        Instr::Bits(_, n) => (0, 0, *n as u32),
        Instr::Poseidon2(_) | Instr::Poseidon2Ordered(..) => (PERM_WIDTH as u32, 0, 0),
        _ => (1, 0, 0),
    }
}

/// Records the program (see the module documentation).
pub struct Recorder {
    program: Program,
    /// Each pure instruction's first outputs (hash-consing).
    seen: HashMap<Instr, (u32, u32, u32)>,
    /// `Some` when recording with values.
    values: Option<(Values, super::native::Native)>,
    witnesses: Vec<Val>,
}

impl Recorder {
    /// Records and computes every value (from a real proof).
    pub fn with_values() -> Self {
        Self::new(Some((Values::default(), super::native::Native::new())))
    }

    /// Records instructions only (a proof's values are ignored).
    pub fn shape_only() -> Self {
        Self::new(None)
    }

    fn new(values: Option<(Values, super::native::Native)>) -> Self {
        Recorder {
            program: Program::default(),
            seen: HashMap::new(),
            values,
            witnesses: Vec::new(),
        }
    }

    /// The program, and (with values) its witness values and the verdict the values give.
    pub fn finish(self) -> (Program, Option<Run>) {
        let verdict = self.values.map(|(_, native)| native.finish());
        (self.program, verdict.map(|v| (self.witnesses, v)))
    }

    /// Appends `instr` (or finds its earlier copy) and returns the first id of each kind of
    /// its outputs.
    fn push(&mut self, instr: Instr, witness: Option<Val>) -> (u32, u32, u32) {
        if instr.is_pure() {
            if let Some(&ids) = self.seen.get(&instr) {
                return ids;
            }
        }
        let (nf, ne, nb) = outputs(&instr);
        let ids = (
            self.program.num_f,
            self.program.num_e,
            self.program.num_bits,
        );
        self.program.num_f += nf;
        self.program.num_e += ne;
        self.program.num_bits += nb;
        if let Some((values, native)) = self.values.as_mut() {
            values.apply(&instr, witness, native);
        }
        if matches!(instr, Instr::WitnessF) {
            self.program.num_witnesses += 1;
            self.witnesses.push(witness.unwrap_or(Val::ZERO));
        }
        if instr.is_pure() {
            self.seen.insert(instr.clone(), ids);
        }
        self.program.instrs.push(instr);
        ids
    }

    fn f(&mut self, instr: Instr) -> FVar {
        FVar(self.push(instr, None).0)
    }

    fn e(&mut self, instr: Instr) -> EVar {
        EVar(self.push(instr, None).1)
    }
}

impl Builder for Recorder {
    type F = FVar;
    type E = EVar;
    type Bit = BitVar;

    fn constant_f(&mut self, v: Val) -> FVar {
        self.f(Instr::ConstF(v.as_canonical_u32()))
    }
    fn witness_f(&mut self, v: Val) -> FVar {
        FVar(self.push(Instr::WitnessF, Some(v)).0)
    }
    fn add_f(&mut self, a: FVar, b: FVar) -> FVar {
        self.f(Instr::AddF(a, b))
    }
    fn sub_f(&mut self, a: FVar, b: FVar) -> FVar {
        self.f(Instr::SubF(a, b))
    }
    fn mul_f(&mut self, a: FVar, b: FVar) -> FVar {
        self.f(Instr::MulF(a, b))
    }
    fn inv_f(&mut self, a: FVar) -> FVar {
        self.f(Instr::InvF(a))
    }
    fn add_e(&mut self, a: EVar, b: EVar) -> EVar {
        self.e(Instr::AddE(a, b))
    }
    fn sub_e(&mut self, a: EVar, b: EVar) -> EVar {
        self.e(Instr::SubE(a, b))
    }
    fn mul_e(&mut self, a: EVar, b: EVar) -> EVar {
        self.e(Instr::MulE(a, b))
    }
    fn inv_e(&mut self, a: EVar) -> EVar {
        self.e(Instr::InvE(a))
    }
    fn select_f(&mut self, bit: BitVar, a: FVar, b: FVar) -> FVar {
        self.f(Instr::SelectF(bit, a, b))
    }
    fn ext_from_coeffs(&mut self, c: [FVar; EXT_DEGREE]) -> EVar {
        self.e(Instr::ExtFromCoeffs(c))
    }
    fn ext_coeffs(&mut self, e: EVar) -> [FVar; EXT_DEGREE] {
        let first = self.push(Instr::ExtCoeffs(e), None).0;
        std::array::from_fn(|i| FVar(first + i as u32))
    }
    fn assert_eq_f(&mut self, a: FVar, b: FVar) {
        self.push(Instr::AssertEqF(a, b), None);
    }
    fn bits(&mut self, x: FVar, n: usize) -> Vec<BitVar> {
        assert!(n <= 31, "a field element has 31 bits");
        let first = self.push(Instr::Bits(x, n as u8), None).2;
        (0..n as u32).map(|i| BitVar(first + i)).collect()
    }
    fn bit_f(&mut self, b: BitVar) -> FVar {
        self.f(Instr::BitF(b))
    }
    fn poseidon2(&mut self, state: [FVar; PERM_WIDTH]) -> [FVar; PERM_WIDTH] {
        let first = self.push(Instr::Poseidon2(Box::new(state)), None).0;
        std::array::from_fn(|i| FVar(first + i as u32))
    }
    fn public(&mut self, x: FVar) {
        self.push(Instr::Public(x), None);
    }
    /// One row of the Poseidon2 chip, ordered by the bit, instead of sixteen selects.
    fn compress_ordered(
        &mut self,
        node: Digest<Self>,
        sibling: Digest<Self>,
        bit: BitVar,
    ) -> Digest<Self> {
        let mut state = [node[0]; PERM_WIDTH];
        state[..DIGEST_ELEMS].copy_from_slice(&node);
        state[DIGEST_ELEMS..].copy_from_slice(&sibling);
        let first = self
            .push(Instr::Poseidon2Ordered(Box::new(state), bit), None)
            .0;
        std::array::from_fn(|i| FVar(first + i as u32))
    }
    fn value_f(&self, x: FVar) -> Option<Val> {
        self.values.as_ref().map(|(v, _)| v.f[x.0 as usize])
    }
    fn value_e(&self, x: EVar) -> Option<Challenge> {
        self.values.as_ref().map(|(v, _)| v.e[x.0 as usize])
    }
    fn value_bit(&self, x: BitVar) -> Option<bool> {
        self.values.as_ref().map(|(v, _)| v.bits[x.0 as usize])
    }
}
