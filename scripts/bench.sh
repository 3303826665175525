#!/usr/bin/env bash
# npm run bench: build, then run the benchmark (dist/bench/run.js) inside a throw-away network namespace.
# Needs root (ip netns, nft, and the exporter's root mode). The caller's ruleset is never touched: every nft
# command runs inside the namespace, and the driver refuses to run outside it. The namespace, and any
# process still inside it (only ours: it was created by this script), are removed on exit, error or signal.
#   BENCH_SIZES=100,10000 npm run bench     # a subset of 100,10000,100000
#   BENCH_OUT=/tmp/r.md npm run bench       # write the report elsewhere than bench/RESULTS.md
#   BENCH_PHASES=1 npm run bench            # also time the sources' scrape phases (the chain's always are)
#   BENCH_NICE=-10 npm run bench            # run driver, exporter and nft at this niceness (busy machines)
#   BENCH_PART=sources BENCH_SCENARIOS=counters npm run bench   # only some rows (chain | sources | netns)
#   BENCH_NODE=/usr/bin/node npm run bench  # another runtime than the bundled one
set -euo pipefail

cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "bench: must run as root (network namespaces, nft, the exporter's privilege drop)" >&2
  exit 1
fi
for cmd in ip nft node getconf; do
  command -v "$cmd" >/dev/null || { echo "bench: $cmd not found" >&2; exit 1; }
done

# The runtime measured is the one the release bundles (packaging/runtimes.json; fetched and verified into
# the runtime cache on first use), not whatever `node` is on PATH: BENCH_NODE=/path/to/node to compare.
source scripts/runtimes.sh
case "$(uname -m)" in x86_64) arch=x64 ;; aarch64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
BENCH_NODE=${BENCH_NODE:-$(runtime_node "$arch" "$(manifest m.bundled)")}
echo "bench: runtime $BENCH_NODE ($("$BENCH_NODE" --version))" >&2

echo "bench: building (npx tsc -p tsconfig.json)" >&2
if ! build_log="$(npx tsc -p tsconfig.json 2>&1)"; then
  printf '%s\n' "$build_log" >&2
  # tsc still emits on type errors. Errors only in test/ (work in progress elsewhere) do not change what the
  # benchmark runs; errors in src/ or bench/ do: then stop.
  errors="$(printf '%s\n' "$build_log" | grep -E '^[^ ].*\([0-9]+,[0-9]+\): error' || true)"
  if [ -z "$errors" ] || printf '%s\n' "$errors" | grep -qvE '^test/'; then
    echo "bench: build failed" >&2
    exit 1
  fi
  echo "bench: type errors in test/ only; benchmarking src/ and bench/ as built" >&2
fi

# What is being measured, for the report: the commit, and whether src/ differs from it.
if [ -z "${BENCH_SOURCE:-}" ]; then
  if commit="$(git rev-parse --short HEAD 2>/dev/null)"; then
    if [ -n "$(git status --porcelain -- src 2>/dev/null)" ]; then
      BENCH_SOURCE="commit $commit with uncommitted changes in src/"
    else
      BENCH_SOURCE="commit $commit (src/ clean)"
    fi
  else
    BENCH_SOURCE="$(pwd) (not a git checkout)"
  fi
fi
export BENCH_SOURCE

NS="nfprom-bench-$$-$RANDOM"
DRIVER_PID=""

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$DRIVER_PID" ] && kill -0 "$DRIVER_PID" 2>/dev/null; then
    kill -TERM "$DRIVER_PID" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$DRIVER_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$DRIVER_PID" 2>/dev/null || true
  fi
  if ip netns list | grep -qw "^$NS"; then
    # Whatever is still inside the namespace was started by this run (the driver and its exporter).
    for pid in $(ip netns pids "$NS" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$NS" || echo "bench: could not delete network namespace $NS" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$NS"
ip netns exec "$NS" ip link set lo up

NICE=()
if [ -n "${BENCH_NICE:-}" ]; then NICE=(nice -n "$BENCH_NICE"); fi
PART="${BENCH_PART:-all}"
# run_part SCRIPT: one driver inside the namespace, waited for (and stopped by cleanup on a signal).
run_part() {
  BENCH_NETNS="$NS" BENCH_CALLER_NETNS="$(readlink /proc/self/ns/net)" \
    "${NICE[@]}" ip netns exec "$NS" "$BENCH_NODE" "$1" &
  DRIVER_PID=$!
  wait "$DRIVER_PID"
}
if [ "$PART" = all ] || [ "$PART" = chain ]; then run_part dist/bench/run.js; fi
# The sources beyond one chain (several chains, named counters, set elements): a section appended to the report.
if [ "$PART" = all ] || [ "$PART" = sources ]; then run_part dist/bench/sources.js; fi
# Several network namespaces (-netns): a section appended to the report.
if [ "$PART" = all ] || [ "$PART" = netns ]; then run_part dist/bench/netns.js; fi
