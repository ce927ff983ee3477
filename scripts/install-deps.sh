#!/usr/bin/env bash
# Installs the Debian packages engine-supervisor needs to build and test;
# with --bench, also what the benchmarks compare against; with --windows-gui,
# what the Wine console-window test needs (a virtual X display, xwininfo and
# Xlib for Python, to close a console window as its X button does).
# Does nothing (and never touches the network) when every package is present.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libsqlite3-dev sqlite3
  libboost1.81-dev
  libspdlog-dev
  libyaml-cpp-dev
  nlohmann-json3-dev
  doctest-dev
  libcli11-dev
  libxxhash-dev libsystemd-dev
  desktop-file-utils systemd dpkg-dev
  python3 python3-jsonschema
  prometheus-node-exporter curl
  clang libclang-rt-14-dev
  chromium fonts-dejavu-core
  restic openssh-server
)
# bench/run_all.sh compares against supervisord.
for arg in "$@"; do
  case "$arg" in
    --bench) packages+=(supervisor) ;;
    # tests/windows/console_close_test.sh
    --windows-gui) packages+=(xvfb x11-utils python3-xlib) ;;
    *) echo "install-deps: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing missing packages: ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
