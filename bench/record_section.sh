# Sourced by the benchmark scripts. record_section NAME FILE puts FILE into
# bench/RESULTS.md between "<!-- NAME: begin -->" and "<!-- NAME: end -->":
# in place of the section's last run, or at the end the first time. Nothing
# else in RESULTS.md (the analysis written by hand) is touched.
record_section() {
  local name=$1 file=$2
  local results
  results="$(dirname "${BASH_SOURCE[0]}")/RESULTS.md"
  local begin="<!-- $name: begin -->" end="<!-- $name: end -->"
  [[ -f $results ]] || printf '# Benchmark results\n\n' >"$results"
  if grep -qF "$begin" "$results"; then
    awk -v begin="$begin" -v end="$end" -v file="$file" '
      $0 == begin { print; while ((getline line < file) > 0) print line; skip = 1; next }
      $0 == end { skip = 0 }
      !skip { print }
    ' "$results" >"$results.new"
    mv "$results.new" "$results"
  else
    { echo; echo "$begin"; cat "$file"; echo "$end"; } >>"$results"
  fi
  echo "recorded in $results" >&2
}
