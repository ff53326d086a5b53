#!/usr/bin/env bash
# API fuzzing from our own OpenAPI document (`make api-fuzz`, stage `api-fuzz` of `make test`): schemathesis
# (PyPI, pinned in scripts/requirements-tools.txt) reads GET /api/openapi.json from the real binary and sends
# generated requests — valid ones, invalid ones (wrong types, out-of-range values, missing/odd content types,
# unexpected methods) — to every documented operation, a bounded number of cases each, all on 127.0.0.1.
# Run twice: the embedded store, then a redis-server of our own. Fails on any 5xx, any response that violates
# the document (status, content type, headers, body schema), any schema-valid request rejected and any
# schema-violating request accepted (so the document must describe the API exactly).
#
# Env:
#   GIROPOPS_BIN=PATH        the binary (default: `cargo build --locked`, the debug build: overflow checks on)
#   API_FUZZ_EXAMPLES=N      cases per operation and phase (default 100)
#   API_FUZZ_SEED=N          schemathesis seed (default 1, reproducible); `random` for a new one each run
#   API_FUZZ_STORES="memory redis"   which runs to do
#   API_FUZZ_REPORT_DIR=DIR  keep the JUnit + NDJSON reports there (default: a temp dir, removed)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

ST=$ROOT/.cache/venv/bin/schemathesis
[[ -x $ST ]] || { echo "fuzz-api: schemathesis missing: run bash scripts/install-deps.sh (PyPI schemathesis)" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "fuzz-api: redis-server missing: apt-get install redis-server" >&2; exit 1; }

EXAMPLES=${API_FUZZ_EXAMPLES:-100}
SEED=${API_FUZZ_SEED:-1}
STORES=${API_FUZZ_STORES:-memory redis}

if [[ -n ${GIROPOPS_BIN:-} ]]; then
  BIN=$GIROPOPS_BIN
else
  cargo build --locked --quiet
  BIN=$ROOT/target/debug/giropops-senhas
fi
[[ -x $BIN ]] || { echo "fuzz-api: no binary at $BIN" >&2; exit 1; }

T=$(mktemp -d)
pids=()
redis_pid=
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [[ -n ${API_FUZZ_REPORT_DIR:-} ]]; then mkdir -p "$API_FUZZ_REPORT_DIR"; cp -r "$T"/report-* "$API_FUZZ_REPORT_DIR"/ 2>/dev/null || true; fi
  rm -rf "$T"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_http() { # url deadline_seconds
  local url=$1 deadline=$((SECONDS + $2))
  until python3 -c 'import sys,urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$url" 2>/dev/null; do
    ((SECONDS < deadline)) || { echo "fuzz-api: $url not up after $2 s" >&2; return 1; }
    sleep 0.2
  done
}

passed=0 failed=0
check() { # name, then a command that must succeed
  local name=$1; shift
  if "$@"; then echo "ok: $name"; passed=$((passed + 1)); else echo "FAIL: $name" >&2; failed=$((failed + 1)); fi
}

# The checks must be able to fail. Against the same server, a copy of its document with two lies in it:
# the response field `senha` declared an integer, and `tamanho` allowed up to 200. schemathesis must report
# both (a response violating the schema, a schema-valid request rejected) and exit non-zero.
mutation_checks() { # port
  local port=$1 out=$T/st-mutated.log rc=0
  python3 - "http://127.0.0.1:$port/api/openapi.json" "$T/mutated.json" <<'EOF'
import json, sys, urllib.request
doc = json.load(urllib.request.urlopen(sys.argv[1], timeout=5))
schemas = doc["components"]["schemas"]
schemas["GerarSenhaResponse"]["properties"]["senha"] = {"type": "integer"}
tamanho = schemas["GerarSenhaRequest"]["properties"]["tamanho"]
for alt in tamanho.get("oneOf", [tamanho]):
    if alt.get("type") == "integer":
        alt["maximum"] = 200
json.dump(doc, open(sys.argv[2], "w"))
EOF
  (cd "$T" && "$ST" run "$T/mutated.json" --url "http://127.0.0.1:$port" --include-path /api/gerar-senha \
      --checks all --max-examples 20 --seed 1 --phases examples,coverage,fuzzing --continue-on-failure \
      --generation-database none --no-color) >"$out" 2>&1 || rc=$?
  check "mutation: a lying document fails the run (exit $rc)" test "$rc" -ne 0
  check "mutation: response body against the schema is checked" grep -q "Response violates schema" "$out"
  check "mutation: schema-valid requests must be accepted" grep -q "Schema-valid request rejected" "$out"
}

