//! Proving and verifying whole executions: the machine's instances in one Plonky3 batch STARK.

use mipstark_air::machine::{
    Machine, MachineError, MachineTraces, MipsAir, Statement, StatementError,
};
use mipstark_air::F;
use mipstark_emulator::ExecutionRecord;
use p3_air::BaseAir;
use p3_batch_stark::{verify_batch, BatchProof, ProverData, StarkInstance};
use p3_matrix::Matrix;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::config::{make_config, make_config_on, MipsStarkConfig, StarkParams};

/// Largest trace height a verifier accepts (log2): KoalaBear's two-adicity 24 minus the blowup.
pub const MAX_LOG_HEIGHT: usize = 22;

/// A proof of one execution.
#[derive(Serialize, Deserialize)]
pub struct MipsProof {
    pub params: StarkParams,
    pub statement: Statement,
    pub proof: BatchProof<MipsStarkConfig>,
}

impl MipsProof {
    pub fn to_bytes(&self) -> Vec<u8> {
        bincode::serialize(self).expect("proofs always serialize")
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VerifyError> {
        bincode::deserialize(bytes).map_err(|e| VerifyError::Malformed(e.to_string()))
    }
}

#[derive(Debug, Error)]
pub enum ProveError {
    #[error(transparent)]
    Machine(#[from] MachineError),
    #[error("trace of chip {chip} has 2^{log} rows; the most a proof supports is 2^{MAX_LOG_HEIGHT}: use smaller shards")]
    TooTall { chip: &'static str, log: usize },
    #[error("the STARK prover failed: {0}")]
    Stark(String),
}

#[derive(Debug, Error)]
pub enum VerifyError {
    #[error("the proof file is malformed: {0}")]
    Malformed(String),
    #[error("the proof was made with parameters {found:?}, the verifier requires {expected:?}")]
    Params {
        found: StarkParams,
        expected: StarkParams,
    },
    #[error("the statement is inconsistent: {0}")]
    Statement(#[from] StatementError),
    #[error("the proof has {found} instances, {expected} expected for {shards} shards")]
    Shape {
        found: usize,
        expected: usize,
        shards: usize,
    },
    #[error("the proof has {found} {what}, the key {expected}")]
    Count {
        what: &'static str,
        found: usize,
        expected: usize,
    },
    #[error("instance {index} ({chip}) claims 2^{log} rows, outside what this program allows")]
    Height {
        index: usize,
        chip: &'static str,
        log: usize,
    },
    #[error("the STARK verifier rejected the proof: {0}")]
    Stark(String),
    /// Plonky3's verifier assumes some shapes instead of checking them; a proof that breaks
    /// one makes it panic, which is caught and reported here. The soundness tests check that
    /// the shape checks before it leave this unreachable for every tampering they try.
    #[error("the proof is malformed: the STARK verifier could not process it ({0})")]
    VerifierPanic(String),
}

impl VerifyError {
    /// The rejection for a panic caught inside a verifier.
    pub(crate) fn from_panic(payload: Box<dyn std::any::Any + Send>) -> Self {
        let msg = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "malformed proof".into());
        VerifyError::VerifierPanic(msg)
    }
}

fn instances<
    'a,
    SC: p3_uni_stark::StarkGenericConfig<
        Pcs: p3_commit::Pcs<
            SC::Challenge,
            SC::Challenger,
            Domain: p3_commit::PolynomialSpace<Val = F>,
        >,
    >,
>(
    airs: &'a [MipsAir],
    traces: &'a [p3_matrix::dense::RowMajorMatrix<F>],
    publics: &[Vec<F>],
) -> Vec<StarkInstance<'a, SC, MipsAir>> {
    airs.iter()
        .zip(traces)
        .zip(publics)
        .map(|((air, trace), pv)| StarkInstance {
            air,
            trace,
            public_values: pv.clone(),
        })
        .collect()
}

/// Proves the execution recorded in `shards` (consecutive records ending in a halt).
pub fn prove(
    machine: &Machine,
    shards: &[ExecutionRecord],
    params: StarkParams,
) -> Result<MipsProof, ProveError> {
    let t = machine.generate_traces(shards)?;
    prove_traces(machine, t, params)
}

/// Proves already generated traces (see [`Machine::generate_traces`]).
pub fn prove_traces(
    machine: &Machine,
    t: MachineTraces,
    params: StarkParams,
) -> Result<MipsProof, ProveError> {
    let airs = machine.airs(t.statement.shards.len());
    let proof = prove_airs(&airs, t.traces, &t.publics, params)?;
    Ok(MipsProof {
        params,
        statement: t.statement,
        proof,
    })
}

/// [`prove_traces`] with a backend's stages: the LDEs computed by `dft`, the Merkle trees (of
/// the traces, the lookup columns, the quotients and the FRI layers) built by `mmcs`, and every
/// quotient evaluated by `quotient`. `mmcs` must commit and open exactly as
/// [`crate::ValMmcs`] does (same types, same values); the proof is the reference's.
pub fn prove_traces_backend<D, M, Q>(
    machine: &Machine,
    t: MachineTraces,
    params: StarkParams,
    dft: D,
    mmcs: M,
    quotient: &Q,
) -> Result<MipsProof, ProveError>
where
    D: p3_dft::TwoAdicSubgroupDft<crate::Val> + Sync,
    D::Evaluations: Send + Sync,
    M: crate::protocol::BackendMmcs,
    M::Commitment: Sync,
    Q: crate::protocol::QuotientEvaluator,
{
    let airs = machine.airs(t.statement.shards.len());
    let proof = prove_airs_backend(&airs, t.traces, &t.publics, params, dft, mmcs, quotient)?;
    Ok(MipsProof {
        params,
        statement: t.statement,
        proof,
    })
}

/// Proves any instances of the machine's chips in one batch: the traces of `airs` (whose
/// preprocessed tables, if any, are the key), with `publics` per instance. What
/// [`prove_traces`] does for an execution, and what a recursion program is proven with.
pub fn prove_airs(
    airs: &[MipsAir],
    traces: Vec<p3_matrix::dense::RowMajorMatrix<F>>,
    publics: &[Vec<F>],
    params: StarkParams,
) -> Result<BatchProof<MipsStarkConfig>, ProveError> {
    prove_airs_backend(
        airs,
        traces,
        publics,
        params,
        crate::config::Dft::default(),
        crate::config::val_mmcs(),
        &crate::protocol::CpuQuotient,
    )
}

/// [`prove_airs`] with a backend's stages (see [`prove_traces_backend`]).
pub fn prove_airs_backend<D, M, Q>(
    airs: &[MipsAir],
    traces: Vec<p3_matrix::dense::RowMajorMatrix<F>>,
    publics: &[Vec<F>],
    params: StarkParams,
    dft: D,
    mmcs: M,
    quotient: &Q,
) -> Result<BatchProof<MipsStarkConfig>, ProveError>
where
    D: p3_dft::TwoAdicSubgroupDft<crate::Val> + Sync,
    D::Evaluations: Send + Sync,
    M: crate::protocol::BackendMmcs,
    M::Commitment: Sync,
    Q: crate::protocol::QuotientEvaluator,
{
    check_heights(airs, &traces)?;
    let config = make_config_on(params, dft, mmcs);
    let inst = instances(airs, &traces, publics);
    let pd = ProverData::from_instances(&config, &inst)
        .map_err(|e| ProveError::Stark(format!("{e:?}")))?;
    drop(inst);
    let proof = crate::protocol::prove_batch_with(&config, airs, traces, publics, &pd, quotient)?;
    Ok(crate::protocol::as_reference(proof))
}

/// Checks a batch proof of `airs` (see [`prove_airs`]) with `publics`: Plonky3's batch
/// verifier after the shape checks and the multiplicity bound (as [`VerifyingKey::verify`]).
pub fn verify_airs(
    airs: &[MipsAir],
    proof: &BatchProof<MipsStarkConfig>,
    publics: &[Vec<F>],
    params: StarkParams,
) -> Result<(), VerifyError> {
    checked_airs(airs, proof, publics, params, |config, common| {
        verify_batch(config, airs, proof, publics, common)
            .map_err(|e| VerifyError::Stark(format!("{e:?}")))
    })
}

/// Every check of [`verify_airs`] that reads no committed value, and what a recursive
/// verifier takes from the key (as [`VerifyingKey::batch_key`] for an execution's proof).
pub fn airs_key(
    airs: &[MipsAir],
    proof: &BatchProof<MipsStarkConfig>,
    publics: &[Vec<F>],
    params: StarkParams,
) -> Result<GroupKey, VerifyError> {
    let mut key = None;
    checked_airs(airs, proof, publics, params, |_, common| {
        key = Some(GroupKey::new(airs.to_vec(), common));
        Ok(())
    })?;
    key.ok_or_else(|| VerifyError::Stark("no key".into()))
}

/// The preprocessed round a batch of `airs` at log heights `degrees` commits to (none when no
/// instance has preprocessed columns): what names a recursion key among those of one shape.
pub fn airs_preprocessed(
    airs: &[MipsAir],
    degrees: &[usize],
    params: StarkParams,
) -> Result<Option<PreprocessedRound>, VerifyError> {
    let config = make_config(params);
    let common = ProverData::from_airs_and_degrees(&config, airs, degrees)
        .map_err(|e| VerifyError::Stark(format!("{e:?}")))?
        .common;
    Ok(GroupKey::new(airs.to_vec(), &common).preprocessed)
}

/// The shape checks of a batch proof of `airs`, then `rest`, with a panic inside either
/// reported as a rejection.
fn checked_airs(
    airs: &[MipsAir],
    proof: &BatchProof<MipsStarkConfig>,
    publics: &[Vec<F>],
    params: StarkParams,
    rest: impl FnOnce(&MipsStarkConfig, &Common) -> Result<(), VerifyError>,
) -> Result<(), VerifyError> {
    let config = make_config(params);
    let degrees = &proof.degree_bits;
    for (found, what) in [
        (degrees.len(), "instances"),
        (publics.len(), "public-value lists"),
    ] {
        if found != airs.len() {
            return Err(VerifyError::Count {
                what,
                found,
                expected: airs.len(),
            });
        }
    }
    check_claimed_heights(airs, degrees)?;
    let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let common = ProverData::from_airs_and_degrees(&config, airs, degrees)
            .map_err(|e| VerifyError::Stark(format!("{e:?}")))?
            .common;
        check_batch_shape(&config, airs, proof, publics, &common)?;
        rest(&config, &common)
    }));
    checked.unwrap_or_else(|payload| Err(VerifyError::from_panic(payload)))
}

