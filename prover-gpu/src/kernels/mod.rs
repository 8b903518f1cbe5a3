//! Typed launchers, one module per kernel file of `mipstark-kernels`.

pub mod field_ops;
pub mod fri;
pub mod merkle;
pub mod ntt;
pub mod poseidon2;
pub mod quotient;

pub use mipstark_kernels::{as_words, from_words};
use p3_koala_bear::KoalaBear;

/// Reads the first `n` field elements of a device buffer.
pub fn download<R: crate::DeviceRuntime>(
    rt: &R,
    buf: &R::Buffer,
    n: usize,
) -> Result<Vec<KoalaBear>, crate::GpuError> {
    let mut w = vec![0u32; n];
    rt.read(buf, &mut w)?;
    Ok(from_words(w))
}

/// Reads the first `n` degree-4 extension elements (4 words each) of a device buffer.
pub fn download_ext<R: crate::DeviceRuntime>(
    rt: &R,
    buf: &R::Buffer,
    n: usize,
) -> Result<Vec<Ext>, crate::GpuError> {
    use p3_field::BasedVectorSpace;
    Ok(download(rt, buf, 4 * n)?
        .chunks_exact(4)
        .map(|c| Ext::from_basis_coefficients_slice(c).expect("4 coefficients"))
        .collect())
}

/// Reads `n` arrays of `N` field elements (digests, Poseidon2 states) from a device buffer.
pub fn download_arrays<R: crate::DeviceRuntime, const N: usize>(
    rt: &R,
    buf: &R::Buffer,
    n: usize,
) -> Result<Vec<[KoalaBear; N]>, crate::GpuError> {
    Ok(download(rt, buf, N * n)?
        .chunks_exact(N)
        .map(|c| c.try_into().expect("chunks of N"))
        .collect())
}

/// The degree-4 extension the prover's challenges live in.
pub type Ext = p3_field::extension::BinomialExtensionField<KoalaBear, 4>;
