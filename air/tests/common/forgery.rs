//! The syscall chip's forgery harness: a guest's syscall records, traces regenerated from
//! edited records and then edited rows (the cheater's recomputed witnesses), and the syscall
//! and sysmem chips' verdicts.

use mipstark_air::byte::ByteLookups;
use mipstark_air::cols_mut;
use mipstark_air::debug::check_chip;
use mipstark_air::syscall::{
    syscall_publics, PublicStream, SysMemChip, SysMemCols, SyscallChip, SyscallCols,
};
use mipstark_air::F;
use mipstark_emulator::record::SyscallEvent;
use mipstark_emulator::ExecutionRecord;
use p3_field::PrimeCharacteristicRing;

use super::rejected;

/// A guest program's syscall records, and the syscall and sysmem chips' verdicts on traces
/// regenerated from edited records and then edited rows (the cheater's recomputed witnesses).
pub struct SyscallForgery {
    pub initial_brk: u32,
    pub exit_code: u32,
    pub rec: ExecutionRecord,
}

pub type EditEvent<'a> = &'a dyn Fn(&mut SyscallEvent);
pub type EditRow<'a> = &'a dyn Fn(&mut SyscallCols<F>);
pub type EditMem<'a> = &'a dyn Fn(&mut SysMemCols<F>);

impl SyscallForgery {
    pub fn new(words: &[u32]) -> Self {
        Self::with_stdin(words, Vec::new())
    }

    pub fn with_stdin(words: &[u32], stdin: Vec<u8>) -> Self {
        let program = std::sync::Arc::new(
            mipstark_emulator::Program::from_elf(&mipstark_tests::elfgen::program_elf(words))
                .unwrap(),
        );
        let initial_brk = program.initial_brk;
        let (mut shards, exit) = mipstark_emulator::Executor::new(
            program,
            mipstark_emulator::GuestInput {
                stdin,
                ..Default::default()
            },
            mipstark_emulator::ExecConfig::default(),
        )
        .record_shards(1 << 12)
        .unwrap();
        SyscallForgery {
            initial_brk,
            exit_code: exit.exit_code,
            rec: shards.remove(0),
        }
    }

    /// (syscall chip rejects, sysmem chip rejects).
    pub fn verdicts(
        &self,
        edit_ev: EditEvent,
        edit_sys: EditRow,
        edit_mem: EditMem,
    ) -> (bool, bool) {
        let mut rec = self.rec.clone();
        rec.syscalls.iter_mut().for_each(edit_ev);
        let mut t = SyscallChip
            .generate_traces(
                self.initial_brk,
                &rec,
                &rec.syscalls,
                &mut PublicStream::default(),
                &mut ByteLookups::default(),
            )
            .unwrap();
        let w = t.syscalls.width;
        for row in t.syscalls.values.chunks_exact_mut(w) {
            edit_sys(cols_mut(row));
        }
        let w = t.sysmem.width;
        for row in t.sysmem.values.chunks_exact_mut(w) {
            edit_mem(cols_mut(row));
        }
        let publics = syscall_publics(self.exit_code, self.initial_brk);
        let sys = check_chip("syscall", &SyscallChip, &t.syscalls, None, &publics);
        let mem = check_chip("sysmem", &SysMemChip, &t.sysmem, None, &[]);
        (rejected(sys), rejected(mem))
    }

    /// Whether the syscall chip rejects the rows edited by `edit_sys`.
    pub fn rejects(&self, edit_sys: EditRow) -> bool {
        self.verdicts(&|_| {}, edit_sys, &|_| {}).0
    }
}

/// An edit applied to the `k`-th row whose selector `sel` is set (rows in trace order).
pub fn nth(
    sel: fn(&SyscallCols<F>) -> F,
    k: usize,
    edit: fn(&mut SyscallCols<F>),
) -> impl Fn(&mut SyscallCols<F>) {
    let seen = std::cell::Cell::new(0);
    move |r: &mut SyscallCols<F>| {
        if sel(r) == F::ONE {
            if seen.get() == k {
                edit(r);
            }
            seen.set(seen.get() + 1);
        }
    }
}
