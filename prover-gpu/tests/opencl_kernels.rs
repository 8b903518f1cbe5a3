//! The kernels on the OpenCL runtime (PoCL in CI) against Plonky3.
#![cfg(feature = "opencl")]

mod common;

use std::sync::OnceLock;

use prover_gpu::runtime::opencl::OpenClRuntime;

fn rt() -> &'static OpenClRuntime {
    static RT: OnceLock<OpenClRuntime> = OnceLock::new();
    RT.get_or_init(|| OpenClRuntime::new().expect("an OpenCL device (install pocl-opencl-icd)"))
}

#[test]
fn field_ops_match_plonky3() {
    common::field_ops_match_plonky3(rt());
}

#[test]
fn extension_mul_matches_plonky3() {
    common::extension_mul_matches_plonky3(rt());
}

#[test]
fn poseidon2_matches_plonky3() {
    common::poseidon2_matches_plonky3(rt());
}

#[test]
fn merkle_root_matches_mmcs_single_matrix() {
    common::merkle_root_matches_mmcs_single_matrix(rt());
}

#[test]
fn merkle_root_matches_mmcs_mixed_heights() {
    common::merkle_root_matches_mmcs_mixed_heights(rt());
}

#[test]
fn ntt_and_lde_match_plonky3() {
    common::ntt_and_lde_match_plonky3(rt());
}

#[test]
fn commit_matches_two_adic_fri_pcs() {
    common::commit_matches_two_adic_fri_pcs(rt());
}

#[test]
fn quotient_matches_plonky3() {
    common::quotient_matches_plonky3(rt());
}

#[test]
fn machine_quotients_match_plonky3() {
    common::machine_quotients_match_plonky3(std::sync::Arc::new(
        OpenClRuntime::new().expect("an OpenCL device (install pocl-opencl-icd)"),
    ));
}

#[test]
fn fri_fold_matches_plonky3() {
    common::fri_fold_matches_plonky3(rt());
}

#[test]
fn gpu_mmcs_matches_mmcs() {
    let shared = OpenClRuntime::new().expect("an OpenCL device (install pocl-opencl-icd)");
    common::gpu_mmcs_matches_mmcs(std::sync::Arc::new(shared));
}
