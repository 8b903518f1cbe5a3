//! The constraints at the out-of-domain point ζ, over the builder: each instance's constraint
//! bytecode (`mipstark-constraints`, the program the GPU prover's quotient kernel runs) is
//! interpreted on the opened values, folded with the group's α exactly as Plonky3's verifier
//! folder does (`acc ← acc·α + C_k` in emission order), and compared with the quotient
//! recomposed from its chunks at ζ (`recompose_quotient_from_chunks`' formula).
//!
//! Every value at ζ is an extension element, so both of the program's register files hold
//! extension variables here; its constants enter as constants of the recursion program.

use mipstark_constraints::{CompiledAir, Interp, Op};
use mipstark_prover_cpu_ref::{Challenge, Val};
use p3_commit::PolynomialSpace;
use p3_field::coset::TwoAdicMultiplicativeCoset;
use p3_field::{BasedVectorSpace, Field, PrimeCharacteristicRing, TwoAdicField};

use crate::builder::{Builder, EXT_DEGREE};

/// One instance's opened values, as variables (the same ones its opening claims absorb).
pub struct InstanceOpening<B: Builder> {
    pub main_local: Vec<B::E>,
    /// `None` when the AIR reads no next row (the folder then sees zeros).
    pub main_next: Option<Vec<B::E>>,
    /// Empty without preprocessed columns.
    pub pre_local: Vec<B::E>,
    pub pre_next: Option<Vec<B::E>>,
    /// The lookup columns, each as its `EXT_DEGREE` base-coordinate polynomials at the point.
    pub perm_local: Vec<B::E>,
    pub perm_next: Vec<B::E>,
    /// Each quotient chunk as its `EXT_DEGREE` base-coordinate polynomials at ζ.
    pub quotient_chunks: Vec<Vec<B::E>>,
}

/// What one instance's check reads besides its opening.
pub struct InstanceInputs<'a, B: Builder> {
    pub program: &'a CompiledAir,
    pub publics: &'a [B::F],
    /// The instance's lookup challenge vector (its buses' prefixes and β).
    pub lookup_challenges: &'a [B::E],
    /// The instance's lookup terminal (empty without lookups).
    pub terminals: &'a [B::E],
    /// log2 of the trace height.
    pub log_height: usize,
}

/// `Σ c_i·X^i`: the extension element whose base coordinates are the polynomials `c`.
fn from_coordinates<B: Builder>(b: &mut B, c: &[B::E]) -> B::E {
    let mut acc = b.constant_e(Challenge::ZERO);
    for (i, &ci) in c.iter().enumerate() {
        let basis = <Challenge as BasedVectorSpace<Val>>::ith_basis_element(i);
        let basis = b.constant_e(basis.expect("i < EXT_DEGREE"));
        let t = b.mul_e(ci, basis);
        acc = b.add_e(acc, t);
    }
    acc
}

/// `x^(2^k)`.
fn exp_power_of_2<B: Builder>(b: &mut B, mut x: B::E, k: usize) -> B::E {
    for _ in 0..k {
        x = b.mul_e(x, x);
    }
    x
}

/// The vanishing polynomial of `domain` at `x`: `(x/shift)^|domain| − 1`.
fn vanishing<B: Builder>(b: &mut B, domain: &TwoAdicMultiplicativeCoset<Val>, x: B::E) -> B::E {
    let s = b.constant_f(domain.shift_inverse());
    let unshifted = b.mul_ef(x, s);
    let p = exp_power_of_2(b, unshifted, domain.log_size());
    let one = b.constant_e(Challenge::ONE);
    b.sub_e(p, one)
}

/// The quotient at ζ from its chunks: chunk `i` (on the `i`-th coset of the quotient domain)
/// weighted by `Π_{j≠i} Z_j(ζ) / Z_j(first point of i)`.
fn recompose_quotient<B: Builder>(
    b: &mut B,
    log_height: usize,
    chunks: &[Vec<B::E>],
    zeta: B::E,
) -> B::E {
    let log_chunks = chunks.len().trailing_zeros() as usize;
    let trace = TwoAdicMultiplicativeCoset::new(Val::ONE, log_height).expect("a two-adic height");
    let domains = trace
        .try_create_disjoint_domain(1 << (log_height + log_chunks))
        .expect("a two-adic quotient domain")
        .split_domains(chunks.len());
    let at_zeta: Vec<B::E> = domains.iter().map(|d| vanishing(b, d, zeta)).collect();
    let mut quotient = b.constant_e(Challenge::ZERO);
    for (i, chunk) in chunks.iter().enumerate() {
        let mut weight = b.constant_e(Challenge::ONE);
        for (j, other) in domains.iter().enumerate() {
            if j == i {
                continue;
            }
            let first = domains[i].first_point();
            let norm = (first * other.shift_inverse()).exp_power_of_2(other.log_size()) - Val::ONE;
            let norm = b.constant_f(norm.inverse());
            let t = b.mul_ef(at_zeta[j], norm);
            weight = b.mul_e(weight, t);
        }
        let value = from_coordinates(b, chunk);
        let t = b.mul_e(weight, value);
        quotient = b.add_e(quotient, t);
    }
    quotient
}

/// Interprets the bytecode over the builder at ζ.
struct AtZeta<'a, B: Builder> {
    b: &'a mut B,
    main_local: &'a [B::E],
    main_next: Option<&'a [B::E]>,
    pre_local: &'a [B::E],
    pre_next: Option<&'a [B::E]>,
    perm_local: Vec<B::E>,
    perm_next: Vec<B::E>,
    publics: &'a [B::F],
    table: Vec<B::E>,
    selectors: [B::E; 3],
    weights: Vec<B::E>,
    acc: B::E,
}

