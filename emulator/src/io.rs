//! The guest's view of the outside world: its inputs (stdin bytes, the hint stream) and what it
//! emits (stdout, stderr, public values, committed digest words, exit code).
//!
//! Nothing here depends on the host: execution is a pure function of the ELF and these inputs.

use std::collections::VecDeque;
use std::io::Write;

/// Inputs to one execution.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GuestInput {
    /// Bytes the guest reads from fd 0 with the Linux `read` call.
    pub stdin: Vec<u8>,
    /// Buffers of the hint stream (fd 14), consumed one per `SYSHINTLEN`/`SYSHINTREAD` pair.
    pub hints: Vec<Vec<u8>>,
}

impl GuestInput {
    /// Appends a hint buffer holding `value` as 4 little-endian bytes (the runtime's `read_u32`).
    pub fn with_u32_hint(mut self, value: u32) -> Self {
        self.hints.push(value.to_le_bytes().to_vec());
        self
    }

    /// Appends a raw hint buffer.
    pub fn with_hint(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.hints.push(bytes.into());
        self
    }
}

/// Where a guest file descriptor's bytes go besides the captured buffer.
pub type Echo = Option<Box<dyn Write + Send>>;

/// Captured guest output.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GuestOutput {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Bytes written to fd 13: the public values the proof binds.
    pub public_values: Vec<u8>,
    /// Words committed by the COMMIT syscall (the public-values digest, Ziren/SP1 style).
    pub committed: [u32; 8],
}

/// Mutable I/O state during execution.
pub(crate) struct IoState {
    pub stdin: Vec<u8>,
    pub stdin_pos: usize,
    pub hints: VecDeque<Vec<u8>>,
    pub out: GuestOutput,
    pub echo_stdout: Echo,
    pub echo_stderr: Echo,
}

/// Guest file descriptors with a meaning.
pub mod fd {
    pub const STDIN: u32 = 0;
    pub const STDOUT: u32 = 1;
    pub const STDERR: u32 = 2;
    pub const PUBLIC_VALUES: u32 = 13;
    pub const HINT: u32 = 14;
}

impl IoState {
    pub fn new(input: GuestInput) -> Self {
        IoState {
            stdin: input.stdin,
            stdin_pos: 0,
            hints: input.hints.into(),
            out: GuestOutput::default(),
            echo_stdout: None,
            echo_stderr: None,
        }
    }

    /// Delivers bytes written to `fd`; returns false for a descriptor the guest cannot write.
    pub fn write(&mut self, fd: u32, bytes: Vec<u8>) -> bool {
        // Host write failures (a closed pipe) must not change guest behaviour, so they are ignored.
        match fd {
            fd::STDOUT => {
                if let Some(w) = &mut self.echo_stdout {
                    let _ = w.write_all(&bytes).and_then(|_| w.flush());
                }
                self.out.stdout.extend_from_slice(&bytes);
            }
            fd::STDERR => {
                if let Some(w) = &mut self.echo_stderr {
                    let _ = w.write_all(&bytes).and_then(|_| w.flush());
                }
                self.out.stderr.extend_from_slice(&bytes);
            }
            fd::PUBLIC_VALUES => self.out.public_values.extend_from_slice(&bytes),
            // Writing to the hint fd appends a buffer to the stream the guest reads back later.
            fd::HINT => self.hints.push_back(bytes),
            _ => return false,
        }
        true
    }

    /// Total bytes captured so far (bounded to keep a runaway guest from exhausting host memory).
    pub fn captured_len(&self) -> u64 {
        (self.out.stdout.len() + self.out.stderr.len() + self.out.public_values.len()) as u64
    }
}
