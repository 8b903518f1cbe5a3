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
    /// The messages of the first [`KEPT_ERRORS`] failures, in order.
    errors: Mutex<Vec<String>>,
}

/// Failure messages a [`DeviceStats`] keeps (the count goes on).
pub const KEPT_ERRORS: usize = 64;

impl DeviceStats {
    /// The first device error, if any call failed.
    pub fn first_error(&self) -> Option<String> {
        self.error_at(0)
    }

    /// The message of failure number `index` (counting from 0 over this record's life), if
    /// kept: with `index` = the failure count before a proof, its first failure.
    pub fn error_at(&self, index: usize) -> Option<String> {
        self.errors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(index)
            .cloned()
    }

    /// Counts `result` and keeps the first error; `None` tells the caller to fall back.
    pub(crate) fn record<T>(&self, result: Result<T, GpuError>) -> Option<T> {
        match result {
            Ok(t) => {
                self.device_calls.fetch_add(1, Ordering::Relaxed);
                Some(t)
            }
            Err(e) => {
                let mut errors = self.errors.lock().unwrap_or_else(|e| e.into_inner());
                // Counted under the lock, so a failure's number is its place in the list.
                self.failures.fetch_add(1, Ordering::Relaxed);
                if errors.len() < KEPT_ERRORS {
                    errors.push(e.to_string());
                }
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A proof reports its own first failure, not one an earlier proof left behind.
    #[test]
    fn failures_are_numbered_in_order() {
        let s = DeviceStats::default();
        assert_eq!(s.record(Ok::<_, GpuError>(1)), Some(1));
        assert_eq!(s.record::<()>(Err(GpuError::Shape("first".into()))), None);
        let before = s.failures.load(Ordering::Relaxed);
        assert_eq!(s.record::<()>(Err(GpuError::Shape("second".into()))), None);
        assert!(s.first_error().unwrap().contains("first"));
        assert!(s.error_at(before).unwrap().contains("second"));
        assert_eq!(s.error_at(before + 1), None);
        assert_eq!(s.device_calls.load(Ordering::Relaxed), 1);
    }
}
