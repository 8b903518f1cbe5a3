//! Typed launchers, one module per kernel file of `mipstark-kernels`.

pub mod field_ops;
pub mod fri;
pub mod merkle;
pub mod ntt;
pub mod poseidon2;
pub mod quotient;

use p3_koala_bear::KoalaBear;

/// Views field elements as their Montgomery words.
pub fn as_words(x: &[KoalaBear]) -> &[u32] {
    // SAFETY: KoalaBear is `#[repr(transparent)]` over its u32 Montgomery word (pinned by
    // mipstark-kernels' `koalabear_memory_is_the_montgomery_word` test).
    unsafe { std::slice::from_raw_parts(x.as_ptr() as *const u32, x.len()) }
}

/// Turns Montgomery words read back from the device into field elements.
pub fn from_words(w: Vec<u32>) -> Vec<KoalaBear> {
    // Every word a kernel writes is a reduced Montgomery word (< p), the invariant KoalaBear needs.
    let mut w = std::mem::ManuallyDrop::new(w);
    // SAFETY: same layout as above; the allocation is handed over with its length and capacity.
    unsafe { Vec::from_raw_parts(w.as_mut_ptr() as *mut KoalaBear, w.len(), w.capacity()) }
}
