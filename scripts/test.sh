#!/usr/bin/env bash
# test.sh — every vitest project against the real servers, then one summary line:
# "tests: N passed, N failed, N skipped".
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
mkdir -p reports
results=reports/test-results.json
rm -f "$results"
node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@"
status=$?
if [ -f "$results" ]; then
  # shellcheck disable=SC2016 # JavaScript, not shell
  node -e '
    const r = require(process.argv[1]);
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
  ' "$ROOT/$results"
fi
exit $status
