#![doc = include_str!("../README.md")]

pub mod alu;
pub mod bus;
pub mod byte;
pub mod cpu;
pub mod debug;
pub mod gadgets;
pub mod load_store;
pub mod machine;
pub mod memory;
pub mod program;
pub mod recursion;
pub mod syscall;

/// The field every chip is defined over.
pub type F = p3_koala_bear::KoalaBear;
/// Its order `p = 2^31 − 2^24 + 1`.
pub const F_ORDER: u32 = 0x7f00_0001;

/// Views a `#[repr(C)]` columns struct of `T`s over a row slice (the width is the struct's
/// size in `T`s, never typed by hand).
pub fn cols<C, T>(row: &[T]) -> &C {
    assert_eq!(
        std::mem::size_of_val(row),
        std::mem::size_of::<C>(),
        "row width does not match the columns struct"
    );
    // SAFETY: `C` is a `#[repr(C)]` struct made only of `T` fields (checked by size above and by
    // each chip's `NUM_COLS` definition), so it has `T`'s alignment and no padding.
    unsafe { &*(row.as_ptr() as *const C) }
}

/// Mutable variant of [`cols`].
pub fn cols_mut<C, T>(row: &mut [T]) -> &mut C {
    assert_eq!(
        std::mem::size_of_val(row),
        std::mem::size_of::<C>(),
        "row width does not match the columns struct"
    );
    // SAFETY: as in `cols`.
    unsafe { &mut *(row.as_mut_ptr() as *mut C) }
}
