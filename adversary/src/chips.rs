//! The chips the adversary examines: every variant of `MipsAir`, built as `Machine::airs`
//! builds them (for a one-instruction program: symbolic evaluation reads no trace, and the
//! preprocessed tables enter only as free columns), and the known-bad fixture.

use std::sync::Arc;

use mipstark_air::machine::{Machine, MipsAir};
use mipstark_emulator::Program;

use p3_air::symbolic::BaseEntry;

use crate::cases::Column;
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
