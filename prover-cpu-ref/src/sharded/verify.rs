//! The sharded verifier: every group's shape first, then the transcript, every group's
//! openings and constraints, and the terminal sum over all groups.

use mipstark_air::machine::MipsAir;
use p3_air::{BaseAir, RowWindow};
use p3_batch_stark::folder::VerifierConstraintFolderWithLookups;
use p3_batch_stark::symbolic::get_log_num_quotient_chunks_for_domain;
use p3_batch_stark::verifier::commitments_with_opening_points;
use p3_batch_stark::{BatchProof, CommonData};
use p3_challenger::{CanObserve, FieldChallenger, GrindingChallenger};
use p3_commit::{Pcs, PolynomialSpace, UnivariateStarkPcs};
use p3_field::{BasedVectorSpace, Field, PrimeCharacteristicRing};
use p3_lookup::{LogUpGadget, Lookup, LookupProtocol, Lookups};
use p3_matrix::dense::RowMajorMatrixView;
use p3_matrix::stack::VerticalPair;
use p3_uni_stark::{recompose_quotient_from_chunks, StarkGenericConfig, VerifierConstraintFolder};

use super::{draw_lookup_pair, fork, group_airs, group_publics, lay_out_challenges, ShardedProof};
use crate::config::MipsStarkConfig;
use crate::machine::{VerifyError, VerifyingKey};
use crate::{Challenge, DeterministicChallenger, Val};

type Proof = BatchProof<MipsStarkConfig>;

fn shape(group: usize, what: impl std::fmt::Display) -> VerifyError {
    VerifyError::Stark(format!("group {group}: {what}"))
}

/// What the shape checks of a whole sharded proof derive.
struct ShardedShape {
    publics: Vec<Vec<Val>>,
    airs: Vec<Vec<MipsAir>>,
    commons: Vec<std::sync::Arc<CommonData<MipsStarkConfig>>>,
    shapes: Vec<GroupShape>,
    all: Vec<Lookups<Val>>,
}

/// What the shape checks derive for the rest of a group's verification.
pub(crate) struct GroupShape {
    preprocessed_widths: Vec<usize>,
    log_chunks: Vec<usize>,
}

