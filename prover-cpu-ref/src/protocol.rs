//! The batch-STARK protocol loop, with the quotient evaluation behind a seam.
//!
//! Plonky3's `prove_batch` evaluates every AIR's constraints inline, so a backend could supply
//! its own LDEs and Merkle trees but not its own quotients. This loop plays the same protocol
//! — the same transcript (Plonky3's `BatchProverTranscript`, which fixes every message and
//! challenge), the same commitments in the same order, the same openings — and asks a
//! [`QuotientEvaluator`] for each instance's quotient values. The proof is Plonky3's
//! `BatchProof`, byte for byte what `prove_batch` makes (a test pins them equal), so Plonky3's
//! verifier checks it.
//!
//! The PCS of every mipstark configuration is transparent (no ZK randomization), which the loop
//! relies on: extended trace domains are the trace domains and there is no randomization round.

use mipstark_air::machine::MipsAir;
use p3_air::{AirLayout, BaseAir};
use p3_batch_stark::proof::OpenedValuesWithLookups;
use p3_batch_stark::symbolic::get_log_num_quotient_chunks_for_domain;
use p3_batch_stark::{
    BatchCommitments, BatchOpenedValues, BatchProof, BatchProverTranscript, BatchShape, ProverData,
};
use p3_commit::{Pcs, PolynomialSpace, UnivariateStarkPcs};
use p3_lookup::{
    check_multiplicity_height_bound, LogUpGadget, Lookup, LookupProtocol, LookupTerminal,
};
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;
use p3_uni_stark::{
    OpenedValues, PreprocessedOpenedValues, StarkGenericConfig, StarkOpeningLayout,
};
use rayon::prelude::*;
use tracing::info_span;

use crate::config::{MipsStarkConfigOn, PcsOn};
use crate::machine::ProveError;
use crate::{Challenge, Val};

/// The domains of every mipstark PCS.
pub type Domain = p3_field::coset::TwoAdicMultiplicativeCoset<Val>;

/// Everything one instance's quotient depends on: its AIR and lookups, its traces evaluated on
/// the quotient domain (natural order), the challenges, and the folding challenge `alpha`.
pub struct QuotientJob<'a, Mat> {
    pub air: &'a MipsAir,
    pub public_values: &'a [Val],
    pub layout: AirLayout,
    pub trace_domain: Domain,
    pub quotient_domain: Domain,
    pub main: &'a Mat,
    /// The lookup (permutation) columns, flattened to base-field coordinates.
    pub permutation: Option<&'a Mat>,
    pub preprocessed: Option<&'a Mat>,
    pub lookups: &'a [Lookup<Val>],
    /// The instance's lookup terminal (empty without lookups).
    pub permutation_values: &'a [Challenge],
    pub lookup_challenges: &'a [Challenge],
    pub alpha: Challenge,
}

/// Computes `Σ_k α^(K−1−k)·C_k(x) / Z_H(x)` on every point `x` of the quotient domain, where
/// `C_0 … C_{K−1}` are the AIR's constraints (lookup constraints included) in emission order.
/// Values are field elements, so any implementation that computes them exactly gives the same
/// proof.
pub trait QuotientEvaluator: Sync {
    fn quotient_values<Mat: Matrix<Val> + Sync>(
        &self,
        job: &QuotientJob<'_, Mat>,
    ) -> Vec<Challenge>;
}

/// The reference evaluator: Plonky3's packed constraint folder.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuQuotient;

impl QuotientEvaluator for CpuQuotient {
    fn quotient_values<Mat: Matrix<Val> + Sync>(
        &self,
        job: &QuotientJob<'_, Mat>,
    ) -> Vec<Challenge> {
        reference_quotient_values(job)
    }
}

/// Plonky3's quotient evaluation of `job` (the twin every other evaluator is tested against).
pub fn reference_quotient_values<Mat: Matrix<Val> + Sync>(
    job: &QuotientJob<'_, Mat>,
) -> Vec<Challenge> {
    // The PCS is consulted only for periodic columns, which no mipstark AIR has; any instance
    // of the reference PCS serves.
    static PCS: std::sync::OnceLock<crate::config::MipsStarkConfig> = std::sync::OnceLock::new();
    let config = PCS.get_or_init(|| crate::make_config(crate::StarkParams::TESTING));
    p3_batch_stark::prover::quotient_values::<crate::MipsStarkConfig, MipsAir, Mat, LogUpGadget>(
        config.pcs(),
        job.air,
        job.public_values,
        job.layout,
        job.trace_domain,
        job.quotient_domain,
        job.main,
        job.permutation,
        job.lookups,
        job.permutation_values,
        &LogUpGadget::new(),
        job.lookup_challenges,
        job.preprocessed,
        job.alpha,
    )
}

