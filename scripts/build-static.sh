#!/usr/bin/env bash
# Builds the static musl binaries of giropops-senhas for linux/amd64 and linux/arm64, reproducibly:
#   cargo auditable zigbuild --release --locked --target {x86_64,aarch64}-unknown-linux-musl
# - `cargo auditable` embeds the dependency list (section .dep-v0) that `cargo audit bin`, Syft and Trivy read;
# - `cargo zigbuild` links with zig (PyPI `ziglang`), the same linker for both architectures, no cross gcc needed;
# - `--locked` + the toolchain pinned by rust-toolchain.toml + every absolute build path remapped (source dir,
#   CARGO_HOME, target dir) make two clean builds of one commit in different directories byte-identical
#   (checked by scripts/image-test.sh).
# Output: $OUT/linux-<arch>/giropops-senhas (what the Dockerfile's `prebuilt` stage packages).
#
# Usage: scripts/build-static.sh [--arch amd64|arm64]... [--out DIR] [--cook RECIPE] [--bloat]
#   --arch ARCH    amd64 and/or arm64 (default: both)
#   --out DIR      default: dist
#   --cook RECIPE  only build the dependencies of a cargo-chef recipe, with the same flags (Dockerfile cache layer)
#   --bloat        instead of the binary, print the size each crate contributes to it: `cargo bloat --crates` on
#                  this same build (flags, zig linker, cargo auditable), only unstripped (cargo bloat needs the
#                  symbols), in its own target dir (default target/bloat); docs/image.md has the table
# Env: CARGO_TARGET_DIR (default: target/static: its own, so that other builds with other flags never invalidate
# it), CARGO_HOME (default: ~/.cargo).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

archs=() out=dist cook= bloat=
while (($#)); do
  case $1 in
    --bloat) bloat=1; shift ;;
    --arch) archs+=("$2"); shift 2 ;;
    --out) out=$2; shift 2 ;;
    --cook) cook=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-static: unknown argument $1" >&2; exit 2 ;;
  esac
done
((${#archs[@]})) || archs=(amd64 arm64)

triple() {
  case $1 in
    amd64) echo x86_64-unknown-linux-musl ;;
    arm64) echo aarch64-unknown-linux-musl ;;
    *) echo "build-static: unsupported arch '$1' (amd64|arm64)" >&2; return 2 ;;
  esac
}

# The project venv holds ziglang + cargo-zigbuild (scripts/requirements-tools.txt); the Dockerfile puts its own on PATH.
[[ -d $ROOT/.cache/venv/bin ]] && PATH=$ROOT/.cache/venv/bin:$PATH
command -v cargo-zigbuild >/dev/null || { echo "build-static: cargo-zigbuild missing: run bash scripts/install-deps.sh (PyPI cargo-zigbuild + ziglang)" >&2; exit 1; }
[[ -n $cook ]] || cargo auditable --version >/dev/null 2>&1 || { echo "build-static: cargo-auditable missing: run bash scripts/install-deps.sh" >&2; exit 1; }

if [[ -n $bloat ]]; then
  command -v cargo-bloat >/dev/null || { echo "build-static: cargo-bloat missing: cargo install --locked cargo-bloat (version: scripts/cargo-tools.txt)" >&2; exit 1; }
  target_dir=${CARGO_TARGET_DIR:-$ROOT/target/bloat}
else
  target_dir=${CARGO_TARGET_DIR:-$ROOT/target/static}
fi
mkdir -p "$target_dir"
target_dir=$(cd "$target_dir" && pwd)
cargo_home=${CARGO_HOME:-$HOME/.cargo}
export CARGO_TARGET_DIR=$target_dir
# The only flags that reach rustc: the environment's RUSTFLAGS must not change the binary. rustc applies the LAST
# matching remap, so the more specific prefixes (target dir, often inside the source dir) come last.
unset CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS
export RUSTFLAGS="-C target-feature=+crt-static --remap-path-prefix=$cargo_home=/cargo --remap-path-prefix=$ROOT=/build/giropops-senhas --remap-path-prefix=$target_dir=/build/target"
# rustc and zig cc see one fixed SOURCE_DATE_EPOCH, whatever the caller's (the image's dates come from
# scripts/image-build.sh, not from here): nothing in the binary depends on it (two builds with different values
# are byte-identical), but the cc-based build scripts (ring, mimalloc) rerun when it changes, and set to the
# commit time it changed with every commit: ~75 s of C and its dependents rebuilt per arch.
export SOURCE_DATE_EPOCH=0

if [[ -n $bloat ]]; then
  # cargo bloat runs `cargo build` itself: a `cargo` first on PATH turns that into `cargo auditable zigbuild`;
  # every other cargo call, and the nested ones (marked), go to the real cargo.
  real_cargo=$(command -v cargo)
  shim=$(mktemp -d)
  trap 'rm -rf "$shim"' EXIT
  cat >"$shim/cargo" <<EOF
#!/usr/bin/env bash
if [[ \${1-} == build && -z \${BUILD_STATIC_SHIM-} ]]; then shift; BUILD_STATIC_SHIM=1 exec "$real_cargo" auditable zigbuild "\$@"; fi
exec "$real_cargo" "\$@"
EOF
  chmod +x "$shim/cargo"
  for arch in "${archs[@]}"; do
    t=$(triple "$arch")
    echo "build-static: cargo bloat --crates, $t (unstripped)"
    PATH=$shim:$PATH cargo bloat --release --locked --target "$t" --bin giropops-senhas --crates -n 0
  done
  exit 0
fi

for arch in "${archs[@]}"; do
  t=$(triple "$arch")
  if [[ -n $cook ]]; then
    cargo chef cook --release --locked --zigbuild --target "$t" --recipe-path "$cook"
    continue
  fi
  start=$(date +%s)
  cargo auditable zigbuild --release --locked --target "$t" --bin giropops-senhas
  mkdir -p "$out/linux-$arch"
  # cp, not a hard link: the target dir may be rebuilt later while dist/ is packaged.
  cp "$target_dir/$t/release/giropops-senhas" "$out/linux-$arch/giropops-senhas.tmp"
  mv "$out/linux-$arch/giropops-senhas.tmp" "$out/linux-$arch/giropops-senhas"
  echo "build-static: $out/linux-$arch/giropops-senhas ($(stat -c %s "$out/linux-$arch/giropops-senhas") bytes, $t, $(( $(date +%s) - start ))s)"
done
