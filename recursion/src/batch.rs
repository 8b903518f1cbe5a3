//! A one-batch proof (`mipstark prove` without sharding: every instance in one Plonky3 batch),
//! verified over the builder. Only the transcript's preamble differs from a sharded proof's
//! group: p3-batch-stark 0.8's verifier seeds the sponge with its `BatchShape`'s domain
//! separator (a function of the widths and the parameters: constants here), then absorbs the
//! heights (each as an extension element), the main commitment, every instance's public
//! values, the preprocessed commitment, and draws the LogUp pair after its grind. From the
//! lookup commitment on, the transcript, the openings and the checks are a group's
//! ([`GroupOpening`], `sharded::group_challenges`).

use mipstark_air::machine::MipsAir;
use mipstark_prover_cpu_ref::config::fri_parameters;
use mipstark_prover_cpu_ref::machine::{airs_key, GroupKey, MipsProof, VerifyingKey};
use mipstark_prover_cpu_ref::sharded::BusLayout;
use mipstark_prover_cpu_ref::{Challenge, Val};
use mipstark_prover_cpu_ref::{MipsStarkConfig, StarkParams};
use p3_air::BaseAir;
use p3_batch_stark::BatchProof;
use p3_batch_stark::BatchShape;
use p3_field::PrimeCharacteristicRing;
use p3_fri::FriParameters;
use p3_lookup::Lookup;

use crate::builder::Builder;
use crate::challenger::Challenger;
use crate::fri::FriShapeError;
use crate::pcs;
use crate::sharded::{
    cap_elements, constants, group_challenges, lay_out_challenges, witnesses, GroupChallenges,
    GroupOpening, Programs, ShapeError,
};
use crate::statement::StatementVars;

/// A one-batch proof read into variables.
pub struct BatchTranscript<B: Builder> {
    /// An execution's statement (none for a batch of recursion chips, whose statement is its
    /// public values).
    pub statement: Option<StatementVars<B>>,
    pub publics: Vec<Vec<B::F>>,
    /// The sponge's seed (the batch shape's domain separator).
    pub seed: Vec<Val>,
    pub degree_bits: Vec<usize>,
    pub main: Vec<B::F>,
    pub preprocessed: Option<Vec<B::F>>,
    pub lookup_pow_bits: usize,
    pub lookup_witness: B::F,
    pub ood_pow_bits: usize,
    pub fri: FriParameters<()>,
    pub buses: BusLayout,
    pub group: GroupOpening<B>,
}

impl<B: Builder> BatchTranscript<B> {
    /// Reads a one-batch proof into witnesses, after the reference's plain checks
    /// ([`VerifyingKey::check_batch_shape`]).
    pub fn load(b: &mut B, vk: &VerifyingKey, proof: &MipsProof) -> Result<Self, ShapeError> {
        vk.check_batch_shape(proof)?;
        let machine = vk.machine();
        let key = vk.batch_key(proof)?;
        let statement = StatementVars::load(b, &proof.statement, machine.program.entry);
        let publics = statement.instance_publics(b, machine.program.initial_brk);
        Self::load_batch(
            b,
            &key,
            &proof.proof,
            publics,
            vk.params(),
            Some(statement),
            false,
        )
    }

    /// Reads a batch proof of `airs` with the instances' public values `publics` (each a
    /// witness: the caller ties them to what it checks), after the reference's plain checks
    /// ([`airs_key`]). This is how a recursion proof is verified inside another.
    pub fn load_airs(
        b: &mut B,
        airs: &[MipsAir],
        proof: &BatchProof<MipsStarkConfig>,
        publics: &[Vec<Val>],
        params: StarkParams,
    ) -> Result<Self, ShapeError> {
        Self::load_airs_with(b, airs, proof, publics, params, false)
    }

    /// [`Self::load_airs`] with the key's preprocessed commitment read as a witness (its
    /// variables are [`Self::preprocessed`]): one program then verifies proofs under any key
    /// of one shape, and the caller checks which key it was (`crate::vk_tree`).
    pub fn load_airs_any_key(
        b: &mut B,
        airs: &[MipsAir],
        proof: &BatchProof<MipsStarkConfig>,
        publics: &[Vec<Val>],
        params: StarkParams,
    ) -> Result<Self, ShapeError> {
        Self::load_airs_with(b, airs, proof, publics, params, true)
    }

