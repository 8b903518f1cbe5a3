//! The kernels on the CUDA runtime against Plonky3. On a machine without an NVIDIA driver the
//! runtime must refuse cleanly (no panic); the kernel checks then run only where a GPU exists.
#![cfg(feature = "cuda")]

mod common;

use std::sync::OnceLock;

use prover_gpu::runtime::cuda::CudaRuntime;
use prover_gpu::GpuError;

fn rt() -> Option<&'static CudaRuntime> {
    static RT: OnceLock<Option<CudaRuntime>> = OnceLock::new();
    RT.get_or_init(|| match CudaRuntime::new() {
        Ok(rt) => Some(rt),
        Err(GpuError::NoDevice { hint, .. }) => {
            eprintln!("no CUDA device ({hint}): CUDA kernel checks skipped");
            None
        }
        Err(e) => panic!("CUDA runtime failed: {e}"),
    })
    .as_ref()
}

#[test]
fn runtime_opens_or_refuses_cleanly() {
    let _ = rt();
}

#[test]
fn field_ops_match_plonky3() {
    if let Some(rt) = rt() {
        common::field_ops_match_plonky3(rt);
    }
}

#[test]
fn extension_mul_matches_plonky3() {
    if let Some(rt) = rt() {
        common::extension_mul_matches_plonky3(rt);
    }
}

#[test]
fn poseidon2_matches_plonky3() {
    if let Some(rt) = rt() {
        common::poseidon2_matches_plonky3(rt);
    }
}

#[test]
fn merkle_root_matches_mmcs_single_matrix() {
    if let Some(rt) = rt() {
        common::merkle_root_matches_mmcs_single_matrix(rt);
    }
}

#[test]
fn merkle_root_matches_mmcs_mixed_heights() {
    if let Some(rt) = rt() {
        common::merkle_root_matches_mmcs_mixed_heights(rt);
    }
}

#[test]
fn ntt_and_lde_match_plonky3() {
    if let Some(rt) = rt() {
        common::ntt_and_lde_match_plonky3(rt);
    }
}

#[test]
fn commit_matches_two_adic_fri_pcs() {
    if let Some(rt) = rt() {
        common::commit_matches_two_adic_fri_pcs(rt);
    }
}

#[test]
fn quotient_matches_plonky3() {
    if let Some(rt) = rt() {
        common::quotient_matches_plonky3(rt);
    }
}

#[test]
fn fri_fold_matches_plonky3() {
    if let Some(rt) = rt() {
        common::fri_fold_matches_plonky3(rt);
    }
}

#[test]
fn gpu_mmcs_matches_mmcs() {
    if rt().is_some() {
        let shared = std::sync::Arc::new(CudaRuntime::new().expect("opened once already"));
        common::gpu_mmcs_matches_mmcs(shared);
    }
}

#[test]
fn machine_quotients_match_plonky3() {
    if rt().is_some() {
        let shared = std::sync::Arc::new(CudaRuntime::new().expect("opened once already"));
        common::machine_quotients_match_plonky3(shared);
    }
}
