//! Sparse, word-addressed 4 GiB guest memory.
//!
//! Memory is stored as aligned 32-bit words because that is the unit the prover's memory
//! argument checks: every byte or half-word access is a read (and possibly a write) of the word
//! that contains it. Pages are allocated on first write; an unwritten page reads as zero, which
//! is also the initial value the memory argument assumes for every address outside the ELF image.

/// Bits of the byte address inside a page.
pub const PAGE_BITS: u32 = 12;
/// Bytes per page.
pub const PAGE_SIZE: u32 = 1 << PAGE_BITS;
const WORDS_PER_PAGE: usize = (PAGE_SIZE / 4) as usize;
const NUM_PAGES: usize = 1 << (32 - PAGE_BITS);

/// A sparse paged table of `T` per aligned word, zero (default) where never written.
#[derive(Clone)]
pub struct WordTable<T: Copy + Default + 'static> {
    pages: Vec<Option<Box<[T; WORDS_PER_PAGE]>>>,
}

impl<T: Copy + Default + 'static> Default for WordTable<T> {
    fn default() -> Self {
        WordTable {
            pages: std::iter::repeat_with(|| None).take(NUM_PAGES).collect(),
        }
    }
}

impl<T: Copy + Default + 'static> WordTable<T> {
    /// The value of the word containing `addr` (low two bits ignored).
    #[inline(always)]
    pub fn get(&self, addr: u32) -> T {
        // SAFETY-free indexing: `addr >> PAGE_BITS` < NUM_PAGES by construction.
        match &self.pages[(addr >> PAGE_BITS) as usize] {
            Some(page) => page[((addr >> 2) as usize) & (WORDS_PER_PAGE - 1)],
            None => T::default(),
        }
    }

    /// A mutable reference to the word containing `addr`, allocating its page if needed.
    #[inline(always)]
    pub fn get_mut(&mut self, addr: u32) -> &mut T {
        let page = self.pages[(addr >> PAGE_BITS) as usize]
            .get_or_insert_with(|| Box::new([T::default(); WORDS_PER_PAGE]));
        &mut page[((addr >> 2) as usize) & (WORDS_PER_PAGE - 1)]
    }

    /// Sets the word containing `addr`.
    #[inline(always)]
    pub fn set(&mut self, addr: u32, value: T) {
        *self.get_mut(addr) = value;
    }

    /// Resets the whole pages inside `[start, end)` to default by dropping them.
    fn drop_pages(&mut self, start_page: usize, end_page: usize) {
        for p in &mut self.pages[start_page..end_page] {
            *p = None;
        }
    }

    /// Number of allocated pages.
    pub fn allocated_pages(&self) -> usize {
        self.pages.iter().filter(|p| p.is_some()).count()
    }

    /// Iterates over allocated pages as (page base address, words).
    pub fn pages(&self) -> impl Iterator<Item = (u32, &[T; WORDS_PER_PAGE])> {
        self.pages
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.as_deref().map(|p| ((i as u32) << PAGE_BITS, p)))
    }
}

/// Guest memory: word values plus byte-level helpers for the loader and syscalls.
#[derive(Clone, Default)]
pub struct Memory {
    words: WordTable<u32>,
}

impl Memory {
    /// Creates an all-zero memory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the aligned word containing `addr`.
    #[inline(always)]
    pub fn word(&self, addr: u32) -> u32 {
        self.words.get(addr)
    }

    /// Writes the aligned word containing `addr`.
    #[inline(always)]
    pub fn set_word(&mut self, addr: u32, value: u32) {
        self.words.set(addr, value)
    }

    /// Reads one byte (little-endian byte order within words).
    pub fn byte(&self, addr: u32) -> u8 {
        (self.word(addr) >> ((addr & 3) * 8)) as u8
    }

    /// Writes one byte.
    pub fn set_byte(&mut self, addr: u32, value: u8) {
        let shift = (addr & 3) * 8;
        let w = self.words.get_mut(addr);
        *w = (*w & !(0xff << shift)) | ((value as u32) << shift);
    }

    /// Copies `len` bytes starting at `addr` (wrapping at 4 GiB) into a vector.
    pub fn read_bytes(&self, addr: u32, len: u32) -> Vec<u8> {
        (0..len).map(|i| self.byte(addr.wrapping_add(i))).collect()
    }

    /// Writes `data` starting at `addr` (wrapping at 4 GiB).
    pub fn write_bytes(&mut self, addr: u32, data: &[u8]) {
        for (i, b) in data.iter().enumerate() {
            self.set_byte(addr.wrapping_add(i as u32), *b);
        }
    }

    /// Zeroes `[addr, addr + len)`; whole pages are released instead of written, so zeroing a
    /// huge range (a large `mmap` or `brk`) costs time proportional to the pages in use.
    pub fn zero_range(&mut self, addr: u32, len: u32) {
        let end = addr as u64 + len as u64;
        let first_full = (addr as u64).div_ceil(PAGE_SIZE as u64);
        let last_full = end / PAGE_SIZE as u64;
        if first_full >= last_full {
            for a in addr as u64..end {
                if self.byte(a as u32) != 0 {
                    self.set_byte(a as u32, 0);
                }
            }
            return;
        }
        for a in addr as u64..first_full * PAGE_SIZE as u64 {
            self.set_byte(a as u32, 0);
        }
        self.words
            .drop_pages(first_full as usize, last_full as usize);
        for a in last_full * PAGE_SIZE as u64..end {
            self.set_byte(a as u32, 0);
        }
    }

    /// The underlying word table (for building the prover's initial-memory image).
    pub fn words(&self) -> &WordTable<u32> {
        &self.words
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_little_endian_within_words() {
        let mut m = Memory::new();
        m.write_bytes(0x1001, &[0xaa, 0xbb, 0xcc, 0xdd]);
        assert_eq!(m.word(0x1000), 0xccbb_aa00);
        assert_eq!(m.word(0x1004), 0x0000_00dd);
        assert_eq!(m.read_bytes(0x1001, 4), vec![0xaa, 0xbb, 0xcc, 0xdd]);
    }

    #[test]
    fn zero_range_handles_partial_and_whole_pages() {
        let mut m = Memory::new();
        let data: Vec<u8> = (0..3 * PAGE_SIZE).map(|i| (i % 251 + 1) as u8).collect();
        m.write_bytes(0x1_0000, &data);
        m.zero_range(0x1_0003, 2 * PAGE_SIZE);
        assert_eq!(m.byte(0x1_0002), data[2]);
        assert!((3..3 + 2 * PAGE_SIZE).all(|i| m.byte(0x1_0000 + i) == 0));
        assert_eq!(
            m.byte(0x1_0003 + 2 * PAGE_SIZE),
            data[(3 + 2 * PAGE_SIZE) as usize]
        );
        // The top of the address space must not overflow.
        m.set_word(0xffff_fffc, 7);
        m.zero_range(0xffff_f000, PAGE_SIZE);
        assert_eq!(m.word(0xffff_fffc), 0);
    }
}