/// The Merkle schemes a backend may supply: the reference's commitments, shareable across the
/// prover's threads.
pub trait BackendMmcs:
    p3_commit::Mmcs<
        crate::Val,
        Commitment = <crate::ValMmcs as p3_commit::Mmcs<crate::Val>>::Commitment,
        MultiProof: Sync,
        Error: Sync,
        ProverData<p3_matrix::dense::RowMajorMatrix<crate::Val>>: Sync,
    > + Sync
{
}

impl<M> BackendMmcs for M where
    M: p3_commit::Mmcs<
            crate::Val,
            Commitment = <crate::ValMmcs as p3_commit::Mmcs<crate::Val>>::Commitment,
            MultiProof: Sync,
            Error: Sync,
            ProverData<p3_matrix::dense::RowMajorMatrix<crate::Val>>: Sync,
        > + Sync
{
}

type Config<D, M> = MipsStarkConfigOn<D, M>;
type Ch = crate::DeterministicChallenger;
/// The PCS's methods, named through the one challenger mipstark uses.
type U<D, M> = PcsOn<D, M>;

fn pcs_error(phase: &str, e: impl std::fmt::Debug) -> ProveError {
    ProveError::Stark(format!("{phase}: {e:?}"))
}

/// The PCS's prover data for one committed round.
pub(crate) type PcsData<D, M> = <U<D, M> as Pcs<Challenge, Ch>>::ProverData;
/// The PCS's opening proof.
pub(crate) type PcsProofOn<D, M> = <U<D, M> as Pcs<Challenge, Ch>>::Proof;

/// Every instance's opened values and the opening proof.
pub(crate) type Openings<D, M> = (Vec<OpenedValuesWithLookups<Challenge>>, PcsProofOn<D, M>);

/// The preprocessed matrix of instance `i`, when it has one.
fn pre_meta<SC: StarkGenericConfig>(
    common: &p3_batch_stark::CommonData<SC>,
    i: usize,
) -> Option<&p3_batch_stark::common::PreprocessedInstanceMeta> {
    common
        .preprocessed
        .as_ref()
        .and_then(|g| g.instances[i].as_ref())
}

/// Sizes, domains, layouts and quotient chunking of a batch's instances: what every round
/// after the main commitment reads.
pub(crate) struct Geometry<'a> {
    pub degrees: Vec<usize>,
    pub log_degrees: Vec<usize>,
    pub domains: Vec<Domain>,
    pub layouts: Vec<AirLayout>,
    pub log_chunks: Vec<usize>,
    pub lookups: Vec<&'a [Lookup<Val>]>,
}

impl<'a> Geometry<'a> {
    pub(crate) fn new<D, M>(
        config: &Config<D, M>,
        airs: &[MipsAir],
        degrees: Vec<usize>,
        common: &'a p3_batch_stark::CommonData<Config<D, M>>,
    ) -> Result<Self, ProveError>
    where
        D: p3_dft::TwoAdicSubgroupDft<Val> + Sync,
        M: BackendMmcs,
    {
        let gadget = LogUpGadget::new();
        let pcs = config.pcs();
        let n = airs.len();
        let log_degrees: Vec<usize> = degrees
            .iter()
            .map(|d| d.trailing_zeros() as usize)
            .collect();
        check_multiplicity_height_bound(&common.lookups, &degrees)
            .map_err(|e| pcs_error("lookup multiplicities", e))?;
        let lookups: Vec<&[Lookup<Val>]> = common.lookups.iter().map(|l| &**l).collect();
        let domains: Vec<Domain> = degrees
            .iter()
            .map(|&d| <U<D, M> as Pcs<Challenge, Ch>>::natural_domain_for_degree(pcs, d))
            .collect();
        let layouts: Vec<AirLayout> = (0..n)
            .map(|i| air_layout(&airs[i], pre_meta(common, i).map_or(0, |m| m.width)))
            .collect();
        let log_chunks: Vec<usize> = (0..n)
            .map(|i| {
                get_log_num_quotient_chunks_for_domain::<Val, Challenge, _, _>(
                    &airs[i], layouts[i], domains[i], lookups[i], 0, &gadget,
                )
            })
            .collect();
        Ok(Geometry {
            degrees,
            log_degrees,
            domains,
            layouts,
            log_chunks,
            lookups,
        })
    }
}

