//! The chips the adversary examines: every variant of `MipsAir`, built as `Machine::airs`
//! builds them (for a one-instruction program: symbolic evaluation reads no trace, and the
//! preprocessed tables enter only as free columns), and the known-bad fixture.

use std::sync::Arc;

use mipstark_air::machine::{Machine, MipsAir};
use mipstark_emulator::Program;

use p3_air::symbolic::BaseEntry;

use crate::cases::{Case, Column};
use crate::collect::ChipSystem;
use crate::fixture::PreFixSysMemChip;

/// One chip of every kind, in `Machine::airs` order.
pub fn machine_airs() -> Vec<MipsAir> {
    // `syscall` (0x0000000c): the program's content does not matter here.
    let elf = mipstark_tests::elfgen::program_elf(&[0x0000_000c]);
    let program = Arc::new(Program::from_elf(&elf).expect("one-instruction ELF"));
    Machine::new(program).expect("machine").airs(1)
}

/// The row systems of every chip of the machine.
pub fn machine_systems() -> Vec<ChipSystem> {
    machine_airs()
        .iter()
        .map(|a| ChipSystem::collect(a.name(), a))
        .collect()
}

/// The row system of the pre-fix syscall-buffer chip (issue 14), named `sysmem`.
pub fn prefix_sysmem() -> ChipSystem {
    ChipSystem::collect("sysmem", &PreFixSysMemChip)
}

/// A column's name for reports: the one-hot selectors the case splits fix are named after
/// their fields (`syscall.lwrite`, `load_store.sel[Sw]`, `cpu.class.jr`); any other column
/// by its index.
pub fn column_name(chip: &str, (entry, index): Column) -> String {
    use std::mem::offset_of;

    use mipstark_air::bus::LsOp;
    use mipstark_air::cpu::CpuCols;
    use mipstark_air::load_store::LoadStoreCols;
    use mipstark_air::program::decode::ClassCols;
    use mipstark_air::syscall::SyscallCols;

    let main = matches!(entry, BaseEntry::Main { .. });
    let named: Vec<(String, usize)> = match chip {
        "syscall" => {
            macro_rules! fields {
                ($($($f:ident).+),* $(,)?) => {
                    vec![$((
                        stringify!($($f).+).replace(' ', ""),
                        offset_of!(SyscallCols<u8>, $($f).+),
                    )),*]
                };
            }
            fields!(
                halt,
                write,
                commit,
                hintlen,
                hintread,
                lexit,
                lexit_group,
                lwrite,
                lread,
                lset_tls,
                lbrk,
                lmmap,
                lmmap_fixed,
                lmunmap,
                err.badf_write,
                err.badf_read,
                err.enosys,
                err.mmap_inval,
                err.mmap_badf,
                err.mmap_nomem,
                err.munmap_inval,
                err.read_fault,
                err.mmap_fixed_inval,
            )
        }
        "load_store" => LsOp::ALL
            .iter()
            .map(|op| {
                let k = *op as usize;
                (
                    format!("sel[{op:?}]"),
                    offset_of!(LoadStoreCols<u8>, sel) + k,
                )
            })
            .collect(),
        "cpu" => {
            // `ClassCols` is `#[repr(C)]` over one type: a field's position in its `Debug`
            // text is its offset.
            let text = format!("{:?}", ClassCols::<u8>::default());
            let base = offset_of!(CpuCols<u8>, d.class);
            text.split(['{', ',', '}'])
                .filter_map(|f| f.split(':').next().map(str::trim))
                .filter(|f| !f.is_empty() && *f != "ClassCols")
                .enumerate()
                .map(|(k, f)| (format!("class.{f}"), base + k))
                .collect()
        }
        _ => vec![],
    };
    match named.iter().find(|(_, o)| main && *o == index) {
        Some((n, _)) => n.clone(),
        None if main => format!("main[{index}]"),
        None => format!("pre[{index}]"),
    }
}

/// The recursion machine's chips (`air/src/recursion`), from a program exposing one value:
/// symbolic evaluation reads no table, so any program gives the chips' row systems.
pub fn recursion_systems() -> Vec<ChipSystem> {
    use mipstark_air::recursion::program::RecursionProgram;
    use mipstark_air::recursion::public::PublicRow;
    let program = RecursionProgram {
        public: vec![PublicRow { addr: 0 }],
        num_cells: 1,
        ..Default::default()
    };
    program
        .chips()
        .iter()
        .map(|c| ChipSystem::collect(c.name(), c))
        .collect()
}

/// What the determinism question should answer for a recursion row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// None: what the row writes is fixed by what it reads.
    Fixed,
    /// Found: a witness's value is the proof being verified, free by design.
    Free,
    /// Not found — the row's equations are nonlinear (products, inverses, bits, cubes), which
    /// z3 does not settle within CI's timeout; asked with long timeouts by the ignored pass.
    Nonlinear,
}

