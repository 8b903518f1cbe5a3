//! The STARK configuration every mipstark backend and verifier shares.
//!
//! Field KoalaBear (p = 2^31 − 2^24 + 1), challenges in its degree-4 extension, Poseidon2 of
//! width 16 with Plonky3's KoalaBear constants for hashing (sponge rate 8, 8-element digests),
//! binary Merkle trees, and FRI with binary folding over a blowup-2 coset LDE.
//!
//! Security (conjectured, under the usual FRI proximity-gap conjecture): each FRI query gives
//! `log_blowup` bits and proof-of-work adds its bits, so the default 84 queries × 1 bit + 16
//! query PoW bits = 100 bits. Blowup 2 caps every AIR constraint at degree 3. What is *proven*
//! (unique decoding, Johnson bound), term by term, is [`crate::security`]'s business; the
//! [`StarkParams::PROVABLE`] preset is sized with it.

use p3_commit::ExtensionMmcs;
use p3_dft::Radix2DitParallel;
use p3_field::extension::BinomialExtensionField;
use p3_field::Field;
use p3_fri::{FriParameters, TwoAdicFriPcs};
use p3_koala_bear::{default_koalabear_poseidon2_16, KoalaBear, Poseidon2KoalaBear};
use p3_merkle_tree::MerkleTreeMmcs;
use p3_symmetric::{PaddingFreeSponge, TruncatedPermutation};
use p3_uni_stark::StarkConfig;
use serde::{Deserialize, Serialize};

use crate::challenger::DeterministicChallenger;

pub type Val = KoalaBear;
pub type Challenge = BinomialExtensionField<Val, 4>;
pub type Perm = Poseidon2KoalaBear<16>;
pub type Hasher = PaddingFreeSponge<Perm, 16, 8, 8>;
pub type Compressor = TruncatedPermutation<Perm, 2, 8, 16>;
pub type ValMmcs =
    MerkleTreeMmcs<<Val as Field>::Packing, <Val as Field>::Packing, Hasher, Compressor, 2, 8>;
pub type ChallengeMmcs = ExtensionMmcs<Val, Challenge, ValMmcs>;
pub type Dft = Radix2DitParallel<Val>;
/// The PCS over any DFT and Merkle commitment scheme: the seams where a backend supplies its
/// own LDEs and trees (the results, and so the proofs, must be identical). The FRI layers are
/// committed with the same scheme as the traces.
pub type PcsOn<D, M> = TwoAdicFriPcs<Val, D, M, ExtensionMmcs<Val, Challenge, M>>;
pub type PcsWith<D> = PcsOn<D, ValMmcs>;
pub type Pcs = PcsWith<Dft>;
pub type MipsStarkConfigOn<D, M> = StarkConfig<PcsOn<D, M>, Challenge, DeterministicChallenger>;
pub type MipsStarkConfigWith<D> = MipsStarkConfigOn<D, ValMmcs>;
pub type MipsStarkConfig = MipsStarkConfigWith<Dft>;

/// The protocol parameters a proof is made and checked with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StarkParams {
    /// log2 of the LDE blowup factor.
    pub log_blowup: usize,
    /// FRI query repetitions.
    pub num_queries: usize,
    /// Proof-of-work bits before the query phase.
    pub query_pow_bits: usize,
    /// log2 of the final FRI polynomial's length.
    pub log_final_poly_len: usize,
    /// Proof-of-work bits before the challenge that batches every opened column into one FRI
    /// instance: that round's proven error grows with the number of columns, and grinding is
    /// the only lever on it (no query count buys it back).
    pub batch_pow_bits: usize,
    /// Proof-of-work bits before the LogUp challenges (α, β): their error grows with the
    /// number of LogUp terms in a proof, and again only grinding raises it.
    pub lookup_pow_bits: usize,
    /// Proof-of-work bits before the DEEP out-of-domain point ζ: that round's error is the
    /// constraint identity's degree (≈ 4 × the trace height) over |K|, fixed by the AIR and the
    /// field, so grinding is the only lever on it. 0 leaves the transcript as it was without
    /// the grind (Plonky3's rule: a zero-bit grind absorbs nothing, its witness is pinned to 0).
    pub deep_pow_bits: usize,
}

impl StarkParams {
    /// Production parameters: 100 conjectured bits.
    pub const DEFAULT: StarkParams = StarkParams {
        log_blowup: 1,
        num_queries: 84,
        query_pow_bits: 16,
        log_final_poly_len: 0,
        batch_pow_bits: 0,
        lookup_pow_bits: 0,
        deep_pow_bits: 0,
    };

