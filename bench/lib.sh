# Sourced by bench/profile.sh and bench/instructions.sh: a temp dir and the processes to stop at exit, the
# app (under an optional wrapper such as valgrind) with its own Redis on free loopback ports, and the load.
# Uses the caller's $route; sets $method, $tmp, $port and $app.

# POST routes get a body: the course's for the legacy route, a 16-character password for v1.
method=GET body=
if [[ $route == /api/gerar-senha ]]; then
  method=POST body='{"tamanho":12,"incluir_numeros":true,"incluir_caracteres_especiais":true}'
elif [[ $route == /api/v1/passwords ]]; then
  method=POST body='{"length":16}'
fi

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_app STORE BINARY [WRAPPER…]: the app with the shipped defaults, on Redis (no persistence) or the
# embedded store; returns once /healthz answers (30 s at most: valgrind starts slowly).
start_app() {
  local store=$1 binary=$2; shift 2
  port=$(free_port)
  # HISTORY_SCOPE=shared: wrk sends no cookie, and in the private scope (the default) a cookieless POST writes
  # nothing; the shared scope keeps every POST writing to Redis, the path the baseline measures.
  local env_app=(PORT="$port" BIND=127.0.0.1 HISTORY_SCOPE="${BENCH_HISTORY_SCOPE:-shared}")
  if [[ $store == redis ]]; then
    local rport; rport=$(free_port)
    redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" >/dev/null &
    pids+=($!)
    for _ in $(seq 100); do redis-cli -p "$rport" ping 2>/dev/null | grep -q PONG && break; sleep 0.05; done
    env_app+=(REDIS_URL="redis://127.0.0.1:$rport/0")
  fi
  env -i PATH="$PATH" "${env_app[@]}" "$@" "$binary" >"$tmp/app.log" 2>"$tmp/app.err" &
  app=$!
  pids+=($app)
  for _ in $(seq 600); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  cat "$tmp/app.log" "$tmp/app.err" >&2
  return 1
}

# load SECONDS [MAX_REQUESTS]: `wrk -t1 -c32` on $route; prints the requests done. wrk runs the whole
# duration even when the cap stops it sending.
load() {
  BENCH_METHOD=$method BENCH_PATH=$route BENCH_BODY=$body BENCH_MAX_REQUESTS=${2:-2000000} BENCH_COOKIE=${BENCH_COOKIE:-} \
    wrk -t1 -c32 -d"$1"s -s bench/wrk.lua "http://127.0.0.1:$port$route" | sed -n 's/^BENCH_RESULT //p' \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])'
}