/// Every count and width the rest of the verification relies on, checked against the AIRs
/// (Plonky3's `verify_batch` checks, for one group).
pub(crate) fn check_shape(
    g: usize,
    airs: &[MipsAir],
    proof: &Proof,
    publics: &[Vec<Val>],
    common: &CommonData<MipsStarkConfig>,
    pcs: &crate::config::Pcs,
) -> Result<GroupShape, VerifyError> {
    let n = airs.len();
    let ov = &proof.opened_values.instances;
    if ov.len() != n
        || proof.lookup_terminals.len() != n
        || proof.degree_bits.len() != n
        || publics.len() != n
        || common.lookups.len() != n
        || common
            .preprocessed
            .as_ref()
            .is_some_and(|p| p.instances.len() != n)
    {
        return Err(shape(g, "instance counts disagree"));
    }
    if proof.commitments.random.is_some()
        || ov.iter().any(|o| o.base_opened_values.random.is_some())
    {
        return Err(shape(g, "randomization values in a transparent proof"));
    }
    // Trees are committed with cap height 0: one root each. Plonky3 compares a path's end
    // with the root its index selects and absorbs the whole cap, so extra roots would be
    // a second encoding of one proof (and a shape a fixed recursion program cannot follow).
    let c = &proof.commitments;
    let one_root = |m: &crate::sharded::Commitment| m.roots().len() == 1;
    if !one_root(&c.main)
        || !one_root(&c.quotient_chunks)
        || !c.permutation.as_ref().is_none_or(one_root)
        || !proof
            .opening_proof
            .commit_phase_commits
            .iter()
            .all(one_root)
    {
        return Err(shape(g, "a commitment with other than one Merkle root"));
    }
    let has_lookups = common.lookups.iter().any(|l| !l.is_empty());
    if proof.commitments.permutation.is_some() != has_lookups || !has_lookups {
        return Err(shape(g, "lookup commitment presence"));
    }
    if proof.lookup_pow_witness.is_some() != (g == 0) {
        return Err(shape(g, "only group 0 carries the LogUp grinding witness"));
    }
    let gadget = LogUpGadget::new();
    let dim = <Challenge as BasedVectorSpace<Val>>::DIMENSION;
    let mut preprocessed_widths = Vec::with_capacity(n);
    let mut log_chunks = Vec::with_capacity(n);
    for (i, air) in airs.iter().enumerate() {
        let o = &ov[i];
        let b = &o.base_opened_values;
        let width = BaseAir::<Val>::width(air);
        let pre_w = common
            .preprocessed
            .as_ref()
            .and_then(|p| p.instances[i].as_ref().map(|m| m.width))
            .unwrap_or(0);
        preprocessed_widths.push(pre_w);
        if BaseAir::<Val>::num_periodic_columns(air) != 0 {
            return Err(shape(g, "periodic columns are not supported"));
        }
        if publics[i].len() != BaseAir::<Val>::num_public_values(air) {
            return Err(shape(g, format!("instance {i}: public value count")));
        }
        let layout = crate::protocol::air_layout(air, pre_w);
        let log = get_log_num_quotient_chunks_for_domain::<Val, Challenge, _, _>(
            air,
            layout,
            <crate::config::Pcs as Pcs<Challenge, DeterministicChallenger>>::natural_domain_for_degree(
                pcs,
                1usize << proof.degree_bits[i],
            ),
            &common.lookups[i],
            0,
            &gadget,
        );
        log_chunks.push(log);
        if b.trace_local.len() != width {
            return Err(shape(g, format!("instance {i}: opened row width")));
        }
        let next_used = !air.main_next_row_columns().is_empty();
        if b.trace_next.as_ref().map(Vec::len) != next_used.then_some(width) {
            return Err(shape(g, format!("instance {i}: opened next row")));
        }
        if b.quotient_chunks.len() != 1 << log || b.quotient_chunks.iter().any(|c| c.len() != dim) {
            return Err(shape(g, format!("instance {i}: quotient chunks")));
        }
        let pre_next = !air.preprocessed_next_row_columns().is_empty();
        match &b.preprocessed {
            None if pre_w == 0 => {}
            Some(p)
                if pre_w > 0
                    && p.local.len() == pre_w
                    && p.next.as_ref().map(Vec::len) == pre_next.then_some(pre_w) => {}
            _ => return Err(shape(g, format!("instance {i}: preprocessed openings"))),
        }
        let lookups = &common.lookups[i];
        let perm_len = if lookups.is_empty() {
            0
        } else {
            (lookups.len() + 1) * dim
        };
        if o.permutation_local.len() != perm_len || o.permutation_next.len() != perm_len {
            return Err(shape(g, format!("instance {i}: lookup openings")));
        }
        if proof.lookup_terminals[i].is_some() == lookups.is_empty() {
            return Err(shape(g, format!("instance {i}: lookup terminal presence")));
        }
    }
    Ok(GroupShape {
        preprocessed_widths,
        log_chunks,
    })
}

