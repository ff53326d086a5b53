#!/usr/bin/env bash
# Measures what the Kubernetes resources of deploy/k8s are sized from: RSS and CPU of our binary (and of
# redis-server and redis_exporter) idle and under a short, bounded wrk load, all on 127.0.0.1.
#   bash scripts/k8s-measure.sh [BINARY]     default: the static musl binary if built, else target/release
# Prints a table; copy it into the comments of base/deployment.yaml and components/redis/statefulset.yaml.
# Needs: redis-server, wrk, prometheus-redis-exporter (Debian). Not part of `make test` (it measures, it does
# not check); run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-}
if [[ -z $BIN ]]; then
  for b in dist/linux-amd64/giropops-senhas target/static/x86_64-unknown-linux-musl/release/giropops-senhas \
           target/release/giropops-senhas; do
    [[ -x $b ]] && timeout 2 "$b" --version >/dev/null 2>&1 && { BIN=$b; break; }
  done
fi
[[ -n $BIN && -x $BIN ]] || { echo "no binary: cargo build --release" >&2; exit 1; }
for t in redis-server wrk prometheus-redis-exporter; do
  command -v $t >/dev/null || { echo "missing $t (Debian package)" >&2; exit 1; }
done
DURATION=${DURATION:-10}
T=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_kb() { awk '/^VmRSS/{print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/{print $2}' "/proc/$1/status"; }
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

RP=$(port) AP=$(port) EP=$(port)
PW=$(head -c16 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo -n "$PW" > "$T/pw"
redis-server --port "$RP" --bind 127.0.0.1 --dir "$T" --save '' --appendonly yes --requirepass "$PW" \
  --maxmemory 32mb --maxmemory-policy noeviction >"$T/redis.log" 2>&1 & pids+=($!); RPID=$!
REDIS_EXPORTER_WEB_LISTEN_ADDRESS=127.0.0.1:$EP REDIS_ADDR=redis://127.0.0.1:$RP REDIS_PASSWORD=$PW \
  prometheus-redis-exporter >"$T/exporter.log" 2>&1 & pids+=($!); XPID=$!
# HISTORY_SCOPE=shared: the load sends no cookie, and the shared scope keeps every POST writing to Redis.
BIND=127.0.0.1 PORT=$AP LOG_FORMAT=json LOG_LEVEL=info HISTORY_SIZE=10 HISTORY_SCOPE=shared REDIS_HOST=127.0.0.1 REDIS_PORT=$RP \
  REDIS_PASSWORD_FILE=$T/pw SHUTDOWN_DELAY=0 "$BIN" serve >"$T/app.log" 2>&1 & pids+=($!); APID=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$AP/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "http://127.0.0.1:$AP/readyz" >/dev/null || { cat "$T/app.log"; exit 1; }
sleep 2
echo "binary: $BIN ($(file -b "$BIN" | cut -d, -f1-2)); machine: $(nproc) cores, $(uname -r); $(date -u +%F)"
printf '%-34s %10s\n' "app RSS idle (KiB)" "$(rss_kb $APID)"
printf '%-34s %10s\n' "redis-server RSS idle (KiB)" "$(rss_kb $RPID)"
printf '%-34s %10s\n' "redis_exporter RSS idle (KiB)" "$(rss_kb $XPID)"
cat > "$T/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"tamanho": 16, "incluir_numeros": true, "incluir_caracteres_especiais": true}'
wrk.headers["Content-Type"] = "application/json"
LUA
load() {  # name, wrk args…
  local name=$1; shift
  local t0 r0; t0=$(ticks $APID); r0=$(ticks $RPID)
  local out; out=$(wrk -t2 -c32 -d"${DURATION}s" --latency "$@")
  local reqs; reqs=$(awk '/requests in/{print $1}' <<<"$out")
  local cpu=$(( $(ticks $APID) - t0 )) rcpu=$(( $(ticks $RPID) - r0 ))
  printf '%-34s %10s req/s, app CPU %s ms total = %s µs/req (%.0f%% of one core), redis CPU %s ms\n' \
    "$name" "$(awk '/Requests\/sec/{print $2}' <<<"$out")" $((cpu * 1000 / hz)) \
    $((cpu * 1000000 / hz / (reqs > 0 ? reqs : 1))) "$(bc -l <<<"$cpu / $hz / $DURATION * 100")" \
    $((rcpu * 1000 / hz))
  printf '%-34s %10s   p99 %s\n' "  app RSS after (KiB)" "$(rss_kb $APID)" "$(awk '/ 99%/{print $2}' <<<"$out")"
}
load "POST /api/gerar-senha (wrk -c32)" -s "$T/post.lua" "http://127.0.0.1:$AP/api/gerar-senha"
load "GET / page + history (wrk -c32)" "http://127.0.0.1:$AP/"
for _ in $(seq 20); do curl -fs "http://127.0.0.1:$EP/metrics" >/dev/null; done
printf '%-34s %10s\n' "app RSS peak VmHWM (KiB)" "$(hwm_kb $APID)"
printf '%-34s %10s\n' "redis-server RSS peak (KiB)" "$(hwm_kb $RPID)"
printf '%-34s %10s\n' "redis_exporter RSS peak (KiB)" "$(hwm_kb $XPID)"
printf '%-34s %10s\n' "app disk writes (bytes)" "$(awk '/^write_bytes/{print $2}' /proc/$APID/io)"
printf '%-34s %10s\n' "app log bytes (json, info)" "$(wc -c <"$T/app.log")"
