//! Launcher for `fri.cu`. Twin: `TwoAdicFriFolding::fold_matrix` with arity 2.

use p3_field::{BasedVectorSpace, Field, PrimeCharacteristicRing, TwoAdicField};
use p3_koala_bear::KoalaBear;

use super::{as_words, download_ext};
use crate::error::GpuError;
use crate::runtime::{Arg, DeviceRuntime};

type F = KoalaBear;
type EF = super::Ext;

fn flatten(v: &[EF]) -> Vec<F> {
    v.iter()
        .flat_map(|e| e.as_basis_coefficients_slice().to_vec())
        .collect()
}

/// Folds a bit-reversed codeword of `2h` extension elements into `h` with challenge `beta`.
pub fn fold_arity2<R: DeviceRuntime>(
    rt: &R,
    codeword: &[EF],
    beta: EF,
) -> Result<Vec<EF>, GpuError> {
    let len = codeword.len();
    if len < 2 || !len.is_power_of_two() {
        return Err(GpuError::Shape(format!(
            "FRI codeword of {len} elements is not a power of two ≥ 2"
        )));
    }
    let h = len / 2;
    let log_h = h.trailing_zeros();
    let g_inv = F::two_adic_generator(log_h as usize + 1).inverse();
    let input = rt.upload(as_words(&flatten(codeword)))?;
    let dbeta = rt.upload(as_words(&flatten(&[beta])))?;
    let out = rt.alloc(4 * h)?;
    let (g_m, half_m) = (as_words(&[g_inv])[0], as_words(&[F::ONE.halve()])[0]);
    rt.launch(
        "fri_fold_arity2",
        h,
        &[
            Arg::Buf(&input),
            Arg::Buf(&out),
            Arg::U32(log_h),
            Arg::Buf(&dbeta),
            Arg::U32(g_m),
            Arg::U32(half_m),
        ],
    )?;
    download_ext(rt, &out, h)
}
