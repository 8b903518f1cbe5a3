//! `mipstark verify`: check a proof against a program; print what it proves.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;
use mipstark::guests;
use mipstark::prove::verify_elf;
use mipstark::Proof;

use super::prove::Params;

#[derive(Args)]
pub struct VerifyArgs {
    /// The program the proof must be about (its verifying key is derived from it); the
    /// built-in default program when neither --elf nor --guest is given.
    #[arg(long, value_name = "ELF")]
    elf: Option<PathBuf>,
    /// A built-in guest instead of --elf.
    #[arg(long, conflicts_with = "elf")]
    guest: Option<String>,
    /// The proof file.
    proof: PathBuf,
    /// The parameters the proof must have been made with.
    #[arg(long, value_enum, default_value_t = Params::Secure)]
    params: Params,
}

pub fn run(args: VerifyArgs) -> anyhow::Result<i32> {
    let elf = match (&args.elf, &args.guest) {
        (Some(p), _) => {
            std::fs::read(p).with_context(|| format!("cannot read ELF {}", p.display()))?
        }
        (None, Some(name)) => match guests::find(name) {
            Some(g) => g.elf.to_vec(),
            None => bail!("no built-in guest named {name:?}"),
        },
        (None, None) => guests::default_guest().elf.to_vec(),
    };
    let bytes = std::fs::read(&args.proof)
        .with_context(|| format!("cannot read proof {}", args.proof.display()))?;
    let proof = Proof::from_bytes(&bytes)?;
    // The verifier turns a panic on a malformed proof into an error; keep the panic message
    // itself off stderr so the failure stays one line.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let verdict = verify_elf(&elf, &proof, args.params.stark());
    std::panic::set_hook(hook);
    let st = verdict?;
    let hex: String = st
        .public_values
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    println!("proof valid");
    println!("exit code: {}", st.exit_code);
    println!("public values ({} bytes): {hex}", st.public_values.len());
    let words: Vec<String> = st.committed.iter().map(|w| format!("{w:08x}")).collect();
    println!("committed words: {}", words.join(" "));
    println!("shards: {}", st.shards.len());
    Ok(0)
}
