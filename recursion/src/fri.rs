//! The opening argument's checks over the builder: p3-fri 0.8's `verify_fri` with
//! `open_inputs` and `fold_query`, for mipstark's configuration (binary folding, the PCS's
//! inputs on cosets of the LDE domains, a final polynomial of any length).
//!
//! For each query: every commitment's rows are checked against its root (one restored path
//! per query, [`crate::mmcs`]); the rows are reduced, per LDE height, to
//! `Σ α^k (p_k(z) − p_k(x)) / (z − x)` over every claimed opening (α's powers restart at
//! each height, as the reference's "ladders" do); the tallest reduction is folded down round
//! by round with each round's β, the shorter ones rolled in at their height with weight β²;
//! every fold's pair of values is checked against that round's commitment; the last fold
//! must equal the final polynomial at the query's point.
//!
//! Lengths are checked first, in plain Rust, against the shape the verifier expects (the
//! reference rejects the same proofs before it hashes anything).

use std::collections::BTreeMap;

use mipstark_prover_cpu_ref::config::ChallengeMmcs;
use mipstark_prover_cpu_ref::{Challenge, Val, ValMmcs};
use p3_field::{Field, PrimeCharacteristicRing, TwoAdicField};
use p3_fri::FriParameters;
use thiserror::Error;

use crate::builder::{Builder, Digest, DIGEST_ELEMS, EXT_DEGREE};
use crate::mmcs::{self, RestoreError};
use crate::pcs::{FriLayout, FriTranscript, PcsChallenges, Point, RoundClaim};

/// A group's opening proof (FRI over the batched claims), as proofs carry it.
pub type OpeningProof =
    p3_fri::FriProof<Challenge, ChallengeMmcs, Val, Vec<p3_fri::BatchMultiOpening<Val, ValMmcs>>>;

