//! Program and input selection shared by the subcommands.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;
use mipstark::emulator::GuestInput;
use mipstark::guests;

#[derive(Args, Clone, Debug)]
pub struct ProgramArgs {
    /// Guest ELF (MIPS32r2 little-endian, static). Omit to run the built-in default program.
    pub elf: Option<PathBuf>,
    /// Run a built-in guest by name instead of an ELF (sha2-chain, fibonacci, sha256, keccak256, loop, bigmem).
    #[arg(long, conflicts_with = "elf")]
    pub guest: Option<String>,
    /// File whose bytes the guest reads from fd 0.
    #[arg(long, value_name = "FILE")]
    pub stdin: Option<PathBuf>,
    /// File holding one hint-stream buffer; repeat for several, in order.
    #[arg(long = "hint", value_name = "FILE")]
    pub hints: Vec<PathBuf>,
    /// A u32 hint-stream buffer (4 little-endian bytes), after the --hint files; repeatable.
    #[arg(long = "hint-u32", value_name = "N")]
    pub hint_u32: Vec<u32>,
}

/// A program and its inputs, ready to run.
#[derive(Clone)]
pub struct Loaded {
    pub name: String,
    pub elf: Vec<u8>,
    pub input: GuestInput,
}

impl ProgramArgs {
    pub fn load(&self) -> anyhow::Result<Loaded> {
        let mut input = GuestInput::default();
        if let Some(path) = &self.stdin {
            input.stdin = std::fs::read(path)
                .with_context(|| format!("cannot read --stdin {}", path.display()))?;
        }
        for path in &self.hints {
            let bytes = std::fs::read(path)
                .with_context(|| format!("cannot read --hint {}", path.display()))?;
            input.hints.push(bytes);
        }
        for v in &self.hint_u32 {
            input.hints.push(v.to_le_bytes().to_vec());
        }
        let builtin = match (&self.elf, &self.guest) {
            (Some(path), _) => {
                let elf = std::fs::read(path)
                    .with_context(|| format!("cannot read ELF {}", path.display()))?;
                return Ok(Loaded {
                    name: path.display().to_string(),
                    elf,
                    input,
                });
            }
            (None, Some(name)) => match guests::find(name) {
                Some(g) => g,
                None => {
                    let names: Vec<_> = guests::GUESTS.iter().map(|g| g.name).collect();
                    bail!(
                        "no built-in guest named {name:?}; choose one of {}",
                        names.join(", ")
                    );
                }
            },
            (None, None) => guests::default_guest(),
        };
        if input.hints.is_empty() {
            input
                .hints
                .push(builtin.default_param.to_le_bytes().to_vec());
        }
        Ok(Loaded {
            name: builtin.name.to_string(),
            elf: builtin.elf.to_vec(),
            input,
        })
    }
}
