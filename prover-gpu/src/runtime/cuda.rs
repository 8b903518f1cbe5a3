//! CUDA runtime through `cudarc` (driver API, dynamically loaded).
//!
//! Kernels are the nvcc-built PTX embedded at build time when nvcc was available, otherwise the
//! same sources compiled at run time by NVRTC. A machine without libcuda gets
//! [`GpuError::NoDevice`], never a panic: cudarc panics when the library is missing, so we probe
//! for it first.

use std::collections::HashMap;
use std::sync::Arc;

use cudarc::driver::{
    CudaContext, CudaFunction, CudaSlice, CudaStream, LaunchConfig, PushKernelArg,
};
use cudarc::nvrtc::Ptx;

use super::{Arg, DeviceRuntime};
use crate::error::GpuError;

const RT: &str = "CUDA";
const BLOCK: u32 = 256;

fn err(e: impl std::fmt::Debug) -> GpuError {
    GpuError::Runtime {
        runtime: RT,
        message: format!("{e:?}"),
    }
}

/// One CUDA device with every mipstark kernel loaded.
pub struct CudaRuntime {
    ctx: Arc<CudaContext>,
    stream: Arc<CudaStream>,
    functions: HashMap<String, CudaFunction>,
}

#[cfg(mipstark_nvcc_ptx)]
include!(concat!(env!("OUT_DIR"), "/embedded_ptx.rs"));

#[cfg(mipstark_nvcc_ptx)]
fn ptx_for(file: &str) -> Result<Ptx, GpuError> {
    embedded_ptx(file)
        .map(Ptx::from_src)
        .ok_or_else(|| GpuError::Compile {
            file: file.into(),
            log: "no PTX was built for this file".into(),
        })
}

#[cfg(not(mipstark_nvcc_ptx))]
fn ptx_for(file: &str) -> Result<Ptx, GpuError> {
    // SAFETY: probing with dlopen has no side effect beyond loading the library.
    if !unsafe { cudarc::nvrtc::sys::is_culib_present() } {
        return Err(GpuError::NoDevice {
            runtime: RT,
            hint: "no nvcc-built PTX and libnvrtc is missing (pip install nvidia-cuda-nvrtc)",
        });
    }
    let src = mipstark_kernels::expanded(file).ok_or_else(|| GpuError::Compile {
        file: file.into(),
        log: "missing source".into(),
    })?;
    let opts = cudarc::nvrtc::CompileOptions {
        arch: Some("compute_80"),
        ..Default::default()
    };
    cudarc::nvrtc::compile_ptx_with_opts(src, opts).map_err(|e| GpuError::Compile {
        file: file.into(),
        log: format!("{e:?}"),
    })
}

impl CudaRuntime {
    /// Opens device `MIPSTARK_CUDA_DEVICE` (default 0) and loads the kernels.
    pub fn new() -> Result<Self, GpuError> {
        let ordinal: usize = std::env::var("MIPSTARK_CUDA_DEVICE")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        Self::on_device(ordinal)
    }

    /// Opens CUDA device `ordinal` and loads the kernels.
    pub fn on_device(ordinal: usize) -> Result<Self, GpuError> {
        // SAFETY: probing with dlopen has no side effect beyond loading the library.
        if !unsafe { cudarc::driver::sys::is_culib_present() } {
            return Err(GpuError::NoDevice {
                runtime: RT,
                hint: "libcuda was not found; is an NVIDIA driver installed?",
            });
        }
        let ctx = CudaContext::new(ordinal).map_err(err)?;
        if ctx.has_async_alloc() {
            keep_freed_memory(&ctx)?;
        }
        let stream = ctx.default_stream();
        let mut functions = HashMap::new();
        for file in mipstark_kernels::kernel_files() {
            let module = ctx.load_module(ptx_for(file)?).map_err(err)?;
            let text = mipstark_kernels::source(file)
                .map(|s| s.text)
                .unwrap_or_default();
            for name in kernel_names(text) {
                functions.insert(name.to_string(), module.load_function(name).map_err(err)?);
            }
        }
        Ok(CudaRuntime {
            ctx,
            stream,
            functions,
        })
    }
}

