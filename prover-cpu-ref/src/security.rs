//! Soundness in numbers: bits of security for each error term of a mipstark proof, per regime.
//!
//! Modelled on the Ethereum Foundation's `soundcalc` (github.com/ethereum/soundcalc): every
//! round of the protocol where a cheating prover can get lucky is one error term ε, reported as
//! `−log2 ε` bits with the proof-of-work ground before that round subtracted, and a regime's
//! total is the **minimum over its terms** (soundcalc's convention; a union bound, `−log2 Σ ε`,
//! would be at most `log2(#terms)` ≈ 3 bits lower). Three regimes:
//!
//! - **Conjectured** — ethSTARK documentation (eprint 2021/582), Section 5.10.1, eq. (19), as
//!   Plonky3's `conjectured_soundness_bits` and OpenVM compute it: `q · log2(1/ρ) + pow` for the
//!   FRI queries, capped by the extension field's size. It holds only if FRI's proximity gaps
//!   reach capacity (ethSTARK Conjecture 5.x, BCIKS20 Conjecture 8.4).
//! - **UDR**, unique decoding: proven. Proximity parameter θ = (1 − ρ)/2, so each query
//!   catches a far word with probability θ and errs with (1 + ρ)/2; list size 1. Batching and
//!   folding errors from BCHKS25 (eprint 2025/2055) Theorem 1.3 / Corollary 1.4:
//!   ε = (θ·n + 1)/|K| per random linear combination (times `l − 1` for `l` functions batched
//!   with powers of one challenge, BCIKS20 Theorem 6.2's parameterized curves).
//! - **Johnson**, list decoding up to the Johnson bound: proven, for a multiplicity `m ≥ 1`:
//!   gap η = √ρ/(2m), θ = 1 − √ρ − η = 1 − √ρ·(1 + 1/(2m)), list size L = (m + ½)/√ρ, and the
//!   correlated-agreement error of BCHKS25 Theorem 4.2 (the bound soundcalc uses; it is linear
//!   in n, where BCIKS20 Theorem 1.2's `(m+½)^7·n²/(2ρ^{3/2}|K|)` is quadratic and would cost
//!   some 23 more bits at our sizes):
//!   ε = [(2(m+½)^5 + 3(m+½)·θρ)·n/(3ρ√ρ) + (m+½)/√ρ] / |K|.
//!   [`johnson`] tries every m in 1..=[`MAX_JOHNSON_M`] and keeps the best total.
//!
//! The terms, each a separate line of a [`Report`]:
//! - **FRI batching** — Plonky3's `TwoAdicFriPcs::open` combines every (column, opening point)
//!   quotient `(f(X) − f(z))/(X − z)` with powers of one challenge: `l = ` [`MachineShape::batched_functions`].
//!   Ground by [`StarkParams::batch_pow_bits`].
//! - **FRI commit phase** — one round per halving (folding arity 2, `max_log_arity = 1`), each
//!   combining the two halves and the reduced openings of shorter matrices rolled in at β², i.e.
//!   three functions with powers of β. Reported as the union bound over all rounds (soundcalc
//!   lists each round apart; their minimum is at most 1 bit above this sum).
//! - **FRI query phase** — `(1 − θ)^q`, ground by [`StarkParams::query_pow_bits`].
//! - **DEEP** (out-of-domain point ζ) — Haböck, "A summary on the FRI low degree test"
//!   (eprint 2022/1216) Theorem 8, as soundcalc's `deep_ali.py`:
//!   `L · (d·(k + c − 1) + (k − 1)) / (|K| − k − n)` for trace length k, constraint degree d and
//!   c opening points per column. Neither queries nor blowup move it: at 2^22 rows and degree
//!   3 it is just under 100 bits in every regime, and besides a smaller maximum height or a
//!   larger field only grinding before ζ is drawn raises it, by [`StarkParams::deep_pow_bits`]
//!   (Plonky3's `ood_proof_of_work_bits`, ground in both proof layouts).
//! - **ALI** (constraint batching with powers of α) — `L · #constraints / |K|` (same theorem).
//! - **LogUp point** — the rational identity Σ m_i/(α − v_i) = 0 cleared of denominators is a
//!   polynomial of degree ≤ N in α (N = LogUp terms in one proof, every chip and shard):
//!   N/|K| (Haböck, "Multivariate lookups based on logarithmic derivatives", eprint 2022/1530,
//!   Lemma 5 with Schwartz–Zippel), ground by [`StarkParams::lookup_pow_bits`].
//! - **LogUp fingerprint** — tuples of width ≤ S compressed as Σ β^j t_j: the identity is of
//!   degree ≤ N·(S − 1) in β, N·(S − 1)/|K| (soundcalc's `K·H·R/|F|` with univariate R = S),
//!   ground by the same proof-of-work (β is drawn after it, with α).

use crate::config::StarkParams;
use crate::machine::MAX_LOG_HEIGHT;

/// log2 |K| for K = KoalaBear⁴: 4 · log2(2^31 − 2^24 + 1).
pub fn log2_extension_field_size() -> f64 {
    4.0 * ((1u64 << 31) as f64 - (1u64 << 24) as f64 + 1.0).log2()
}

