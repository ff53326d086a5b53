#!/usr/bin/env bash
# `make audit`: RustSec advisories for Cargo.lock and for the shipped (auditable) binary.
#
#   ADVISORY_DB=DIR  use that advisory-db directory (a plain copy works), offline: `--db DIR --no-fetch`.
#                    A relative path is taken from the repository root (CI sets ../shared/advisory-db).
#                    Unset: cargo-audit fetches the latest database into ~/.cargo/advisory-db.
#   BINARY=FILE      the binary to audit (default: the static x86_64 release binary, built if missing).
#   AUDIT_LOCK_ONLY=1  skip the binary (e.g. before anything is built).
#
# Warnings (unmaintained, unsound, yanked) fail the audit too (`--deny warnings`); an advisory we accept is
# listed with its reason in .cargo/audit.toml, so nothing is left unexplained.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/supply-chain.sh

db_args=()
if [[ -n ${ADVISORY_DB:-} ]]; then
  db=$(abs_from_root "$ADVISORY_DB")
  [[ -d $db/crates ]] || die "ADVISORY_DB=$ADVISORY_DB ($db) is not an advisory-db checkout (no crates/ in it)"
  db_args=(--db "$db" --no-fetch)
  echo "audit: advisory database $db (offline${db:+; $(head -c 120 "$db/SNAPSHOT" 2>/dev/null | head -n1)})"
else
  echo "audit: fetching the latest advisory database (set ADVISORY_DB=DIR to use a local copy)"
fi

need_cargo_tool cargo-audit

echo "--- cargo audit (Cargo.lock)"
cargo audit "${db_args[@]}" --deny warnings --file Cargo.lock

if [[ ${AUDIT_LOCK_ONLY:-0} != 1 ]]; then
  bin=$(static_binary "${BINARY:-}")
  echo "--- cargo audit bin ${bin#$PWD/}"
  cargo audit "${db_args[@]}" --deny warnings bin "$bin"
fi
echo "audit: no known vulnerabilities, no unexplained warnings"
