#!/usr/bin/env bash
# `make push IMAGE=registry.example/org/giropops-senhas:TAG`: the amd64 + arm64 image as one manifest list.
#
#   podman (default here): pushes the local manifest list LOCAL_IMAGE (default: IMAGE itself, as `make image
#     IMAGE=…` names it; built by scripts/image-build.sh first when it does not exist) with every platform in it.
#   docker: `docker buildx build --platform linux/amd64,linux/arm64 --push` of the Dockerfile (compiles in the
#     toolchain image; a local docker engine cannot hold a multi-arch list). Not run on our CI (no docker engine).
#
# Env: ENGINE (docker|podman), PODMAN_STATE (podman keeps its state in that directory: scripts/podman-local.sh),
# REGISTRY_INSECURE=1 (plain-HTTP registry, e.g. a local test registry). Prints the pushed digest; sign that.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/supply-chain.sh

IMAGE=${1:-${IMAGE:-}}
[[ $IMAGE == */* ]] || die "IMAGE must name a registry repository (registry.example/org/giropops-senhas:tag), got '$IMAGE'"
LOCAL=${LOCAL_IMAGE:-$IMAGE}
if [[ -z ${ENGINE:-} ]]; then
  if command -v docker >/dev/null && docker info >/dev/null 2>&1; then ENGINE=docker; else ENGINE=podman; fi
fi
tls=(); [[ ${REGISTRY_INSECURE:-0} == 1 ]] && tls=(--tls-verify=false)

if [[ $ENGINE == docker ]]; then
  epoch=$(git log -1 --format=%ct)
  SOURCE_DATE_EPOCH=$epoch docker buildx build --platform linux/amd64,linux/arm64 --target image \
    --build-arg "SOURCE_DATE_EPOCH=$epoch" --build-arg "VERSION=$(sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -1)" \
    --build-arg "REVISION=$(git rev-parse HEAD)" --build-arg "CREATED=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)" \
    --push -t "$IMAGE" .
  exit 0
fi

engine() {
  if [[ -n ${PODMAN_STATE:-} ]]; then bash scripts/podman-local.sh "$PODMAN_STATE" "$@"; else podman "$@"; fi
}
if ! engine manifest exists "$LOCAL" 2>/dev/null; then
  echo "push: no local manifest list $LOCAL: building it (scripts/image-build.sh)"
  PODMAN_STATE=${PODMAN_STATE:-} ENGINE=podman bash scripts/image-build.sh --tag "$LOCAL"
fi
digestfile=$(mktemp)
trap 'rm -f "$digestfile"' EXIT
engine manifest push --quiet --all "${tls[@]}" --digestfile "$digestfile" "$LOCAL" "docker://$IMAGE"
echo "pushed $IMAGE@$(cat "$digestfile") (linux/amd64 + linux/arm64)"
