//! Launcher for `poseidon2.cu`. Twin: `default_koalabear_poseidon2_16().permute`.

use p3_koala_bear::KoalaBear;

use super::{as_words, download_arrays};
use crate::error::GpuError;
use crate::runtime::{Arg, DeviceRuntime};

/// Permutes every width-16 state.
pub fn permute_batch<R: DeviceRuntime>(
    rt: &R,
    states: &[[KoalaBear; 16]],
) -> Result<Vec<[KoalaBear; 16]>, GpuError> {
    let flat: Vec<KoalaBear> = states.iter().flatten().copied().collect();
    let mut buf = rt.upload(as_words(&flat))?;
    permute_in_place(rt, &mut buf, states.len())?;
    download_arrays(rt, &buf, states.len())
}

/// Permutes `count` states already on the device (the bare-permutation ceiling for benches).
pub fn permute_in_place<R: DeviceRuntime>(
    rt: &R,
    buf: &mut R::Buffer,
    count: usize,
) -> Result<(), GpuError> {
    rt.launch(
        "poseidon2_permute",
        count,
        &[Arg::Buf(buf), Arg::U64(count as u64)],
    )
}
