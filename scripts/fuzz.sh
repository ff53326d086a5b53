#!/usr/bin/env bash
# cargo-fuzz targets (`make fuzz`): libFuzzer drives the request parsers and the policy validation with
# arbitrary bytes, FUZZ_SECONDS each (default 60). Targets live in fuzz/ (own package and workspace: normal
# builds never compile them); the same functions are property-tested in `make test` (tests/parsing_props.rs,
# tests/rules_props.rs).
#   json_request      raw body → JSON → GerarSenhaRequest::try_from → Policy::legacy → generate (checked)
#   form              raw form body → pairs → parse_form → Policy::legacy → generate (checked)
#   legacy_policy     Policy::legacy(any i64, flags) → generate (checked)
#   password_options  PasswordOptions::policy (v1: classes, minimums, exclusions, symbol sets) → generate (checked)
#   rules             raw bytes → rules string → RulesPolicy → prepare → generate (checked against the rules as read)
# Needs the nightly toolchain (rustup) and cargo-fuzz, installed here on first use at a pinned version.
# A crash leaves its input in fuzz/artifacts/TARGET/ and the run fails; reproduce with
#   cargo +nightly fuzz run TARGET fuzz/artifacts/TARGET/crash-…
# Env: FUZZ_SECONDS (60), FUZZ_TARGETS (all five), FUZZ_JOBS (cargo build jobs, default 1: a shared machine).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT/fuzz"

CARGO_FUZZ_VERSION=0.13.2
SECONDS_EACH=${FUZZ_SECONDS:-60}
TARGETS=${FUZZ_TARGETS:-json_request form legacy_policy password_options rules}
export CARGO_BUILD_JOBS=${FUZZ_JOBS:-1}

rustup toolchain list | grep -q '^nightly' || { echo "fuzz: the nightly toolchain is missing: rustup toolchain install nightly" >&2; exit 1; }
if ! cargo install --list | grep -q "^cargo-fuzz v$CARGO_FUZZ_VERSION:"; then
  echo "fuzz: installing cargo-fuzz $CARGO_FUZZ_VERSION (cargo install --locked, once)"
  cargo install --locked --quiet cargo-fuzz --version "$CARGO_FUZZ_VERSION"
fi

declare -A dict=([json_request]=dicts/json.dict [form]=dicts/form.dict [rules]=dicts/rules.dict)
passed=0 failed=0
for t in $TARGETS; do
  mkdir -p "corpus/$t" "seeds/$t"
  args=(-max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1)
  [[ -n ${dict[$t]:-} ]] && args+=(-dict="${dict[$t]}")
  echo "=== fuzz $t for ${SECONDS_EACH}s"
  log=$(mktemp)
  rc=0
  cargo +nightly fuzz run "$t" "corpus/$t" "seeds/$t" -- "${args[@]}" >"$log" 2>&1 || rc=$?
  grep -E '^#[0-9]+ *DONE|^Done|^stat::number_of_executed_units|^INFO: seed corpus|panicked|ERROR|SUMMARY|artifact_prefix|Test unit written' "$log" || true
  if ((rc == 0)) && ! grep -qE 'ERROR: libFuzzer|panicked at|deadly signal' "$log"; then
    execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
    echo "ok: $t (${execs:-?} executions, corpus $(find "corpus/$t" -type f | wc -l) inputs)"
    passed=$((passed + 1))
  else
    echo "FAIL: $t — see fuzz/artifacts/$t/" >&2
    tail -40 "$log" >&2
    failed=$((failed + 1))
  fi
  rm -f "$log"
done
echo "$passed passed, $failed failed"
((failed == 0))
