//! The sharded prover: commit every group, draw the LogUp pair, prove every group.

use mipstark_air::byte::ByteLookups;
use mipstark_air::machine::{pad_shard_traces, Machine, MipsAir, ShardCursor};
use mipstark_emulator::ExecutionRecord;
use p3_batch_stark::{BatchCommitments, BatchOpenedValues, BatchProof, ProverData};
use p3_challenger::{CanObserve, FieldChallenger, GrindingChallenger};
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;
use p3_uni_stark::StarkGenericConfig;
use tracing::info_span;

use super::{
    draw_lookup_pair, fork, group_airs, group_publics, lay_out_challenges, ShardProfile,
    ShardedProof,
};
use crate::config::{make_config_on, MipsStarkConfig, MipsStarkConfigOn, StarkParams};
use crate::machine::{check_heights, ProveError};
use crate::protocol::{
    as_reference, commit_traces, lookup_round, opening_round, quotient_round, BackendMmcs,
    Geometry, PcsData, QuotientEvaluator,
};
use crate::{Challenge, Val};

type Config<D, M> = MipsStarkConfigOn<D, M>;

/// Proves the execution recorded in `shards` with the reference backend.
pub fn prove_sharded(
    machine: &Machine,
    shards: &[ExecutionRecord],
    params: StarkParams,
) -> Result<ShardedProof, ProveError> {
    prove_sharded_profiled(machine, shards, params, None)
}

/// [`prove_sharded`] with every shard's traces padded to `profile` (one shape for every
/// shard, as recursion wants it).
pub fn prove_sharded_profiled(
    machine: &Machine,
    shards: &[ExecutionRecord],
    params: StarkParams,
    profile: Option<&ShardProfile>,
) -> Result<ShardedProof, ProveError> {
    prove_sharded_backend(
        machine,
        shards,
        params,
        profile,
        crate::config::Dft::default(),
        crate::config::val_mmcs(),
        &crate::protocol::CpuQuotient,
    )
}

/// One shard's traces, padded to `profile` when there is one.
fn shard_traces(
    machine: &Machine,
    rec: &ExecutionRecord,
    cursor: &mut ShardCursor,
    bytes: &mut ByteLookups,
    profile: Option<&ShardProfile>,
) -> Result<Vec<RowMajorMatrix<Val>>, ProveError> {
    let mut traces = machine.shard_traces(rec, cursor, bytes)?;
    if let Some(p) = profile {
        pad_shard_traces(machine, &mut traces, &p.log_heights)?;
    }
    Ok(traces)
}

/// A group's traces and their committed LDEs.
type Kept<D, M> = (Vec<RowMajorMatrix<Val>>, PcsData<D, M>);

/// A group's main traces, committed.
struct Committed<D, M>
where
    D: p3_dft::TwoAdicSubgroupDft<Val> + Sync,
    D::Evaluations: Send + Sync,
    M: BackendMmcs,
{
    commitment: M::Commitment,
    degree_bits: Vec<usize>,
    /// Kept for the groups proved without regenerating them.
    kept: Option<Kept<D, M>>,
}

