#!/usr/bin/env bash
# Live demo: a private network namespace with an accounting chain, some traffic, nfprom inside it, a scrape.
# Nothing outside the namespace is touched. Needs root (for the namespace); re-runs itself with sudo if there is one.
# Usage: bash scripts/demo.sh [--keep]   (--keep: leave nfprom running until Ctrl-C)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "demo.sh: needs root (for the network namespace): run it as root" >&2; exit 1; }
  exec sudo -E bash "$0" "$@"
fi
keep=${1:-}

source scripts/lib.sh
run_from_readable_copy "$0" "$@"
ensure_packages nftables iproute2
ensure_build

ns="nfprom-demo-$$"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

ip netns add "$ns"
ip netns exec "$ns" ip link set lo up
ip netns exec "$ns" nft -f demo/ruleset.nft
echo "== namespace $ns: demo/ruleset.nft loaded"

ip netns exec "$ns" node dist/src/cli/main.js -listen 127.0.0.1:9830 \
  -counters 'firewall/*' -quotas 'firewall/*' -sets 'firewall/*' &
pid=$!
scrape() { ip netns exec "$ns" node -e 'fetch(process.argv[1]).then(r => r.text()).then(t => process.stdout.write(t))' "$1"; }
for _ in $(seq 50); do scrape http://127.0.0.1:9830/metrics >/dev/null 2>&1 && break; sleep 0.1; done

echo "== generating traffic: HTTP over 127.0.0.1 and ::1, UDP to port 5353 from 127.0.0.2-4"
ip netns exec "$ns" node dist/demo/traffic.js

echo "== the kernel's counters: nft list table inet firewall"
ip netns exec "$ns" nft list table inet firewall | sed -n '/chain incoming/q;p'
echo "== curl http://127.0.0.1:9830/metrics (inside the namespace)"
scrape http://127.0.0.1:9830/metrics |
  grep -E '^nfprom_((bytes|packets)_total|up|rules|object_bytes_total|quota_used_bytes|set_element_bytes_total|set_elements)[{ ]'
echo
echo "(the rule with 'bad-key' is rejected and logged once; the ssh rule has no nft() comment, and the rules"
echo " that use the named counter, the quota and the sets have no counter of their own: all are ignored as rule"
echo " series; what they count is exported as the objects' and the set elements' series)"
if [ "$keep" = "--keep" ]; then
  echo "== nfprom keeps running in $ns; try (as root): ip netns exec $ns curl 127.0.0.1:9830/metrics — Ctrl-C ends"
  wait "$pid"
fi
