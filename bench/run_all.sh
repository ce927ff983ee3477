#!/usr/bin/env bash
# Every benchmark of bench/RESULTS.md, in one command:
#
#   bench/run_all.sh            # about 40 minutes on 2 cores
#   bench/run_all.sh --quick    # 3 runs, a 10 s idle window, 256 MiB of output: a smoke test
#
# 1. the startup check (gate beside the pre-session backup) on 10 MB, 100 MB
#    and 1 GiB WAL DBs, against the sqlite3 CLI (bench/run_gate_bench.sh);
# 2-7. the lifecycle benchmarks (bench/lifecycle_bench.py), against the
#    sqlite3 CLI, `cat` and supervisord;
# 13.4. the off-site repository's footprint (bench/offsite_footprint.sh);
# 14. `run` and `check` on four DB shapes at 256 MB and 1 GiB against the
#    CLI, with the peak RSS (bench/shapes_bench.py). Issue 14's other targets
#    are in the lifecycle section: launch (2), output against supervisord
#    and tee (5), idle RSS (4).
# Each replaces its own section of bench/RESULTS.md (between marker
# comments), with the machine and the command; the analysis written by hand
# around them stays. Medians of at least 5 runs. Run it on a quiet machine:
# the ratios compare work that needs both cores with work that needs one.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=5 idle=60 flood=$((1 << 30)) sizes=(10 100 1024) wait_quiet=(--wait-quiet 900)
shape_sizes=256,1024
if [[ ${1:-} == --quick ]]; then
  runs=3 idle=10 flood=$((256 << 20)) sizes=(10 100) wait_quiet=() shape_sizes=64
elif [[ -n ${1:-} ]]; then
  echo "run_all: unknown argument: $1 (expected --quick)" >&2
  exit 64
fi

bash scripts/install-deps.sh --bench

for size in "${sizes[@]}"; do
  bash bench/run_gate_bench.sh --size-mb "$size" --runs "$runs" "${wait_quiet[@]}"
done

build=build-bench
cmake --build "$build" --target engine-supervisor es-bench-engine es-demo-engine -j "$(nproc)" >/dev/null

# The machine and the command, at the head of each recorded section.
machine_info() {
  echo '```'
  echo "date (UTC):   $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "command:      bench/run_all.sh $*"
  echo "nproc:        $(nproc)"
  echo "CPU:          $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "kernel:       $(uname -sr)"
  echo "sqlite3 CLI:  $(sqlite3 --version | cut -d' ' -f1-2)"
  echo "supervisord:  $(supervisord --version)"
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (just before the run)"
  echo '```'
}

section=$(mktemp)
trap 'rm -f "$section"' EXIT
{
  echo "#### lifecycle benchmarks 2 to 7"
  echo
  machine_info "$@"
  echo
  python3 bench/lifecycle_bench.py --supervisor "$build/engine-supervisor" \
    --engine "$build/bench/es-bench-engine" --demo-engine "$build/es-demo-engine" \
    --work "${TMPDIR:-/tmp}/es-lifecycle-bench" --runs "$runs" --idle-seconds "$idle" \
    --flood-bytes "$flood"
} >"$section"
# shellcheck source=bench/record_section.sh
source bench/record_section.sh
record_section lifecycle-bench "$section"

# Issue 14: the DB shapes (about 40 minutes at 256 MB and 1 GiB; the 1 GiB
# DBs are built once into the work folder and kept for the next run).
shapes=$(mktemp)
{
  echo "#### DB shapes (issue 14)"
  echo
  machine_info "$@"
  echo
  python3 bench/shapes_bench.py --supervisor "$build/engine-supervisor" \
    --engine "$build/bench/es-bench-engine" --work "${TMPDIR:-/tmp}/es-shapes-bench" \
    --runs "$runs" --sizes "$shape_sizes"
} >"$shapes"
record_section shapes-bench "$shapes"
rm -f "$shapes"

# Issue 13.4: 20 backups of a 1 GiB DB in a restic repository (about 10 minutes).
if [[ ${1:-} == --quick ]]; then
  bash bench/offsite_footprint.sh --size-mb 64 --backups 5 --build "$build"
else
  bash bench/offsite_footprint.sh --build "$build"
fi
