//! The boundary of the memory argument.
//!
//! [`ImageChip`] (preprocessed: the verifying key's initial memory and registers) sends every
//! nonzero initial word `(addr, v, 0)`. [`MemoryChip`] holds one row per location the execution
//! touched (or the image holds), addresses strictly increasing: it sends `(addr, 0, 0)` for
//! locations outside the image and receives each location's final `(addr, v, ts)`. With every
//! access receiving its previous version and sending its new one, the `memory` bus balances
//! exactly when each access read what the previous access to that location wrote.
//!
//! Uniqueness: consecutive addresses differ by `1 + d` with `d < 2^29` range-checked; any
//! larger gap is bridged by filler rows, which send `(a, 0, 0)` and receive it back.

pub mod access;

use std::collections::BTreeMap;

use mipstark_emulator::record::NUM_REGS;
use mipstark_emulator::{ExecConfig, Executor, GuestInput, Program};
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

use crate::alu::word_bytes;
use crate::bus::{ByteOp, MEMORY, REG_SPACE};
use crate::byte::ByteLookups;
use crate::memory::access::{fill_below_2_29, limbs_value, range_below_2_29, range_pair};
use crate::{cols, cols_mut, F};

/// The public-values length counter: a register of the memory argument only the WRITE(13)
/// syscall touches (the emulator has no such register; trace generation keeps it).
pub const REG_PV_LEN: u32 = NUM_REGS as u32;
/// Every address in the memory chip is below this bound (range-checked per row): with gaps
/// below 2^29 the sorted sequence then cannot wrap modulo p (`ADDR_BOUND + 2^29 < p`).
pub const ADDR_BOUND: u32 = 0x5000_0000;
/// The eight COMMIT words: locations at `ADDR_BOUND + k`, which the memory chip cannot hold;
/// the public-values chip supplies their initial and final versions (so the final words are
/// public values).
pub const COMMIT_BASE: u32 = ADDR_BOUND;
pub const NUM_COMMIT: usize = 8;

/// `top + TOP_SLACK` is a byte exactly when the top address byte is below 0x50.
const TOP_SLACK: u8 = 0xb0;

/// Largest gap `d` between consecutive addresses (exclusive).
const MAX_GAP: u32 = 1 << 29;

/// The initial memory and registers of a program: `(address, value)` in the memory argument's
/// address space, nonzero values only, ascending.
pub fn initial_image(program: &Program) -> Vec<(u32, u32)> {
    let ex = Executor::new(
        std::sync::Arc::new(program.clone()),
        GuestInput::default(),
        ExecConfig::default(),
    );
    let mut image: Vec<(u32, u32)> = ex
        .memory()
        .nonzero_words()
        .map(|(a, v)| (a >> 2, v))
        .collect();
    for (r, v) in ex.registers().iter().enumerate() {
        if *v != 0 {
            image.push((REG_SPACE + r as u32, *v));
        }
    }
    image
}

#[repr(C)]
pub struct ImagePreCols<T> {
    pub addr: T,
    pub value: [T; 4],
    pub is_real: T,
}

pub const NUM_IMAGE_PRE_COLS: usize = std::mem::size_of::<ImagePreCols<u8>>();

/// The initial image (preprocessed).
#[derive(Clone, Debug)]
pub struct ImageChip {
    pre: RowMajorMatrix<F>,
}

impl ImageChip {
    pub fn new(image: &[(u32, u32)]) -> Self {
        let h = image.len().next_power_of_two().max(4);
        let mut m = RowMajorMatrix::new(F::zero_vec(h * NUM_IMAGE_PRE_COLS), NUM_IMAGE_PRE_COLS);
        for (row, (a, v)) in m.values.chunks_exact_mut(NUM_IMAGE_PRE_COLS).zip(image) {
            let r: &mut ImagePreCols<F> = cols_mut(row);
            r.addr = F::from_u32(*a);
            r.value = word_bytes(*v);
            r.is_real = F::ONE;
        }
        ImageChip { pre: m }
    }

    pub fn height(&self) -> usize {
        self.pre.values.len() / NUM_IMAGE_PRE_COLS
    }

    /// The main trace: one unused column (the chip's content is all preprocessed).
    pub fn generate_trace(&self) -> RowMajorMatrix<F> {
        RowMajorMatrix::new(F::zero_vec(self.height()), 1)
    }
}

impl BaseAir<F> for ImageChip {
    fn width(&self) -> usize {
        1
    }
    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<F>> {
        Some(self.pre.clone())
    }
    fn preprocessed_width(&self) -> usize {
        NUM_IMAGE_PRE_COLS
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
    fn preprocessed_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
}

impl<AB: AirBuilder<F = F> + InteractionBuilder> Air<AB> for ImageChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let unused = main.current_slice()[0];
        b.assert_zero(unused);
        let pre = b.preprocessed().clone();
        let p: &ImagePreCols<AB::Var> = cols(pre.current_slice());
        let mut t = vec![p.addr.into()];
        t.extend(p.value.map(Into::into));
        t.push(AB::Expr::ZERO);
        MEMORY.send(b, t, Count::bounded(p.is_real.into(), 1));
    }
}

