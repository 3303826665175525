#!/usr/bin/env bash
# The project's test command (`npm test`, and `.ci/run` with CI=true):
# system tools (as root, via apt) → npm ci when needed → build → lint → unit + system tests (serially).
# The output ends with node's test summary. Exit status: non-zero if the build, the lint or any test fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib.sh
run_from_readable_copy "$0" "$@"

# System tools for the integration tests (nft, promtool and prometheus, ip, openssl, chromium for the live
# view), then npm ci when needed, then the build.
# Without root, missing tools only cost the integration tests, which then skip (or fail when CI=true).
ensure_packages nftables prometheus iproute2 openssl chromium || echo "test.sh: integration tests need root and these tools" >&2
ensure_build

lint_status=0
npm run lint || lint_status=$?
if ((lint_status != 0)); then
  echo "test.sh: lint FAILED (status $lint_status); running the tests anyway, exit status will be non-zero" >&2
fi

# Test files: the compiled *.test.js of every test/**/*.test.ts that exists now. Listing them explicitly matters:
# `node --test dist/test/` (node 20) also runs every other .js below a directory named `test` (helpers, the
# harness, traffic/scrape scripts) as a test file, and stale outputs of deleted sources must not run.
# test/release/ needs the release artifacts: scripts/test-release.sh builds them and runs it.
mapfile -t files < <(find test -name '*.test.ts' -not -path '*/node_modules/*' -not -path 'test/release/*' | sort | sed -e 's|^|dist/|' -e 's|\.ts$|.js|')
if ((${#files[@]} == 0)); then
  echo "test.sh: no test files found under test/" >&2
  exit 1
fi

test_status=0
node --test --test-concurrency=1 --test-timeout=600000 "${files[@]}" || test_status=$?

if ((test_status != 0)); then exit "$test_status"; fi
exit "$lint_status"
