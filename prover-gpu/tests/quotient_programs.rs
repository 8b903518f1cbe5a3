//! Every chip's constraints (lookups included, as the prover packs them) compile to a quotient
//! program, and every chip but one fits the kernel's private register files; no device needed.

use mipstark_air::machine::Machine;
use mipstark_prover_cpu_ref::{make_config, Challenge, StarkParams, Val};
use p3_air::{AirLayout, BaseAir};
use p3_batch_stark::symbolic::get_symbolic_constraints;
use p3_batch_stark::ProverData;
use p3_lookup::LogUpGadget;
use p3_matrix::Matrix;
use prover_gpu::quotient::QuotientProgram;

#[test]
fn every_chip_fits_the_kernel_registers() {
    let (program, shards) = mipstark_tests::guests::record("heap", Some(4), (1 << 11) - 1);
    let m = Machine::new(program).unwrap();
    let t = m.generate_traces(&shards).unwrap();
    let airs = m.airs(t.statement.shards.len());
    let degrees: Vec<usize> = t
        .traces
        .iter()
        .map(|t| t.height().trailing_zeros() as usize)
        .collect();
    let config = make_config(StarkParams::TESTING);
    let common = ProverData::from_airs_and_degrees(&config, &airs, &degrees)
        .unwrap()
        .common;
    let gadget = LogUpGadget::new();
    let mut seen = std::collections::HashSet::new();
    for (i, air) in airs.iter().enumerate() {
        if !seen.insert(air.name()) {
            continue;
        }
        let pre_w = air.preprocessed_trace().map_or(0, |p| p.width());
        let layout = AirLayout {
            preprocessed_width: pre_w,
            main_width: BaseAir::<Val>::width(air),
            num_public_values: BaseAir::<Val>::num_public_values(air),
            ..Default::default()
        };
        let lookups = &common.lookups[i];
        let (base, ext) =
            get_symbolic_constraints::<Val, Challenge, _, _>(air, layout, lookups, &gadget);
        let challenges = lookups.len() * 2;
        let terminals = usize::from(!lookups.is_empty());
        let prog = QuotientProgram::compile_with_lookups(&base, &ext, challenges, terminals)
            .unwrap_or_else(|e| panic!("{}: {e}", air.name()));
        eprintln!(
            "{:>14}: {} constraints, {} instructions, {} base + {} extension registers",
            air.name(),
            prog.num_constraints,
            prog.instrs.len(),
            prog.num_regs,
            prog.num_ext_regs
        );
        // The public-values chip packs every public byte's lookup into one column, whose
        // prefix/suffix products stay live together; it is a small table, so its spilled
        // registers cost little. Every other chip must run from private registers.
        if air.name() != "public_values" {
            assert_eq!(prog.spills(), (0, 0), "{} spills registers", air.name());
        }
    }
}