/// The checks of a batch proof before Plonky3 reads it: the sharded verifier's shape rules
/// (Plonky3's plus one root per commitment) and the LogUp multiplicity bound.
fn check_batch_shape(
    config: &MipsStarkConfig,
    airs: &[MipsAir],
    proof: &BatchProof<MipsStarkConfig>,
    publics: &[Vec<F>],
    common: &Common,
) -> Result<(), VerifyError> {
    crate::sharded::verify::check_shape(
        0,
        airs,
        proof,
        publics,
        common,
        p3_uni_stark::StarkGenericConfig::pcs(config),
    )?;
    let heights: Vec<usize> = proof.degree_bits.iter().map(|&b| 1usize << b).collect();
    p3_lookup::check_multiplicity_height_bound(&common.lookups, &heights)
        .map_err(|e| VerifyError::Stark(format!("lookup multiplicities: {e:?}")))
}

/// Every trace within the height a proof supports.
pub(crate) fn check_heights(
    airs: &[MipsAir],
    traces: &[p3_matrix::dense::RowMajorMatrix<F>],
) -> Result<(), ProveError> {
    for (air, trace) in airs.iter().zip(traces) {
        let log = trace.height().trailing_zeros() as usize;
        if log > MAX_LOG_HEIGHT {
            return Err(ProveError::TooTall {
                chip: air.name(),
                log,
            });
        }
    }
    Ok(())
}

