#!/usr/bin/env bash
# Cross-builds the Windows version of engine-supervisor with mingw-w64, from
# Debian packages only (see shared/TECH-NOTES.md, "Cross-building for Windows").
#
#   scripts/build-windows.sh              # tools, dependencies, then the project
#   scripts/build-windows.sh --deps-only  # stop after the dependencies
#
# Idempotent: installs only missing packages, adds a deb-src entry only if none
# is there, and skips every dependency step whose output already exists.
# Everything it builds goes under build-windows/ (git-ignored):
#   build-windows/deps/dl       source packages (apt-get source --download-only)
#   build-windows/deps/src      extracted sources
#   build-windows/deps/build    build folders of SQLite and yaml-cpp
#   build-windows/deps/prefix   libsqlite3.a, libyaml-cpp.a and their headers
#   build-windows/deps/include  symlinks to the header-only libraries (xxhash.h too) + Windows.h shim
#   build-windows/project       the project itself
# The .exe files run under wine: WINEDEBUG=-all wine build-windows/project/engine-supervisor.exe
set -euo pipefail
shopt -s inherit_errexit  # also inside $(...)

usage() { sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; }

deps_only=0
for arg in "$@"; do
  case "$arg" in
    --deps-only) deps_only=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "build-windows: unknown argument: $arg" >&2; usage >&2; exit 2 ;;
  esac
done

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$root/build-windows
deps=$out/deps
toolchain=$root/cmake/mingw-w64-x86_64.cmake
jobs=${JOBS:-2}
triple=x86_64-w64-mingw32
cc=$triple-gcc-posix

log() { echo "build-windows: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive

# --- a. packages -------------------------------------------------------------
packages=(
  g++-mingw-w64-x86-64-posix gcc-mingw-w64-x86-64-posix
  wine wine64 nsis tcl dpkg-dev cmake make
  libboost1.81-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libcli11-dev doctest-dev
  libxxhash-dev
)

# A deb-src entry for the Debian archive the deb entries use, so that
# `apt-get source` works. Added once, in a file of its own.
src_list=/etc/apt/sources.list.d/engine-supervisor-deb-src.sources
have_deb_src() {
  # An active deb-src entry: one-line style, or deb822 "Types: ... deb-src".
  grep -qsE '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
    || grep -qsiE '^[[:space:]]*Types:.*\bdeb-src\b' /etc/apt/sources.list.d/*.sources
}
add_deb_src() {
  local tmp
  tmp=$(mktemp)
  {
    echo "# Added by engine-supervisor scripts/build-windows.sh: source packages for"
    echo "# apt-get source (same archive as the deb entries)."
    # deb822 stanzas of the Debian archive, with Types set to deb-src.
    for f in /etc/apt/sources.list.d/*.sources; do
      if [ ! -f "$f" ] || [ "$f" = "$src_list" ]; then continue; fi
      awk 'BEGIN { RS = ""; ORS = "\n\n" }
           /(^|\n)[Tt]ypes:[^\n]*deb/ && /(^|\n)URIs:[^\n]*debian/ {
             gsub(/(^|\n)[Tt]ypes:[^\n]*/, "\nTypes: deb-src"); sub(/^\n/, ""); print }' "$f"
    done
    # One-line entries of the Debian archive, rewritten as a deb822 stanza each.
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [ -f "$f" ] || continue
      awk '$1 == "deb" && $0 ~ /debian/ {
             i = 2; opts = "";
             if ($2 ~ /^\[/) { while ($i !~ /\]$/) { opts = opts " " $i; i++ } opts = opts " " $i; i++ }
             comps = ""; for (j = i + 2; j <= NF; j++) comps = comps " " $j;
             printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents:%s\n", $i, $(i + 1), comps;
             if (match(opts, /signed-by=[^] ]+/)) printf "Signed-By: %s\n", substr(opts, RSTART + 10, RLENGTH - 10);
             printf "\n" }' "$f"
    done
  } >"$tmp"
  if ! grep -q '^Types: deb-src' "$tmp"; then
    rm -f "$tmp"
    echo "build-windows: found no Debian deb entry to mirror as deb-src" >&2
    exit 1
  fi
  $SUDO install -m 0644 "$tmp" "$src_list"
  rm -f "$tmp"
  log "added $src_list"
}

need_update=0
if ! have_deb_src; then
  add_deb_src
  need_update=1
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  need_update=1
fi

if [ $need_update -eq 1 ]; then
  log "apt-get update"
  $SUDO apt-get update -q