/// [`prove_sharded_profiled`] with a backend's stages (see
/// [`crate::machine::prove_traces_backend`]). The proof does not depend on the backend.
pub fn prove_sharded_backend<D, M, Q>(
    machine: &Machine,
    shards: &[ExecutionRecord],
    params: StarkParams,
    profile: Option<&ShardProfile>,
    dft: D,
    mmcs: M,
    quotient: &Q,
) -> Result<ShardedProof, ProveError>
where
    D: p3_dft::TwoAdicSubgroupDft<Val> + Sync,
    D::Evaluations: Send + Sync,
    M: BackendMmcs,
    M::Commitment: Sync,
    Q: QuotientEvaluator,
{
    let config = make_config_on(params, dft, mmcs);
    let shard_airs = machine.shard_airs();
    let last = shards.len().saturating_sub(1);

    // Phase 1: every shard's traces, committed; only the last shard's are kept.
    let mut bytes = ByteLookups::default();
    let mut cursor = ShardCursor::start(machine.program.entry);
    let mut cursors = Vec::with_capacity(shards.len());
    let mut bounds = Vec::with_capacity(shards.len());
    let mut groups: Vec<Committed<D, M>> = Vec::with_capacity(shards.len() + 1);
    for (k, rec) in shards.iter().enumerate() {
        cursors.push(cursor.clone());
        let before = cursor.state;
        let traces = info_span!("shard traces", shard = k)
            .in_scope(|| shard_traces(machine, rec, &mut cursor, &mut bytes, profile))?;
        bounds.push((before, cursor.state));
        check_heights(&shard_airs, &traces)?;
        let (commitment, data) =
            info_span!("commit shard", shard = k).in_scope(|| commit_traces(&config, &traces))?;
        groups.push(Committed {
            commitment,
            degree_bits: traces
                .iter()
                .map(|t| t.height().trailing_zeros() as usize)
                .collect(),
            kept: (k == last).then_some((traces, data)),
        });
    }
    let (global, statement) = info_span!("global traces")
        .in_scope(|| machine.global_traces(shards, bounds, &cursor, bytes))?;
    let global_airs = machine.global_airs();
    check_heights(&global_airs, &global)?;
    let (commitment, data) = commit_traces(&config, &global)?;
    groups.insert(
        0,
        Committed {
            commitment,
            degree_bits: global
                .iter()
                .map(|t| t.height().trailing_zeros() as usize)
                .collect(),
            kept: Some((global, data)),
        },
    );

    // Every group's preprocessed commitment and lookups, each from its own instances and
    // heights (only the global chips have preprocessed columns, so a shard's is small).
    let degree_bits: Vec<Vec<usize>> = groups.iter().map(|g| g.degree_bits.clone()).collect();
    let prover_data = |g: usize| -> Result<ProverData<Config<D, M>>, ProveError> {
        ProverData::from_airs_and_degrees(&config, &group_airs(machine, g), &degree_bits[g])
            .map_err(|e| ProveError::Stark(format!("{e:?}")))
    };
    let mut pds: Vec<Option<ProverData<Config<D, M>>>> = (0..groups.len())
        .map(|g| prover_data(g).map(Some))
        .collect::<Result<_, _>>()?;

    // The header, the grind and the LogUp pair.
    let publics = statement.instance_publics(machine.program.initial_brk);
    let mut ch = config.initialise_challenger();
    let header: Vec<(&[usize], &M::Commitment)> = groups
        .iter()
        .map(|g| (g.degree_bits.as_slice(), &g.commitment))
        .collect();
    super::observe_header(
        &mut ch,
        &super::VkConstants::new(machine, params),
        &publics,
        pds[0]
            .as_ref()
            .and_then(|pd| pd.common.preprocessed.as_ref())
            .map(|p| &p.commitment),
        &header,
    );
    let lookup_pow_witness = ch.grind(config.lookup_proof_of_work_bits());
    let (alpha, beta) = draw_lookup_pair(&mut ch);
    let all: Vec<p3_lookup::Lookups<Val>> = pds
        .iter()
        .flatten()
        .flat_map(|pd| pd.common.lookups.iter().cloned())
        .collect();
    let heights: Vec<usize> = groups
        .iter()
        .flat_map(|g| g.degree_bits.iter().map(|&b| 1usize << b))
        .collect();
    p3_lookup::check_multiplicity_height_bound(&all, &heights)
        .map_err(|e| ProveError::Stark(format!("lookup multiplicities: {e:?}")))?;
    let all_lookups: Vec<&[p3_lookup::Lookup<Val>]> = all.iter().map(|l| &**l).collect();
    let challenges = lay_out_challenges(&all_lookups, alpha, beta);

    // Phase 2: every group on its fork; the kept groups first, so their memory goes early.
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by_key(|&g| groups[g].kept.is_none());
    let mut proofs: Vec<Option<BatchProof<MipsStarkConfig>>> =
        (0..groups.len()).map(|_| None).collect();
    for g in order {
        let airs = group_airs(machine, g);
        let (traces, main_data) = match groups[g].kept.take() {
            Some(kept) => kept,
            None => {
                let mut cursor = cursors[g - 1].clone();
                let traces = info_span!("shard traces again", shard = g - 1).in_scope(|| {
                    shard_traces(
                        machine,
                        &shards[g - 1],
                        &mut cursor,
                        &mut ByteLookups::default(),
                        profile,
                    )
                })?;
                let (commitment, data) = commit_traces(&config, &traces)?;
                if commitment != groups[g].commitment {
                    return Err(ProveError::Stark(format!(
                        "shard {}'s traces changed between the two phases",
                        g - 1
                    )));
                }
                (traces, data)
            }
        };
        let pd = pds[g]
            .take()
            .expect("each group's prover data is used once");
        let start = if g == 0 {
            0
        } else {
            global_airs.len() + (g - 1) * shard_airs.len()
        };
        let group_challenges = &challenges[start..start + airs.len()];
        let proof = info_span!("prove group", group = g).in_scope(|| {
            prove_group(
                &config,
                &airs,
                traces,
                group_publics(&publics, g),
                &pd,
                main_data,
                groups[g].commitment.clone(),
                group_challenges,
                fork(&ch, g),
                quotient,
            )
        })?;
        let mut proof = proof;
        if g == 0 {
            proof.lookup_pow_witness = Some(lookup_pow_witness);
        }
        proofs[g] = Some(as_reference(proof));
    }
    Ok(ShardedProof {
        params,
        statement,
        groups: proofs
            .into_iter()
            .map(|p| p.expect("every group is proved"))
            .collect(),
    })
}

