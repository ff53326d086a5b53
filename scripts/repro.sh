#!/usr/bin/env bash
# `make repro`: are the static binaries reproducible? Builds HEAD twice for amd64 and arm64 (ARCHS="amd64" for one),
# each time in a fresh clone, with its own target dir and its own empty $XDG_CACHE_HOME (zig's and cargo-zigbuild's
# caches: nothing shared but the cargo registry under CARGO_HOME), and compares the binaries byte for byte.
# `make test` proves amd64 on every run more cheaply (scripts/image_test.py: a second clean build against the one
# the image stage packaged, same cache location); this is the full check, ~4 clean fat-LTO builds.
# Env: ARCHS (default "amd64 arm64"), KEEP=1 keeps the work dir (clones' binaries) for a closer look.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
archs=${ARCHS:-amd64 arm64}
args=()
for a in $archs; do args+=(--arch "$a"); done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/repro.XXXXXX")
[[ -n ${KEEP:-} ]] && echo "repro: work dir $tmp (kept)" || trap 'rm -rf "$tmp"' EXIT

commit=$(git -C "$ROOT" rev-parse HEAD)
for run in a b; do
  git clone -q --no-hardlinks "$ROOT" "$tmp/src-$run"
  git -C "$tmp/src-$run" checkout -q "$commit"  # HEAD of this work tree, not the clone's default branch
  mkdir -p "$tmp/cache-$run"
  start=$(date +%s)
  (cd "$tmp/src-$run" && XDG_CACHE_HOME=$tmp/cache-$run CARGO_TARGET_DIR=$tmp/src-$run/target \
    PATH=$ROOT/.cache/venv/bin:$PATH bash scripts/build-static.sh "${args[@]}" --out "$tmp/dist-$run")
  echo "repro: build $run of ${commit:0:12}: $(( $(date +%s) - start ))s ($archs; XDG_CACHE_HOME=$tmp/cache-$run)"
  rm -rf "$tmp/src-$run/target"
done

status=0
for a in $archs; do
  x=$tmp/dist-a/linux-$a/giropops-senhas y=$tmp/dist-b/linux-$a/giropops-senhas
  if cmp -s "$x" "$y"; then
    echo "repro: $a: byte-identical ($(stat -c %s "$x") bytes, sha256 $(sha256sum <"$x" | cut -c1-16)…)"
  else
    echo "repro: $a: DIFFERENT ($(cmp -l "$x" "$y" 2>/dev/null | wc -l) bytes differ; sizes $(stat -c %s "$x") / $(stat -c %s "$y"))" >&2
    status=1
  fi
done
exit $status
