#!/usr/bin/env bash
# Runs the doctest binary and ends with the plain "N passed, N failed" line that CI reads.
set -o pipefail
bin=$1; shift
log=$(mktemp)
"$bin" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
summary=$(grep -E '^\[doctest\] test cases:' "$log" | tail -1)
passed=$(sed -nE 's/.*\| *([0-9]+) passed.*/\1/p' <<<"$summary")
failed=$(sed -nE 's/.*\| *([0-9]+) failed.*/\1/p' <<<"$summary")
rm -f "$log"
echo "tests: ${passed:-0} passed, ${failed:-0} failed"
[ "$status" -eq 0 ] && [ "${failed:-1}" -eq 0 ] && [ "${passed:-0}" -gt 0 ]
