//! An AIR's constraints compiled with Plonky3's emission order.

use crate::{CompileError, QuotientProgram, EF, F};

/// An AIR's constraints (its own and its lookups') compiled, with each program constraint's
/// place in Plonky3's emission order: constraint `k` of that order is folded with weight
/// `α^(K−1−k)` (the verifier's folder multiplies its accumulator by α before adding each).
pub struct CompiledAir {
    pub program: QuotientProgram,
    /// For each constraint of the program (base ones, then extension ones), its emission index.
    order: Vec<usize>,
    emitted: usize,
}

impl CompiledAir {
    /// Compiles `air`'s constraints under `layout`, with `lookups`, for a job with
    /// `num_challenges` lookup challenges and `num_perm_values` terminal values.
    pub fn new<A>(
        air: &A,
        layout: p3_air::AirLayout,
        lookups: &[p3_lookup::Lookup<F>],
        num_challenges: usize,
        num_perm_values: usize,
    ) -> Result<Self, CompileError>
    where
        A: p3_air::Air<p3_lookup::InteractionSymbolicBuilder<F, EF>>,
    {
        use p3_batch_stark::symbolic::{get_constraint_layout, get_symbolic_constraints};
        let gadget = p3_lookup::LogUpGadget::new();
        let (base, ext) = get_symbolic_constraints::<F, EF, _, _>(air, layout, lookups, &gadget);
        let order = get_constraint_layout::<F, EF, _, _>(air, layout, lookups, &gadget);
        if order.base_indices.len() != base.len() || order.ext_indices.len() != ext.len() {
            return Err(CompileError(
                "the constraint layout disagrees with the symbolic constraints".into(),
            ));
        }
        let program =
            QuotientProgram::compile_with_lookups(&base, &ext, num_challenges, num_perm_values)?;
        Ok(CompiledAir {
            program,
            emitted: order.total_constraints(),
            order: order
                .base_indices
                .iter()
                .chain(&order.ext_indices)
                .copied()
                .collect(),
        })
    }

    /// How many constraints the AIR emits (`K`).
    pub fn num_emitted(&self) -> usize {
        self.emitted
    }

    /// The program's weights from `powers[j] = α^j` (`j < K`): constraint `i` of the program,
    /// the `k`-th emitted, gets `α^(K−1−k)`.
    pub fn weights<T: Copy>(&self, powers: &[T]) -> Vec<T> {
        assert_eq!(
            powers.len(),
            self.emitted,
            "one power of α per emitted constraint"
        );
        self.order
            .iter()
            .map(|&k| powers[self.emitted - 1 - k])
            .collect()
    }
}
