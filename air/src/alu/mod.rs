//! ALU chips: each receives `(op, a, b, c)` on the `alu` bus for the operations it answers and
//! constrains `a = op(b, c)` over bytes.

pub mod add_sub;
pub mod add_sub_trap;
pub mod bitfield;
pub mod bitmanip;
pub mod bitwise;
pub mod divrem;
pub mod events;
pub mod lt;
pub mod mul;
pub mod shift;

use crate::F;
use p3_field::PrimeCharacteristicRing;

/// A word as its four little-endian bytes, as field elements.
pub fn word_bytes(v: u32) -> [F; 4] {
    v.to_le_bytes().map(F::from_u8)
}
