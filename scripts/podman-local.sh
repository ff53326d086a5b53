#!/usr/bin/env bash
# podman with ALL its state under one directory, so that nothing global is read or written (GUIDE §4):
# vfs storage, runc, cgroupfs, file events, the project's containers.conf, a private storage.conf,
# registries.conf (no short-name search: nothing is ever pulled by accident) and policy.json.
# Usage: scripts/podman-local.sh STATE_DIR PODMAN_ARGS…     (the image test and `make image` on such machines)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
state=${1:?usage: podman-local.sh STATE_DIR PODMAN_ARGS…}; shift
mkdir -p "$state"/{storage,run,tmp}
state=$(cd "$state" && pwd)
if [[ ! -e $state/storage.conf ]]; then
  printf '[storage]\ndriver = "vfs"\ngraphroot = "%s/storage"\nrunroot = "%s/run"\n' "$state" "$state" > "$state/storage.conf"
  printf 'unqualified-search-registries = []\nshort-name-mode = "disabled"\n' > "$state/registries.conf"
  printf '{"default":[{"type":"insecureAcceptAnything"}]}\n' > "$state/policy.json"
fi
export CONTAINERS_CONF=$root/containers.conf
export CONTAINERS_STORAGE_CONF=$state/storage.conf
export CONTAINERS_REGISTRIES_CONF=$state/registries.conf
exec podman --root "$state/storage" --runroot "$state/run" --tmpdir "$state/tmp" \
  --storage-driver vfs --runtime runc --cgroup-manager cgroupfs --events-backend file "$@"
