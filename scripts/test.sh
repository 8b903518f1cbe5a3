#!/usr/bin/env bash
# Runs mipstark's whole test suite, installing what it needs first (idempotently):
#   - Debian packages: qemu-user-static (the differential reference), gcc-mipsel-linux-gnu
#     (rebuilds the guest ELFs to check the committed ones), pocl-opencl-icd and
#     ocl-icd-opencl-dev (runs the GPU kernels on the CPU through OpenCL), libz3-dev (the
#     synthesized-row adversary's solver, adversary/);
#   - the CUDA compiler from PyPI (nvidia-cuda-nvcc, -runtime, -cccl) in .cache/cuda-venv, so
#     every kernel goes through nvcc and ptxas for sm_80 and sm_90;
#   - the Rust components rustfmt and clippy.
# Then: format check, clippy (warnings are errors), and every test in the workspace, the GPU
# backend with --features cuda,opencl included.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root (or sudo) to install: $*" >&2; return 1; fi
}

apt_missing=()
command -v qemu-mipsel-static >/dev/null || apt_missing+=(qemu-user-static)
command -v mipsel-linux-gnu-gcc >/dev/null || apt_missing+=(gcc-mipsel-linux-gnu)
[ -e /etc/OpenCL/vendors/pocl.icd ] || apt_missing+=(pocl-opencl-icd)
[ -e /usr/include/CL/cl.h ] && ldconfig -p | grep -q 'libOpenCL.so ' || apt_missing+=(ocl-icd-opencl-dev)
[ -e /usr/include/z3.h ] && ldconfig -p | grep -q 'libz3.so ' || apt_missing+=(libz3-dev)
if [ ${#apt_missing[@]} -gt 0 ]; then
  echo "==> installing ${apt_missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_missing[@]}"
fi
if command -v rustup >/dev/null; then
  rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
fi

cuda_venv=.cache/cuda-venv
nvcc=$(ls "$cuda_venv"/lib/python3*/site-packages/nvidia/cu*/bin/nvcc 2>/dev/null | head -1 || true)
if [ -z "$nvcc" ]; then
  echo "==> installing the CUDA compiler (PyPI) into $cuda_venv"
  python3 -m venv "$cuda_venv"
  "$cuda_venv/bin/pip" install -q nvidia-cuda-nvcc nvidia-cuda-runtime nvidia-cuda-cccl
  nvcc=$(ls "$cuda_venv"/lib/python3*/site-packages/nvidia/cu*/bin/nvcc | head -1)
fi
export NVCC="$PWD/$nvcc" MIPSTARK_REQUIRE_NVCC=1

echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy -p prover-gpu --all-targets --features cuda,opencl --locked -- -D warnings
cargo clippy -p mipstark --all-targets --features cuda,opencl --locked -- -D warnings
cargo clippy -p mipstark-benches --all-targets --features cuda,opencl --locked -- -D warnings
echo "==> cargo test"
cargo test --workspace --all-targets --locked
echo "==> GPU backend: kernels through nvcc (sm_80, sm_90), run on OpenCL (PoCL) against Plonky3"
cargo test -p prover-gpu --all-targets --features cuda,opencl --locked
# The CLI with the OpenCL backend: same proof bytes as the CPU backend.
cargo test -p mipstark --features opencl --locked --test prove_cli