/// Checks `proof` against the program of `machine` (its verifying key). Never executes it.
pub fn verify(
    machine: &Machine,
    proof: &MipsProof,
    params: StarkParams,
) -> Result<(), VerifyError> {
    VerifyingKey::new(machine, params).verify(proof)
}

type Common = p3_batch_stark::CommonData<MipsStarkConfig>;

/// Each instance's claimed height: within what a proof supports, and the fixed height of
/// every preprocessed table.
fn check_claimed_heights(airs: &[MipsAir], degrees: &[usize]) -> Result<(), VerifyError> {
    for (index, (air, &log)) in airs.iter().zip(degrees).enumerate() {
        let fixed = air
            .preprocessed_trace()
            .map(|p| p.height().trailing_zeros() as usize);
        if log > MAX_LOG_HEIGHT || fixed.is_some_and(|f| f != log) || log < 2 {
            return Err(VerifyError::Height {
                index,
                chip: air.name(),
                log,
            });
        }
    }
    Ok(())
}

/// One group's part of a key, for a recursive verifier ([`VerifyingKey::group_key`]).
pub struct GroupKey {
    pub airs: Vec<MipsAir>,
    pub lookups: Vec<p3_lookup::Lookups<crate::Val>>,
    pub preprocessed_widths: Vec<usize>,
    pub preprocessed: Option<PreprocessedRound>,
}

