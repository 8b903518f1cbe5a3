//! Running guests under qemu-mipsel (Debian's `qemu-user-static`), the differential reference.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Architectural state qemu logs before each instruction (`-singlestep -d cpu`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CpuState {
    pub pc: u32,
    pub hi: u32,
    pub lo: u32,
    pub gpr: [u32; 32],
}

/// The outcome of one qemu run.
#[derive(Debug)]
pub struct QemuRun {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Exit code, if the guest exited.
    pub exit_code: Option<i32>,
    /// Signal number, if the guest died of one (qemu re-raises the guest's fatal signal).
    pub signal: Option<i32>,
    /// Per-instruction states when tracing was requested.
    pub trace: Vec<CpuState>,
}

/// Finds qemu-mipsel on PATH.
pub fn find() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["qemu-mipsel-static", "qemu-mipsel"] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// qemu, or a clear failure: the differential suites must not pass silently without their
/// reference. Set `MIPSTARK_ALLOW_NO_QEMU=1` to skip them on a machine without it.
pub fn require() -> Option<PathBuf> {
    match find() {
        Some(p) => Some(p),
        None if std::env::var_os("MIPSTARK_ALLOW_NO_QEMU").is_some() => {
            eprintln!("qemu-mipsel not found: skipping the differential test (MIPSTARK_ALLOW_NO_QEMU set)");
            None
        }
        None => panic!(
            "qemu-mipsel not found; install it (apt-get install qemu-user-static) or run ./scripts/test.sh, \
             which installs it; set MIPSTARK_ALLOW_NO_QEMU=1 to skip differential tests"
        ),
    }
}

/// Runs `elf` under qemu with `args` (argv[1..]) and `stdin`; with `trace`, logs the CPU state
/// before every instruction.
pub fn run(qemu: &Path, elf: &[u8], args: &[&str], stdin: &[u8], trace: bool) -> QemuRun {
    // qemu writes core files into the working directory on a fatal signal: keep them in the
    // temporary directory, which is removed afterwards.
    let dir = tempfile::tempdir().expect("temp dir");
    let elf_path = dir.path().join("guest.elf");
    std::fs::write(&elf_path, elf).expect("write ELF");
    // qemu-user, like the kernel, refuses to load a file without execute permission.
    std::fs::set_permissions(&elf_path, std::fs::Permissions::from_mode(0o755)).expect("chmod ELF");
    let log_path = dir.path().join("cpu.log");
    let mut cmd = Command::new(qemu);
    cmd.current_dir(dir.path()).arg("-cpu").arg("24Kf");
    if trace {
        cmd.arg("-singlestep")
            .arg("-d")
            .arg("cpu,nochain")
            .arg("-D")
            .arg(&log_path);
    }
    cmd.arg(&elf_path).args(args);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn qemu");
    let mut child_stdin = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = child_stdin.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait qemu");
    let _ = writer.join();
    let trace = if trace {
        parse_log(&std::fs::read_to_string(&log_path).unwrap_or_default())
    } else {
        Vec::new()
    };
    QemuRun {
        stdout: out.stdout,
        stderr: out.stderr,
        exit_code: out.status.code(),
        signal: out.status.signal(),
        trace,
    }
}

/// Parses qemu's `-d cpu` log: a `pc=0x... HI=0x... LO=0x...` line followed by eight
/// `GPRnn:` lines of four `name value` pairs.
pub fn parse_log(text: &str) -> Vec<CpuState> {
    let mut states = Vec::new();
    let mut cur: Option<CpuState> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("pc=0x") {
            if let Some(s) = cur.take() {
                states.push(s);
            }
            let mut it = rest.split_whitespace();
            let pc = hex(it.next().unwrap_or(""));
            let hi = it
                .next()
                .and_then(|t| t.strip_prefix("HI=0x"))
                .map(hex)
                .unwrap_or(0);
            let lo = it
                .next()
                .and_then(|t| t.strip_prefix("LO=0x"))
                .map(hex)
                .unwrap_or(0);
            // "ds HFLAGS BTARGET BCOND": the delay slot of a branch-likely (hflags branch kind
            // BL) whose condition is false is logged but then skipped; drop it so the log
            // lists executed instructions only.
            let rest: Vec<&str> = it.collect();
            if let ["ds", hflags, _btarget, bcond, ..] = rest.as_slice() {
                let hflags = u32::from_str_radix(hflags, 16).unwrap_or(0);
                if hflags & MIPS_HFLAG_BMASK_BASE == MIPS_HFLAG_BL && *bcond == "0" {
                    continue;
                }
            }
            cur = Some(CpuState {
                pc,
                hi,
                lo,
                gpr: [0; 32],
            });
        } else if let Some(rest) = line.strip_prefix("GPR") {
            let Some(s) = cur.as_mut() else { continue };
            let (idx, regs) = rest.split_once(':').unwrap_or(("", ""));
            let base: usize = idx.trim().parse().unwrap_or(0);
            let toks: Vec<&str> = regs.split_whitespace().collect();
            for (k, pair) in toks.chunks(2).enumerate() {
                if let (Some(v), true) = (pair.get(1), base + k < 32) {
                    s.gpr[base + k] = hex(v);
                }
            }
        }
    }
    states.extend(cur);
    states
}

/// qemu's `MIPS_HFLAG_BMASK_BASE` and `MIPS_HFLAG_BL` (target/mips/internal.h).
const MIPS_HFLAG_BMASK_BASE: u32 = 0x803800;
const MIPS_HFLAG_BL: u32 = 0x1800;

fn hex(s: &str) -> u32 {
    // qemu prints 64-bit-wide values for some fields; keep the low 32 bits.
    let s = s.trim_start_matches("0x");
    let s = if s.len() > 8 { &s[s.len() - 8..] } else { s };
    u32::from_str_radix(s, 16).unwrap_or(0)
}
