#!/usr/bin/env bash
# Builds the NSIS installer, runs it silently under Wine, and checks what it
# installed: the exe answers --version, the desktop shortcut exists, the task
# XML is well-formed. Then uninstalls and checks that an operator's files in
# the install folder (a DB, a backup) are left alone.
# Usage: tests/windows/installer_test.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
export WINEDEBUG=-all LC_ALL=C.UTF-8 LANG=C.UTF-8
# A prefix and a home of its own: Wine links the Windows desktop to $HOME, and
# the shortcut must land in the test's folder, not in the real home.
scratch=$(mktemp -d)
trap 'wineserver -k >/dev/null 2>&1 || true; rm -rf "$scratch"' EXIT
export HOME=$scratch/home WINEPREFIX=$scratch/prefix
mkdir -p "$HOME"

ES_RESTIC_EXE=/nonexistent bash "$root/packaging/windows/make-installer.sh" "$build" "demo engine"
setup="$build/engine-supervisor-setup.exe"
test -f "$setup"

/usr/bin/python3 -c "import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])" \
  "$root/packaging/windows/engine-supervisor-task.xml"
echo "PASS: the Task Scheduler XML is well-formed"

wine "$setup" /S
wineserver -w
drive_c="$WINEPREFIX/drive_c"
installed="$drive_c/Program Files/engine-supervisor"
version=$(wine "$installed/engine-supervisor.exe" --version | tr -d '\r')
[[ "$version" == "engine-supervisor "* ]]
echo "PASS: the installed exe answers --version: $version"
wine "$installed/engine-supervisor.exe" config check --config \
  "$(winepath -w "$installed/engine-supervisor.example.yaml")" >/dev/null
echo "PASS: the installed example config is valid"
shortcut=$(find -L "$drive_c/users" -maxdepth 3 -name "Start demo engine (supervised).lnk" 2>/dev/null | head -1)
[ -n "$shortcut" ]
echo "PASS: the desktop shortcut exists: ${shortcut#"$drive_c"/}"
eventlog_key='HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\engine-supervisor'
wine reg query "$eventlog_key" /v EventMessageFile 2>/dev/null | tr -d '\r' | grep -q "EventCreate.exe"
echo "PASS: the installer registered the Event Log source engine-supervisor"

# The operator's own files in the install folder survive the uninstaller.
echo "operator data" >"$installed/live.db"
wine "$installed/uninstall.exe" /S _?="$(winepath -w "$installed")"
wineserver -w  # the uninstaller may still be finishing
[ ! -f "$installed/engine-supervisor.exe" ]
[ "$(cat "$installed/live.db")" = "operator data" ]
[ -f "$installed/engine-supervisor.yaml" ]
[ -z "$(find -L "$drive_c/users" -maxdepth 3 -name "Start demo engine (supervised).lnk" 2>/dev/null)" ]
if wine reg query "$eventlog_key" >/dev/null 2>&1; then
  echo "FAIL: the uninstaller left the Event Log source registered"
  exit 1
fi
echo "PASS: the uninstaller removed what it installed (the Event Log source too) and kept the DB and the config"
[ ! -f "$installed/restic.exe" ]
echo "PASS: an installer built without a Windows restic.exe installs none"

# Issue 13.2: a restic.exe present at build time is offered, installed
# beside the exe, and removed by the uninstaller; an operator's own is kept
# by both. The bundling is what is tested, so any Windows exe stands in.
ES_RESTIC_EXE="$build/es-demo-engine.exe" bash "$root/packaging/windows/make-installer.sh" "$build" "demo engine"
wine "$setup" /S
wineserver -w
cmp -s "$build/es-demo-engine.exe" "$installed/restic.exe"
echo "PASS: the installer bundles the restic.exe present at build time"
wine "$installed/uninstall.exe" /S _?="$(winepath -w "$installed")"
wineserver -w
[ ! -f "$installed/restic.exe" ]
echo "PASS: the uninstaller removes the restic.exe it installed"
mkdir -p "$installed"
echo "the operator's restic" >"$installed/restic.exe"
wine "$setup" /S
wineserver -w
[ "$(cat "$installed/restic.exe")" = "the operator's restic" ]
wine "$installed/uninstall.exe" /S _?="$(winepath -w "$installed")"
wineserver -w
[ "$(cat "$installed/restic.exe")" = "the operator's restic" ]
echo "PASS: an operator's own restic.exe is neither replaced nor removed"
echo "installer: 10 passed, 0 failed"
