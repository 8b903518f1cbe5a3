#!/usr/bin/env bash
# Slow passes kept out of CI (`scripts/test.sh` runs the fast versions of the same tests):
# the recursive verifier's native run against the reference on ~1 200 tamperings of a
# sharded proof (twelve sites of every field kind).
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo test -p mipstark-recursion --test verify --locked -- --ignored --nocapture
