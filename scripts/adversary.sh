#!/usr/bin/env bash
# The synthesized-row adversary's full pass (docs/soundness.md, "Synthesized rows"): every
# chip asked (a) self-cancelling rows, (b) extra rows, (c) determinism, with a long z3 timeout
# per query; and (d) every memory send's timestamp below TS_BOUND. CI runs the fast part (`cargo test -p mipstark-adversary`).
#   ADVERSARY_TIMEOUT=seconds per query (default 120), CHIPS=cpu,syscall to restrict,
#   QUESTIONS=ab to ask only (a) and (b), ADVERSARY_SPLIT=0 not to split by selectors,
#   ADVERSARY_DUMP=dir to keep every query as an .smt2 file, ADVERSARY_VERBOSE=1 for timings.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -e /usr/include/z3.h ] || { echo "needs libz3-dev (apt-get install libz3-dev)" >&2; exit 1; }
exec cargo test -p mipstark-adversary --test adversary --locked -- --ignored full_pass every_memory_send --nocapture
