//! The device-runtime seam: everything the stage logic needs from a GPU API.

#[cfg(feature = "cuda")]
pub mod cuda;
#[cfg(feature = "opencl")]
pub mod opencl;

use crate::error::GpuError;

/// Rejects a launch whose thread count does not fill whole groups of the requested size.
#[cfg(any(feature = "cuda", feature = "opencl"))]
pub(crate) fn check_group(threads: usize, group: Option<usize>) -> Result<(), GpuError> {
    match group {
        Some(g) if g == 0 || !threads.is_multiple_of(g) => Err(GpuError::Shape(format!(
            "{threads} threads are not a multiple of the group size {g}"
        ))),
        _ => Ok(()),
    }
}

/// A kernel argument: a device buffer or a scalar (matching the kernel's `u32`/`u64` parameter).
pub enum Arg<'a, B> {
    Buf(&'a B),
    U32(u32),
    U64(u64),
}

/// Buffers of u32 words (field elements are Montgomery words), copies, and launches of the
/// kernels in `mipstark-kernels` by their literal names.
pub trait DeviceRuntime {
    type Buffer;

    /// A human-readable device description.
    fn device_name(&self) -> String;
    /// The device's global memory, in bytes (what a memory budget is a fraction of).
    fn total_memory(&self) -> Result<u64, GpuError>;
    /// `fraction` (clamped to 0..=1) of the device's memory, in bytes: a memory budget.
    fn memory_budget(&self, fraction: f64) -> Result<u64, GpuError> {
        Ok((self.total_memory()? as f64 * fraction.clamp(0.0, 1.0)) as u64)
    }
    /// A zero-filled buffer of `words` u32s.
    fn alloc(&self, words: usize) -> Result<Self::Buffer, GpuError>;
    /// Copies host words to `buf` (which must be at least as long).
    fn write(&self, buf: &mut Self::Buffer, data: &[u32]) -> Result<(), GpuError>;
    /// Copies the first `out.len()` words of `buf` to the host.
    fn read(&self, buf: &Self::Buffer, out: &mut [u32]) -> Result<(), GpuError>;
    /// Launches `kernel` over `threads` work items (one-dimensional) and waits for it. With
    /// `group = Some(g)` the work items form groups of exactly `g` that share local memory
    /// (`threads` must then be a multiple of `g`); with `None` the runtime picks.
    fn launch_groups(
        &self,
        kernel: &str,
        threads: usize,
        group: Option<usize>,
        args: &[Arg<'_, Self::Buffer>],
    ) -> Result<(), GpuError>;

    /// [`DeviceRuntime::launch_groups`] for kernels that need no particular group size.
    fn launch(
        &self,
        kernel: &str,
        threads: usize,
        args: &[Arg<'_, Self::Buffer>],
    ) -> Result<(), GpuError> {
        self.launch_groups(kernel, threads, None, args)
    }

    /// A buffer holding `data`.
    fn upload(&self, data: &[u32]) -> Result<Self::Buffer, GpuError> {
        let mut b = self.alloc(data.len())?;
        self.write(&mut b, data)?;
        Ok(b)
    }
}