run_store() { # memory|redis
  local store=$1 port env=() log=$T/app-$1.log
  port=$(free_port)
  if [[ $store == redis ]]; then
    local rport; rport=$(free_port)
    mkdir -p "$T/redis"
    redis-server --bind 127.0.0.1 --port "$rport" --save "" --appendonly no --dir "$T/redis" \
      --logfile "$T/redis.log" &
    redis_pid=$!
    pids+=("$redis_pid")
    local deadline=$((SECONDS + 20))
    until redis-cli -p "$rport" ping 2>/dev/null | grep -q PONG; do
      ((SECONDS < deadline)) || { echo "fuzz-api: redis-server did not start" >&2; cat "$T/redis.log" >&2; return 1; }
      sleep 0.1
    done
    env=(REDIS_HOST=127.0.0.1 REDIS_PORT="$rport")
  fi
  env BIND=127.0.0.1 PORT="$port" LOG_LEVEL=warn "${env[@]}" "$BIN" >"$log" 2>&1 &
  local app=$!
  pids+=("$app")
  wait_http "http://127.0.0.1:$port/readyz" 30

  echo "--- schemathesis, store=$store, $EXAMPLES cases per operation and phase, seed $SEED"
  local seed_args=(--seed "$SEED")
  [[ $SEED == random ]] && seed_args=()
  local rc=0
  (cd "$T" && "$ST" --config-file "$ROOT/scripts/schemathesis.toml" run "http://127.0.0.1:$port/api/openapi.json" \
      --checks all --max-examples "$EXAMPLES" "${seed_args[@]}" --workers 2 \
      --phases examples,coverage,fuzzing --continue-on-failure --generation-database none \
      --request-timeout 15 --no-color \
      --report junit,ndjson --report-dir "$T/report-$store") >"$T/st-$store.log" 2>&1 || rc=$?
  # The summary: operations, phases, cases generated; every failure in full (request, response, curl).
  sed -n '/^=* *FAILURES/,$p; /Test cases:/,+1p' "$T/st-$store.log" | head -400
  grep -q '^Test cases:' "$T/st-$store.log" || tail -40 "$T/st-$store.log"
  local cases; cases=$(grep -A1 '^Test cases:' "$T/st-$store.log" | grep -oE '[0-9]+ generated' | grep -oE '[0-9]+' || echo 0)
  # 5xx, counted from the NDJSON events: every response status schemathesis saw.
  local fivexx; fivexx=$(python3 - "$T/report-$store" <<'EOF'
import json, pathlib, sys
n = 0
for f in pathlib.Path(sys.argv[1]).glob("*.ndjson"):
    for line in f.read_text().splitlines():
        for m in __import__("re").finditer(r'"status_code":\s*(\d+)', line):
            n += int(m.group(1)) >= 500
print(n)
EOF
)
  # The server's own count, independent of schemathesis: http_requests_total by status, from /metrics.
  local served=? server5xx=?
  read -r served server5xx < <(python3 "$ROOT/scripts/fuzz_api_metrics.py" "http://127.0.0.1:$port/metrics") || true
  echo "store=$store: the server counted $served requests, $server5xx of them 5xx (http_requests_total)"
  [[ $server5xx == 0 ]] || rc=1
  if kill -0 "$app" 2>/dev/null; then :; else echo "fuzz-api: the app died during the run (store=$store)" >&2; tail -20 "$log" >&2; rc=1; fi
  if grep -qiE 'panicked|thread .* panicked' "$log"; then echo "fuzz-api: the app panicked (store=$store):" >&2; grep -i -A3 panicked "$log" >&2; rc=1; fi
  echo "store=$store: $cases cases, responses with 5xx: $fivexx, schemathesis exit $rc"
  echo "RESULT store=$store cases=$cases 5xx_seen=$fivexx served=$served 5xx_served=$server5xx rc=$rc" >>"$T/results"
  if ((rc == 0 && fivexx == 0)); then passed=$((passed + 1)); else failed=$((failed + 1)); fi
  [[ $store == memory ]] && mutation_checks "$port"
  if [[ $store == redis ]]; then
    # The 5xx count must be able to see a 5xx: Redis paused, GET /api/senhas answers 503 (history
    # unavailable) after REDIS_TIMEOUT, and http_requests_total must count it. With a history cookie (any 64 hex
    # digits name a list): without one, the private scope answers [] without asking Redis.
    kill -STOP "$redis_pid"
    python3 -c 'import sys,urllib.request
req = urllib.request.Request(sys.argv[1], headers={"Cookie": "giropops-historico=" + "ab" * 32})
try: urllib.request.urlopen(req, timeout=10)
except Exception: pass' "http://127.0.0.1:$port/api/senhas"
    kill -CONT "$redis_pid"
    local after=0
    read -r _ after < <(python3 "$ROOT/scripts/fuzz_api_metrics.py" "http://127.0.0.1:$port/metrics") || true
    check "mutation: a 5xx answer (Redis paused) is counted ($after)" test "$after" -ge 1
  fi
  kill "$app" 2>/dev/null || true
  wait "$app" 2>/dev/null || true
}

for store in $STORES; do run_store "$store"; done
cat "$T/results"
echo "$passed passed, $failed failed"
((failed == 0))