/// Every instance's main trace, committed on its natural domain.
pub(crate) fn commit_traces<D, M>(
    config: &Config<D, M>,
    traces: &[RowMajorMatrix<Val>],
) -> Result<(M::Commitment, PcsData<D, M>), ProveError>
where
    D: p3_dft::TwoAdicSubgroupDft<Val> + Sync,
    D::Evaluations: Send + Sync,
    M: BackendMmcs,
{
    let pcs = config.pcs();
    let inputs: Vec<_> = traces
        .iter()
        .map(|t| {
            let domain =
                <U<D, M> as Pcs<Challenge, Ch>>::natural_domain_for_degree(pcs, t.height());
            (domain, t.clone())
        })
        .collect();
    <U<D, M> as Pcs<Challenge, Ch>>::commit(pcs, inputs)
        .map_err(|e| pcs_error("trace commitment", e))
}

/// A backend's proof re-read as the reference configuration's: the DFT and the tree builder
/// are part of the configuration's type but not of the proof's bytes.
pub(crate) fn as_reference<D, M>(
    proof: BatchProof<Config<D, M>>,
) -> BatchProof<crate::MipsStarkConfig>
where
    D: p3_dft::TwoAdicSubgroupDft<Val>,
    M: BackendMmcs,
{
    let bytes = bincode::serialize(&proof).expect("proofs always serialize");
    bincode::deserialize(&bytes).expect("the proof layout does not depend on the backend")
}

/// Every instance's lookup columns under `challenges`, committed, and their terminals.
#[allow(clippy::type_complexity)]
pub(crate) fn lookup_round<D, M>(
    config: &Config<D, M>,
    airs: &[MipsAir],
    traces: &[RowMajorMatrix<Val>],
    publics: &[Vec<Val>],
    geo: &Geometry<'_>,
    challenges: &[Vec<Challenge>],
) -> Result<
    (
        Vec<Option<LookupTerminal<Challenge>>>,
        Option<(M::Commitment, PcsData<D, M>)>,
    ),
    ProveError,
>
where
    D: p3_dft::TwoAdicSubgroupDft<Val> + Sync,
    D::Evaluations: Send + Sync,
    M: BackendMmcs,
{
    let gadget = LogUpGadget::new();
    let n = airs.len();
    let mut terminals: Vec<Option<LookupTerminal<Challenge>>> = vec![None; n];
    let mut perm_inputs = Vec::new();
    for i in 0..n {
        if geo.lookups[i].is_empty() {
            continue;
        }
        let (perm, terminal) = gadget.generate_permutation::<Val, Challenge>(
            &traces[i],
            &airs[i].preprocessed_trace(),
            &publics[i],
            geo.lookups[i],
            &challenges[i],
        );
        terminals[i] = terminal;
        perm_inputs.push((geo.domains[i], perm.flatten_to_base()));
    }
    let perm = if perm_inputs.is_empty() {
        None
    } else {
        Some(
            <U<D, M> as Pcs<Challenge, Ch>>::commit(config.pcs(), perm_inputs)
                .map_err(|e| pcs_error("permutation commitment", e))?,
        )
    };
    Ok((terminals, perm))
}

/// The position of each instance's lookup matrix in the permutation round.
fn perm_index(geo: &Geometry<'_>) -> Vec<usize> {
    geo.lookups
        .iter()
        .scan(0usize, |next, l| {
            let idx = *next;
            *next += usize::from(!l.is_empty());
            Some(idx)
        })
        .collect()
}

