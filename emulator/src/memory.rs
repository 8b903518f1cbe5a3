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

/// Pages per directory entry (each directory covers 4 MiB of address space).
const DIR_BITS: u32 = 10;
const PAGES_PER_DIR: usize = 1 << DIR_BITS;
const NUM_DIRS: usize = NUM_PAGES / PAGES_PER_DIR;

type Page<T> = [T; WORDS_PER_PAGE];
type Dir<T> = [Option<Box<Page<T>>>; PAGES_PER_DIR];

/// A sparse two-level table of `T` per aligned word, default where never written.
///
/// Two levels keep an empty table tiny (1024 pointers), so creating, cloning and dropping a
/// machine costs time proportional to the memory it used, not to the 4 GiB it could address.
#[derive(Clone)]
pub struct WordTable<T: Copy + Default + 'static> {
    dirs: Vec<Option<Box<Dir<T>>>>,
}

impl<T: Copy + Default + 'static> Default for WordTable<T> {
    fn default() -> Self {
        WordTable {
            dirs: std::iter::repeat_with(|| None).take(NUM_DIRS).collect(),
        }
    }
}

#[inline(always)]
fn split(addr: u32) -> (usize, usize, usize) {
    let page = (addr >> PAGE_BITS) as usize;
    (
        page >> DIR_BITS,
        page & (PAGES_PER_DIR - 1),
        ((addr >> 2) as usize) & (WORDS_PER_PAGE - 1),
    )
}

impl<T: Copy + Default + 'static> WordTable<T> {
    /// The value of the word containing `addr` (low two bits ignored).
    #[inline(always)]
    pub fn get(&self, addr: u32) -> T {
        let (d, p, w) = split(addr);
        match &self.dirs[d] {
            Some(dir) => match &dir[p] {
                Some(page) => page[w],
                None => T::default(),
            },
            None => T::default(),
        }
    }

    /// A mutable reference to the word containing `addr`, allocating its page if needed.
    #[inline(always)]
    pub fn get_mut(&mut self, addr: u32) -> &mut T {
        let (d, p, w) = split(addr);
        let dir = self.dirs[d].get_or_insert_with(|| Box::new(std::array::from_fn(|_| None)));
        let page = dir[p].get_or_insert_with(|| Box::new([T::default(); WORDS_PER_PAGE]));
        &mut page[w]
    }

    /// Sets the word containing `addr`.
    #[inline(always)]
    pub fn set(&mut self, addr: u32, value: T) {
        *self.get_mut(addr) = value;
    }

    /// Resets the pages with index in `[start_page, end_page)` to default by dropping them.
    fn drop_pages(&mut self, start_page: usize, end_page: usize) {
        for page in start_page..end_page {
            if let Some(dir) = &mut self.dirs[page >> DIR_BITS] {
                dir[page & (PAGES_PER_DIR - 1)] = None;
            }
        }
    }

    /// Iterates over allocated pages as (page base address, words), in address order.
    pub fn pages(&self) -> impl Iterator<Item = (u32, &Page<T>)> {
        self.dirs
            .iter()
            .enumerate()
            .filter_map(|(d, dir)| dir.as_deref().map(|dir| (d, dir)))
            .flat_map(|(d, dir)| {
                dir.iter().enumerate().filter_map(move |(p, page)| {
                    page.as_deref()
                        .map(|page| ((((d << DIR_BITS) | p) as u32) << PAGE_BITS, page))
                })
            })
    }

    /// Number of allocated pages.
    pub fn allocated_pages(&self) -> usize {
        self.pages().count()
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

    /// Every nonzero aligned word as `(address, value)`, in address order: the part of memory a
    /// prover's initial image has to state (everything else starts as zero).
    pub fn nonzero_words(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.words.pages().flat_map(|(base, page)| {
            page.iter()
                .enumerate()
                .filter(|(_, v)| **v != 0)
                .map(move |(i, v)| (base + 4 * i as u32, *v))
        })
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
