//! Launchers for `merkle.cu`: a Merkle tree over matrices, exactly as
//! `p3_merkle_tree::MerkleTreeMmcs` (Poseidon2 sponge leaves, 2-to-1 truncated-permutation
//! compression) builds it. Twin: `MerkleTreeMmcs::commit`.

use p3_field::PrimeCharacteristicRing;
use p3_koala_bear::KoalaBear;
use p3_matrix::Matrix;
use rayon::prelude::*;

use super::{as_words, download_arrays};
use crate::error::GpuError;
use crate::runtime::{Arg, DeviceRuntime};

pub const DIGEST: usize = 8;
pub type Digest = [KoalaBear; DIGEST];

/// Every layer of the tree, leaves first; the last layer is the root.
pub struct MerkleLayers {
    pub layers: Vec<Vec<Digest>>,
}

impl MerkleLayers {
    pub fn root(&self) -> Digest {
        self.layers
            .last()
            .and_then(|l| l.first())
            .copied()
            .unwrap_or_default()
    }
}

/// Rows `r0..r1` of each matrix, back to back (the layout `merkle_hash_rows` reads), into the
/// front of `flat`; returns that part.
fn gather_rows<'a, M: Matrix<KoalaBear>>(
    mats: &[&M],
    r0: usize,
    r1: usize,
    flat: &'a mut [KoalaBear],
) -> &'a [KoalaBear] {
    let rows = r1 - r0;
    let used = mats.iter().map(|m| m.width()).sum::<usize>() * rows;
    let mut rest = &mut flat[..used];
    for m in mats {
        let w = m.width();
        let (mine, tail) = std::mem::take(&mut rest).split_at_mut(w * rows);
        rest = tail;
        if w > 0 {
            mine.par_chunks_mut(w).enumerate().for_each(|(i, dst)| {
                dst.copy_from_slice(&m.row_slice(r0 + i).expect("row within the height"));
            });
        }
    }
    &flat[..used]
}

/// Host staging bound: leaves are uploaded at most this many bytes at a time even without a
/// budget, so a commitment never holds a second copy of a whole LDE in host memory.
pub(crate) const STAGING_BYTES: usize = 256 << 20;

/// The digest of each row of same-height matrices (a row's digest hashes its values in every
/// matrix, in order), computed `rows_per_call` rows at a time through one host staging buffer
/// and one pair of device buffers.
fn hash_rows<R: DeviceRuntime, M: Matrix<KoalaBear>>(
    rt: &R,
    mats: &[&M],
    rows_per_call: usize,
) -> Result<Vec<Digest>, GpuError> {
    let height = mats[0].height();
    let width: usize = mats.iter().map(|m| m.width()).sum();
    let staged = (STAGING_BYTES / (4 * width.max(1))).max(1);
    let chunk = rows_per_call.min(staged).clamp(1, height);
    let widths: Vec<u32> = mats.iter().map(|m| m.width() as u32).collect();
    let dw = rt.upload(&widths)?;
    let mut dm = rt.alloc(chunk * width)?;
    let out = rt.alloc(chunk * DIGEST)?;
    let mut staging = KoalaBear::zero_vec(chunk * width);
    let mut digests = Vec::with_capacity(height);
    for r0 in (0..height).step_by(chunk) {
        let r1 = (r0 + chunk).min(height);
        rt.write(&mut dm, as_words(gather_rows(mats, r0, r1, &mut staging)))?;
        rt.launch(
            "merkle_hash_rows",
            r1 - r0,
            &[
                Arg::Buf(&dm),
                Arg::Buf(&dw),
                Arg::U32(mats.len() as u32),
                Arg::U64((r1 - r0) as u64),
                Arg::Buf(&out),
            ],
        )?;
        digests.extend(read_digests(rt, &out, r1 - r0)?);
    }
    Ok(digests)
}

fn read_digests<R: DeviceRuntime>(
    rt: &R,
    buf: &R::Buffer,
    n: usize,
) -> Result<Vec<Digest>, GpuError> {
    download_arrays(rt, buf, n)
}

fn upload_digests<R: DeviceRuntime>(rt: &R, d: &[Digest]) -> Result<R::Buffer, GpuError> {
    rt.upload(as_words(d.as_flattened()))
}

/// Builds the tree over `mats`, whose heights must be powers of two. Matrices are taken tallest
/// first (stably, as MerkleTreeMmcs sorts them); shorter ones are hashed and injected at the
/// layer of their height.
pub fn build<R: DeviceRuntime, M: Matrix<KoalaBear>>(
    rt: &R,
    mats: &[&M],
) -> Result<MerkleLayers, GpuError> {
    build_within(rt, mats, None)
}

/// [`build`] using at most about `budget` bytes of device memory per call: the leaves are
/// hashed a group of rows at a time (the digest layers, 32 bytes per row of the tallest
/// matrix, are not counted).
pub fn build_within<R: DeviceRuntime, M: Matrix<KoalaBear>>(
    rt: &R,
    mats: &[&M],
    budget: Option<u64>,
) -> Result<MerkleLayers, GpuError> {
    if mats.is_empty() {
        return Err(GpuError::Shape("no matrices to commit".into()));
    }
    if let Some(m) = mats.iter().find(|m| !m.height().is_power_of_two()) {
        return Err(GpuError::Shape(format!(
            "matrix height {} is not a power of two",
            m.height()
        )));
    }
    let mut order: Vec<&M> = mats.to_vec();
    order.sort_by_key(|m| std::cmp::Reverse(m.height()));
    let max_h = order[0].height();
    let by_height =
        |h: usize| -> Vec<&M> { order.iter().copied().filter(|m| m.height() == h).collect() };
    let rows_per_call = |group: &[&M]| -> Result<usize, GpuError> {
        let Some(budget) = budget else {
            return Ok(usize::MAX);
        };
        let row_bytes = 4 * (group.iter().map(|m| m.width()).sum::<usize>() + DIGEST) as u64;
        if row_bytes > budget {
            return Err(GpuError::Budget {
                unit: "one row",
                need: row_bytes,
                budget,
            });
        }
        Ok((budget / row_bytes) as usize)
    };
    let tallest = by_height(max_h);
    let leaves = hash_rows(rt, &tallest, rows_per_call(&tallest)?)?;
    let mut cur = upload_digests(rt, &leaves)?;
    let mut n = max_h;
    let mut layers = vec![leaves];
    while n > 1 {
        let next = rt.alloc((n / 2) * DIGEST)?;
        rt.launch(
            "merkle_compress_layer",
            n / 2,
            &[Arg::Buf(&cur), Arg::Buf(&next), Arg::U64((n / 2) as u64)],
        )?;
        n /= 2;
        cur = next;
        let inject = by_height(n);
        if !inject.is_empty() {
            let rows = upload_digests(rt, &hash_rows(rt, &inject, rows_per_call(&inject)?)?)?;
            rt.launch(
                "merkle_inject",
                n,
                &[Arg::Buf(&cur), Arg::Buf(&rows), Arg::U64(n as u64)],
            )?;
        }
        layers.push(read_digests(rt, &cur, n)?);
    }
    Ok(MerkleLayers { layers })
}