/// Every instance's quotient, split into chunks and committed: the chunks' range per
/// instance, the commitment and its prover data.
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
pub(crate) fn quotient_round<D, M, Q>(
    config: &Config<D, M>,
    airs: &[MipsAir],
    publics: &[Vec<Val>],
    geo: &Geometry<'_>,
    prover_data: &ProverData<Config<D, M>>,
    main_data: &PcsData<D, M>,
    perm_data: Option<&PcsData<D, M>>,
    terminals: &[Option<LookupTerminal<Challenge>>],
    challenges: &[Vec<Challenge>],
    alpha: Challenge,
    quotient: &Q,
) -> Result<(Vec<(usize, usize)>, M::Commitment, PcsData<D, M>), ProveError>
where
    D: p3_dft::TwoAdicSubgroupDft<Val> + Sync,
    D::Evaluations: Send + Sync,
    M: BackendMmcs,
    M::Commitment: Sync,
    Q: QuotientEvaluator,
{
    let pcs = config.pcs();
    let common = &prover_data.common;
    let perm_index = perm_index(geo);
    // One instance at a time in parallel (each evaluator parallelises over rows).
    let per_instance: Vec<Vec<RowMajorMatrix<Val>>> = (0..airs.len())
        .into_par_iter()
        .map(|i| {
            let qdomain =
                geo.domains[i].create_disjoint_domain(geo.degrees[i] << geo.log_chunks[i]);
            let main = <U<D, M> as UnivariateStarkPcs<Challenge, Ch>>::get_evaluations_on_domain(
                pcs, main_data, i, qdomain,
            );
            let permutation = perm_data.filter(|_| !geo.lookups[i].is_empty()).map(|d| {
                <U<D, M> as UnivariateStarkPcs<Challenge, Ch>>::get_evaluations_on_domain(
                    pcs,
                    d,
                    perm_index[i],
                    qdomain,
                )
            });
            let preprocessed = pre_meta(common, i).map(|meta| {
                let data = prover_data
                    .prover_only
                    .preprocessed_prover_data
                    .as_ref()
                    .expect("preprocessed prover data exists with preprocessed columns");
                <U<D, M> as UnivariateStarkPcs<Challenge, Ch>>::get_evaluations_on_domain_no_random(
                    pcs,
                    data,
                    meta.matrix_index,
                    qdomain,
                )
            });
            let perm_vals: Vec<Challenge> = terminals[i].iter().map(|t| t.0).collect();
            let job = QuotientJob {
                air: &airs[i],
                public_values: &publics[i],
                layout: geo.layouts[i],
                trace_domain: geo.domains[i],
                quotient_domain: qdomain,
                main: &main,
                permutation: permutation.as_ref(),
                preprocessed: preprocessed.as_ref(),
                lookups: geo.lookups[i],
                permutation_values: &perm_vals,
                lookup_challenges: &challenges[i],
                alpha,
            };
            let values = info_span!("quotient evaluation", air_idx = i)
                .in_scope(|| quotient.quotient_values(&job));
            let chunks = 1 << geo.log_chunks[i];
            let flat = RowMajorMatrix::new_col(values).flatten_to_base();
            let mats = qdomain.split_evals(chunks, flat);
            <U<D, M> as UnivariateStarkPcs<Challenge, Ch>>::get_quotient_ldes(
                pcs,
                qdomain.split_domains(chunks).into_iter().zip(mats),
                chunks,
            )
            .map_err(|e| pcs_error("quotient evaluations", e))
        })
        .collect::<Result<_, _>>()?;
    let mut chunk_ranges = Vec::with_capacity(airs.len());
    let mut chunk_mats = Vec::new();
    for ldes in per_instance {
        let start = chunk_mats.len();
        chunk_mats.extend(ldes);
        chunk_ranges.push((start, chunk_mats.len()));
    }
    let (commit, data) =
        <U<D, M> as UnivariateStarkPcs<Challenge, Ch>>::commit_ldes(pcs, chunk_mats)
            .map_err(|e| pcs_error("quotient commitment", e))?;
    Ok((chunk_ranges, commit, data))
}

