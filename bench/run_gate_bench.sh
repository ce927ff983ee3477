#!/usr/bin/env bash
# Builds es-gate-bench (Release, in build-bench), runs it with the arguments
# given here, and records its output and the machine it ran on in
# bench/RESULTS.md.
#
# Each --size-mb gets its own section between two marker comments. A new run
# of the same size replaces that section only, so the analysis written by
# hand elsewhere in RESULTS.md is never touched.
#
#   bench/run_gate_bench.sh                      # 1 GiB, 5 runs
#   bench/run_gate_bench.sh --size-mb 100 --runs 5
#
# On a shared machine add --wait-quiet 900: ours needs both cores and the
# CLI one, so a compiler running beside the benchmark skews the ratio.
set -euo pipefail

bench=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$bench")
build="$root/build-bench"

# -Werror stays off: this records numbers, and GCC 12 at -O3 warns
# (-Wrestrict, a known false positive) in code outside bench/.
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DENGINE_SUPERVISOR_BUILD_BENCH=ON \
  -DENGINE_SUPERVISOR_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target es-gate-bench -j "$(nproc)"

# The values the section is named after and the machine info refers to.
size_mb=1024
work_dir=${TMPDIR:-/tmp}
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case ${args[i]} in
    --size-mb) size_mb=${args[i + 1]:-$size_mb} ;;
    --size-mb=*) size_mb=${args[i]#--size-mb=} ;;
    --dir) work_dir=${args[i + 1]:-$work_dir} ;;
    --dir=*) work_dir=${args[i]#--dir=} ;;
  esac
done

output=$(mktemp)
section=$(mktemp)
trap 'rm -f "$output" "$section"' EXIT

started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
"$build/bench/es-gate-bench" "$@" | tee "$output"

machine_info() {
  echo '```'
  echo "date (UTC):   $started"
  echo "command:      bench/run_gate_bench.sh $*"
  echo "nproc:        $(nproc)"
  echo "CPU:          $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "kernel:       $(uname -sr)"
  echo "sqlite3 CLI:  $(sqlite3 --version)"
  echo "load average: $load_before (just before the run, after the build)"
  echo "free -h:"
  free -h
  echo "filesystem of the work folder ($work_dir):"
  df -hT "$work_dir" 2>/dev/null || true
  echo '```'
}

{
  echo "#### es-gate-bench, ${size_mb} MB"
  echo
  machine_info "$@"
  echo
  cat "$output"
} >"$section"
# shellcheck source=bench/record_section.sh
source "$bench/record_section.sh"
record_section "es-gate-bench ${size_mb} MB" "$section"