impl GroupKey {
    fn new(airs: Vec<MipsAir>, common: &Common) -> Self {
        let pre = common.preprocessed.as_ref();
        GroupKey {
            preprocessed_widths: (0..airs.len())
                .map(|i| {
                    pre.and_then(|p| p.instances.get(i)?.as_ref().map(|m| m.width))
                        .unwrap_or(0)
                })
                .collect(),
            lookups: common.lookups.clone(),
            preprocessed: pre.map(|p| PreprocessedRound {
                commitment: p.commitment.clone(),
                matrix_to_instance: p.matrix_to_instance.clone(),
            }),
            airs,
        }
    }
}

/// A group's commitment to its preprocessed tables.
#[derive(Clone, Debug)]
pub struct PreprocessedRound {
    pub commitment: <crate::ValMmcs as p3_commit::Mmcs<crate::Val>>::Commitment,
    /// The instance each committed matrix belongs to, in commitment order.
    pub matrix_to_instance: Vec<usize>,
}

/// A program's verifying key: its machine (program table and initial image, rebuilt from the
/// ELF) and the parameters proofs must use. The commitment to the preprocessed tables is the
/// costliest part of checking a small proof, so it is computed once per shard count and kept:
/// verify many proofs of one program with one key.
pub struct VerifyingKey<'a> {
    pub(crate) machine: &'a Machine,
    pub(crate) params: StarkParams,
    pub(crate) config: MipsStarkConfig,
    common: std::sync::Mutex<std::collections::HashMap<usize, std::sync::Arc<Common>>>,
    /// A sharded proof's groups' common data: the global chips' and a shard's.
    groups: GroupCache,
}

type GroupCache = std::sync::Mutex<std::collections::HashMap<bool, std::sync::Arc<Common>>>;

impl<'a> VerifyingKey<'a> {
    pub fn new(machine: &'a Machine, params: StarkParams) -> Self {
        VerifyingKey {
            machine,
            params,
            config: make_config(params),
            common: Default::default(),
            groups: Default::default(),
        }
    }

