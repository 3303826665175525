# Shared by scripts/*.sh: install what is missing, build when the sources changed.

# ensure_packages PKG...: apt-get install the Debian packages whose commands are missing (root only).
ensure_packages() {
  local missing=()
  for pkg in "$@"; do
    case "$pkg" in
      nftables) command -v nft >/dev/null || missing+=("$pkg") ;;
      prometheus) command -v promtool >/dev/null || missing+=("$pkg") ;;
      iproute2) command -v ip >/dev/null || missing+=("$pkg") ;;
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
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
    npm ci --no-audit --no-fund
  fi
  npx tsc -p tsconfig.json
}
