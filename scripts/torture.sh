#!/usr/bin/env bash
# The torture suite (tests/torture/) and the fuzzers (tests/fuzz/).
#
#   scripts/torture.sh           # short mode: what CI runs (about 3 min + 2 min of fuzzing)
#   scripts/torture.sh --long    # long mode: 200 engine kills, 50 supervisor kills, ...,
#                                # and 10 min per fuzzer, merging new inputs into the corpus
#
# ES_TORTURE_SEED=N repeats a whole run; ES_TORTURE_ONLY=<iteration seed>
# (printed by a failing iteration) repeats just that iteration.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=short
fuzz=(--seconds 60)
case "${1:-}" in
  "") ;;
  --long) mode=long; fuzz=(--seconds 600 --merge) ;;
  -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "torture: unknown argument: $1 (expected --long)" >&2; exit 64 ;;
esac

bash scripts/install-deps.sh

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DENGINE_SUPERVISOR_WERROR=ON >/dev/null
cmake --build build -j "$(nproc 2>/dev/null || echo 2)"

echo "== torture suite, $mode mode =="
# A long-mode test runs for as long as it takes (a day at most).
timeout=300
[ "$mode" = long ] && timeout=86400
(cd build && ES_TORTURE_MODE=$mode ctest -L torture --output-on-failure --timeout "$timeout")

echo "== fuzzers (${fuzz[*]}) =="
bash tests/fuzz/run_fuzzers.sh "${fuzz[@]}"