/// The largest Johnson multiplicity [`johnson`] tries; beyond it the list size only grows.
pub const MAX_JOHNSON_M: usize = 64;

/// What the soundness bounds need to know about the machine, as upper bounds over every proof.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MachineShape {
    /// log2 of the tallest trace a proof may hold (the verifier rejects taller ones).
    pub log_max_height: usize,
    /// Highest degree of any AIR constraint, selectors included.
    pub max_constraint_degree: usize,
    /// Constraints of one chip, combined with powers of one α (bound).
    pub max_constraints: usize,
    /// Committed base-field columns opened in one batch — main, preprocessed, LogUp (4 per
    /// extension column) and quotient chunks of every chip (bound).
    pub max_columns: usize,
    /// Points each column is opened at (ζ and gζ for the transition constraints).
    pub opening_points: usize,
    /// log2 of the LogUp terms (rows × interactions, summed over every chip and shard) one
    /// proof's shared challenges must cover (bound).
    pub log_lookup_terms: usize,
    /// Widest tuple a bus carries, fingerprinted with powers of β (bound).
    pub max_tuple_width: usize,
}

impl MachineShape {
    /// mipstark's machine. The counts are generous bounds, not measurements: `mipstark prove
    /// --chips` reports a few hundred columns over all chips (the CPU row is 102 main + 48
    /// LogUp), each chip has far fewer than 2^12 constraints and every bus tuple is narrower than
    /// 16. The LogUp bound covers a proof of up to 2^24 cycles (the longest run tried, 16 shards)
    /// with up to 64 LogUp terms per cycle over all chips; a longer run loses one LogUp bit per
    /// doubling.
    pub const MIPSTARK: MachineShape = MachineShape {
        log_max_height: MAX_LOG_HEIGHT,
        max_constraint_degree: 3,
        max_constraints: 1 << 12,
        max_columns: 1 << 12,
        opening_points: 2,
        log_lookup_terms: 30,
        max_tuple_width: 16,
    };

    /// Functions FRI batches in one opening: every column at every point.
    pub fn batched_functions(&self) -> usize {
        self.max_columns * self.opening_points
    }
}

/// The decoding regime a bound is proven (or conjectured) in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Regime {
    /// ethSTARK's conjecture: `q · log2(1/ρ) + pow`, capped by |K|.
    Conjectured,
    /// Unique decoding, θ = (1 − ρ)/2.
    UniqueDecoding,
    /// Johnson bound with multiplicity `m`, θ = 1 − √ρ·(1 + 1/(2m)).
    Johnson { m: usize },
}

impl std::fmt::Display for Regime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Regime::Conjectured => write!(f, "conjectured"),
            Regime::UniqueDecoding => write!(f, "provable (unique decoding)"),
            Regime::Johnson { m } => write!(f, "provable (Johnson, m = {m})"),
        }
    }
}

/// One error term: its name and `−log2 ε` after grinding.
#[derive(Clone, Debug, PartialEq)]
pub struct Term {
    pub name: &'static str,
    pub bits: f64,
}

/// Every term of one regime and their minimum.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub regime: Regime,
    pub terms: Vec<Term>,
}

impl Report {
    /// The regime's security: the weakest term (soundcalc's convention).
    pub fn total_bits(&self) -> f64 {
        self.terms
            .iter()
            .map(|t| t.bits)
            .fold(f64::INFINITY, f64::min)
    }

    /// The term called `name`, if this regime has one.
    pub fn term(&self, name: &str) -> Option<f64> {
        self.terms.iter().find(|t| t.name == name).map(|t| t.bits)
    }
}

/// Names of the terms, shared by every regime so tables line up.
pub const FRI_QUERIES: &str = "FRI queries";
pub const FRI_BATCHING: &str = "FRI batching";
pub const FRI_COMMIT: &str = "FRI commit phase";
pub const DEEP: &str = "DEEP (OOD point)";
pub const ALI: &str = "ALI (constraint batching)";
pub const LOGUP_POINT: &str = "LogUp point";
pub const LOGUP_FINGERPRINT: &str = "LogUp fingerprint";
pub const FIELD: &str = "field size";

/// `−log2 ε` for an error given as its log2, less the grinding bits.
fn bits(log2_error: f64, pow_bits: usize) -> f64 {
    -log2_error + pow_bits as f64
}

/// The regime's proximity parameter θ, list size L and per-linear-combination error
/// `log2 ε(k)` for a code of dimension `2^log_k`.
struct Proximity {
    theta: f64,
    list_size: f64,
    /// log2 of the correlated-agreement error of one random combination at dimension 2^log_k.
    log2_error: Box<dyn Fn(usize) -> f64>,
}

