//! The `mipstark` command line.

mod cli;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    match cli.run() {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            // One line a user can act on; never a panic or a backtrace.
            eprintln!("error: {e:#}");
            std::process::exit(1);
        }
    }
}
