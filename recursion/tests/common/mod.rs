//! What the recursive verifier's tests share: a prover with a wrong quotient, and the
//! tamper campaign comparing the native verifier with the reference.

use mipstark_prover_cpu_ref::protocol::{
    reference_quotient_values, QuotientEvaluator, QuotientJob,
};
use mipstark_prover_cpu_ref::{Challenge, Val};
use mipstark_tests::tamper::{chosen_sites, donors, sites, tamperings};
use p3_field::PrimeCharacteristicRing;
use p3_matrix::Matrix;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A prover whose quotient for one chip is the true one plus a constant: still a polynomial
/// of the right degree (so every commitment and the FRI test are consistent), but not
/// `Σ α^k C_k / Z_H`. Only the constraint check at ζ can reject it.
pub struct ShiftedQuotient(pub &'static str);

impl QuotientEvaluator for ShiftedQuotient {
    fn quotient_values<M: Matrix<Val> + Sync>(&self, job: &QuotientJob<'_, M>) -> Vec<Challenge> {
        let mut v = reference_quotient_values(job);
        if job.air.name() == self.0 {
            for x in &mut v {
                *x += Challenge::ONE;
            }
        }
        v
    }
}

/// Each field kind of `proof` tampered at `per_pattern` sites (as a proof file would arrive:
/// through `reparse`); both verdicts must reject every one, the native one never by a panic.
pub fn agreement<T, R, N>(
    proof: &T,
    per_pattern: Option<usize>,
    reparse: fn(&T) -> Option<T>,
    reference: R,
    native: N,
) where
    T: Serialize + DeserializeOwned + Sync,
    R: Fn(&T) -> Result<(), String> + Sync,
    N: Fn(&T) -> Result<(), String> + Sync,
{
    use rayon::prelude::*;
    let tree = serde_json::to_value(proof).unwrap();
    let mut all = Vec::new();
    sites(&tree, String::new(), String::new(), &mut all);
    let donors = donors(&tree, &all);
    let (jobs, kinds) = chosen_sites(&all, per_pattern);
    let outcomes: Vec<Option<String>> = jobs
        .par_iter()
        .flat_map_iter(|(pattern, site)| {
            tamperings(site, &tree, &donors)
                .into_iter()
                .map(move |(what, t)| (pattern, site, what, t))
        })
        .filter_map(|(pattern, site, what, t)| {
            let p = reparse(&serde_json::from_value::<T>(t).ok()?)?;
            let r = reference(&p);
            let ours = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| native(&p)));
            let place = format!("{} ({pattern}) {what}", site.pointer);
            Some(match (r, ours) {
                (_, Err(_)) => Some(format!("{place}: the native verifier panicked")),
                (Err(_), Ok(Err(_))) => None,
                (Ok(()), Ok(Ok(()))) => Some(format!("{place}: both accept")),
                (r, Ok(o)) => Some(format!("{place}: reference {r:?}, native {o:?}")),
            })
        })
        .collect();
    let tried = outcomes.len();
    let failures: Vec<String> = outcomes.into_iter().flatten().collect();
    eprintln!(
        "{} sites in {kinds} field kinds; {tried} tamperings",
        all.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {tried} tamperings disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