fn proximity(regime: Regime, log_blowup: usize, log2_k_field: f64) -> Proximity {
    let rho = 0.5f64.powi(log_blowup as i32);
    match regime {
        // The conjecture's proximity parameter is capacity; the list-decoding and
        // proximity-gap terms are what it conjectures away, so only the UDR-shaped
        // field-size errors remain (they are never the conjectured minimum).
        Regime::Conjectured | Regime::UniqueDecoding => {
            let theta = (1.0 - rho) / 2.0;
            Proximity {
                theta,
                list_size: 1.0,
                log2_error: Box::new(move |log_k| {
                    let n = 2f64.powi((log_k + log_blowup) as i32);
                    (theta * n + 1.0).log2() - log2_k_field
                }),
            }
        }
        Regime::Johnson { m } => {
            let sqrt_rho = rho.sqrt();
            let ms = m as f64 + 0.5;
            let theta = 1.0 - sqrt_rho * (1.0 + 1.0 / (2.0 * m as f64));
            Proximity {
                theta,
                list_size: ms / sqrt_rho,
                log2_error: Box::new(move |log_k| {
                    let n = 2f64.powi((log_k + log_blowup) as i32);
                    let first =
                        (2.0 * ms.powi(5) + 3.0 * ms * theta * rho) * n / (3.0 * rho * sqrt_rho);
                    (first + ms / sqrt_rho).log2() - log2_k_field
                }),
            }
        }
    }
}

/// Every error term of `params` on `shape` in `regime`.
pub fn report(params: &StarkParams, shape: &MachineShape, regime: Regime) -> Report {
    let log_k_field = log2_extension_field_size();
    let h = shape.log_max_height;
    let k = 2f64.powi(h as i32);
    let n = 2f64.powi((h + params.log_blowup) as i32);

    let mut terms = Vec::new();
    if regime == Regime::Conjectured {
        terms.push(Term {
            name: FRI_QUERIES,
            bits: (params.num_queries * params.log_blowup + params.query_pow_bits) as f64,
        });
        terms.push(Term {
            name: FIELD,
            bits: log_k_field,
        });
        return Report { regime, terms };
    }

    let prox = proximity(regime, params.log_blowup, log_k_field);

    // Query phase: each query misses a θ-far word with probability 1 − θ.
    terms.push(Term {
        name: FRI_QUERIES,
        bits: bits(
            params.num_queries as f64 * (1.0 - prox.theta).log2(),
            params.query_pow_bits,
        ),
    });

    // Batching: l functions with powers of one challenge, (l − 1) times one combination.
    let l = shape.batched_functions() as f64;
    terms.push(Term {
        name: FRI_BATCHING,
        bits: bits(
            (prox.log2_error)(h) + (l - 1.0).log2(),
            params.batch_pow_bits,
        ),
    });

    // Commit phase: rounds fold 2^h down to 2^log_final_poly_len; round i works at dimension
    // 2^(h − i) and combines three functions (two halves, the roll-in at β²).
    let rounds = h.saturating_sub(params.log_final_poly_len);
    let commit_error: f64 = (1..=rounds)
        .map(|i| 2f64.powf((prox.log2_error)(h - i) + 2f64.log2()))
        .sum();
    if rounds > 0 {
        terms.push(Term {
            name: FRI_COMMIT,
            bits: bits(commit_error.log2(), 0),
        });
    }

    // DEEP and ALI, Haböck 2022/1216 Theorem 8, list size L for the regime.
    let d = shape.max_constraint_degree as f64;
    let c = shape.opening_points as f64;
    let field = 2f64.powf(log_k_field);
    let deep = prox.list_size * (d * (k + c - 1.0) + (k - 1.0)) / (field - k - n);
    terms.push(Term {
        name: DEEP,
        bits: bits(deep.log2(), params.deep_pow_bits),
    });
    terms.push(Term {
        name: ALI,
        bits: bits(
            prox.list_size.log2() + (shape.max_constraints as f64).log2() - log_k_field,
            0,
        ),
    });

    // LogUp, drawn once per proof: regime-independent (no proximity argument involved).
    let log_terms = shape.log_lookup_terms as f64;
    terms.push(Term {
        name: LOGUP_POINT,
        bits: bits(log_terms - log_k_field, params.lookup_pow_bits),
    });
    terms.push(Term {
        name: LOGUP_FINGERPRINT,
        bits: bits(
            log_terms + ((shape.max_tuple_width.max(2) - 1) as f64).log2() - log_k_field,
            params.lookup_pow_bits,
        ),
    });

    Report { regime, terms }
}

/// The Johnson-regime report at the multiplicity m ∈ 1..=[`MAX_JOHNSON_M`] with the best total
/// (a small m makes queries weak, a large one the list and the proximity-gap errors).
pub fn johnson(params: &StarkParams, shape: &MachineShape) -> Report {
    (1..=MAX_JOHNSON_M)
        .map(|m| report(params, shape, Regime::Johnson { m }))
        .max_by(|a, b| a.total_bits().total_cmp(&b.total_bits()))
        .expect("at least one m")
}

/// The three regimes of one parameter set: conjectured, unique decoding, Johnson (best m).
pub fn all_regimes(params: &StarkParams, shape: &MachineShape) -> [Report; 3] {
    [
        report(params, shape, Regime::Conjectured),
        report(params, shape, Regime::UniqueDecoding),
        johnson(params, shape),
    ]
}

#[cfg(test)]
mod tests;
