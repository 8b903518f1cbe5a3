#![doc = include_str!("../README.md")]

pub mod challenger;
pub mod config;
pub mod machine;
pub mod proof;
pub mod protocol;
pub mod security;
pub mod sharded;

pub use challenger::DeterministicChallenger;
pub use config::{
    make_config, make_config_on, make_config_with, val_mmcs, Challenge, MipsStarkConfig,
    MipsStarkConfigOn, MipsStarkConfigWith, StarkParams, Val, ValMmcs,
};
