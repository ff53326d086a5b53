#!/usr/bin/env bash
# The image test (`make image-test`, `make test` stage `image`): builds the static binaries for amd64 and arm64 on
# the host (scripts/build-static.sh, reusing target/), then scripts/image_test.py packages, runs and checks them
# with podman whose state lives in a temp dir (see its docstring for the list) and writes docs/image-report.md.
# Env (local iteration only): REPRO=0 skips the second clean build, REPRO_ARCHS="amd64" limits it, BUILD=0 packages
# dist/ as it is (no build).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for tool in podman buildah skopeo runc qemu-aarch64-static redis-server redis-cli git; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
for tool in .cache/venv/bin/hadolint .cache/venv/bin/cargo-zigbuild .cache/venv/bin/python; do
  [[ -x $tool ]] || missing+=("$tool")
done
if ((${#missing[@]})); then
  echo "image-test: missing ${missing[*]}: run bash scripts/install-deps.sh" >&2
  exit 1
fi

if [[ ${BUILD:-1} != 0 ]]; then
  start=$(date +%s)
  scripts/build-static.sh --arch amd64 --arch arm64
  export BINARIES_SECONDS=$(( $(date +%s) - start ))
fi
exec .cache/venv/bin/python scripts/image_test.py