/// Buffer reuse across commitments and shards: cudarc allocates stream-ordered from the
/// device's default memory pool, which by default hands freed memory back to the driver at
/// every synchronization (each launch waits), so the next commitment's same-sized buffers would
/// be allocated afresh. With no release threshold the pool keeps them for reuse.
fn keep_freed_memory(ctx: &CudaContext) -> Result<(), GpuError> {
    use cudarc::driver::sys;
    let mut pool: sys::CUmemoryPool = std::ptr::null_mut();
    let mut threshold: u64 = u64::MAX;
    // SAFETY: `pool` receives the device's default pool handle, which lives as long as the
    // device; the attribute takes a pointer to a u64, valid for the duration of the call.
    unsafe {
        sys::cuDeviceGetDefaultMemPool(&mut pool, ctx.cu_device())
            .result()
            .map_err(err)?;
        sys::cuMemPoolSetAttribute(
            pool,
            sys::CUmemPool_attribute::CU_MEMPOOL_ATTR_RELEASE_THRESHOLD,
            &mut threshold as *mut u64 as *mut std::ffi::c_void,
        )
        .result()
        .map_err(err)
    }
}

/// Entry points of a kernel file: the identifier after each `KERNEL void`.
fn kernel_names(text: &str) -> impl Iterator<Item = &str> {
    text.split("KERNEL void ")
        .skip(1)
        .filter_map(|rest| rest.split('(').next())
        .map(str::trim)
}

impl DeviceRuntime for CudaRuntime {
    type Buffer = CudaSlice<u32>;

    fn device_name(&self) -> String {
        format!("{} (CUDA)", self.ctx.name().unwrap_or_default())
    }

    fn total_memory(&self) -> Result<u64, GpuError> {
        self.ctx.total_mem().map(|b| b as u64).map_err(err)
    }

    fn alloc(&self, words: usize) -> Result<Self::Buffer, GpuError> {
        self.stream.alloc_zeros::<u32>(words.max(1)).map_err(err)
    }

    fn write(&self, buf: &mut Self::Buffer, data: &[u32]) -> Result<(), GpuError> {
        if data.len() > buf.len() {
            return Err(GpuError::BufferSize {
                have: buf.len(),
                need: data.len(),
            });
        }
        let mut view = buf.slice_mut(..data.len());
        self.stream.memcpy_htod(data, &mut view).map_err(err)
    }

    fn read(&self, buf: &Self::Buffer, out: &mut [u32]) -> Result<(), GpuError> {
        if out.len() > buf.len() {
            return Err(GpuError::BufferSize {
                have: buf.len(),
                need: out.len(),
            });
        }
        self.stream
            .memcpy_dtoh(&buf.slice(..out.len()), out)
            .map_err(err)?;
        self.stream.synchronize().map_err(err)
    }

    fn launch_groups(
        &self,
        kernel: &str,
        threads: usize,
        group: Option<usize>,
        args: &[Arg<'_, Self::Buffer>],
    ) -> Result<(), GpuError> {
        if threads == 0 {
            return Ok(());
        }
        let f = self
            .functions
            .get(kernel)
            .ok_or_else(|| GpuError::UnknownKernel(kernel.to_string()))?;
        let block = group.unwrap_or(BLOCK as usize);
        super::check_group(threads, group)?;
        let blocks = u32::try_from(threads.div_ceil(block))
            .map_err(|_| GpuError::Shape(format!("{threads} threads exceed one grid")))?;
        let cfg = LaunchConfig {
            grid_dim: (blocks, 1, 1),
            block_dim: (block as u32, 1, 1),
            shared_mem_bytes: 0,
        };
        let mut b = self.stream.launch_builder(f);
        for a in args {
            match a {
                Arg::Buf(buf) => b.arg(*buf),
                Arg::U32(v) => b.arg(v),
                Arg::U64(v) => b.arg(v),
            };
        }
        // SAFETY: argument types and order match the kernel signatures in mipstark-kernels;
        // kernels bounds-check their global index against the element count they are given.
        unsafe { b.launch(cfg) }.map_err(err)?;
        self.stream.synchronize().map_err(err)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn kernel_names_are_found() {
        let names: Vec<_> =
            super::kernel_names(mipstark_kernels::source("merkle.cu").unwrap().text).collect();
        assert_eq!(
            names,
            ["merkle_hash_rows", "merkle_compress_layer", "merkle_inject"]
        );
    }
}
