//! The program: its decoded instructions ([`decode`]) and the preprocessed table the CPU
//! fetches them from ([`table`]).

pub mod decode;
mod table;

pub use table::*;