    fn load_airs_with(
        b: &mut B,
        airs: &[MipsAir],
        proof: &BatchProof<MipsStarkConfig>,
        publics: &[Vec<Val>],
        params: StarkParams,
        key_as_witness: bool,
    ) -> Result<Self, ShapeError> {
        let key = airs_key(airs, proof, publics, params)?;
        let vars = publics.iter().map(|p| witnesses(b, p)).collect();
        Self::load_batch(b, &key, proof, vars, params, None, key_as_witness)
    }

    fn load_batch(
        b: &mut B,
        key: &GroupKey,
        batch: &BatchProof<MipsStarkConfig>,
        publics: Vec<Vec<B::F>>,
        params: StarkParams,
        statement: Option<StatementVars<B>>,
        key_as_witness: bool,
    ) -> Result<Self, ShapeError> {
        let lookups: Vec<&[Lookup<Val>]> = key.lookups.iter().map(|l| &l[..]).collect();
        let shape = BatchShape {
            trace_widths: key.airs.iter().map(BaseAir::<Val>::width).collect(),
            public_value_counts: key
                .airs
                .iter()
                .map(BaseAir::<Val>::num_public_values)
                .collect(),
            preprocessed_widths: key.preprocessed_widths.clone(),
            has_preprocessed_commitment: key.preprocessed.is_some(),
            num_lookup_instances: lookups.iter().filter(|l| !l.is_empty()).count(),
            lookup_pow_bits: params.lookup_pow_bits,
            has_randomization_commitment: false,
            ood_pow_bits: params.deep_pow_bits,
        };
        let seed = pcs::seed(&shape.domain_separator::<Val, Challenge>());
        let main = witnesses(b, &cap_elements(&batch.commitments.main));
        let preprocessed = key.preprocessed.as_ref().map(|p| {
            let c = cap_elements(&p.commitment);
            if key_as_witness {
                witnesses(b, &c)
            } else {
                constants(b, &c)
            }
        });
        let lookup_witness = batch
            .lookup_pow_witness
            .ok_or(ShapeError::NoLookupWitness)?;
        let lookup_witness = b.witness_f(lookup_witness);
        let fri = fri_parameters(params, ());
        let group = GroupOpening::load(
            b,
            0,
            batch,
            key,
            &main,
            preprocessed.as_deref(),
            &fri,
            &mut Programs::new(),
        )?;
        Ok(BatchTranscript {
            statement,
            publics,
            seed,
            degree_bits: batch.degree_bits.clone(),
            main,
            preprocessed,
            lookup_pow_bits: params.lookup_pow_bits,
            lookup_witness,
            ood_pow_bits: params.deep_pow_bits,
            fri,
            buses: BusLayout::new(&lookups),
            group,
        })
    }

    /// Replays the transcript on `ch` (a fresh challenger): the preamble, then the group's
    /// part. Returns the LogUp pair and the group's challenges.
    pub fn replay(&self, b: &mut B, ch: &mut Challenger<B>) -> (B::E, B::E, GroupChallenges<B>) {
        for &v in &self.seed {
            ch.observe_constant(b, v);
        }
        for &d in &self.degree_bits {
            let d = b.constant_e(Challenge::from(Val::from_usize(d)));
            ch.observe_ext(b, d);
        }
        ch.observe_all(b, &self.main);
        for pv in &self.publics {
            ch.observe_all(b, pv);
        }
        if let Some(p) = &self.preprocessed {
            ch.observe_all(b, p);
        }
        ch.check_witness(b, self.lookup_pow_bits, self.lookup_witness);
        let alpha = ch.sample_ext(b);
        let beta = ch.sample_ext(b);
        let c = group_challenges(b, ch, &self.group, self.ood_pow_bits, &self.fri);
        (alpha, beta, c)
    }

    /// Verifies the proof [`Self::load`] read (see `Transcript::verify`: `Err` is a rejection
    /// for shape, otherwise the backend holds the verdict).
    pub fn verify(&self, b: &mut B) -> Result<Challenger<B>, FriShapeError> {
        if let Some(statement) = &self.statement {
            statement.check(b);
        }
        let mut ch = Challenger::new(b);
        let (alpha, beta, c) = self.replay(b, &mut ch);
        let lookup_challenges = lay_out_challenges(b, &self.buses, alpha, beta);
        let total = self.group.check(
            b,
            &self.fri,
            &c,
            &self.publics,
            &lookup_challenges,
            &self.degree_bits,
        )?;
        let zero = b.constant_e(Challenge::ZERO);
        b.assert_eq_e(total, zero);
        Ok(ch)
    }
}