impl VerifyingKey<'_> {
    /// Checks a sharded proof against this key. Never executes the program.
    pub fn verify_sharded(&self, proof: &ShardedProof) -> Result<(), VerifyError> {
        self.verify_sharded_checked(proof, |vk, p| vk.verify_sharded_inner(p))
    }

    /// Every check of [`Self::verify_sharded`] that reads lengths, heights and the statement's
    /// chain but no committed value: what a recursive verifier checks in plain Rust, with
    /// exactly these rules, before its transcript runs.
    pub fn check_sharded_shape(&self, proof: &ShardedProof) -> Result<(), VerifyError> {
        self.verify_sharded_checked(proof, |vk, p| vk.sharded_shape(p).map(|_| ()))
    }

    /// The checks before any group is read, then `rest`, with a panic inside it reported as
    /// a rejection.
    fn verify_sharded_checked(
        &self,
        proof: &ShardedProof,
        rest: impl FnOnce(&Self, &ShardedProof) -> Result<(), VerifyError>,
    ) -> Result<(), VerifyError> {
        if proof.params != self.params {
            return Err(VerifyError::Params {
                found: proof.params,
                expected: self.params,
            });
        }
        let st = &proof.statement;
        st.check_chain(self.machine.program.entry)?;
        let expected = st.shards.len() + 1;
        if proof.groups.len() != expected {
            return Err(VerifyError::Shape {
                found: proof.groups.len(),
                expected,
                shards: st.shards.len(),
            });
        }
        // A malformed proof must be an error, never a crash (see `VerifyError::VerifierPanic`).
        let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rest(self, proof)));
        checked.unwrap_or_else(|payload| Err(VerifyError::from_panic(payload)))
    }

    /// Each group's AIRs, common data and shape, checked; the instances' public values; the
    /// lookup multiplicity bound over all groups.
    fn sharded_shape(&self, proof: &ShardedProof) -> Result<ShardedShape, VerifyError> {
        let pcs = self.config.pcs();
        let publics = proof
            .statement
            .instance_publics(self.machine.program.initial_brk);
        let mut airs = Vec::with_capacity(proof.groups.len());
        let mut commons = Vec::with_capacity(proof.groups.len());
        let mut shapes = Vec::with_capacity(proof.groups.len());
        for (g, group) in proof.groups.iter().enumerate() {
            let group_airs = group_airs(self.machine, g);
            if group.degree_bits.len() != group_airs.len() {
                return Err(shape(g, "one height per instance"));
            }
            self.check_heights(&group_airs, &group.degree_bits)?;
            let common = self.group_common(&group_airs, &group.degree_bits)?;
            shapes.push(check_shape(
                g,
                &group_airs,
                group,
                group_publics(&publics, g),
                &common,
                pcs,
            )?);
            airs.push(group_airs);
            commons.push(common);
        }
        let all: Vec<Lookups<Val>> = commons.iter().flat_map(|c| c.lookups.clone()).collect();
        let heights: Vec<usize> = proof
            .groups
            .iter()
            .flat_map(|p| p.degree_bits.iter().map(|&b| 1usize << b))
            .collect();
        p3_lookup::check_multiplicity_height_bound(&all, &heights)
            .map_err(|e| VerifyError::Stark(format!("lookup multiplicities: {e:?}")))?;
        Ok(ShardedShape {
            publics,
            airs,
            commons,
            shapes,
            all,
        })
    }

    fn verify_sharded_inner(&self, proof: &ShardedProof) -> Result<(), VerifyError> {
        let config = &self.config;
        let ShardedShape {
            publics,
            airs,
            commons,
            shapes,
            all,
        } = self.sharded_shape(proof)?;

        // The header, the grind, the LogUp pair.
        let mut ch = config.initialise_challenger();
        let header: Vec<_> = proof
            .groups
            .iter()
            .map(|p| (p.degree_bits.as_slice(), &p.commitments.main))
            .collect();
        super::observe_header(
            &mut ch,
            &super::VkConstants::new(self.machine, self.params),
            &publics,
            commons[0].preprocessed.as_ref().map(|p| &p.commitment),
            &header,
        );
        let bits = config.lookup_proof_of_work_bits();
        let witness = proof.groups[0]
            .lookup_pow_witness
            .ok_or_else(|| shape(0, "no LogUp grinding witness"))?;
        if (bits == 0 && witness != Val::ZERO) || !ch.check_witness(bits, witness) {
            return Err(VerifyError::Stark(
                "the LogUp grinding witness is wrong".into(),
            ));
        }
        let (alpha, beta) = draw_lookup_pair(&mut ch);
        let all_lookups: Vec<&[Lookup<Val>]> = all.iter().map(|l| &**l).collect();
        let challenges = lay_out_challenges(&all_lookups, alpha, beta);

        let mut start = 0;
        let mut total = Challenge::ZERO;
        for (g, group) in proof.groups.iter().enumerate() {
            let n = airs[g].len();
            verify_group(
                self,
                g,
                &airs[g],
                group,
                group_publics(&publics, g),
                &commons[g],
                &shapes[g],
                &challenges[start..start + n],
                fork(&ch, g),
            )?;
            start += n;
            total += group
                .lookup_terminals
                .iter()
                .flatten()
                .map(|t| t.0)
                .sum::<Challenge>();
        }
        if !total.is_zero() {
            return Err(VerifyError::Stark(
                "the buses do not balance across the groups (LogUp terminals sum to nonzero)"
                    .into(),
            ));
        }
        Ok(())
    }
}

