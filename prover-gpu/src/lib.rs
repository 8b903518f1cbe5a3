//! mipstark's GPU backend.
//!
//! The stage logic is written once over the small [`runtime::DeviceRuntime`] trait (buffers,
//! copies, kernel launch by name); CUDA and OpenCL implement it, so the two runtimes cannot
//! drift. Kernels come from `mipstark-kernels` (one portable source for both). Each launcher
//! in [`kernels`] has a CPU twin in Plonky3 and a test that pins them equal.

pub mod dft;
pub mod error;
pub mod kernels;
pub mod mmcs;
pub mod prove;
pub mod quotient;
pub mod runtime;
pub mod stats;

pub use dft::GpuDft;
pub use error::GpuError;
pub use mmcs::GpuMmcs;
pub use prove::{DeviceProveError, GpuBackend};
pub use runtime::{Arg, DeviceRuntime};
pub use stats::DeviceStats;