/// One group's lookup columns, quotient and openings, on its fork of the transcript.
#[allow(clippy::too_many_arguments)]
fn prove_group<D, M, Q>(
    config: &Config<D, M>,
    airs: &[MipsAir],
    traces: Vec<RowMajorMatrix<Val>>,
    publics: &[Vec<Val>],
    prover_data: &ProverData<Config<D, M>>,
    main_data: PcsData<D, M>,
    main_commitment: M::Commitment,
    challenges: &[Vec<Challenge>],
    mut ch: crate::DeterministicChallenger,
    quotient: &Q,
) -> Result<BatchProof<Config<D, M>>, ProveError>
where
    D: p3_dft::TwoAdicSubgroupDft<Val> + Sync,
    D::Evaluations: Send + Sync,
    M: BackendMmcs,
    M::Commitment: Sync,
    Q: QuotientEvaluator,
{
    let degrees: Vec<usize> = traces.iter().map(|t| t.height()).collect();
    let geo = Geometry::new(config, airs, degrees, &prover_data.common)?;
    let (terminals, perm) = lookup_round(config, airs, &traces, publics, &geo, challenges)?;
    drop(traces);
    let (perm_commit, perm_data) = perm.ok_or_else(|| {
        ProveError::Stark("every group has lookups, so a lookup commitment".into())
    })?;
    ch.observe(perm_commit.clone());
    for t in terminals.iter().flatten() {
        ch.observe_algebra_element(t.0);
    }
    let alpha: Challenge = ch.sample_algebra_element();
    let (chunk_ranges, quotient_commit, quotient_data) = quotient_round(
        config,
        airs,
        publics,
        &geo,
        prover_data,
        &main_data,
        Some(&perm_data),
        &terminals,
        challenges,
        alpha,
        quotient,
    )?;
    ch.observe(quotient_commit.clone());
    let ood_pow_witness = ch.grind(config.ood_proof_of_work_bits());
    let zeta: Challenge = ch.sample_algebra_element();
    let (instances, opening_proof) = opening_round(
        config,
        airs,
        &geo,
        prover_data,
        &main_data,
        &quotient_data,
        &chunk_ranges,
        Some(&perm_data),
        zeta,
        &mut ch,
    )?;
    Ok(BatchProof {
        commitments: BatchCommitments {
            main: main_commitment,
            quotient_chunks: quotient_commit,
            random: None,
            permutation: Some(perm_commit),
        },
        opened_values: BatchOpenedValues { instances },
        opening_proof,
        lookup_terminals: terminals,
        degree_bits: geo.log_degrees,
        lookup_pow_witness: None,
        ood_pow_witness,
    })
}
