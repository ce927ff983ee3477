#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs one supervised
# demo session (about 10 seconds) of the bundled demo engine on a demo DB
# that the first run creates. Then shows where everything went.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs" --target engine-supervisor es-demo-engine

demo=build/demo
mkdir -p "$demo/data" "$demo/backups"

status=0
./build/engine-supervisor run --config config/demo.yaml || status=$?

echo
echo "== demo session finished with exit code $status =="
echo "summary:  $demo/logs/latest.json"
echo "backups:  $demo/backups/"
ls -1 "$demo/backups" | sed 's/^/            /'
echo "logs:     $demo/logs/"

echo
echo "== an alert: a short session whose engine fails (config/demo-alert.yaml) =="
echo "   notify.command runs for the unclean run and prints its ALERT line:"
./build/engine-supervisor run --config config/demo-alert.yaml 2>&1 | grep -E "ALERT|unclean" || true

echo
echo "history:"
./build/engine-supervisor history --config config/demo.yaml --limit 5 | sed 's/^/  /'
echo "status (exit 3: the last run was not clean):"
./build/engine-supervisor status --config config/demo.yaml | sed 's/^/  /' || true
echo
echo "health report (open it in a browser; docs/report.md says what it shows):"
./build/engine-supervisor report --config config/demo.yaml 2>/dev/null | sed 's/^/  /' || true
exit "$status"
