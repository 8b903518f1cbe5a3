//! Launchers for `field_ops.cu`. Twins: KoalaBear and BinomialExtensionField<KoalaBear, 4>.

use p3_koala_bear::KoalaBear;

use super::{as_words, download};
use crate::error::GpuError;
use crate::runtime::{Arg, DeviceRuntime};

/// Element-wise operation of `kb_binary_op`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum BinaryOp {
    Add = 0,
    Sub = 1,
    Mul = 2,
    /// Inverse of `a` (`b` unused).
    Inv = 3,
    /// `a^e` with `e` the canonical value of `b`.
    Pow = 4,
}

/// `out[i] = a[i] op b[i]`.
pub fn binary_op<R: DeviceRuntime>(
    rt: &R,
    op: BinaryOp,
    a: &[KoalaBear],
    b: &[KoalaBear],
) -> Result<Vec<KoalaBear>, GpuError> {
    if a.len() != b.len() {
        return Err(GpuError::Shape(format!(
            "operands have {} and {} elements",
            a.len(),
            b.len()
        )));
    }
    let (da, db) = (rt.upload(as_words(a))?, rt.upload(as_words(b))?);
    let out = rt.alloc(a.len())?;
    rt.launch(
        "kb_binary_op",
        a.len(),
        &[
            Arg::Buf(&da),
            Arg::Buf(&db),
            Arg::Buf(&out),
            Arg::U64(a.len() as u64),
            Arg::U32(op as u32),
        ],
    )?;
    download(rt, &out, a.len())
}

/// Products in the degree-4 extension; operands are 4 coefficients each, flattened.
pub fn ext4_mul<R: DeviceRuntime>(
    rt: &R,
    a: &[KoalaBear],
    b: &[KoalaBear],
) -> Result<Vec<KoalaBear>, GpuError> {
    if a.len() != b.len() || !a.len().is_multiple_of(4) {
        return Err(GpuError::Shape(
            "extension operands must be equal-length multiples of 4".into(),
        ));
    }
    let n = a.len() / 4;
    let (da, db) = (rt.upload(as_words(a))?, rt.upload(as_words(b))?);
    let out = rt.alloc(a.len())?;
    rt.launch(
        "kb4_mul_kernel",
        n,
        &[
            Arg::Buf(&da),
            Arg::Buf(&db),
            Arg::Buf(&out),
            Arg::U64(n as u64),
        ],
    )?;
    download(rt, &out, a.len())
}

/// Inverses of non-zero elements, `chunk` per work item (Montgomery's trick).
pub fn batch_inverse<R: DeviceRuntime>(
    rt: &R,
    a: &[KoalaBear],
    chunk: u32,
) -> Result<Vec<KoalaBear>, GpuError> {
    let chunk = chunk.max(1);
    let da = rt.upload(as_words(a))?;
    let out = rt.alloc(a.len())?;
    let threads = a.len().div_ceil(chunk as usize);
    rt.launch(
        "kb_batch_inverse",
        threads,
        &[
            Arg::Buf(&da),
            Arg::Buf(&out),
            Arg::U64(a.len() as u64),
            Arg::U32(chunk),
        ],
    )?;
    download(rt, &out, a.len())
}