impl<B: Builder> AtZeta<'_, B> {
    /// A column of a row the AIR does not read is zero (the reference folder's rule).
    fn column(&mut self, row: Option<&[B::E]>, index: u32) -> B::E {
        match row {
            Some(r) => r[index as usize],
            None => self.b.constant_e(Challenge::ZERO),
        }
    }
}

impl<B: Builder> Interp for AtZeta<'_, B> {
    type Base = B::E;
    type Ext = B::E;
    fn load(&mut self, op: Op, index: u32) -> B::E {
        match op {
            Op::MainLocal => self.main_local[index as usize],
            Op::MainNext => self.column(self.main_next, index),
            Op::PreLocal => self.pre_local[index as usize],
            Op::PreNext => self.column(self.pre_next, index),
            Op::Public => {
                let v = self.publics[index as usize];
                self.b.base_to_ext(v)
            }
            Op::IsFirst => self.selectors[0],
            Op::IsLast => self.selectors[1],
            Op::IsTransition => self.selectors[2],
            other => unreachable!("{other:?} is not a base load"),
        }
    }
    fn constant(&mut self, c: Val) -> B::E {
        self.b.constant_e(Challenge::from(c))
    }
    fn add(&mut self, a: B::E, b: B::E) -> B::E {
        self.b.add_e(a, b)
    }
    fn sub(&mut self, a: B::E, b: B::E) -> B::E {
        self.b.sub_e(a, b)
    }
    fn mul(&mut self, a: B::E, b: B::E) -> B::E {
        self.b.mul_e(a, b)
    }
    fn neg(&mut self, a: B::E) -> B::E {
        let zero = self.b.constant_e(Challenge::ZERO);
        self.b.sub_e(zero, a)
    }
    fn emit(&mut self, k: usize, v: B::E) {
        let t = self.b.mul_e(self.weights[k], v);
        self.acc = self.b.add_e(self.acc, t);
    }
    fn load_ext(&mut self, op: Op, index: u32) -> B::E {
        let i = index as usize;
        match op {
            Op::PermLocal => self.perm_local[i],
            Op::PermNext => self.perm_next[i],
            Op::ExtLoad => self.table[i],
            other => unreachable!("{other:?} is not an extension load"),
        }
    }
    fn lift(&mut self, a: B::E) -> B::E {
        a
    }
    fn add_ext(&mut self, a: B::E, b: B::E) -> B::E {
        self.add(a, b)
    }
    fn sub_ext(&mut self, a: B::E, b: B::E) -> B::E {
        self.sub(a, b)
    }
    fn mul_ext(&mut self, a: B::E, b: B::E) -> B::E {
        self.mul(a, b)
    }
    fn neg_ext(&mut self, a: B::E) -> B::E {
        self.neg(a)
    }
    fn mul_ext_base(&mut self, a: B::E, b: B::E) -> B::E {
        self.mul(a, b)
    }
    fn emit_ext(&mut self, k: usize, v: B::E) {
        self.emit(k, v)
    }
}

/// Checks one instance's constraints at ζ against its quotient: `Σ_k α^(K−1−k)·C_k(ζ) / Z_H(ζ)`
/// must equal the quotient recomposed from the opened chunks.
pub fn check_instance<B: Builder>(
    b: &mut B,
    opening: &InstanceOpening<B>,
    inputs: &InstanceInputs<'_, B>,
    alpha: B::E,
    zeta: B::E,
) {
    let n = inputs.log_height;
    let one = b.constant_e(Challenge::ONE);
    let zeta_n = exp_power_of_2(b, zeta, n);
    let z_h = b.sub_e(zeta_n, one);
    let g_inv = b.constant_f(Val::two_adic_generator(n).inverse());
    let g_inv = b.base_to_ext(g_inv);
    let to_first = b.sub_e(zeta, one);
    let to_first = b.inv_e(to_first);
    let is_first = b.mul_e(z_h, to_first);
    let is_transition = b.sub_e(zeta, g_inv);
    let to_last = b.inv_e(is_transition);
    let is_last = b.mul_e(z_h, to_last);
    let inv_vanishing = b.inv_e(z_h);

    let columns = |b: &mut B, flat: &[B::E]| -> Vec<B::E> {
        flat.chunks_exact(EXT_DEGREE)
            .map(|c| from_coordinates(b, c))
            .collect()
    };
    let perm_local = columns(b, &opening.perm_local);
    let perm_next = columns(b, &opening.perm_next);
    let program = &inputs.program.program;
    let mut table: Vec<B::E> = inputs.lookup_challenges.to_vec();
    table.extend_from_slice(inputs.terminals);
    for &c in &program.ext_constants {
        table.push(b.constant_e(c));
    }
    let k = inputs.program.num_emitted();
    let mut powers = Vec::with_capacity(k);
    if k > 0 {
        powers.push(one);
    }
    while powers.len() < k {
        let next = b.mul_e(powers[powers.len() - 1], alpha);
        powers.push(next);
    }
    let weights = inputs.program.weights(&powers);
    let zero = b.constant_e(Challenge::ZERO);
    let mut at = AtZeta {
        b,
        main_local: &opening.main_local,
        main_next: opening.main_next.as_deref(),
        pre_local: &opening.pre_local,
        pre_next: opening.pre_next.as_deref(),
        perm_local,
        perm_next,
        publics: inputs.publics,
        table,
        selectors: [is_first, is_last, is_transition],
        weights,
        acc: zero,
    };
    program.run(&mut at);
    let acc = at.acc;
    let folded = b.mul_e(acc, inv_vanishing);
    let quotient = recompose_quotient(b, n, &opening.quotient_chunks, zeta);
    b.assert_eq_e(folded, quotient);
}