/// An opening proof whose lengths do not fit its claims (the reference rejects it too).
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum FriShapeError {
    #[error("{what}: expected {expected}, got {got}")]
    Count {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    #[error("a commit-phase round folds by 2^{0}; mipstark folds by 2")]
    Arity(usize),
    #[error("an input of LDE height 2^{height} is below the final height 2^{last}")]
    TooShort { height: usize, last: usize },
    #[error("an LDE of height 2^{0} is larger than the field's two-adic subgroup")]
    TooTall(usize),
    #[error("commitment {0} holds no matrix")]
    EmptyCommitment(usize),
    #[error(transparent)]
    Restore(#[from] RestoreError),
}

fn count(what: &'static str, expected: usize, got: usize) -> Result<(), FriShapeError> {
    if expected == got {
        Ok(())
    } else {
        Err(FriShapeError::Count {
            what,
            expected,
            got,
        })
    }
}

/// The lengths `verify` relies on.
fn check_shape<B: Builder>(
    fri: &FriParameters<()>,
    rounds: &[RoundClaim<B>],
    layout: &FriLayout,
    proof: &OpeningProof,
) -> Result<(), FriShapeError> {
    if let Some(&a) = layout.log_arities.iter().find(|&&a| a != 1) {
        return Err(FriShapeError::Arity(a));
    }
    if layout.log_max_height() > Val::TWO_ADICITY {
        return Err(FriShapeError::TooTall(layout.log_max_height()));
    }
    let last = fri.log_blowup + fri.log_final_poly_len;
    if let Some(&height) = layout.log_heights.iter().find(|&&h| h < last) {
        return Err(FriShapeError::TooShort { height, last });
    }
    count(
        "folds to the final height",
        layout.log_max_height().saturating_sub(last),
        layout.log_arities.len(),
    )?;
    let nq = fri.num_queries;
    count(
        "input commitments",
        rounds.len(),
        proof.input_openings.len(),
    )?;
    for (r, (claim, batch)) in rounds.iter().zip(&proof.input_openings).enumerate() {
        if claim.matrices.is_empty() {
            return Err(FriShapeError::EmptyCommitment(r));
        }
        count(
            "queries of an input commitment",
            nq,
            batch.opened_values.len(),
        )?;
        for rows in &batch.opened_values {
            count("opened matrices", claim.matrices.len(), rows.len())?;
            for (m, row) in claim.matrices.iter().zip(rows) {
                for (_, values) in &m.points {
                    count("an opened row's width", values.len(), row.len())?;
                }
            }
        }
    }
    count(
        "commit-phase openings",
        layout.log_arities.len(),
        proof.commit_phase_openings.len(),
    )?;
    for step in &proof.commit_phase_openings {
        count(
            "queries of a commit-phase round",
            nq,
            step.sibling_values.len(),
        )?;
        for s in &step.sibling_values {
            count("siblings of a binary fold", 1, s.len())?;
        }
    }
    Ok(())
}

fn digest<B: Builder>(c: &[B::F]) -> Digest<B> {
    std::array::from_fn(|i| c[i])
}

/// Witnesses for restored paths, or zeros of the right shape where the backend records a
/// program without values.
fn path_witnesses<B: Builder>(
    b: &mut B,
    restored: Option<Vec<Vec<[Val; DIGEST_ELEMS]>>>,
    queries: usize,
    depth: usize,
) -> Vec<Vec<Digest<B>>> {
    let restored =
        restored.unwrap_or_else(|| vec![vec![[Val::ZERO; DIGEST_ELEMS]; depth]; queries]);
    restored
        .iter()
        .map(|path| {
            path.iter()
                .map(|d| std::array::from_fn(|i| b.witness_f(d[i])))
                .collect()
        })
        .collect()
}

fn dot<B: Builder>(b: &mut B, powers: &[B::E], values: &[B::E]) -> B::E {
    let mut acc = b.constant_e(Challenge::ZERO);
    for (&p, &v) in powers.iter().zip(values) {
        let t = b.mul_e(p, v);
        acc = b.add_e(acc, t);
    }
    acc
}

fn dot_base<B: Builder>(b: &mut B, powers: &[B::E], values: &[B::F]) -> B::E {
    let mut acc = b.constant_e(Challenge::ZERO);
    for (&p, &v) in powers.iter().zip(values) {
        let t = b.mul_ef(p, v);
        acc = b.add_e(acc, t);
    }
    acc
}

/// Checks the opening argument of `rounds` (already replayed: `transcript` and `challenges`
/// are its transcript's values) against `proof`'s query openings.
#[allow(clippy::too_many_arguments)]
pub fn verify<B: Builder>(
    b: &mut B,
    fri: &FriParameters<()>,
    rounds: &[RoundClaim<B>],
    zeta: B::E,
    layout: &FriLayout,
    transcript: &FriTranscript<B>,
    challenges: &PcsChallenges<B>,
    proof: &OpeningProof,
) -> Result<(), FriShapeError> {
    check_shape(fri, rounds, layout, proof)?;
    let top = layout.log_max_height();
    let nq = fri.num_queries;
    let blowup = fri.log_blowup;

    // The opening points, and α's powers per height with each opening's offset and its
    // (query-independent) reduction at z.
    let mut points = Vec::new();
    let mut ladders: BTreeMap<usize, usize> = BTreeMap::new();
    for r in rounds {
        for m in &r.matrices {
            let mut ps = Vec::new();
            for (p, values) in &m.points {
                ps.push(match p {
                    Point::Zeta => zeta,
                    Point::ZetaNext => {
                        let g = b.constant_f(Val::two_adic_generator(m.log_height));
                        b.mul_ef(zeta, g)
                    }
                });
                *ladders.entry(m.log_height + blowup).or_default() += values.len();
            }
            points.push(ps);
        }
    }
    let longest = ladders.values().copied().max().unwrap_or(0);
    let mut alpha_pows = Vec::with_capacity(longest);
    if longest > 0 {
        alpha_pows.push(b.constant_e(Challenge::ONE));
    }
    while alpha_pows.len() < longest {
        let next = b.mul_e(alpha_pows[alpha_pows.len() - 1], challenges.alpha);
        alpha_pows.push(next);
    }
    let mut offsets: BTreeMap<usize, usize> = BTreeMap::new();
    let mut at_z = Vec::new();
    for r in rounds {
        for m in &r.matrices {
            for (_, values) in &m.points {
                let offset = offsets.entry(m.log_height + blowup).or_default();
                let start = *offset;
                *offset += values.len();
                let sum = dot(b, &alpha_pows[start..*offset], values);
                at_z.push((start, sum));
            }
        }
    }

    // The queries' indices, where the backend has values (for restoring paths).
    let index_values: Option<Vec<usize>> = challenges
        .indices
        .iter()
        .map(|bits| {
            bits.iter().rev().try_fold(0usize, |acc, &bit| {
                Some((acc << 1) | b.value_bit(bit)? as usize)
            })
        })
        .collect();

    // Every input commitment's rows, checked against its root.
    let mut input_rows: Vec<Vec<Vec<Vec<B::F>>>> = Vec::with_capacity(rounds.len());
    for (claim, batch) in rounds.iter().zip(&proof.input_openings) {
        let heights: Vec<usize> = claim
            .matrices
            .iter()
            .map(|m| m.log_height + blowup)
            .collect();
        let widths: Vec<usize> = claim.matrices.iter().map(|m| m.points[0].1.len()).collect();
        let tallest = *heights
            .iter()
            .max()
            .expect("checked: a matrix per commitment");
        let shift = top - tallest;
        let restored = index_values
            .as_ref()
            .map(|idx| {
                let idx: Vec<usize> = idx.iter().map(|i| i >> shift).collect();
                mmcs::restore_paths(
                    &heights,
                    &widths,
                    &idx,
                    &batch.opened_values,
                    &batch.opening_proof,
                )
            })
            .transpose()?;
        let paths = path_witnesses(b, restored, nq, tallest);
        let rows: Vec<Vec<Vec<B::F>>> = batch
            .opened_values
            .iter()
            .map(|q| {
                q.iter()
                    .map(|row| row.iter().map(|&v| b.witness_f(v)).collect())
                    .collect()
            })
            .collect();
        let commit = digest::<B>(&claim.commitment);
        for q in 0..nq {
            let bits = &challenges.indices[q][shift..];
            mmcs::verify_batch(b, &commit, &heights, &rows[q], bits, &paths[q]);
        }
        input_rows.push(rows);
    }

    // Per query: the reductions, the folds, the final polynomial.
    let rounds_n = layout.log_arities.len();
    let mut fold_rows: Vec<Vec<Vec<B::F>>> = vec![Vec::with_capacity(nq); rounds_n];
    let zero = b.constant_e(Challenge::ZERO);
    let half = b.constant_f(Val::TWO.inverse());
    let two = b.constant_f(Val::TWO);
    let coset = b.constant_f(Val::GENERATOR);
    for (q, bits) in challenges.indices.iter().enumerate() {
        let mut reduced: BTreeMap<usize, B::E> = BTreeMap::new();
        let mut z_sums = at_z.iter();
        let mut matrix = 0;
        for (r, claim) in rounds.iter().enumerate() {
            for (j, m) in claim.matrices.iter().enumerate() {
                let h = m.log_height + blowup;
                let rev = b.exp_reverse_bits_of(Val::two_adic_generator(h), &bits[top - h..]);
                let x = b.mul_f(coset, rev);
                let x = b.base_to_ext(x);
                let row = &input_rows[r][q][j];
                for &z in &points[matrix] {
                    let den = b.sub_e(z, x);
                    let inv = b.inv_e(den);
                    let &(start, sum_z) = z_sums.next().expect("one sum per opening");
                    let sum_x = dot_base(b, &alpha_pows[start..start + row.len()], row);
                    let diff = b.sub_e(sum_z, sum_x);
                    let term = b.mul_e(diff, inv);
                    let acc = reduced.entry(h).or_insert(zero);
                    *acc = b.add_e(*acc, term);
                }
                matrix += 1;
            }
        }
        if let Some(&at_blowup) = reduced.get(&blowup) {
            b.assert_eq_e(at_blowup, zero);
        }

        let mut folded = reduced[&top];
        for (i, step) in proof.commit_phase_openings.iter().enumerate() {
            let beta = challenges.betas[i];
            let bit = bits[i];
            let sibling = b.witness_e(step.sibling_values[q][0]);
            let lo = b.select_e(bit, folded, sibling);
            let hi = b.select_e(bit, sibling, folded);
            let folded_height = top - i - 1;
            // (lo + hi)/2 + (lo − hi)·β/(2s), s = the pair's point (p3's arity-2 fold).
            let s =
                b.exp_reverse_bits_of(Val::two_adic_generator(folded_height + 1), &bits[i + 1..]);
            let sum = b.add_e(lo, hi);
            let mean = b.mul_ef(sum, half);
            let two_s = b.mul_f(two, s);
            let inv = b.inv_f(two_s);
            let diff = b.sub_e(lo, hi);
            let slope = b.mul_e(diff, beta);
            let slope = b.mul_ef(slope, inv);
            folded = b.add_e(mean, slope);
            let mut row = b.ext_coeffs(lo).to_vec();
            row.extend(b.ext_coeffs(hi));
            fold_rows[i].push(row);
            if let Some(&ro) = reduced.get(&folded_height) {
                let beta2 = b.mul_e(beta, beta);
                let t = b.mul_e(beta2, ro);
                folded = b.add_e(folded, t);
            }
        }
        let x = b.exp_reverse_bits_of(Val::two_adic_generator(top - rounds_n), &bits[rounds_n..]);
        let mut eval = zero;
        for &c in transcript.final_poly.iter().rev() {
            let t = b.mul_ef(eval, x);
            eval = b.add_e(t, c);
        }
        b.assert_eq_e(eval, folded);
    }

    // Every fold's pair against its round's commitment.
    for (i, step) in proof.commit_phase_openings.iter().enumerate() {
        let height = top - i - 1;
        let rows = &fold_rows[i];
        let restored = index_values
            .as_ref()
            .and_then(|idx| {
                let values: Option<Vec<Vec<Vec<Val>>>> = rows
                    .iter()
                    .map(|row| {
                        let v: Option<Vec<Val>> = row.iter().map(|&x| b.value_f(x)).collect();
                        Some(vec![v?])
                    })
                    .collect();
                let idx: Vec<usize> = idx.iter().map(|i2| i2 >> (i + 1)).collect();
                values.map(|v| {
                    mmcs::restore_paths(&[height], &[2 * EXT_DEGREE], &idx, &v, &step.opening_proof)
                })
            })
            .transpose()?;
        let paths = path_witnesses(b, restored, nq, height);
        let commit = digest::<B>(&transcript.commits[i]);
        for q in 0..nq {
            let bits = &challenges.indices[q][i + 1..];
            mmcs::verify_batch(b, &commit, &[height], &rows[q..q + 1], bits, &paths[q]);
        }
    }
    Ok(())
}
