#!/usr/bin/env bash
# `make audit`: RustSec advisories for Cargo.lock and for the shipped (auditable) binary.
#
#   ADVISORY_DB=DIR  use that advisory-db directory (a plain copy works), offline: `--db DIR --no-fetch`.
#                    A relative path is taken from the repository root (CI sets ../shared/advisory-db).
#                    Unset: cargo-audit fetches the latest database into ~/.cargo/advisory-db.
#   BINARY=FILE      the binary to audit (default: both image binaries, dist/linux-{amd64,arm64}/giropops-senhas
#                    from scripts/build-static.sh, built if missing; ARCH=amd64 for one).
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
  bins=()
  if [[ -n ${BINARY:-} ]]; then bins=("$(static_binary "$BINARY")")
  else for arch in ${ARCH:-amd64 arm64}; do bins+=("$(static_binary "" "$arch")"); done; fi
  for bin in "${bins[@]}"; do
    echo "--- cargo audit bin ${bin#$PWD/}"
    cargo audit "${db_args[@]}" --deny warnings bin "$bin"
  done
fi
echo "audit: no known vulnerabilities, no unexplained warnings"