/// The rows a recursion chip's key can hold, as cases fixing its preprocessed selectors and
/// the multiplicities lowering gives them (a key is built by lowering, never by the prover,
/// so only these rows exist): each operation, and padding.
pub fn recursion_cases(chip: &str) -> Vec<(Case, Expect)> {
    use std::mem::offset_of;

    use mipstark_air::recursion::base_alu::BaseAluPreCols;
    use mipstark_air::recursion::bits::{BitsPreCols, LOW_BITS, NUM_BITS};
    use mipstark_air::recursion::ext_alu::ExtAluPreCols;
    use mipstark_air::recursion::mem::MemPreCols;
    use mipstark_air::recursion::pack::PackPreCols;
    use mipstark_air::recursion::poseidon2::Poseidon2PreCols;

    let pre = |index: usize| (BaseEntry::Preprocessed { offset: 0 }, index);
    // One-hot over `flags`: each set in turn (with the columns it fixes besides, and what to
    // expect), then none (padding, writing nothing).
    type Op<'a> = (&'a str, usize, Vec<usize>, Expect);
    let one_hot = |flags: &[Op], writes: &[usize]| -> Vec<(Case, Expect)> {
        let mut cases: Vec<(Case, Expect)> = flags
            .iter()
            .map(|(name, on, zero, expect)| {
                let mut fixed: Vec<(Column, u32)> = flags
                    .iter()
                    .map(|&(_, i, _, _)| (pre(i), u32::from(i == *on)))
                    .collect();
                fixed.extend(zero.iter().map(|&i| (pre(i), 0)));
                let label = name.to_string();
                (Case { label, fixed }, *expect)
            })
            .collect();
        let mut fixed: Vec<(Column, u32)> = flags.iter().map(|&(_, i, _, _)| (pre(i), 0)).collect();
        fixed.extend(writes.iter().map(|&i| (pre(i), 0)));
        let label = "padding".into();
        cases.push((Case { label, fixed }, Expect::Fixed));
        cases
    };
    macro_rules! at {
        ($t:ident, $f:ident) => {
            offset_of!($t<u8>, $f)
        };
    }
    match chip {
        "rec_mem" => vec![
            (
                Case {
                    label: "constant".into(),
                    fixed: vec![(pre(at!(MemPreCols, is_const)), 1)],
                },
                Expect::Fixed,
            ),
            (
                Case {
                    label: "witness".into(),
                    fixed: vec![(pre(at!(MemPreCols, is_const)), 0)],
                },
                Expect::Free,
            ),
        ],
        "rec_base_alu" => {
            let mult = at!(BaseAluPreCols, mult);
            one_hot(
                &[
                    ("add", at!(BaseAluPreCols, is_add), vec![], Expect::Fixed),
                    ("sub", at!(BaseAluPreCols, is_sub), vec![], Expect::Fixed),
                    (
                        "mul",
                        at!(BaseAluPreCols, is_mul),
                        vec![],
                        Expect::Nonlinear,
                    ),
                    (
                        "inv",
                        at!(BaseAluPreCols, is_inv),
                        vec![],
                        Expect::Nonlinear,
                    ),
                    (
                        "select",
                        at!(BaseAluPreCols, is_select),
                        vec![],
                        Expect::Nonlinear,
                    ),
                    (
                        "assert",
                        at!(BaseAluPreCols, is_assert),
                        vec![mult],
                        Expect::Fixed,
                    ),
                ],
                &[mult],
            )
        }
        "rec_ext_alu" => one_hot(
            &[
                ("add", at!(ExtAluPreCols, is_add), vec![], Expect::Fixed),
                ("sub", at!(ExtAluPreCols, is_sub), vec![], Expect::Fixed),
                ("mul", at!(ExtAluPreCols, is_mul), vec![], Expect::Nonlinear),
                ("inv", at!(ExtAluPreCols, is_inv), vec![], Expect::Nonlinear),
            ],
            &[at!(ExtAluPreCols, mult)],
        ),
        "rec_pack" => {
            let ext = at!(PackPreCols, ext_mult);
            let coeffs: Vec<usize> = (0..4).map(|i| at!(PackPreCols, coeff_mults) + i).collect();
            let mut all = coeffs.clone();
            all.push(ext);
            one_hot(
                &[
                    ("pack", at!(PackPreCols, is_pack), coeffs, Expect::Fixed),
                    (
                        "unpack",
                        at!(PackPreCols, is_unpack),
                        vec![ext],
                        Expect::Fixed,
                    ),
                ],
                &all,
            )
        }
        "rec_bits" => [NUM_BITS, LOW_BITS]
            .into_iter()
            .map(|n| {
                let allowed = at!(BitsPreCols, allowed);
                let mut fixed = vec![(pre(at!(BitsPreCols, is_real)), 1)];
                fixed.extend((0..NUM_BITS).map(|i| (pre(allowed + i), u32::from(i < n))));
                let label = format!("{n} bits");
                (Case { label, fixed }, Expect::Nonlinear)
            })
            .collect(),
        "rec_poseidon2" => [0, 1]
            .into_iter()
            .map(|ordered| {
                let fixed = vec![
                    (pre(at!(Poseidon2PreCols, is_real)), 1),
                    (pre(at!(Poseidon2PreCols, has_swap)), ordered),
                ];
                let label = ["in order", "ordered by a bit"][ordered as usize].into();
                (Case { label, fixed }, Expect::Nonlinear)
            })
            .collect(),
        _ => vec![(Case::whole(), Expect::Fixed)],
    }
}
