#!/usr/bin/env bash
# Builds the release binary with symbols for the profilers (bench/profile.sh, bench/instructions.sh): same code,
# same profile (fat LTO, musl, static) as the shipped one; only strip=none + debug line tables + frame pointers,
# in its own target dir (target/bench-prof). Prints the binary's path on the last line.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
[[ -d $ROOT/.cache/venv/bin ]] && PATH=$ROOT/.cache/venv/bin:$PATH
arch=$(uname -m)
echo "building a symbolized release binary (target/bench-prof)" >&2
CARGO_TARGET_DIR=$ROOT/target/bench-prof CARGO_PROFILE_RELEASE_STRIP=none CARGO_PROFILE_RELEASE_DEBUG=line-tables-only \
  RUSTFLAGS="-C target-feature=+crt-static -C force-frame-pointers=yes" \
  cargo zigbuild --release --locked --target "$arch-unknown-linux-musl" --bin giropops-senhas >&2
echo "$ROOT/target/bench-prof/$arch-unknown-linux-musl/release/giropops-senhas"
