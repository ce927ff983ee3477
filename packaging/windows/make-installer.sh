#!/usr/bin/env bash
# Builds engine-supervisor-setup.exe in BUILD_DIR (beside the exe) with
# makensis. A Windows restic.exe found at build time (ES_RESTIC_EXE, else
# packaging/windows/restic.exe; Debian has none) is offered in the
# installer as a component; without one, docs/offsite.md says where to put it.
# Usage: packaging/windows/make-installer.sh BUILD_DIR [ENGINE_NAME]
set -euo pipefail
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
args=(-V2 -DBUILD_DIR="$build" -DSOURCE_DIR="$root" -DENGINE_NAME="${2:-engine}")
restic=${ES_RESTIC_EXE:-$root/packaging/windows/restic.exe}
if [[ -f $restic ]]; then
  args+=(-DRESTIC_EXE="$(cd "$(dirname "$restic")" && pwd)/$(basename "$restic")")
  echo "make-installer: offering $restic as restic.exe" >&2
else
  echo "make-installer: no Windows restic.exe ($restic): the installer does not offer one" >&2
fi
makensis "${args[@]}" "$root/packaging/windows/installer.nsi"
