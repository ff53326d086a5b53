#!/usr/bin/env bash
# Builds the giropops-senhas image for linux/amd64 and linux/arm64 and, with podman, one manifest list over both.
#   scripts/image-build.sh [--from prebuilt|source] [--tag IMAGE] [--arch amd64|arm64]... [--no-binaries]
#   --from prebuilt  (default when cargo is present) scripts/build-static.sh on the host, then the Dockerfile's
#                    `prebuilt` stage packages dist/linux-<arch>/giropops-senhas: nothing is pulled.
#   --from source    the Dockerfile's `image` stage: compiles inside the pinned Rust image (needs a registry).
#   --no-binaries    package dist/ as it is (the image test builds the binaries once, then packages them twice).
# Result: IMAGE-<arch> per architecture and IMAGE = the manifest list (podman) or the native image (docker).
# Reproducible: the image time and the label `created` are the commit time (git log -1 --format=%ct), layers are
# rebuilt (--no-cache) so that file times are that time too; same commit + same binary = same digest.
# Env: SOURCE_DATE_EPOCH and REVISION (default: from git), ENGINE (docker|podman; default docker if its daemon
# answers, else podman), PODMAN_STATE (a directory:
# podman keeps all its state there via scripts/podman-local.sh, as the image test does).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

from= tag=giropops-senhas:dev archs=() binaries=1
while (($#)); do
  case $1 in
    --from) from=$2; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    --arch) archs+=("$2"); shift 2 ;;
    --no-binaries) binaries=0; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "image-build: unknown argument $1" >&2; exit 2 ;;
  esac
done
((${#archs[@]})) || archs=(amd64 arm64)
[[ -n $from ]] || { command -v cargo >/dev/null && from=prebuilt || from=source; }
case $from in prebuilt) stage=prebuilt ;; source) stage=image ;; *) echo "image-build: --from prebuilt|source" >&2; exit 2 ;; esac

if [[ -z ${ENGINE:-} ]]; then
  if command -v docker >/dev/null && docker info >/dev/null 2>&1; then ENGINE=docker; else ENGINE=podman; fi
fi
engine() {
  if [[ $ENGINE == podman && -n ${PODMAN_STATE:-} ]]; then "$ROOT/scripts/podman-local.sh" "$PODMAN_STATE" "$@"; else "$ENGINE" "$@"; fi
}

# Everything that describes the image comes from the commit.
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
revision=${REVISION:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}
version=$(sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -1)
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
source_url=$(sed -n 's/^repository *= *"\(.*\)"/\1/p' Cargo.toml | head -1)
build_args=(--build-arg "VERSION=$version" --build-arg "REVISION=$revision" --build-arg "CREATED=$created")
[[ -n $source_url ]] && build_args+=(--build-arg "SOURCE=$source_url")

if [[ $from == prebuilt && $binaries == 1 ]]; then
  args=(); for a in "${archs[@]}"; do args+=(--arch "$a"); done
  scripts/build-static.sh "${args[@]}"
fi

# A manifest list of the same name would keep the old per-arch images referenced.
[[ $ENGINE == podman ]] && { engine manifest rm "$tag" >/dev/null 2>&1 || true; }
for arch in "${archs[@]}"; do
  if [[ $ENGINE == docker ]]; then
    # BuildKit: SOURCE_DATE_EPOCH sets the image time and clamps the file times.
    SOURCE_DATE_EPOCH=$epoch engine build --platform "linux/$arch" --target "$stage" --no-cache \
      --build-arg "SOURCE_DATE_EPOCH=$epoch" "${build_args[@]}" -t "$tag-$arch" .
  else
    # Docker format: OCI image configs cannot hold HEALTHCHECK. --layers=false: no intermediate images.
    engine build --platform "linux/$arch" --target "$stage" --format docker --timestamp "$epoch" --no-cache \
      --layers=false "${build_args[@]}" -t "$tag-$arch" .
    # buildah 1.28 writes its random build-container ID and hostname into the Docker config: blank them
    # (scripts/image-normalize.py) and store the image again, so that the digest depends on the inputs only.
    work=$(mktemp -d)
    engine save -q --format docker-dir -o "$work/image" "$tag-$arch"
    python3 scripts/image-normalize.py "$work/image" >/dev/null
    engine rmi "$tag-$arch" >/dev/null
    id=$(engine pull -q "dir:$work/image")
    engine tag "$id" "$tag-$arch"
    rm -rf "$work"
    echo "image-build: $tag-$arch $(engine image inspect --format '{{.Digest}}' "$tag-$arch")"
  fi
done

if [[ $ENGINE == podman ]]; then
  engine manifest create "$tag" >/dev/null
  for arch in "${archs[@]}"; do
    ref=$tag-$arch
    first=${ref%%/*}
    # podman stores an unqualified name under localhost/.
    [[ $ref == */* && ( $first == *.* || $first == *:* || $first == localhost ) ]] || ref=localhost/$ref
    engine manifest add "$tag" "containers-storage:$ref" >/dev/null
  done
  echo "image-build: manifest list $tag = ${archs[*]/#/$tag-}"
else
  native=$(docker version --format '{{.Server.Arch}}' 2>/dev/null || echo amd64)
  for arch in "${archs[@]}"; do [[ $arch == "$native" ]] && docker tag "$tag-$arch" "$tag"; done
  echo "image-build: $tag (linux/$native) and ${archs[*]/#/$tag-}; a multi-arch list needs a registry: docker buildx build --platform linux/amd64,linux/arm64 --push"
fi
