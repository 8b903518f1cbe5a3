//! Launchers for `merkle.cu`: a Merkle tree over matrices, exactly as
//! `p3_merkle_tree::MerkleTreeMmcs` (Poseidon2 sponge leaves, 2-to-1 truncated-permutation
//! compression) builds it. Twin: `MerkleTreeMmcs::commit`.

use p3_koala_bear::KoalaBear;
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;

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

/// Hashes the rows of same-height matrices (concatenated in order) into one digest per row,
/// left on the device.
fn hash_rows<R: DeviceRuntime>(
    rt: &R,
    mats: &[&RowMajorMatrix<KoalaBear>],
) -> Result<R::Buffer, GpuError> {
    let height = mats[0].height();
    let mut flat: Vec<KoalaBear> = Vec::with_capacity(mats.iter().map(|m| m.values.len()).sum());
    for m in mats {
        flat.extend_from_slice(&m.values);
    }
    let widths: Vec<u32> = mats.iter().map(|m| m.width() as u32).collect();
    let (dm, dw) = (rt.upload(as_words(&flat))?, rt.upload(&widths)?);
    let out = rt.alloc(height * DIGEST)?;
    rt.launch(
        "merkle_hash_rows",
        height,
        &[
            Arg::Buf(&dm),
            Arg::Buf(&dw),
            Arg::U32(mats.len() as u32),
            Arg::U64(height as u64),
            Arg::Buf(&out),
        ],
    )?;
    Ok(out)
}

fn read_digests<R: DeviceRuntime>(
    rt: &R,
    buf: &R::Buffer,
    n: usize,
) -> Result<Vec<Digest>, GpuError> {
    download_arrays(rt, buf, n)
}

/// Builds the tree over `mats`, whose heights must be powers of two. Matrices are taken tallest
/// first (stably, as MerkleTreeMmcs sorts them); shorter ones are hashed and injected at the
/// layer of their height.
pub fn build<R: DeviceRuntime>(
    rt: &R,
    mats: &[&RowMajorMatrix<KoalaBear>],
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
    let mut order: Vec<&RowMajorMatrix<KoalaBear>> = mats.to_vec();
    order.sort_by_key(|m| std::cmp::Reverse(m.height()));
    let max_h = order[0].height();
    let tallest: Vec<_> = order
        .iter()
        .copied()
        .filter(|m| m.height() == max_h)
        .collect();
    let mut cur = hash_rows(rt, &tallest)?;
    let mut n = max_h;
    let mut layers = vec![read_digests(rt, &cur, n)?];
    while n > 1 {
        let next = rt.alloc((n / 2) * DIGEST)?;
        rt.launch(
            "merkle_compress_layer",
            n / 2,
            &[Arg::Buf(&cur), Arg::Buf(&next), Arg::U64((n / 2) as u64)],
        )?;
        n /= 2;
        cur = next;
        let inject: Vec<_> = order.iter().copied().filter(|m| m.height() == n).collect();
        if !inject.is_empty() {
            let rows = hash_rows(rt, &inject)?;
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
