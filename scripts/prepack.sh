#!/usr/bin/env bash
# `npm pack` / `npm publish` run this first: a clean build, so the tarball has dist/ and nothing stale.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib.sh
rm -rf dist
ensure_build