/// Opens every round at `zeta` (and the next row where read) on `challenger`, and lays the
/// values out per instance as `verify_batch` reads them.
#[allow(clippy::too_many_arguments)]
pub(crate) fn opening_round<D, M>(
    config: &Config<D, M>,
    airs: &[MipsAir],
    geo: &Geometry<'_>,
    prover_data: &ProverData<Config<D, M>>,
    main_data: &PcsData<D, M>,
    quotient_data: &PcsData<D, M>,
    chunk_ranges: &[(usize, usize)],
    perm_data: Option<&PcsData<D, M>>,
    zeta: Challenge,
    challenger: &mut Ch,
) -> Result<Openings<D, M>, ProveError>
where
    D: p3_dft::TwoAdicSubgroupDft<Val> + Sync,
    D::Evaluations: Send + Sync,
    M: BackendMmcs,
{
    let n = airs.len();
    let common = &prover_data.common;
    // Openings: main (ζ, and gζ where the next row is read), quotient chunks (ζ),
    // preprocessed, lookup columns (ζ, gζ).
    let next = |i: usize| {
        geo.domains[i]
            .next_point(zeta)
            .expect("two-adic domains have a next point")
    };
    let layout = StarkOpeningLayout::new(false);
    let mut rounds = Vec::new();
    let main_points = (0..n)
        .map(|i| {
            if airs[i].main_next_row_columns().is_empty() {
                vec![zeta]
            } else {
                vec![zeta, next(i)]
            }
        })
        .collect();
    rounds.push((main_data, main_points));
    let quotient_points = chunk_ranges
        .iter()
        .flat_map(|&(s, e)| (s..e).map(|_| vec![zeta]))
        .collect();
    rounds.push((quotient_data, quotient_points));
    if let Some(global) = &common.preprocessed {
        let data = prover_data
            .prover_only
            .preprocessed_prover_data
            .as_ref()
            .expect("preprocessed prover data exists with preprocessed columns");
        let points = global
            .matrix_to_instance
            .iter()
            .map(|&i| {
                if airs[i].preprocessed_next_row_columns().is_empty() {
                    vec![zeta]
                } else {
                    vec![zeta, next(i)]
                }
            })
            .collect();
        rounds.push((data, points));
    }
    if let Some(data) = perm_data {
        let points = (0..n)
            .filter(|&i| !geo.lookups[i].is_empty())
            .map(|i| vec![zeta, next(i)])
            .collect();
        rounds.push((data, points));
    }
    let (opened_values, opening_proof) =
        <U<D, M> as UnivariateStarkPcs<Challenge, Ch>>::open_with_preprocessing(
            config.pcs(),
            rounds.into_iter().map(Into::into).collect(),
            challenger,
            common.preprocessed.as_ref().map(|_| layout.preprocessed),
        )
        .map_err(|e| pcs_error("opening", e))?;

    // Per-instance opened values, in the layout `verify_batch` reads.
    let perm_round = layout.preprocessed + usize::from(common.preprocessed.is_some());
    let mut perm_openings = perm_data
        .map(|_| opened_values[perm_round].iter())
        .into_iter()
        .flatten();
    let mut quotient_openings = opened_values[layout.quotient].iter();
    let mut instances = Vec::with_capacity(n);
    for (i, &(s, e)) in chunk_ranges.iter().enumerate() {
        let tv = &opened_values[layout.trace][i];
        let preprocessed = pre_meta(common, i).map(|meta| {
            let vals = &opened_values[layout.preprocessed][meta.matrix_index];
            PreprocessedOpenedValues {
                local: vals[0].clone(),
                next: vals.get(1).cloned(),
            }
        });
        let quotient_chunks = (s..e)
            .map(|_| quotient_openings.next().expect("one opening per chunk")[0].clone())
            .collect();
        let (permutation_local, permutation_next) = if geo.lookups[i].is_empty() {
            (vec![], vec![])
        } else {
            let v = perm_openings
                .next()
                .expect("one opening per lookup instance");
            (v[0].clone(), v[1].clone())
        };
        instances.push(OpenedValuesWithLookups {
            base_opened_values: OpenedValues {
                trace_local: tv[0].clone(),
                trace_next: tv.get(1).cloned(),
                preprocessed,
                quotient_chunks,
                random: None,
            },
            permutation_local,
            permutation_next,
        });
    }
    Ok((instances, opening_proof))
}

/// Runs `$e`; on an error, releases the transcript's completeness check and returns it.
macro_rules! or_abort {
    ($transcript:ident, $e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => {
                $transcript.abort();
                return Err(e);
            }
        }
    };
}

/// The layout an instance's constraints are evaluated with (prover, verifier, and the
/// constraint bytecode all derive their symbolic constraints from it).
pub fn air_layout(air: &MipsAir, preprocessed_width: usize) -> AirLayout {
    AirLayout {
        preprocessed_width,
        main_width: BaseAir::<Val>::width(air),
        num_public_values: BaseAir::<Val>::num_public_values(air),
        num_periodic_columns: BaseAir::<Val>::num_periodic_columns(air),
        ..Default::default()
    }
}