/// One group on its fork: the transcript, the PCS openings, every instance's constraints.
#[allow(clippy::too_many_arguments)]
fn verify_group(
    vk: &VerifyingKey<'_>,
    g: usize,
    airs: &[MipsAir],
    proof: &Proof,
    publics: &[Vec<Val>],
    common: &CommonData<MipsStarkConfig>,
    shape_: &GroupShape,
    challenges: &[Vec<Challenge>],
    mut ch: DeterministicChallenger,
) -> Result<(), VerifyError> {
    let config = &vk.config;
    let pcs = config.pcs();
    let perm = proof
        .commitments
        .permutation
        .as_ref()
        .ok_or_else(|| shape(g, "no lookup commitment"))?;
    ch.observe(perm.clone());
    for t in proof.lookup_terminals.iter().flatten() {
        ch.observe_algebra_element(t.0);
    }
    let alpha: Challenge = ch.sample_algebra_element();
    ch.observe(proof.commitments.quotient_chunks.clone());
    let bits = config.ood_proof_of_work_bits();
    if (bits == 0 && proof.ood_pow_witness != Val::ZERO)
        || !ch.check_witness(bits, proof.ood_pow_witness)
    {
        return Err(shape(g, "the out-of-domain grinding witness is wrong"));
    }
    let zeta: Challenge = ch.sample_algebra_element();
    let (coms, quotient_domains, preprocessed_index) = commitments_with_opening_points(
        config,
        airs,
        zeta,
        &proof.commitments,
        &proof.opened_values,
        common,
        &proof.degree_bits,
        &shape_.preprocessed_widths,
        &shape_.log_chunks,
    )
    .map_err(|e| shape(g, format!("{e:?}")))?;
    <crate::config::Pcs as UnivariateStarkPcs<Challenge, DeterministicChallenger>>::verify_with_preprocessing(
        pcs,
        coms,
        &proof.opening_proof,
        &mut ch,
        preprocessed_index,
    )
    .map_err(|e| shape(g, format!("the openings do not verify: {e:?}")))?;

    let gadget = LogUpGadget::new();
    let dim = <Challenge as BasedVectorSpace<Val>>::DIMENSION;
    for (i, air) in airs.iter().enumerate() {
        let o = &proof.opened_values.instances[i];
        let b = &o.base_opened_values;
        let quotient = recompose_quotient_from_chunks::<MipsStarkConfig>(
            &quotient_domains[i],
            &b.quotient_chunks,
            zeta,
        );
        let recompose = |flat: &[Challenge]| -> Vec<Challenge> {
            flat.chunks_exact(dim)
                .map(|c| {
                    <Challenge as p3_field::ExtensionField<Val>>::from_ext_basis_coefficients(c)
                        .expect("chunks of DIMENSION values")
                })
                .collect()
        };
        let perm_local = recompose(&o.permutation_local);
        let perm_next = recompose(&o.permutation_next);
        let width = BaseAir::<Val>::width(air);
        let zeros = vec![Challenge::ZERO; width.max(shape_.preprocessed_widths[i])];
        let trace_next = b.trace_next.as_deref().unwrap_or(&zeros[..width]);
        let pre_local = b.preprocessed.as_ref().map_or(&[][..], |p| &p.local[..]);
        let pre_next = b
            .preprocessed
            .as_ref()
            .and_then(|p| p.next.as_deref())
            .unwrap_or(&zeros[..shape_.preprocessed_widths[i]]);
        let domain = <crate::config::Pcs as Pcs<Challenge, DeterministicChallenger>>::natural_domain_for_degree(
            pcs,
            1usize << proof.degree_bits[i],
        );
        if domain.vanishing_poly_at_point(zeta).is_zero() {
            return Err(shape(g, "the out-of-domain point lies on a trace domain"));
        }
        let sels = domain.selectors_at_point(zeta);
        let perm_vals: Vec<Challenge> = proof.lookup_terminals[i].iter().map(|t| t.0).collect();
        let main = VerticalPair::new(
            RowMajorMatrixView::new_row(&b.trace_local),
            RowMajorMatrixView::new_row(trace_next),
        );
        let preprocessed = VerticalPair::new(
            RowMajorMatrixView::new_row(pre_local),
            RowMajorMatrixView::new_row(pre_next),
        );
        let mut folder = VerifierConstraintFolderWithLookups::<MipsStarkConfig> {
            inner: VerifierConstraintFolder {
                main,
                preprocessed,
                preprocessed_window: RowWindow::from_two_rows(pre_local, pre_next),
                periodic_values: &[],
                public_values: &publics[i],
                is_first_row: sels.is_first_row,
                is_last_row: sels.is_last_row,
                is_transition: sels.is_transition,
                alpha,
                accumulator: Challenge::ZERO,
            },
            permutation: VerticalPair::new(
                RowMajorMatrixView::new_row(&perm_local),
                RowMajorMatrixView::new_row(&perm_next),
            ),
            permutation_challenges: &challenges[i],
            permutation_values: &perm_vals,
        };
        gadget.eval_air_and_lookups(air, &mut folder, &common.lookups[i]);
        if folder.inner.accumulator * sels.inv_vanishing != quotient {
            return Err(shape(
                g,
                format!(
                    "instance {i} ({}): the constraints do not match the quotient",
                    air.name()
                ),
            ));
        }
    }
    Ok(())
}

/// Checks `proof` against the program of `machine` (its verifying key). Never executes it.
pub fn verify_sharded(
    machine: &mipstark_air::machine::Machine,
    proof: &ShardedProof,
    params: crate::StarkParams,
) -> Result<(), VerifyError> {
    VerifyingKey::new(machine, params).verify_sharded(proof)
}
