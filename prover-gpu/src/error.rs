//! Errors a user can act on.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum GpuError {
    #[error("no {runtime} device found ({hint})")]
    NoDevice {
        runtime: &'static str,
        hint: &'static str,
    },
    #[error("{runtime} error: {message}")]
    Runtime {
        runtime: &'static str,
        message: String,
    },
    #[error("kernel source {file} failed to compile:\n{log}")]
    Compile { file: String, log: String },
    #[error("unknown kernel {0:?}")]
    UnknownKernel(String),
    #[error("buffer holds {have} words, {need} needed")]
    BufferSize { have: usize, need: usize },
    #[error("{0}")]
    Shape(String),
    #[error(
        "{unit} needs {need} bytes of device memory, over the budget of {budget} bytes: \
         raise --gpu-mem-fraction or prove with smaller shards"
    )]
    Budget {
        /// What cannot be split further ("one column", "one row").
        unit: &'static str,
        need: u64,
        budget: u64,
    },
}

impl From<mipstark_constraints::CompileError> for GpuError {
    fn from(e: mipstark_constraints::CompileError) -> Self {
        GpuError::Shape(e.0)
    }
}