fi
if [ ${#missing[@]} -gt 0 ]; then
  log "installing missing packages: ${missing[*]}"
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# --- b. libraries built from Debian source packages ---------------------------
mkdir -p "$deps"/{dl,src,build,prefix/include,prefix/lib}

# The newest downloaded .dsc of source package $1, or nothing.
newest_dsc() {
  find "$deps/dl" -maxdepth 1 -name "${1}_*.dsc" | sort -V | tail -n 1
}

# Extracts the Debian source package $1 into deps/src/$1 (once) and prints its folder.
source_tree() {
  local pkg=$1 dir=$deps/src/$1 dsc
  if [ ! -d "$dir" ]; then
    dsc=$(newest_dsc "$pkg")
    if [ -z "$dsc" ]; then
      log "downloading source package $pkg"
      if ! (cd "$deps/dl" && apt-get source --download-only "$pkg" >&2); then
        # The deb-src entry exists but its index was never fetched.
        log "apt-get source failed; apt-get update and retry"
        $SUDO apt-get update -q >&2
        (cd "$deps/dl" && apt-get source --download-only "$pkg" >&2)
      fi
      dsc=$(newest_dsc "$pkg")
      [ -n "$dsc" ] || { log "no .dsc for $pkg in $deps/dl"; exit 1; }
    fi
    log "extracting $(basename "$dsc")"
    rm -rf "$dir.tmp"
    dpkg-source --no-check -x "$dsc" "$dir.tmp" >&2
    mv "$dir.tmp" "$dir"
  fi
  echo "$dir"
}

# SQLite: the amalgamation (needs tclsh), compiled with the mingw gcc.
if [ ! -f "$deps/prefix/lib/libsqlite3.a" ] || [ ! -f "$deps/prefix/include/sqlite3.h" ]; then
  start=$SECONDS
  sqlite_src=$(source_tree sqlite3)
  b=$deps/build/sqlite3
  mkdir -p "$b"
  if [ ! -f "$b/sqlite3.c" ]; then
    log "generating the SQLite amalgamation"
    if [ ! -f "$b/Makefile" ]; then
      if ! (cd "$b" && "$sqlite_src/configure" >configure.log 2>&1); then
        tail -n 30 "$b/configure.log" >&2; rm -f "$b/Makefile"; exit 1
      fi
    fi
    if ! (cd "$b" && make sqlite3.c >make.log 2>&1); then
      tail -n 30 "$b/make.log" >&2; exit 1
    fi
  fi
  log "compiling sqlite3.c with $cc"
  sqlite_defines=(
    -DSQLITE_THREADSAFE=1
    -DSQLITE_ENABLE_COLUMN_METADATA
    -DSQLITE_ENABLE_DBSTAT_VTAB
    -DSQLITE_ENABLE_FTS5
    -DSQLITE_ENABLE_RTREE
    -DSQLITE_ENABLE_UNLOCK_NOTIFY
    -DSQLITE_MAX_SCHEMA_RETRY=25
    -DSQLITE_SECURE_DELETE
    -D_WIN32_WINNT=0x0A00
  )
  "$cc" -O2 "${sqlite_defines[@]}" -c "$b/sqlite3.c" -o "$b/sqlite3.o"
  rm -f "$b/libsqlite3.a"
  $triple-ar rcs "$b/libsqlite3.a" "$b/sqlite3.o"
  cp "$b/sqlite3.h" "$b/sqlite3ext.h" "$deps/prefix/include/"
  cp "$b/libsqlite3.a" "$deps/prefix/lib/"   # last: it marks the step done
  log "SQLite done in $((SECONDS - start)) s"
else
  log "SQLite: cached ($deps/prefix/lib/libsqlite3.a)"
fi

# yaml-cpp: static, with CMake and the mingw toolchain file.
if [ ! -f "$deps/prefix/lib/libyaml-cpp.a" ]; then
  start=$SECONDS
  yaml_src=$(source_tree yaml-cpp)
  b=$deps/build/yaml-cpp
  log "building yaml-cpp"
  cmake -S "$yaml_src" -B "$b" -G "Unix Makefiles" \
    -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
    -DENGINE_SUPERVISOR_CROSS_DEPS="$deps" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$deps/prefix" \
    -DBUILD_SHARED_LIBS=OFF -DYAML_BUILD_SHARED_LIBS=OFF \
    -DYAML_CPP_BUILD_TESTS=OFF -DYAML_CPP_BUILD_TOOLS=OFF -DYAML_CPP_BUILD_CONTRIB=ON \
    -DYAML_CPP_INSTALL=ON >"$deps/build/yaml-cpp.configure.log" 2>&1 \
    || { tail -n 40 "$deps/build/yaml-cpp.configure.log" >&2; exit 1; }
  cmake --build "$b" -j"$jobs" >"$deps/build/yaml-cpp.build.log" 2>&1 \
    || { tail -n 40 "$deps/build/yaml-cpp.build.log" >&2; exit 1; }
  cmake --install "$b" >/dev/null
  log "yaml-cpp done in $((SECONDS - start)) s"
else
  log "yaml-cpp: cached ($deps/prefix/lib/libyaml-cpp.a)"
fi

# --- c. include shim: only the header trees we need, never all of /usr/include --
inc=$deps/include
mkdir -p "$inc"
for d in boost spdlog fmt nlohmann CLI doctest; do
  if [ ! -d "/usr/include/$d" ]; then
    echo "build-windows: /usr/include/$d is missing (is its -dev package installed?)" >&2
    exit 1
  fi
  ln -sfn "/usr/include/$d" "$inc/$d"
done
# xxHash is one header, used header-only (XXH_INLINE_ALL): no library to build.
if [ ! -f /usr/include/xxhash.h ]; then
  echo "build-windows: /usr/include/xxhash.h is missing (is libxxhash-dev installed?)" >&2
  exit 1
fi
ln -sfn /usr/include/xxhash.h "$inc/xxhash.h"
# Boost and others include <Windows.h>; mingw ships windows.h (case matters here).
ln -sfn "$root/packaging/windows/shim/Windows.h" "$inc/Windows.h"
log "dependencies ready in $deps"

if [ $deps_only -eq 1 ]; then
  exit 0
fi

# --- d. the project ---------------------------------------------------------------
cmake -S "$root" -B "$out/project" \
  -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
  -DENGINE_SUPERVISOR_CROSS_DEPS="$deps" \
  -DENGINE_SUPERVISOR_UNITY_TESTS=ON \
  -DCMAKE_BUILD_TYPE=Release
cmake --build "$out/project" -j"$jobs"
log "built: $(cd "$out/project" && find . -maxdepth 2 -name '*.exe' -not -path './CMakeFiles/*' | sort | tr '\n' ' ')"
