//! Proving a recorded program on the recursion machine (`docs/recursion.md` §6, step 6): the
//! program is lowered once into the chips' preprocessed tables (its key), and each run's
//! values fill the main traces, proven in one batch by the reference protocol.

use mipstark_air::machine::MipsAir;
use mipstark_air::recursion::program::{LayoutError, RecursionShape};
use mipstark_air::recursion::{RecursionChip, CELL};
use mipstark_prover_cpu_ref::machine::{
    airs_preprocessed, prove_airs, verify_airs, ProveError, VerifyError,
};
use mipstark_prover_cpu_ref::{MipsStarkConfig, StarkParams};
use p3_batch_stark::BatchProof;
use p3_matrix::dense::RowMajorMatrix;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::lower::{lower, Lowered};
use crate::vk_tree::KeyDigest;
use crate::{Failure, Program, Val};

/// A recursion proof: one batch over the recursion machine's chips, and the values the
/// program exposed (what the proof states).
#[derive(Serialize, Deserialize)]
pub struct RecursionProof {
    pub publics: Vec<Val>,
    pub proof: BatchProof<MipsStarkConfig>,
}

#[derive(Debug, Error)]
pub enum RecursionError {
    /// The program's checks fail on these inputs: what it verifies (a proof, a statement) is
    /// invalid, so there is nothing to prove.
    #[error("the recursion program rejects its input: {0}")]
    Rejected(Failure),
    #[error("the program has {expected} witnesses, {found} values were given")]
    Witnesses { expected: u32, found: usize },
    #[error(transparent)]
    Prove(#[from] ProveError),
    #[error("the lowered program breaks the memory argument: {0}")]
    Layout(#[from] LayoutError),
}

/// A program lowered for the recursion machine, with its chips (the key a proof is checked
/// against).
#[derive(Clone)]
pub struct RecursionKey {
    program: Program,
    lowered: Lowered,
    airs: Vec<MipsAir>,
}

impl RecursionKey {
    /// Lowers `program`, checking the memory argument's premises on the result (a lowering
    /// bug, never the proof's fault, but one that would make the key unsound).
    pub fn new(program: Program) -> Result<Self, RecursionError> {
        let lowered = lower(&program);
        Self::from_lowered(program, lowered)
    }

    /// [`Self::new`] with every table padded to `shape`: keys of one shape give proofs of one
    /// shape (`docs/recursion.md` §4.3). A program with more rows in a table is refused.
    pub fn with_shape(program: Program, shape: &RecursionShape) -> Result<Self, RecursionError> {
        let mut lowered = lower(&program);
        lowered.program.pad_to(shape)?;
        Self::from_lowered(program, lowered)
    }

    fn from_lowered(program: Program, lowered: Lowered) -> Result<Self, RecursionError> {
        lowered.program.check_layout()?;
        let airs = lowered
            .program
            .chips()
            .into_iter()
            .map(MipsAir::Recursion)
            .collect();
        Ok(RecursionKey {
            program,
            lowered,
            airs,
        })
    }

    pub fn lowered(&self) -> &Lowered {
        &self.lowered
    }

    pub fn airs(&self) -> &[MipsAir] {
        &self.airs
    }

    /// The memory's contents for `witnesses`, once the program accepts them.
    pub fn cells(&self, witnesses: &[Val]) -> Result<Vec<[Val; CELL]>, RecursionError> {
        if witnesses.len() != self.program.num_witnesses as usize {
            return Err(RecursionError::Witnesses {
                expected: self.program.num_witnesses,
                found: witnesses.len(),
            });
        }
        let (values, verdict) = self.program.values(witnesses);
        verdict.map_err(RecursionError::Rejected)?;
        Ok(self.lowered.cells(&values))
    }

    /// Proves the program's run on `witnesses`.
    pub fn prove(
        &self,
        witnesses: &[Val],
        params: StarkParams,
    ) -> Result<RecursionProof, RecursionError> {
        let cells = self.cells(witnesses)?;
        self.prove_cells(&cells, params)
    }

    /// Proves the traces that `cells` give, whatever they are: honest callers go through
    /// [`Self::prove`]; tests use this to hand the machine a memory the program rejects.
    pub fn prove_cells(
        &self,
        cells: &[[Val; CELL]],
        params: StarkParams,
    ) -> Result<RecursionProof, RecursionError> {
        let (traces, publics) = self.traces_of(cells);
        let proof = prove_airs(&self.airs, traces, &self.instance_publics(&publics), params)?;
        Ok(RecursionProof { publics, proof })
    }

    /// The main traces of a run on `witnesses` and the public values it exposes: what a
    /// backend proves for [`Self::airs`] (with [`Self::instance_publics`]).
    pub fn traces(
        &self,
        witnesses: &[Val],
    ) -> Result<(Vec<RowMajorMatrix<Val>>, Vec<Val>), RecursionError> {
        Ok(self.traces_of(&self.cells(witnesses)?))
    }

    fn traces_of(&self, cells: &[[Val; CELL]]) -> (Vec<RowMajorMatrix<Val>>, Vec<Val>) {
        let program = &self.lowered.program;
        (program.traces(cells), program.publics(cells))
    }

    /// The commitment to the key's preprocessed tables at `params`: its leaf in the
    /// allowed-key tree (`crate::vk_tree`).
    pub fn commitment(&self, params: StarkParams) -> Result<KeyDigest, VerifyError> {
        let degrees = self.lowered.program.shape();
        let round = airs_preprocessed(&self.airs, &degrees, params)?
            .ok_or_else(|| VerifyError::Stark("a recursion key has preprocessed tables".into()))?;
        let roots = round.commitment.roots();
        match roots {
            [root] => Ok(*root),
            _ => Err(VerifyError::Stark("one Merkle root per commitment".into())),
        }
    }

    /// Checks a proof against this key: the program ran and exposed `proof.publics`.
    pub fn verify(&self, proof: &RecursionProof, params: StarkParams) -> Result<(), VerifyError> {
        let publics = self.instance_publics(&proof.publics);
        verify_airs(&self.airs, &proof.proof, &publics, params)
    }

    /// Each instance's public values: the public chip states the exposed values, the others
    /// none.
    pub fn instance_publics(&self, publics: &[Val]) -> Vec<Vec<Val>> {
        self.airs
            .iter()
            .map(|a| match a {
                MipsAir::Recursion(RecursionChip::Public(_)) => publics.to_vec(),
                _ => Vec::new(),
            })
            .collect()
    }
}
