//! Shared set-up for the criterion benchmarks (see `benches/`).

use std::sync::Arc;

use mipstark::guests;
use mipstark_emulator::{GuestInput, Program};

/// A built-in guest, loaded, with its single u32 parameter as input.
pub fn guest(name: &str, param: u32) -> (Arc<Program>, GuestInput) {
    let g = guests::find(name).unwrap_or_else(|| panic!("no built-in guest {name}"));
    let program = Program::from_elf(g.elf).expect("built-in guest loads");
    (
        Arc::new(program),
        GuestInput::default().with_u32_hint(param),
    )
}
