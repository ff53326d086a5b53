#!/usr/bin/env bash
# `make sbom`: CycloneDX JSON SBOM of the binary the image ships, made by Syft from the dependency list that
# `cargo auditable` embedded in it, then checked by scripts/sbom-check.py (schema-valid; every crate of Cargo.lock
# compiled into the binary present; nothing that is not in Cargo.lock).
#
#   ARCH="amd64 arm64"  the image architectures (default both; the target decides which crates must be present)
#   BINARY=FILE   binary to describe, with one ARCH (default: dist/linux-ARCH/giropops-senhas, scripts/build-static.sh)
#   SBOM_DIR=DIR  output directory (default target/sbom): giropops-senhas-linux-ARCH.cdx.json
#   SBOM=FILE     output file, with one ARCH
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/supply-chain.sh

need_venv_tool syft
version=$(cargo metadata --format-version 1 --no-deps --offline --locked |
  python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"]=="giropops-senhas"))')

for arch in ${ARCH:-amd64 arm64}; do
  target=$(arch_triple "$arch")
  sbom=$(abs_from_root "${SBOM:-${SBOM_DIR:-target/sbom}/giropops-senhas-linux-$arch.cdx.json}")
  bin=$(static_binary "${BINARY:-}" "$arch")
  mkdir -p "$(dirname "$sbom")"
  # Syft: offline (no update check), the binary as a file source, read by its cargo-auditable cataloguer.
  SYFT_CHECK_FOR_APP_UPDATE=false "$VENV_BIN/syft" scan "file:$bin" \
    --source-name giropops-senhas --source-version "$version" \
    --select-catalogers "+cargo-auditable-binary-cataloger" \
    -o "cyclonedx-json=$sbom" > "$sbom.log" 2>&1 || { cat "$sbom.log" >&2; die "syft failed on $bin"; }
  rm -f "$sbom.log"
  echo "sbom: ${sbom#$PWD/} ($(du -h "$sbom" | cut -f1)) for ${bin#$PWD/}"
  "$VENV_BIN/python" scripts/sbom-check.py "$sbom" --target "$target" --label "${sbom#$PWD/}"
done
