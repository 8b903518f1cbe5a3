#!/usr/bin/env bash
# Runs mipstark's whole test suite, installing what it needs first (idempotently):
#   - Debian packages: qemu-user-static (the differential reference), gcc-mipsel-linux-gnu
#     (rebuilds the guest ELFs to check the committed ones);
#   - the Rust components rustfmt and clippy.
# Then: format check, clippy (warnings are errors), and every test in the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root (or sudo) to install: $*" >&2; return 1; fi
}

apt_missing=()
command -v qemu-mipsel-static >/dev/null || apt_missing+=(qemu-user-static)
command -v mipsel-linux-gnu-gcc >/dev/null || apt_missing+=(gcc-mipsel-linux-gnu)
if [ ${#apt_missing[@]} -gt 0 ]; then
  echo "==> installing ${apt_missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_missing[@]}"
fi
if command -v rustup >/dev/null; then
  rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
fi

echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "==> cargo test"
cargo test --workspace --all-targets --locked
