# Shared by scripts/*.sh: install what is missing, build when the sources changed.

# ensure_packages PKG...: apt-get install the Debian packages whose commands are missing (root only).
ensure_packages() {
  local missing=()
  for pkg in "$@"; do
    case "$pkg" in
      nftables) command -v nft >/dev/null || missing+=("$pkg") ;;
      prometheus) command -v promtool >/dev/null || missing+=("$pkg") ;;
      iproute2) command -v ip >/dev/null || missing+=("$pkg") ;;
      openssl) command -v openssl >/dev/null || missing+=("$pkg") ;;
      *) dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg") ;;
    esac
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "missing packages: ${missing[*]} (run as root to install them)" >&2
    return 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ensure_build: npm ci when node_modules is missing or older than the lock file, then compile.
ensure_build() {
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund
  fi
  npx tsc -p tsconfig.json
}

# run_from_readable_copy SCRIPT [ARGS...]: nfprom's web process runs as nobody and must be able to read this
# checkout. When it cannot (a checkout under a 0700 home directory, say), run SCRIPT from a world-readable
# copy in /tmp instead, remove the copy afterwards and exit with SCRIPT's status. Returns when no copy is
# needed (not root, already readable, or already running from a copy).
run_from_readable_copy() {
  [ "$(id -u)" = 0 ] && [ -z "${NFPROM_COPY:-}" ] && command -v setpriv >/dev/null || return 0
  setpriv --reuid=65534 --regid=65534 --clear-groups test -r "$PWD/package.json" && return 0
  local script copy rc=0
  script="scripts/$(basename "$1")"
  shift
  copy=$(mktemp -d /tmp/nfprom-copy-XXXXXX)
  echo "$script: user nobody cannot read $PWD; running from a copy in $copy" >&2
  cp -a . "$copy/"
  chmod -R a+rX "$copy"
  (cd "$copy" && NFPROM_COPY=1 bash "$script" "$@") || rc=$?
  rm -rf "$copy"
  exit "$rc"
}
