#!/usr/bin/env bash
# Issue 13.4: what the off-site repository costs. A 1 GiB DB gets 20
# pre-session backups, each copied by the supervisor to a local restic
# repository, with 1 % of the DB's pages changed between backups by the
# engine (the sole writer, inside a supervised run). Reports the
# repository's size against 20 plain copies, and the time each copy takes
# (db_health.offsite.copied[].seconds), for two ways of changing 1 %:
#
#   append     the engine inserts rows: 1 % new pages at the end (a trading
#              engine's fills and orders)
#   scattered  the engine rewrites 100 runs of rows spread over the whole DB
#
#   bench/offsite_footprint.sh [--size-mb 1024] [--backups 20] [--build build]
#
# Records its section of bench/RESULTS.md. Needs about 4 GiB of free space
# in $TMPDIR per pattern, and restic (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

size_mb=1024 backups=20 build=build patterns=(append scattered)
while [[ $# -gt 0 ]]; do
  case "$1" in
    --size-mb) size_mb=$2; shift 2 ;;
    --backups) backups=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --pattern) patterns=("$2"); shift 2 ;;
    *) echo "offsite_footprint: unknown argument: $1" >&2; exit 64 ;;
  esac
done
supervisor=$(realpath "$build/engine-supervisor")
[[ -x $supervisor ]] || { echo "offsite_footprint: build $supervisor first" >&2; exit 66; }
command -v restic >/dev/null || { echo "offsite_footprint: restic is not installed" >&2; exit 69; }

work=${TMPDIR:-/tmp}/es-offsite-footprint
rows=$((size_mb * 1024))  # 900-byte blobs, 4 to a 4 KiB page: about size_mb MiB
changed=$((rows / 100))    # 1 % of the rows, so 1 % of the pages

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

measure() {
  local pattern=$1
  rm -rf "$work" && mkdir -p "$work/backups"
  cd "$work"
  sqlite3 live.db "PRAGMA page_size=4096; PRAGMA journal_mode=WAL;
    CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB NOT NULL);
    WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $rows)
    INSERT INTO t(v) SELECT randomblob(900) FROM c;
    PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
  if [[ $pattern == append ]]; then
    sql="WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $changed)
         INSERT INTO t(v) SELECT randomblob(900) FROM c;"
  else
    # 100 runs of $changed/100 rows each, at random places (MATERIALIZED:
    # otherwise random() would be drawn again for every row, scattering
    # single rows over every page).
    run=$((changed / 100))
    sql="WITH RECURSIVE k(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM k WHERE j < 100),
         o(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM o WHERE n < $run - 1),
         s(start) AS MATERIALIZED (SELECT abs(random()) % ($rows - $run) + 1 FROM k)
         UPDATE t SET v = randomblob(900) WHERE id IN (SELECT start + n FROM s, o);"
  fi
  printf '%s\n' "$sql" >change.sql
  printf '#!/bin/sh\nexec sqlite3 "$ENGINE_SUPERVISOR_DB" ".read %s/change.sql" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null\n' \
    "$work" >engine.sh
  printf 'bench-only password\n' >restic.pw && chmod 600 restic.pw
  RESTIC_PASSWORD_FILE=restic.pw restic init -q --repo repo
  cat >engine-supervisor.yaml <<EOF
database:
  path: live.db
  backup_dir: backups
db_safeguards:
  post_session_backup_enabled: false
  backup_retention_count: 1
  backup_keep_daily: 0
  backup_keep_weekly: 0
  integrity_check_mode: quick
engine:
  command: ["sh", "engine.sh"]
offsite:
  restic_repository: repo
  password_file: restic.pw
  kinds: [bak]
  keep_last: 1000
  wait_seconds: 3600
EOF
  local seconds=() sizes=()
  for ((i = 1; i <= backups; i++)); do
    "$supervisor" run --config engine-supervisor.yaml >/dev/null 2>run.err ||
      { echo "offsite_footprint: run $i failed:" >&2; cat run.err >&2; exit 1; }
    copied=$(python3 -c 'import json,sys; c=json.load(open("logs/latest.json"))["db_health"]["offsite"]; \
      print(c["copied"][0]["seconds"] if len(c["copied"]) == 1 and not c["failed"] else "x")')
    [[ $copied != x ]] || { echo "offsite_footprint: run $i copied no backup" >&2; exit 1; }
    seconds+=("$copied")
    sizes+=("$(du -sb repo | cut -f1)")
  done
  local db_bytes repo_bytes first incremental max
  db_bytes=$(stat -c %s live.db)
  repo_bytes=${sizes[-1]}
  first=${seconds[0]}
  incremental=$(printf '%s\n' "${seconds[@]:1}" | median)
  max=$(printf '%s\n' "${seconds[@]:1}" | sort -g | tail -1)
  cd - >/dev/null
  printf '| %s | %s | %.2f GiB | %.2f GiB | **%.2f GiB** (%.3f of the plain copies) | %.1f s | %.1f s (max %.1f s) |\n' \
    "$pattern" "$backups" "$(echo "$db_bytes / 2^30" | bc -l)" "$(echo "$db_bytes * $backups / 2^30" | bc -l)" \
    "$(echo "$repo_bytes / 2^30" | bc -l)" "$(echo "$repo_bytes / ($db_bytes * $backups)" | bc -l)" \
    "$first" "$incremental" "$max" >>"$table"
  echo "$pattern: repository after each backup (bytes): ${sizes[*]}" >>"$raw"
  echo "$pattern: copy seconds: ${seconds[*]}" >>"$raw"
}

table=$(mktemp) raw=$(mktemp) section=$(mktemp)
trap 'rm -f "$table" "$raw" "$section"; rm -rf "$work"' EXIT
for pattern in "${patterns[@]}"; do measure "$pattern"; done
{
  echo "#### off-site footprint (issue 13.4)"
  echo
  echo '```'
  echo "date (UTC):   $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "command:      bench/offsite_footprint.sh --size-mb $size_mb --backups $backups"
  echo "nproc:        $(nproc)"
  echo "CPU:          $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "restic:       $(restic version | cut -d' ' -f1-2)"
  echo '```'
  echo
  echo "| Change between backups | Backups | DB (at the end) | As many plain copies of it | Repository | First copy | Each later copy (median) |"
  echo "|---|---|---|---|---|---|---|"
  cat "$table"
  echo
  echo '```'
  cat "$raw"
  echo '```'
} >"$section"
cat "$section"
# shellcheck source=bench/record_section.sh
source bench/record_section.sh
record_section offsite-footprint "$section"
