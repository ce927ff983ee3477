#!/usr/bin/env bash
# Builds the .deb with CPack, installs it into a temporary root (dpkg -x) and
# checks the installed files: the binary answers --version and validates the
# example config, the desktop launcher passes desktop-file-validate, and the
# systemd unit and timer pass systemd-analyze verify (warnings count as
# failures).
set -euo pipefail
build=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$build" && cpack -G DEB -B "$tmp/pkg" >"$tmp/cpack.log" 2>&1) || { cat "$tmp/cpack.log"; exit 1; }
deb=$(ls "$tmp"/pkg/*.deb)
echo "built $(basename "$deb")"
dpkg-deb --info "$deb" | grep -E "Package|Version|Depends"
root="$tmp/root"
dpkg -x "$deb" "$root"

bin="$root/usr/bin/engine-supervisor"
"$bin" --version | grep -q "^engine-supervisor "
example="$root/usr/share/doc/engine-supervisor/engine-supervisor.example.yaml"
"$bin" config check --config "$example"
test -f "$root/usr/share/doc/engine-supervisor/docs/operations.md"

desktop-file-validate "$root/usr/share/applications/engine-supervisor.desktop"
grep -q "^Exec=engine-supervisor run --config " "$root/usr/share/applications/engine-supervisor.desktop"

# systemd-analyze needs the system's own targets inside the root it checks.
mkdir -p "$root/usr/lib/systemd/system" "$root/etc/systemd/system"
cp -rn /usr/lib/systemd/system/. "$root/usr/lib/systemd/system/" 2>/dev/null || true
units=(/usr/lib/systemd/system/engine-supervisor.service /usr/lib/systemd/system/engine-supervisor.timer)
if ! systemd-analyze verify --root="$root" "${units[@]}" 2>"$tmp/verify.log" || [ -s "$tmp/verify.log" ]; then
  cat "$tmp/verify.log"
  echo "systemd-analyze verify failed" >&2
  exit 1
fi
grep -q "^KillMode=mixed" "$root/usr/lib/systemd/system/engine-supervisor.service"
echo "deb package ok"
