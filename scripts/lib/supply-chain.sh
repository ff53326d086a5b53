# Shared helpers of the supply-chain scripts (audit, deny, sbom, cosign). Source it from the repository root.
# shellcheck shell=bash

VENV_BIN=${VENV_BIN:-$PWD/.cache/venv/bin}

die() { echo "error: $*" >&2; exit 1; }

# An absolute path for a path given relative to the repository root (or already absolute).
abs_from_root() {
  local p=$1
  [[ $p == /* ]] || p=$PWD/$p
  realpath -m "$p"
}

need_cargo_tool() {
  local tool=$1 sub=${1#cargo-}
  cargo "$sub" --version >/dev/null 2>&1 ||
    die "$tool is missing: run 'bash scripts/install-deps.sh' (it is pinned in scripts/cargo-tools.txt)"
}

need_venv_tool() {
  [[ -x $VENV_BIN/$1 ]] ||
    die "$VENV_BIN/$1 is missing: run 'bash scripts/install-deps.sh' (PyPI pins in scripts/requirements-tools.txt)"
}

# The static, auditable release binary for an architecture (amd64 default, or arm64): $1 if given, else what
# scripts/build-static.sh (the image's build: `cargo auditable zigbuild`) writes to dist/linux-ARCH/, built first
# when it is missing.
static_binary() {
  local given=${1:-} arch=${2:-amd64} bin
  if [[ -n $given ]]; then
    bin=$(abs_from_root "$given")
    [[ -f $bin ]] || die "BINARY=$given does not exist"
  else
    bin=$PWD/dist/linux-$arch/giropops-senhas
    if [[ ! -f $bin ]]; then
      echo "building $bin (missing): bash scripts/build-static.sh --arch $arch" >&2
      bash scripts/build-static.sh --arch "$arch" >&2
    fi
    [[ -f $bin ]] || die "no binary at $bin after the build"
  fi
  # cargo-auditable writes the dependency tree into a .dep-v0 section; without it `cargo audit bin` can only guess.
  readelf -S "$bin" 2>/dev/null | grep -q '\.dep-v0' ||
    die "$bin has no .dep-v0 section: build it with 'cargo auditable' (scripts/build-static.sh does)"
  echo "$bin"
}

# Rust target triple of an image architecture.
arch_triple() {
  case $1 in amd64) echo x86_64-unknown-linux-musl ;; arm64) echo aarch64-unknown-linux-musl ;;
    *) die "unsupported arch $1 (amd64|arm64)" ;; esac
}

# A free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Starts Debian's docker-registry on a free 127.0.0.1 port with its storage in $1 (a temp dir). Sets REGISTRY
# (host:port) and REGISTRY_PID; waits until /v2/ answers. The caller stops it (kill "$REGISTRY_PID").
start_registry() {
  local dir=$1 port
  command -v docker-registry >/dev/null || die "docker-registry is missing (Debian package docker-registry)"
  port=$(free_port)
  mkdir -p "$dir/storage"
  cat > "$dir/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
EOF
  docker-registry serve "$dir/config.yml" > "$dir/registry.log" 2>&1 &
  REGISTRY_PID=$!
  REGISTRY=127.0.0.1:$port
  local i
  for i in $(seq 1 100); do
    if python3 -c "import urllib.request as u; u.urlopen('http://$REGISTRY/v2/', timeout=1)" 2>/dev/null; then return 0; fi
    kill -0 "$REGISTRY_PID" 2>/dev/null || { cat "$dir/registry.log" >&2; die "docker-registry exited"; }
    sleep 0.1
  done
  cat "$dir/registry.log" >&2
  die "docker-registry did not answer on $REGISTRY"
}
