//! OpenCL runtime through `opencl3`: PoCL on CPU-only machines, any OpenCL GPU elsewhere.

use std::collections::HashMap;
use std::ptr;
use std::sync::Mutex;

use opencl3::command_queue::CommandQueue;
use opencl3::context::Context;
use opencl3::device::{get_all_devices, Device, CL_DEVICE_TYPE_ALL};
use opencl3::kernel::{ExecuteKernel, Kernel};
use opencl3::memory::{Buffer, CL_MEM_READ_WRITE};
use opencl3::program::Program;
use opencl3::types::{cl_uint, cl_ulong, CL_BLOCKING};

use super::{Arg, DeviceRuntime};
use crate::error::GpuError;

const RT: &str = "OpenCL";

fn err(e: impl std::fmt::Display) -> GpuError {
    GpuError::Runtime {
        runtime: RT,
        message: e.to_string(),
    }
}

/// An OpenCL device with every mipstark kernel compiled.
pub struct OpenClRuntime {
    device: Device,
    context: Context,
    queue: CommandQueue,
    /// Kernel objects hold their arguments, so launches are serialized per kernel.
    kernels: HashMap<String, Mutex<Kernel>>,
    _programs: Vec<Program>,
}

// SAFETY: OpenCL objects are reference-counted handles that the OpenCL 1.2+ specification
// makes thread-safe, except `clSetKernelArg` on one kernel, which the Mutex above serializes.
unsafe impl Send for OpenClRuntime {}
unsafe impl Sync for OpenClRuntime {}

impl OpenClRuntime {
    /// Opens the first OpenCL device (`MIPSTARK_OPENCL_DEVICE=N` picks another) and compiles
    /// the kernels.
    pub fn new() -> Result<Self, GpuError> {
        let index = std::env::var("MIPSTARK_OPENCL_DEVICE")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        Self::on_device(index)
    }

    /// Opens OpenCL device `index` (in the order of all platforms' devices) and compiles the
    /// kernels.
    pub fn on_device(index: usize) -> Result<Self, GpuError> {
        let hint = "install an OpenCL driver, e.g. Debian's pocl-opencl-icd";
        // The ICD loader's first platform query is not thread-safe (two runtimes opened at
        // once can see no platform): enumerate under one lock.
        static ENUMERATE: Mutex<()> = Mutex::new(());
        let ids = {
            let _guard = ENUMERATE.lock().unwrap_or_else(|e| e.into_inner());
            get_all_devices(CL_DEVICE_TYPE_ALL)
        }
        .map_err(|_| GpuError::NoDevice { runtime: RT, hint })?;
        let id = *ids
            .get(index)
            .ok_or(GpuError::NoDevice { runtime: RT, hint })?;
        let device = Device::new(id);
        let context = Context::from_device(&device).map_err(err)?;
        #[allow(deprecated)]
        let queue = CommandQueue::create_default(&context, 0).map_err(err)?;
        let mut kernels = HashMap::new();
        let mut programs = Vec::new();
        for file in mipstark_kernels::kernel_files() {
            let src = mipstark_kernels::expanded(file).ok_or_else(|| GpuError::Compile {
                file: file.to_string(),
                log: "missing source".into(),
            })?;
            let program = Program::create_and_build_from_source(&context, &src, "-cl-std=CL1.2")
                .map_err(|log| GpuError::Compile {
                    file: file.to_string(),
                    log,
                })?;
            let names = program.get_kernel_names().map_err(err)?;
            for name in names.split(';').filter(|n| !n.is_empty()) {
                let k = Kernel::create(&program, name).map_err(err)?;
                kernels.insert(name.to_string(), Mutex::new(k));
            }
            programs.push(program);
        }
        Ok(OpenClRuntime {
            device,
            context,
            queue,
            kernels,
            _programs: programs,
        })
    }
}

impl DeviceRuntime for OpenClRuntime {
    type Buffer = Buffer<cl_uint>;

    fn device_name(&self) -> String {
        format!("{} (OpenCL)", self.device.name().unwrap_or_default())
    }

    fn total_memory(&self) -> Result<u64, GpuError> {
        self.device.global_mem_size().map_err(err)
    }

    fn alloc(&self, words: usize) -> Result<Self::Buffer, GpuError> {
        // SAFETY: no host pointer is passed; the buffer is then zero-filled on the device.
        let mut b = unsafe {
            Buffer::<cl_uint>::create(
                &self.context,
                CL_MEM_READ_WRITE,
                words.max(1),
                ptr::null_mut(),
            )
        }
        .map_err(err)?;
        // SAFETY: fills `words` elements of a buffer of at least that size; we wait on the event.
        let ev = unsafe {
            self.queue
                .enqueue_fill_buffer(&mut b, &[0u32], 0, 4 * words.max(1), &[])
        }
        .map_err(err)?;
        ev.wait().map_err(err)?;
        Ok(b)
    }

    fn write(&self, buf: &mut Self::Buffer, data: &[u32]) -> Result<(), GpuError> {
        if data.is_empty() {
            return Ok(());
        }
        // SAFETY: blocking write of `data` into a buffer the caller sized.
        unsafe {
            self.queue
                .enqueue_write_buffer(buf, CL_BLOCKING, 0, data, &[])
        }
        .map_err(err)?;
        Ok(())
    }

    fn read(&self, buf: &Self::Buffer, out: &mut [u32]) -> Result<(), GpuError> {
        if out.is_empty() {
            return Ok(());
        }
        // SAFETY: blocking read into `out`.
        unsafe {
            self.queue
                .enqueue_read_buffer(buf, CL_BLOCKING, 0, out, &[])
        }
        .map_err(err)?;
        Ok(())
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
        super::check_group(threads, group)?;
        let k = self
            .kernels
            .get(kernel)
            .ok_or_else(|| GpuError::UnknownKernel(kernel.to_string()))?;
        let k = k.lock().map_err(|_| err("kernel lock poisoned"))?;
        let mut exec = ExecuteKernel::new(&k);
        for a in args {
            // SAFETY: argument types match the kernel signatures in mipstark-kernels (u32 words,
            // u32/u64 scalars); each launcher in `kernels/` passes them in declaration order.
            // clSetKernelArg copies the value, so the references need not outlive this call.
            unsafe {
                match a {
                    Arg::Buf(b) => exec.set_arg(*b),
                    Arg::U32(v) => exec.set_arg::<cl_uint>(v),
                    Arg::U64(v) => exec.set_arg::<cl_ulong>(v),
                };
            }
        }
        // SAFETY: global size covers `threads`; kernels bounds-check their index.
        exec.set_global_work_size(threads);
        if let Some(g) = group {
            exec.set_local_work_size(g);
        }
        let ev = unsafe { exec.enqueue_nd_range(&self.queue) }.map_err(err)?;
        ev.wait().map_err(err)?;
        Ok(())
    }
}