    /// Proven parameters: at least 100 bits in the unique-decoding regime for every term the
    /// parameters control (like SP1 v6: blowup 4, 124 queries, 16 query PoW bits), plus
    /// grinding for the two rounds whose error grows with the machine's size (FRI batching
    /// over ~2^13 column openings, LogUp over ~2^30 terms) and for the DEEP point ζ, whose
    /// error at 2^22 rows is 2^-99.95 whatever else the parameters say (see
    /// [`crate::security`]): 8 bits lift it to 107.95. Blowup 4 would absorb constraints of
    /// degree 5.
    pub const PROVABLE: StarkParams = StarkParams {
        log_blowup: 2,
        num_queries: 124,
        query_pow_bits: 16,
        log_final_poly_len: 0,
        batch_pow_bits: 14,
        lookup_pow_bits: 12,
        deep_pow_bits: 8,
    };

    /// Fast, insecure parameters for tests only (never for a proof anyone relies on).
    pub const TESTING: StarkParams = StarkParams {
        log_blowup: 1,
        num_queries: 8,
        query_pow_bits: 1,
        log_final_poly_len: 0,
        batch_pow_bits: 0,
        lookup_pow_bits: 0,
        deep_pow_bits: 0,
    };

    /// Conjectured security in bits: `num_queries × log_blowup + query_pow_bits`.
    pub fn conjectured_security_bits(&self) -> usize {
        self.num_queries * self.log_blowup + self.query_pow_bits
    }

    /// The highest constraint degree the quotient can absorb at this blowup.
    pub fn max_constraint_degree(&self) -> usize {
        (1 << self.log_blowup) + 1
    }
}

impl Default for StarkParams {
    fn default() -> Self {
        StarkParams::DEFAULT
    }
}

/// Builds the Plonky3 configuration for `params`.
pub fn make_config(params: StarkParams) -> MipsStarkConfig {
    make_config_with(params, Dft::default())
}

/// The reference Merkle commitment scheme (Poseidon2 sponge leaves, 2-to-1 compression, the
/// root as the commitment).
pub fn val_mmcs() -> ValMmcs {
    let perm = default_koalabear_poseidon2_16();
    ValMmcs::new(Hasher::new(perm.clone()), Compressor::new(perm), 0)
}

/// [`make_config`] with the LDE computed by `dft`.
pub fn make_config_with<D: p3_dft::TwoAdicSubgroupDft<Val>>(
    params: StarkParams,
    dft: D,
) -> MipsStarkConfigWith<D> {
    make_config_on(params, dft, val_mmcs())
}

/// [`make_config`] with the LDE computed by `dft` and every Merkle tree built by `mmcs`, which
/// must commit exactly as [`ValMmcs`] does.
pub fn make_config_on<D: p3_dft::TwoAdicSubgroupDft<Val>, M: p3_commit::Mmcs<Val>>(
    params: StarkParams,
    dft: D,
    mmcs: M,
) -> MipsStarkConfigOn<D, M> {
    let fri = fri_parameters(params, ExtensionMmcs::new(mmcs.clone()));
    let pcs = PcsOn::new(dft, mmcs, fri);
    StarkConfig::new(
        pcs,
        DeterministicChallenger::new(default_koalabear_poseidon2_16()),
    )
    .with_lookup_proof_of_work_bits(params.lookup_pow_bits)
    .with_ood_proof_of_work_bits(params.deep_pow_bits)
}

/// The FRI parameters of `params`, with `mmcs` committing the folded layers. Binary folding
/// (the GPU backend folds by two) and no commit-phase grinding (mipstark's rule: a zero-bit
/// grind's witness must be zero). The recursive verifier derives its transcript's shape from
/// these too (pass `()` for `mmcs` where no tree is built).
pub fn fri_parameters<M>(params: StarkParams, mmcs: M) -> FriParameters<M> {
    FriParameters {
        log_blowup: params.log_blowup,
        log_final_poly_len: params.log_final_poly_len,
        max_log_arity: 1,
        num_queries: params.num_queries,
        batch_proof_of_work_bits: params.batch_pow_bits,
        commit_proof_of_work_bits: 0,
        query_proof_of_work_bits: params.query_pow_bits,
        mmcs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_parameters_reach_100_bits() {
        assert!(StarkParams::DEFAULT.conjectured_security_bits() >= 100);
        assert_eq!(StarkParams::DEFAULT.max_constraint_degree(), 3);
    }
}