    /// The preprocessed commitments and lookups of one group of a sharded proof (the global
    /// chips, or a shard's), from the cache. Neither depends on the instances' heights (the
    /// preprocessed tables have fixed heights, which [`Self::check_heights`] pins, and lookups
    /// are laid out the same at every height), so one entry per kind serves every proof: a
    /// proof cannot make the key do more than two symbolic passes.
    pub(crate) fn group_common(
        &self,
        airs: &[MipsAir],
        degrees: &[usize],
    ) -> Result<std::sync::Arc<Common>, VerifyError> {
        let key = matches!(airs.first(), Some(MipsAir::Byte(_)));
        let lock = || self.groups.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = lock().get(&key) {
            return Ok(c.clone());
        }
        let common = ProverData::from_airs_and_degrees(&self.config, airs, degrees)
            .map_err(|e| VerifyError::Stark(format!("{e:?}")))?
            .common;
        let common = std::sync::Arc::new(common);
        lock().insert(key, common.clone());
        Ok(common)
    }

    /// The program this key checks proofs of.
    pub fn machine(&self) -> &'a Machine {
        self.machine
    }

    /// The parameters proofs must use.
    pub fn params(&self) -> StarkParams {
        self.params
    }

    /// What a recursive verifier takes from the key for group `g` of a sharded proof: the
    /// group's AIRs, each instance's lookups and preprocessed width, and the preprocessed round
    /// (for the global group, the commitment the header absorbs). `degrees` are the group's
    /// heights (none of this depends on them, but the key computes it with them).
    pub fn group_key(&self, g: usize, degrees: &[usize]) -> Result<GroupKey, VerifyError> {
        let airs = crate::sharded::group_airs(self.machine, g);
        let common = self.group_common(&airs, degrees)?;
        Ok(GroupKey::new(airs, &common))
    }

    /// Each instance's claimed height: within what a proof supports, and the fixed height of
    /// every preprocessed table.
    pub(crate) fn check_heights(
        &self,
        airs: &[MipsAir],
        degrees: &[usize],
    ) -> Result<(), VerifyError> {
        check_claimed_heights(airs, degrees)
    }

    /// The preprocessed commitments and lookups for `degrees` (whose preprocessed heights
    /// the caller has checked), from the cache.
    fn common(
        &self,
        airs: &[MipsAir],
        degrees: &[usize],
    ) -> Result<std::sync::Arc<Common>, VerifyError> {
        let shards = airs.len();
        if let Some(c) = self.lock().get(&shards) {
            return Ok(c.clone());
        }
        let common = ProverData::from_airs_and_degrees(&self.config, airs, degrees)
            .map_err(|e| VerifyError::Stark(format!("{e:?}")))?
            .common;
        let common = std::sync::Arc::new(common);
        self.lock().insert(shards, common.clone());
        Ok(common)
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<usize, std::sync::Arc<Common>>> {
        // A panic while holding the lock leaves only complete entries behind.
        self.common.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Checks `proof` against this key. Never executes the program.
    pub fn verify(&self, proof: &MipsProof) -> Result<(), VerifyError> {
        self.verify_checked(proof, |vk, airs, publics, common| {
            verify_batch(&vk.config, airs, &proof.proof, publics, common)
                .map_err(|e| VerifyError::Stark(format!("{e:?}")))
        })
    }

    /// Every check of [`Self::verify`] that reads lengths, heights and the statement's chain
    /// but no committed value (the sharded verifier's shape rules, for the one batch): what a
    /// recursive verifier checks in plain Rust, with exactly these rules, before its
    /// transcript runs.
    pub fn check_batch_shape(&self, proof: &MipsProof) -> Result<(), VerifyError> {
        self.verify_checked(proof, |_, _, _, _| Ok(()))
    }

    /// What a recursive verifier takes from the key for a one-batch proof (as
    /// [`Self::group_key`] for a sharded proof's group).
    pub fn batch_key(&self, proof: &MipsProof) -> Result<GroupKey, VerifyError> {
        let airs = self.machine.airs(proof.statement.shards.len());
        let common = self.common(&airs, &proof.proof.degree_bits)?;
        Ok(GroupKey::new(airs, &common))
    }

    /// The checks before the batch is read, then `rest`, with a panic inside it reported as
    /// a rejection.
    fn verify_checked(
        &self,
        proof: &MipsProof,
        rest: impl FnOnce(&Self, &[MipsAir], &[Vec<crate::Val>], &Common) -> Result<(), VerifyError>,
    ) -> Result<(), VerifyError> {
        let (machine, params) = (self.machine, self.params);
        if proof.params != params {
            return Err(VerifyError::Params {
                found: proof.params,
                expected: params,
            });
        }
        let st = &proof.statement;
        st.check_chain(machine.program.entry)?;
        let airs = machine.airs(st.shards.len());
        let degrees = &proof.proof.degree_bits;
        if degrees.len() != airs.len() {
            return Err(VerifyError::Shape {
                found: degrees.len(),
                expected: airs.len(),
                shards: st.shards.len(),
            });
        }
        self.check_heights(&airs, degrees)?;
        // A malformed proof must be an error, never a crash: Plonky3's verifier asserts on some
        // shapes, so a panic inside it is caught and reported as a rejection.
        let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let common = self.common(&airs, degrees)?;
            let publics = st.instance_publics(machine.program.initial_brk);
            check_batch_shape(&self.config, &airs, &proof.proof, &publics, &common)?;
            rest(self, &airs, &publics, &common)
        }));
        checked.unwrap_or_else(|payload| Err(VerifyError::from_panic(payload)))
    }
}

