#!/usr/bin/env bash
# The page stage of `make test`: the real binary (debug build, embedded store, HISTORY_SCOPE=shared so that a fresh
# browser sees a filled history) on a free port, three passwords in its history, then scripts/page_audit.mjs:
# Lighthouse desktop + mobile (accessibility, best practices, SEO = 100) and axe-core (0 violations) in both
# themes. Reports and screenshots under target/page-audit/.
set -euo pipefail
cd "$(dirname "$0")/.."

[[ -d .cache/node/node_modules/lighthouse ]] || { echo "npm tools missing: run scripts/install-deps.sh"; exit 1; }
cargo build --locked --quiet
out=target/page-audit
mkdir -p "$out"
log=$(mktemp)
env -i PATH="$PATH" BIND=127.0.0.1 PORT=0 LOG_FORMAT=json HISTORY_SCOPE=shared target/debug/giropops-senhas >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -f "$log"' EXIT
addr=
for _ in $(seq 100); do
  addr=$(sed -n 's/.*"message":"listening".*"addr":"\([^"]*\)".*/\1/p' "$log" | head -1)
  [[ -n $addr ]] && break
  kill -0 "$pid" 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.1
done
[[ -n $addr ]] || { echo "the app did not report its address"; cat "$log"; exit 1; }
base=http://$addr
for length in 12 20 32; do
  curl -fsS -o /dev/null -H 'content-type: application/json' \
    -d "{\"tamanho\": $length, \"incluir_numeros\": true, \"incluir_caracteres_especiais\": true}" \
    "$base/api/gerar-senha"
done
node scripts/page_audit.mjs "$base" "$out"
