//! Launchers for `ntt.cu`: batched NTTs and the coset LDE in the layout Plonky3's
//! `TwoAdicFriPcs::commit` hashes (bit-reversed rows). Twin:
//! `Radix2DitParallel::coset_lde_batch(evals, log_blowup, shift).bit_reverse_rows()`.

use p3_field::{Field, PrimeCharacteristicRing, TwoAdicField};
use p3_koala_bear::KoalaBear;
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;

use super::{as_words, download};
use crate::error::GpuError;
use crate::runtime::{Arg, DeviceRuntime};

type F = KoalaBear;

/// `[w^0, …, w^(n/2 − 1)]` for `w` the 2^log_n-th root of unity (inverted if `inverse`), as
/// Plonky3 defines it (`two_adic_generator`).
fn twiddles(log_n: u32, inverse: bool) -> Vec<F> {
    let g = F::two_adic_generator(log_n as usize);
    let w = if inverse { g.inverse() } else { g };
    w.powers().take((1usize << log_n) / 2).collect()
}

fn check_height(h: usize) -> Result<u32, GpuError> {
    if !h.is_power_of_two() {
        return Err(GpuError::Shape(format!(
            "NTT height {h} is not a power of two"
        )));
    }
    let log = h.trailing_zeros();
    if log as usize > F::TWO_ADICITY {
        return Err(GpuError::Shape(format!(
            "NTT of 2^{log} rows exceeds KoalaBear's two-adicity"
        )));
    }
    Ok(log)
}

/// Must match `NTT_LOCAL_LOG` in ntt.cu: stages with butterfly spans below 2^LOCAL_LOG run in
/// one local-memory launch.
const LOCAL_LOG: u32 = 9;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// Decimation in frequency: natural in, bit-reversed out (large spans first).
    Dif,
    /// Decimation in time: bit-reversed in, natural out (small spans first).
    Dit,
}

/// All `log_n` radix-2 stages: the ones with large spans one launch each through global
/// memory, the rest in a single local-memory launch.
fn run_stages<R: DeviceRuntime>(
    rt: &R,
    dir: Direction,
    data: &R::Buffer,
    log_n: u32,
    width: usize,
    tw: &R::Buffer,
) -> Result<(), GpuError> {
    if log_n == 0 {
        return Ok(());
    }
    let lb = log_n.min(LOCAL_LOG);
    let pairs = ((1usize << log_n) / 2) * width;
    let global = |stage: u32, kernel: &str| {
        rt.launch(
            kernel,
            pairs,
            &[
                Arg::Buf(data),
                Arg::Buf(tw),
                Arg::U32(log_n),
                Arg::U32(stage),
                Arg::U32(width as u32),
            ],
        )
    };
    let local = |kernel: &str| {
        let group = 1usize << (lb - 1);
        rt.launch_groups(
            kernel,
            pairs,
            Some(group),
            &[
                Arg::Buf(data),
                Arg::Buf(tw),
                Arg::U32(log_n),
                Arg::U32(width as u32),
            ],
        )
    };
    match dir {
        Direction::Dif => {
            for stage in 0..log_n - lb {
                global(stage, "ntt_dif_stage")?;
            }
            local("ntt_dif_tail_local")
        }
        Direction::Dit => {
            local("ntt_dit_head_local")?;
            for stage in lb..log_n {
                global(stage, "ntt_dit_stage")?;
            }
            Ok(())
        }
    }
}

/// Evaluations of the columns of `coeffs` (natural order) on the subgroup, rows bit-reversed.
pub fn dft_bitrev<R: DeviceRuntime>(
    rt: &R,
    coeffs: &RowMajorMatrix<F>,
) -> Result<RowMajorMatrix<F>, GpuError> {
    let log_n = check_height(coeffs.height())?;
    let data = rt.upload(as_words(&coeffs.values))?;
    let tw = rt.upload(as_words(&twiddles(log_n, false)))?;
    run_stages(rt, Direction::Dif, &data, log_n, coeffs.width(), &tw)?;
    Ok(RowMajorMatrix::new(
        download(rt, &data, coeffs.values.len())?,
        coeffs.width(),
    ))
}

/// The coset LDE of `evals` (values on the subgroup H, natural order) onto `shift·K`,
/// |K| = |H|·2^log_blowup, rows in bit-reversed order; left on the device (height × width words).
pub fn coset_lde_device<R: DeviceRuntime>(
    rt: &R,
    evals: &RowMajorMatrix<F>,
    log_blowup: u32,
    shift: F,
) -> Result<R::Buffer, GpuError> {
    let (n, width) = (evals.height(), evals.width());
    let log_n = check_height(n)?;
    let log_big = log_n + log_blowup;
    check_height(1usize << log_big)?;
    // 1. Natural-order evaluations -> coefficients: bit-reverse, then inverse DIT.
    let input = rt.upload(as_words(&evals.values))?;
    let coeffs = rt.alloc(n * width)?;
    rt.launch(
        "ntt_bitrev_rows",
        n * width,
        &[
            Arg::Buf(&input),
            Arg::Buf(&coeffs),
            Arg::U32(log_n),
            Arg::U32(width as u32),
        ],
    )?;
    if log_n > 0 {
        let itw = rt.upload(as_words(&twiddles(log_n, true)))?;
        run_stages(rt, Direction::Dit, &coeffs, log_n, width, &itw)?;
    }
    // 2. Scale coefficient j by shift^j / n into a zero-padded buffer of the extended height.
    let big = rt.alloc((n << log_blowup) * width)?;
    let inv_n = F::from_u32(n as u32).inverse();
    let (shift_m, scale_m) = (as_words(&[shift])[0], as_words(&[inv_n])[0]);
    rt.launch(
        "ntt_scale_pad",
        n * width,
        &[
            Arg::Buf(&coeffs),
            Arg::Buf(&big),
            Arg::U32(log_n),
            Arg::U32(width as u32),
            Arg::U32(shift_m),
            Arg::U32(scale_m),
        ],
    )?;
    // 3. Forward DIF: natural coefficients -> evaluations on the coset, bit-reversed.
    if log_big > 0 {
        let tw = rt.upload(as_words(&twiddles(log_big, false)))?;
        run_stages(rt, Direction::Dif, &big, log_big, width, &tw)?;
    }
    Ok(big)
}

/// [`coset_lde_device`], read back.
pub fn coset_lde_bitrev<R: DeviceRuntime>(
    rt: &R,
    evals: &RowMajorMatrix<F>,
    log_blowup: u32,
    shift: F,
) -> Result<RowMajorMatrix<F>, GpuError> {
    let big = coset_lde_device(rt, evals, log_blowup, shift)?;
    let n = (evals.height() << log_blowup) * evals.width();
    Ok(RowMajorMatrix::new(download(rt, &big, n)?, evals.width()))
}

/// The LDE shift `TwoAdicFriPcs` uses for a trace on its natural domain (the subgroup).
pub fn pcs_shift() -> F {
    F::GENERATOR
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twiddles_are_roots_of_unity() {
        let tw = twiddles(4, false);
        assert_eq!(tw.len(), 8);
        assert_eq!(tw[1].exp_u64(16), F::ONE);
        assert_ne!(tw[1].exp_u64(8), F::ONE);
        let itw = twiddles(4, true);
        assert_eq!(tw[1] * itw[1], F::ONE);
        assert!(check_height(3).is_err());
    }
}