/// The first field in which two proofs differ (`None` when their bytes are equal), named down
/// to the instance or FRI layer: the report for a backend that disagrees with the reference.
pub fn first_difference(a: &MipsProof, b: &MipsProof) -> Option<String> {
    fn enc<T: Serialize>(t: &T) -> Vec<u8> {
        bincode::serialize(t).expect("proof parts serialize")
    }
    let (pa, pb) = (&a.proof, &b.proof);
    let (fa, fb) = (&pa.opening_proof, &pb.opening_proof);
    let mut parts: Vec<(String, Vec<u8>, Vec<u8>)> = vec![
        ("params".into(), enc(&a.params), enc(&b.params)),
        ("statement".into(), enc(&a.statement), enc(&b.statement)),
        (
            "degree_bits".into(),
            enc(&pa.degree_bits),
            enc(&pb.degree_bits),
        ),
        (
            "main commitment".into(),
            enc(&pa.commitments.main),
            enc(&pb.commitments.main),
        ),
        (
            "lookup commitment".into(),
            enc(&pa.commitments.permutation),
            enc(&pb.commitments.permutation),
        ),
        (
            "quotient commitment".into(),
            enc(&pa.commitments.quotient_chunks),
            enc(&pb.commitments.quotient_chunks),
        ),
        (
            "lookup terminals".into(),
            enc(&pa.lookup_terminals),
            enc(&pb.lookup_terminals),
        ),
    ];
    for (i, (x, y)) in pa
        .opened_values
        .instances
        .iter()
        .zip(&pb.opened_values.instances)
        .enumerate()
    {
        parts.push((format!("opened values of instance {i}"), enc(x), enc(y)));
    }
    for (i, (x, y)) in fa
        .commit_phase_commits
        .iter()
        .zip(&fb.commit_phase_commits)
        .enumerate()
    {
        parts.push((format!("FRI layer {i} commitment"), enc(x), enc(y)));
    }
    parts.push((
        "FRI final polynomial".into(),
        enc(&fa.final_poly),
        enc(&fb.final_poly),
    ));
    parts.push((
        "FRI query PoW witness".into(),
        enc(&fa.query_pow_witness),
        enc(&fb.query_pow_witness),
    ));
    parts.push((
        "FRI query openings".into(),
        enc(&fa.commit_phase_openings),
        enc(&fb.commit_phase_openings),
    ));
    parts.push((
        "PCS input openings".into(),
        enc(&fa.input_openings),
        enc(&fb.input_openings),
    ));
    for (name, x, y) in parts {
        if x != y {
            return Some(name);
        }
    }
    (a.to_bytes() != b.to_bytes()).then(|| "other proof bytes".into())
}
