#!/usr/bin/env bash
# `make bench-profile`: where the server's CPU goes on POST /api/gerar-senha with Redis (the benchmark's main case).
#   1. builds the release binary with symbols and frame pointers (bench/build-prof.sh), unless --binary is given;
#   2. starts its own Redis (no persistence) and the app (shipped defaults: JSON access log to a file,
#      metrics, awaited history writes) on free loopback ports;
#   3. under `wrk -t1 -c32` (bounded), `perf stat` counts instructions and cycles of the server per request
#      (user and kernel), then `perf record -g` samples it; bench/perf_components.py attributes every sample
#      to a component by walking its call chain (logging, metrics, HTTP, Redis client, generation, …).
# Usage: bench/profile.sh [--binary PATH] [--route PATH] [--store redis|memory] [--seconds N] [--keep]
# Needs: perf (Debian linux-perf; with hardware counters where `perf stat -e instructions true` counts them,
# else the cpu-clock software event),
# wrk, redis-server. Output: bench/results/profile-<date>.txt (and the perf.data under target/bench-prof with --keep).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

binary= route=/api/gerar-senha store=redis seconds=6 keep=
while (($#)); do
  case $1 in
    --binary) binary=$2; shift 2 ;;
    --route) route=$2; shift 2 ;;
    --store) store=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "profile: unknown argument $1" >&2; exit 2 ;;
  esac
done
for tool in perf wrk redis-server; do
  command -v $tool >/dev/null || { echo "profile: $tool missing (apt-get install linux-perf wrk redis-server)" >&2; exit 1; }
done
# Hardware counters (instructions, cycles) where the machine exposes them; otherwise (most VMs and containers)
# the kernel's software clock: CPU time per request and samples weighted by time instead of cycles.
if perf stat -e instructions true 2>&1 | grep -q '<not supported>' || ! perf stat -e instructions true >/dev/null 2>&1; then
  stat_events=task-clock record_event=cpu-clock
  echo "profile: no hardware counters here: sampling the cpu-clock software event (time, not cycles)"
else
  stat_events=instructions:u,instructions:k,cycles:u,cycles:k,task-clock record_event=cycles
fi

[[ -n $binary ]] || binary=$(bash bench/build-prof.sh | tail -1)

source bench/lib.sh
start_app "$store" "$binary"
load 2 >/dev/null  # warm-up

# 1. counts per request
perf stat -x, -e "$stat_events" -p "$app" -o "$tmp/stat.csv" -- sleep "$seconds" &
statpid=$!
sleep 0.2
n=$(load $((seconds - 1)))
wait $statpid
# 2. samples with call chains
perf record -q -e "$record_event" -F 1999 -g -p "$app" -o "$tmp/perf.data" -- sleep "$seconds" 2>/dev/null &
recpid=$!
sleep 0.2
n2=$(load $((seconds - 1)))
wait $recpid

out=bench/results/profile-$(date -u +%F)-${store}-$(echo "$route" | tr -c 'a-z0-9\n' '-' | sed 's/^-*//;s/-*$//').txt
mkdir -p bench/results
{
  echo "# perf profile: $method $route, store=$store, wrk -t1 -c32, $(date -u +%FT%TZ), load avg $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# binary: $binary ($(stat -c %s "$binary") bytes)"
  python3 bench/perf_components.py --stat "$tmp/stat.csv" --requests "$n" --perf-data "$tmp/perf.data" --requests-record "$n2"
} | tee "$out"
echo "profile: wrote $out"
if [[ -n $keep ]]; then mkdir -p target/bench-prof && cp "$tmp/perf.data" target/bench-prof/perf.data && echo "profile: kept target/bench-prof/perf.data"; fi
