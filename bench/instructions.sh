#!/usr/bin/env bash
# `make bench-instructions`: instructions the server executes per request, counted by valgrind's callgrind.
# Unlike time, the count does not change with what else the machine is doing, so two builds can be compared
# on a busy machine. User space only (the kernel's share is in `make bench-profile`).
#   1. starts its own Redis (no persistence) and the app (shipped defaults) under callgrind, uninstrumented;
#   2. warms up with wrk, then switches instrumentation on for a `wrk -t1 -c32` run of --seconds (at most
#      --requests requests) and dumps the counts, divided by the requests wrk saw answered;
#   3. prints instructions per request in total and by component (inclusive counts of the functions that
#      start each piece of work), and writes them to bench/results/instructions-<date>-<store>-<route>.txt.
# Usage: bench/instructions.sh [--binary PATH] [--route PATH] [--body JSON] [--store redis|memory] [--seconds N]
#        [--requests N] [--out FILE] [--keep] [--private]
# --body posts that JSON to the route instead of the route's usual body (e.g. the costliest v1 body).
# --private measures a returning browser in the private history scope (HISTORY_SCOPE=private, one history
#   cookie sent with every request): compare with the same run without it for the cost of the key derivation and sealing.
# Without --binary it builds the symbolized release binary (bench/build-prof.sh); a given one needs its symbols.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

binary= route=/api/gerar-senha custom_body= store=redis seconds=10 requests=1000000 out= keep= private=
while (($#)); do
  case $1 in
    --binary) binary=$2; shift 2 ;;
    --route) route=$2; shift 2 ;;
    --body) custom_body=$2; shift 2 ;;
    --store) store=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --private) private=1; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "instructions: unknown argument $1" >&2; exit 2 ;;
  esac
done
for tool in valgrind callgrind_control callgrind_annotate wrk redis-server curl; do
  command -v $tool >/dev/null || { echo "instructions: $tool missing (apt-get install valgrind wrk redis-server curl)" >&2; exit 1; }
done

[[ -n $binary ]] || binary=$(bash bench/build-prof.sh | tail -1)

if [[ -n $private ]]; then
  export BENCH_HISTORY_SCOPE=private
  BENCH_COOKIE="giropops-historico=$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
  export BENCH_COOKIE
fi
source bench/lib.sh
[[ -z $custom_body ]] || { method=POST body=$custom_body; }
start_app "$store" "$binary" valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$tmp/callgrind.out"
load 2 2000 >/dev/null  # warm-up: connections, Redis connection, metric series, allocator pools
callgrind_control --instr=on "$app" >/dev/null
n=$(load "$seconds" "$requests")
callgrind_control --dump "$app" >/dev/null
callgrind_control --instr=off "$app" >/dev/null
dump=$(ls -t "$tmp"/callgrind.out* | head -1)

[[ -n $out ]] || out=bench/results/instructions-$(date -u +%F)-${store}-$(echo "$route" | tr -c 'a-z0-9\n' '-' | sed 's/^-*//;s/-*$//')${private:+-private}.txt
mkdir -p "$(dirname "$out")"
{
  echo "# callgrind: $method $route${custom_body:+ (body $custom_body)}, store=$store${private:+, private scope with a history cookie}, wrk -t1 -c32, $n requests counted, $(date -u +%FT%TZ)"
  echo "# binary: $binary ($(stat -c %s "$binary") bytes)"
  python3 bench/callgrind_components.py --dump "$dump" --requests "$n"
} | tee "$out"
echo "instructions: wrote $out"
if [[ -n $keep ]]; then mkdir -p target/bench-prof && cp "$dump" target/bench-prof/callgrind.out && echo "instructions: kept target/bench-prof/callgrind.out (callgrind_annotate, kcachegrind)"; fi
