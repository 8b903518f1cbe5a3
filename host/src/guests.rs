//! Guest programs built into the binary, so the main job needs no cross-compiler.
//!
//! The ELFs come from `tests/guests/` (see its `build.sh`); they are the zkVM-ABI builds that
//! read their parameter from the hint stream.

/// A built-in guest program.
#[derive(Clone, Copy, Debug)]
pub struct Guest {
    pub name: &'static str,
    pub elf: &'static [u8],
    /// What the single u32 hint means.
    pub param: &'static str,
    /// The hint used when none is given.
    pub default_param: u32,
}

macro_rules! guest {
    ($name:literal, $param:literal, $default:expr) => {
        Guest {
            name: $name,
            elf: include_bytes!(concat!("../../tests/guests/elf/", $name, ".elf")),
            param: $param,
            default_param: $default,
        }
    };
}

/// The benchmark guests, each taking one u32 hint.
pub const GUESTS: &[Guest] = &[
    guest!("sha2-chain", "iterations", 200),
    guest!("fibonacci", "n", 100_000),
    guest!("sha256", "input bytes", 32_768),
    guest!("keccak256", "input bytes", 32_768),
    guest!("loop", "iterations", 1_000_000),
    guest!("bigmem", "KiB of heap", 1_024),
];

/// The program `mipstark execute` runs when no ELF is given.
pub const DEFAULT_GUEST: &str = "sha2-chain";

/// Looks a built-in guest up by name.
pub fn find(name: &str) -> Option<&'static Guest> {
    GUESTS.iter().find(|g| g.name == name)
}

/// The default guest.
pub fn default_guest() -> &'static Guest {
    find(DEFAULT_GUEST).expect("the default guest is in the table")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_guests_load() {
        for g in GUESTS {
            mipstark_emulator::Program::from_elf(g.elf)
                .unwrap_or_else(|e| panic!("{}: {e}", g.name));
        }
        assert_eq!(default_guest().name, DEFAULT_GUEST);
    }
}
