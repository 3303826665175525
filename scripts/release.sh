#!/usr/bin/env bash
# `npm run release`: the self-contained tarballs release/nfprom-<version>-linux-{x64,arm64}.tar.gz and the
# Debian packages release/nfprom_<version>_{amd64,arm64}.deb. Everything comes from the lockfile and the
# npm cache, checked against pinned checksums (packaging/runtimes.json, package-lock.json): once the
# runtimes have been fetched, no network is needed. RELEASE_DIR overrides the output directory;
# RELEASE_GZIP_LEVEL (default 9) trades size for time (CI uses 1: 10 % larger, 3 times faster).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib.sh
source scripts/runtimes.sh
ensure_build

version=$(manifest 'require("./package.json").version')
out=${RELEASE_DIR:-$PWD/release}
# Reproducible archives: every file gets the last commit's time.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
stage=$(mktemp -d /tmp/nfprom-release-XXXXXX)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$out"

# build_tree ARCH DIR: the release tree: bin/nfprom (launcher), runtime/ (Node.js and its licence),
# app/ (package.json, the built code without source maps, production dependencies with koffi's binary
# for ARCH), init/, man/, LICENSE, README.md.
build_tree() {
  local arch=$1 root=$2 node dep koffi
  mkdir -p "$root/bin" "$root/runtime" "$root/app/dist" "$root/app/node_modules" "$root/man"
  node=$(runtime_node "$arch" "$(manifest m.bundled)")
  install -m 0755 "$node" "$root/runtime/node"
  install -m 0644 "$(dirname "$node")/../LICENSE" "$root/runtime/LICENSE"
  install -m 0755 packaging/nfprom.sh "$root/bin/nfprom"
  install -m 0644 package.json LICENSE "$root/app/"
  cp -r dist/src "$root/app/dist/src"
  find "$root/app/dist" -name '*.map' -delete
  # Production dependencies: what the lockfile installs without --omit=dev, except platform packages.
  for dep in $(manifest 'Object.entries(lock.packages).filter(([k, p]) => k && !p.dev && !p.optional).map(([k]) => k).join(" ")'); do
    mkdir -p "$root/app/$(dirname "$dep")"
    cp -r "$dep" "$root/app/$dep"
  done
  # koffi's C++ sources and build scripts: not needed at run time (its JavaScript is).
  rm -rf "$root/app/node_modules/koffi/"{src/koffi/CMakeLists.txt,vendor,lib,doc,cnoke.cjs}
  find "$root/app/node_modules/koffi/src" -type f ! -name '*.js' ! -name '*.cjs' -delete
  find "$root/app/node_modules/koffi/src" -type d -empty -delete
  koffi="node_modules/@koromix/koffi-linux-$arch"
  npm_fetch "@koromix/koffi-linux-$arch@$(manifest "lock.packages['$koffi'].version")" \
    "$(manifest "lock.packages['$koffi'].integrity")" "$root/app/$koffi"
  # The dependencies' command-line scripts (#!): nfprom imports none of them.
  find "$root/app/node_modules" -type f -exec sh -c '[ "$(head -c2 "$1")" = "#!" ] && rm "$1"' _ {} \;
  # Only glibc builds (Debian, Ubuntu, ...); nothing under app/ is run directly (node loads it).
  rm -rf "$root/app/$koffi/"musl_*
  chmod -R a-x+X "$root/app"
  cp -r init "$root/init"
  install -m 0644 docs/nfprom.1 "$root/man/nfprom.1"
  install -m 0644 LICENSE README.md "$root/"
  chmod -R u=rwX,go=rX "$root"
}

for arch in x64 arm64; do
  name="nfprom-$version-linux-$arch"
  build_tree "$arch" "$stage/$name"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
    -C "$stage" -cf - "$name" | gzip -n "-${RELEASE_GZIP_LEVEL:-9}" >"$out/$name.tar.gz"
  bash packaging/debian/build-deb.sh "$stage/$name" "$arch" "$version" "$out"
  echo "release: $out/$name.tar.gz"
done