/// Proves `airs` on `traces` (one instance each) as Plonky3's `prove_batch` would, with every
/// quotient computed by `quotient`. The traces are dropped once their lookup columns exist
/// (the rest of the proof reads their LDEs), which lowers the peak memory of a proof.
pub fn prove_batch_with<D, M, Q>(
    config: &Config<D, M>,
    airs: &[MipsAir],
    traces: Vec<RowMajorMatrix<Val>>,
    publics: &[Vec<Val>],
    prover_data: &ProverData<Config<D, M>>,
    quotient: &Q,
) -> Result<BatchProof<Config<D, M>>, ProveError>
where
    D: p3_dft::TwoAdicSubgroupDft<Val> + Sync,
    D::Evaluations: Send + Sync,
    M: BackendMmcs,
    M::Commitment: Sync,
    Q: QuotientEvaluator,
{
    const {
        assert!(
            !<U<D, M> as UnivariateStarkPcs<Challenge, Ch>>::ZK,
            "mipstark's PCS is transparent"
        )
    };
    let common = &prover_data.common;
    let gadget = LogUpGadget::new();
    let degrees: Vec<usize> = traces.iter().map(|t| t.height()).collect();
    let geo = Geometry::new(config, airs, degrees, common)?;

    let shape = BatchShape {
        trace_widths: airs.iter().map(BaseAir::<Val>::width).collect(),
        public_value_counts: publics.iter().map(|p| p.len()).collect(),
        preprocessed_widths: geo.layouts.iter().map(|l| l.preprocessed_width).collect(),
        has_preprocessed_commitment: common.preprocessed.is_some(),
        num_lookup_instances: geo.lookups.iter().filter(|l| !l.is_empty()).count(),
        lookup_pow_bits: config.lookup_proof_of_work_bits(),
        has_randomization_commitment: false,
        ood_pow_bits: config.ood_proof_of_work_bits(),
    };
    let mut challenger = config.initialise_challenger();
    let mut transcript =
        BatchProverTranscript::<_, Val, Challenge, M::Commitment>::new(&mut challenger, shape);
    transcript.instance_bindings(&geo.log_degrees);

    // Main traces.
    let (main_commit, main_data) = or_abort!(transcript, commit_traces(config, &traces));
    transcript.main_phase(main_commit.clone(), publics);
    transcript.preprocessed_phase(common.preprocessed.as_ref().map(|g| g.commitment.clone()));

    // Lookup columns.
    let (challenges, lookup_pow_witness) = transcript.lookup_phase(&geo.lookups, &gadget);
    let (terminals, perm) = or_abort!(
        transcript,
        lookup_round(config, airs, &traces, publics, &geo, &challenges)
    );
    drop(traces);
    let terminal_values: Vec<Challenge> = terminals.iter().flatten().map(|t| t.0).collect();
    let alpha =
        transcript.permutation_phase(perm.as_ref().map(|(c, _)| c.clone()), &terminal_values);
    let perm_data = perm.as_ref().map(|(_, d)| d);

    let (chunk_ranges, quotient_commit, quotient_data) = or_abort!(
        transcript,
        quotient_round(
            config,
            airs,
            publics,
            &geo,
            prover_data,
            &main_data,
            perm_data,
            &terminals,
            &challenges,
            alpha,
            quotient,
        )
    );
    transcript.quotient_phase(quotient_commit.clone(), None);
    let (zeta, ood_pow_witness) = transcript.ood_phase();

    let opened = transcript.delegate(|challenger| {
        opening_round(
            config,
            airs,
            &geo,
            prover_data,
            &main_data,
            &quotient_data,
            &chunk_ranges,
            perm_data,
            zeta,
            challenger,
        )
    });
    let (instances, opening_proof) = or_abort!(transcript, opened);
    transcript.finish();

    Ok(BatchProof {
        commitments: BatchCommitments {
            main: main_commit,
            quotient_chunks: quotient_commit,
            random: None,
            permutation: perm.map(|(c, _)| c),
        },
        opened_values: BatchOpenedValues { instances },
        opening_proof,
        lookup_terminals: terminals,
        degree_bits: geo.log_degrees,
        lookup_pow_witness,
        ood_pow_witness,
    })
}
