#!/usr/bin/env bash
# Builds the libFuzzer targets with clang, ASan and UBSan (build-fuzz/) and
# runs each for N seconds over a scratch copy of its corpus
# (tests/fuzz/corpus/<target>/), so a run never changes the checked-in corpus.
#
#   tests/fuzz/run_fuzzers.sh --seconds 60           # CI (scripts/test.sh)
#   tests/fuzz/run_fuzzers.sh --seconds 600 --merge  # long mode (scripts/torture.sh --long):
#                                                    # inputs that reach new code join the corpus
#
# Exits 1 on a crash, a hang, a sanitizer report or a broken invariant, and
# prints the log's tail and the input (kept in build-fuzz/artifacts/).
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=60
merge=0
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=${2:-}; shift 2 || shift ;;
    --merge) merge=1; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_fuzzers: unknown argument: $1 (expected --seconds N [--merge])" >&2; exit 64 ;;
  esac
done
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "run_fuzzers: --seconds wants a whole number of seconds, got '$seconds'" >&2
  exit 64
fi

bash scripts/install-deps.sh

build=build-fuzz
jobs=$(nproc 2>/dev/null || echo 2)
artifacts=$build/artifacts
mkdir -p "$build" "$artifacts"
# Only the fuzz targets and what they link: no tests, no binaries.
if ! { CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
         -DENGINE_SUPERVISOR_BUILD_FUZZERS=ON -DENGINE_SUPERVISOR_BUILD_TESTS=OFF \
         -DENGINE_SUPERVISOR_WERROR=ON &&
       cmake --build "$build" -j "$jobs" --target es_fuzz_config es_fuzz_backup_name; } \
     >"$build/build.log" 2>&1; then
  tail -n 40 "$build/build.log"
  echo "run_fuzzers: the clang build failed (whole log: $build/build.log)" >&2
  exit 1
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# One fuzzer; says how it went, and fails on a finding.
fuzz_one() {
  local target=$1
  fuzzer=$build/tests/fuzz/es_fuzz_$target
  corpus=tests/fuzz/corpus/$target
  work=$scratch/$target
  log=$build/fuzz-$target.log
  mkdir -p "$corpus" "$work"
  cp -R "$corpus/." "$work/"
  rm -f "$artifacts/$target-"*
  started=$(date +%s)
  # libFuzzer stops itself after -max_total_time; the outer timeout is for
  # a run that cannot stop.
  if timeout --kill-after=30 $((seconds * 2 + 120)) "$fuzzer" -max_total_time="$seconds" \
       -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$artifacts/$target-" "$work" >"$log" 2>&1; then
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1 || true)
    coverage=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1 || true)
    echo "fuzz $target: ok, ${execs:-?} runs in $(($(date +%s) - started)) s," \
         "corpus $(ls "$work" | wc -l) inputs ($(ls "$corpus" | wc -l) checked in), ${coverage:-?}"
  else
    # From the first report on (the broken invariant, the sanitizer's or
    # libFuzzer's), else the end of the log.
    report='invariant broken|runtime error|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)'
    first=$(grep -n -m 1 -E "$report" "$log" | cut -d: -f1 || true)
    if [ -n "$first" ]; then
      { tail -n +"$first" "$log" | head -n 40; } || true
    else
      tail -n 40 "$log"
    fi
    input=$(ls -t "$artifacts/$target-"* 2>/dev/null | head -n 1 || true)
    echo "fuzz $target: FAILED (whole log: $log)"
    if [ -n "$input" ]; then
      echo "fuzz $target: the input: $input (replay: $fuzzer $input)"
    fi
    return 1
  fi
  if [ "$merge" = 1 ]; then
    before=$(ls "$corpus" | wc -l)
    # Edges only (no hit counts): an input joins only if it reaches new code,
    # which keeps the corpus small.
    "$fuzzer" -merge=1 -use_counters=0 -timeout=10 -rss_limit_mb=2048 "$corpus" "$work" \
      >"$build/merge-$target.log" 2>&1
    echo "fuzz $target: merged $(($(ls "$corpus" | wc -l) - before)) new inputs into $corpus"
  fi
}

# The fuzzers run side by side, one per core, each for the whole time; each
# one's report is printed when both are done.
failed=0
pids=()
targets=(config backup_name)
for target in "${targets[@]}"; do
  fuzz_one "$target" >"$build/fuzz-$target.report" 2>&1 &
  pids+=($!)
done
for i in "${!targets[@]}"; do
  wait "${pids[$i]}" || failed=1
  cat "$build/fuzz-${targets[$i]}.report"
done
exit "$failed"
