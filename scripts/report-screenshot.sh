#!/usr/bin/env bash
# Remakes docs/report.png, the health report's screenshot in the README and
# docs/report.md: a scratch DB gets a few real runs of the demo engine, one
# of each way a run ends (clean, unclean with error lines, lost to a killed
# supervisor, refused by a db_check), then `report` writes the page and
# Debian's chromium, headless, takes the picture. Needs a build (build/).
#
#   scripts/report-screenshot.sh [OUTPUT.png]     # default docs/report.png
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-docs/report.png}")
sup=$PWD/build/engine-supervisor
engine=$PWD/build/es-demo-engine
for binary in "$sup" "$engine" /usr/bin/chromium; do
  [ -x "$binary" ] || { echo "report-screenshot: $binary is missing (build first; chromium comes from scripts/install-deps.sh)" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'pkill -9 -f "$work/" 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"
mkdir backups
config() {  # engine arguments, then extra YAML
  local args=$1 extra=${2:-}
  cat > engine-supervisor.yaml <<EOF
database:
  path: trading.db
  backup_dir: backups
  allow_missing: true
engine:
  command: ["$engine", $args]
summary:
  dir: logs
logging:
  dir: logs
notify:
  command: ["/bin/sh", "-c", "cat >/dev/null"]
$extra
EOF
}
run() { "$sup" run --config engine-supervisor.yaml >/dev/null 2>&1 || true; }

for seconds in 2 3 1.5 4; do config "\"--seconds\", \"$seconds\", \"--interval-ms\", \"5\""; run; done
config '"--seconds", "2", "--exit-code", "3", "--stderr-line", "ERROR close_session: database is locked"'; run
for seconds in 3 2.5; do config "\"--seconds\", \"$seconds\", \"--interval-ms\", \"5\""; run; done
# Lost: the supervisor is killed mid-session.
config '"--seconds", "60", "--interval-ms", "5"'
"$sup" run --config engine-supervisor.yaml >/dev/null 2>&1 &
sleep 3
kill -9 $! 2>/dev/null || true
wait 2>/dev/null || true
sleep 0.5
for seconds in 2 5 3; do config "\"--seconds\", \"$seconds\", \"--interval-ms\", \"5\""; run; done
# Refused: the audit's own invariant, with a session left open on purpose.
config '"--seconds", "1", "--leave-session-open"'; run
config '"--seconds", "1"' 'db_checks:
  - name: sessions_closed
    sql: SELECT id, run_id FROM sessions WHERE ended_at IS NULL AND id < (SELECT max(id) FROM sessions)
    expect: no_rows
    when: startup
    on_fail: refuse'
run

"$sup" report --config engine-supervisor.yaml --output "$work/report.html" >/dev/null 2>&1
/usr/bin/timeout 120 /usr/bin/chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --user-data-dir="$work/profile" --window-size=1100,1250 --screenshot="$out" \
  "file://$work/report.html" >/dev/null 2>&1
echo "$out"