#[repr(C)]
pub struct MemoryCols<T> {
    pub is_real: T,
    pub addr: T,
    /// `addr` as bytes, the top one below 0x50 (so `addr < ADDR_BOUND`).
    pub addr_bytes: [T; 4],
    /// The image supplies the initial value (else it is 0, sent by this row).
    pub in_image: T,
    pub value: [T; 4],
    pub ts: T,
    /// Not the first row: `addr − prev_addr − 1 = diff` (limbs below 2^29).
    pub has_prev: T,
    pub diff: [T; 2],
}

pub const NUM_MEMORY_COLS: usize = std::mem::size_of::<MemoryCols<u8>>();

/// Final values of every location (one instance for the whole execution).
#[derive(Clone, Copy, Debug, Default)]
pub struct MemoryChip;

/// Last `(value, ts)` of each location touched by `accesses`, plus every image location.
pub fn final_state(
    image: &[(u32, u32)],
    accesses: impl Iterator<Item = (u32, u32, u64)>,
) -> BTreeMap<u32, (u32, u64, bool)> {
    let mut state: BTreeMap<u32, (u32, u64, bool)> =
        image.iter().map(|(a, v)| (*a, (*v, 0, true))).collect();
    let commit = COMMIT_BASE..COMMIT_BASE + NUM_COMMIT as u32;
    for (addr, value, ts) in accesses.filter(|(a, _, _)| !commit.contains(a)) {
        let e = state.entry(addr).or_insert((0, 0, false));
        if ts >= e.1 {
            e.0 = value;
            e.1 = ts;
        }
    }
    state
}

impl MemoryChip {
    pub fn generate_trace(
        state: &BTreeMap<u32, (u32, u64, bool)>,
        bytes: &mut ByteLookups,
    ) -> RowMajorMatrix<F> {
        // Rows with filler locations inserted into large gaps.
        let mut rows: Vec<(u32, u32, u64, bool)> = Vec::with_capacity(state.len());
        for (a, (v, ts, img)) in state {
            if let Some(last) = rows.last().map(|r| r.0) {
                let mut prev = last;
                while a - prev > MAX_GAP {
                    prev += MAX_GAP;
                    rows.push((prev, 0, 0, false));
                }
            }
            rows.push((*a, *v, *ts, *img));
        }
        let h = rows.len().next_power_of_two().max(4);
        let mut m = RowMajorMatrix::new(F::zero_vec(h * NUM_MEMORY_COLS), NUM_MEMORY_COLS);
        let mut prev: Option<u32> = None;
        for (row, (a, v, ts, img)) in m.values.chunks_exact_mut(NUM_MEMORY_COLS).zip(&rows) {
            let r: &mut MemoryCols<F> = cols_mut(row);
            r.is_real = F::ONE;
            r.addr = F::from_u32(*a);
            r.addr_bytes = word_bytes(*a);
            let ab = a.to_le_bytes();
            bytes.add(ByteOp::Range, ab[0], ab[1]);
            bytes.add(ByteOp::Range, ab[2], ab[3]);
            bytes.add(ByteOp::Range, ab[3].wrapping_add(TOP_SLACK), 0);
            r.in_image = F::from_bool(*img);
            r.value = word_bytes(*v);
            r.ts = F::from_u64(*ts);
            if let Some(p) = prev {
                let d = a - p - 1;
                r.has_prev = F::ONE;
                r.diff = fill_below_2_29(bytes, d);
            }
            prev = Some(*a);
        }
        m
    }
}

impl BaseAir<F> for MemoryChip {
    fn width(&self) -> usize {
        NUM_MEMORY_COLS
    }
}

impl<AB: AirBuilder<F = F> + InteractionBuilder> Air<AB> for MemoryChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let r: &MemoryCols<AB::Var> = cols(main.current_slice());
        let n: &MemoryCols<AB::Var> = cols(main.next_slice());
        b.assert_bool(r.is_real);
        b.assert_bool(r.in_image);
        b.when_first_row().assert_zero(r.has_prev);
        b.when_transition().assert_eq(n.has_prev, n.is_real);
        b.when_transition().when(n.is_real).assert_one(r.is_real);
        b.when_transition().when(n.has_prev).assert_eq(
            n.addr.into() - r.addr.into() - AB::Expr::ONE,
            limbs_value::<AB>(&n.diff),
        );
        range_below_2_29(b, &r.diff, r.has_prev.into());
        let bytes_value = (0..4)
            .map(|i| r.addr_bytes[i].into() * AB::Expr::from_u32(1 << (8 * i)))
            .sum::<AB::Expr>();
        b.when(r.is_real).assert_eq(r.addr, bytes_value);
        let real: AB::Expr = r.is_real.into();
        range_pair(
            b,
            r.addr_bytes[0].into(),
            r.addr_bytes[1].into(),
            real.clone(),
        );
        range_pair(
            b,
            r.addr_bytes[2].into(),
            r.addr_bytes[3].into(),
            real.clone(),
        );
        range_pair(
            b,
            r.addr_bytes[3].into() + AB::Expr::from_u8(TOP_SLACK),
            AB::Expr::ZERO,
            real,
        );
        let mut init = vec![r.addr.into()];
        init.extend([AB::Expr::ZERO; 5]);
        MEMORY.send(
            b,
            init,
            Count::bounded(r.is_real.into() * (AB::Expr::ONE - r.in_image.into()), 1),
        );
        let mut fin = vec![r.addr.into()];
        fin.extend(r.value.map(Into::into));
        fin.push(r.ts.into());
        MEMORY.receive(b, fin, Count::bounded(r.is_real.into(), 1));
    }
}
