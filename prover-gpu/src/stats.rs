//! What the device did during a proof. Plonky3's DFT and MMCS traits cannot return errors, so
//! a device failure falls back to the CPU for that call and is recorded here; callers check
//! [`DeviceStats::first_error`] after proving and treat any failure as an error (a proof made
//! partly on the CPU is still correct, but the user asked for the GPU).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::GpuError;

#[derive(Debug, Default)]
pub struct DeviceStats {
    /// Calls that ran on the device.
    pub device_calls: AtomicUsize,
    /// Calls that failed on the device (and were computed on the CPU instead).
    pub failures: AtomicUsize,
    first_error: Mutex<Option<String>>,
}

impl DeviceStats {
    /// The first device error, if any call failed.
    pub fn first_error(&self) -> Option<String> {
        self.first_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Counts `result` and keeps the first error; `None` tells the caller to fall back.
    pub(crate) fn record<T>(&self, result: Result<T, GpuError>) -> Option<T> {
        match result {
            Ok(t) => {
                self.device_calls.fetch_add(1, Ordering::Relaxed);
                Some(t)
            }
            Err(e) => {
                self.failures.fetch_add(1, Ordering::Relaxed);
                let mut first = self.first_error.lock().unwrap_or_else(|e| e.into_inner());
                first.get_or_insert_with(|| e.to_string());
                None
            }
        }
    }
}
