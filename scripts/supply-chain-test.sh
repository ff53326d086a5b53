#!/usr/bin/env bash
# `make supply-chain-test` / stage `supply-chain` of `make test`: every supply-chain check of the project, run for
# real and offline, each next to a broken case that must make it fail.
#
#   audit   cargo audit of Cargo.lock and of the auditable binary pass; a fixture advisory (written now, in a copy of
#           the database) against a crate compiled into the binary makes both fail.
#   deny    cargo deny licenses/bans/sources pass; a licence taken off the list, a banned crate and a foreign
#           registry each make it fail.
#   sbom    Syft's CycloneDX SBOM of the binary is schema-valid and lists every crate compiled into it; a dropped
#           crate and a schema violation are caught. Trivy reads the image (OCI layout) and lists the same crates.
#           `trivy config` finds no HIGH/CRITICAL misconfiguration in the Dockerfile; one without USER is caught.
#   sign    a local registry (127.0.0.1) receives the amd64+arm64 image; a fresh key pair signs it (no tlog);
#           cosign verify accepts it and rejects an unsigned image, a different image pushed under the signed tag,
#           and a signature by another key; the SBOM is attested and the attestation verified (and rejected for
#           another key).
#
# ADVISORY_DB=DIR uses that database offline (CI); unset, cargo-audit fetches it. SUPPLY_CHAIN_PARTS="audit deny"
# runs only some parts (local iteration).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/supply-chain.sh

PARTS=${SUPPLY_CHAIN_PARTS:-audit deny sbom sign}
T=$(mktemp -d /tmp/supply-chain.XXXXXX)
REGISTRY_PID=
cleanup() {
  if [[ -n $REGISTRY_PID ]]; then kill "$REGISTRY_PID" 2>/dev/null || true; wait "$REGISTRY_PID" 2>/dev/null || true; fi
  # vfs storage made by buildah/podman under $T may hold read-only dirs
  chmod -R u+w "$T" 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT

. scripts/lib/checks.sh
has() { [[ " $PARTS " == *" $1 "* ]]; }

has audit && need_cargo_tool cargo-audit
has deny && need_cargo_tool cargo-deny
if has sbom || has sign; then need_venv_tool syft; need_venv_tool trivy; fi

BIN=$(static_binary "${BINARY:-}")
echo "binary: ${BIN#$PWD/}"

# A crate compiled into the binary, its version from Cargo.lock: the fixture advisory's target.
victim=tokio
victim_version=$(cargo tree --locked --offline -e normal,no-proc-macro --target x86_64-unknown-linux-musl \
  --prefix none -f '{p}' | awk -v c="$victim" '$1==c {sub(/^v/,"",$2); print $2; exit}')
[[ -n $victim_version ]] || die "$victim is not compiled into the binary any more: pick another fixture crate"

# ---------------------------------------------------------------------------------------------------------- audit
if has audit; then
  echo "--- audit"
  expect_pass "cargo audit: Cargo.lock and the binary have no known advisories" bash scripts/audit.sh

  # A copy of the database we just used, plus one advisory written now against $victim@$victim_version.
  if [[ -n ${ADVISORY_DB:-} ]]; then src_db=$(abs_from_root "$ADVISORY_DB"); else src_db=$HOME/.cargo/advisory-db; fi
  [[ -d $src_db/crates ]] || die "no advisory database at $src_db"
  cp -r "$src_db" "$T/advisory-db"
  mkdir -p "$T/advisory-db/crates/$victim"
  cat > "$T/advisory-db/crates/$victim/RUSTSEC-2099-0001.md" <<EOF
\`\`\`toml
[advisory]
id = "RUSTSEC-2099-0001"
package = "$victim"
date = "2099-01-01"
url = "https://example.invalid/giropops-senhas/fixture"
categories = ["memory-corruption"]
keywords = ["fixture"]

[versions]
patched = ["> $victim_version"]
\`\`\`

# Fixture advisory written by scripts/supply-chain-test.sh

Proves that \`make audit\` fails when a crate compiled into the binary has an advisory.
EOF
  expect_fail "cargo audit (Cargo.lock) reports a fixture advisory against $victim $victim_version" \
    "RUSTSEC-2099-0001" cargo audit --db "$T/advisory-db" --no-fetch --deny warnings --file Cargo.lock
  expect_fail "cargo audit bin reports the fixture advisory from the binary's embedded dependency list" \
    "RUSTSEC-2099-0001" cargo audit --db "$T/advisory-db" --no-fetch --deny warnings bin "$BIN"
  expect_fail "make audit (scripts/audit.sh) fails on the fixture database" \
    "RUSTSEC-2099-0001" env ADVISORY_DB="$T/advisory-db" bash scripts/audit.sh
fi

# ----------------------------------------------------------------------------------------------------------- deny
deny() { cargo deny --offline --config "$1" check licenses bans sources; }
if has deny; then
  echo "--- deny"
  expect_pass "cargo deny: licences, bans and sources of deny.toml hold" deny deny.toml

  # Broken cases: each a copy of deny.toml with one change.
  python3 - "$T" <<'EOF'
import re, sys
t = sys.argv[1]
src = open("deny.toml").read()
# 1. MIT is no longer accepted (most of the tree is MIT-only or MIT OR Apache-2.0 → MIT-only crates fail)
s = re.sub(r'^\s*"MIT",\n', "", src, count=1, flags=re.M)
assert s != src; open(f"{t}/deny-licence.toml", "w").write(s)
# 2. tokio banned
s = src.replace("[bans]\n", '[bans]\ndeny = [{ crate = "tokio", reason = "mutation test" }]\n', 1)
assert s != src; open(f"{t}/deny-ban.toml", "w").write(s)
# 4. no skip list: the duplicate major versions it explains are reported
s = re.sub(r"^skip = \[.*?^\]\n", "skip = []\n", src, count=1, flags=re.M | re.S)
if s != src and "skip = []\n" not in src:
    open(f"{t}/deny-dup.toml", "w").write(s)
# 3. only another registry allowed (crates.io no longer is)
s = src.replace("[sources]\n", '[sources]\nallow-registry = ["sparse+http://127.0.0.1:9/index/"]\n', 1)
assert s != src; open(f"{t}/deny-source.toml", "w").write(s)
EOF
  expect_fail "cargo deny rejects the tree when MIT is not an accepted licence" \
    "rejected|not explicitly allowed|license" deny "$T/deny-licence.toml"
  expect_fail "cargo deny rejects a banned crate (tokio)" "banned|explicitly banned|tokio" deny "$T/deny-ban.toml"
  if [[ -f $T/deny-dup.toml ]]; then
    expect_fail "cargo deny reports duplicate versions when the skip list (with its reasons) is removed" \
      "duplicate" deny "$T/deny-dup.toml"
  fi
  expect_fail "cargo deny rejects crates from a registry that is not allowed" \
    "source|registry" deny "$T/deny-source.toml"
fi

# ----------------------------------------------------------------------------------------------------------- sbom
if has sbom || has sign; then
  echo "--- sbom"
  export SBOM_DIR=$T/sbom
  SBOM=$SBOM_DIR/giropops-senhas-linux-amd64.cdx.json
  expect_pass "make sbom: Syft CycloneDX of each binary, schema-valid, every compiled crate present" \
    bash scripts/sbom.sh
  grep -E '^(ok|sbom)' "$T/out" | sed 's/^/       /' || true
  [[ -s $SBOM ]] || die "no SBOM written"

  python3 - "$SBOM" "$T" "$victim" <<'EOF'
import json, sys
sbom, t, victim = sys.argv[1:4]
doc = json.load(open(sbom))
# 1. one compiled crate dropped
d = json.loads(json.dumps(doc))
n = len(d["components"])
d["components"] = [c for c in d["components"] if not c.get("purl", "").startswith(f"pkg:cargo/{victim}@")]
assert len(d["components"]) < n, "victim not in SBOM"
json.dump(d, open(f"{t}/sbom-missing.json", "w"))
# 2. schema violation: the BOM version must be an integer
d = json.loads(json.dumps(doc)); d["version"] = "one"
json.dump(d, open(f"{t}/sbom-invalid.json", "w"))
EOF
  expect_fail "the SBOM check catches a crate missing from the SBOM ($victim)" \
    "missing: .*$victim@$victim_version" .cache/venv/bin/python scripts/sbom-check.py "$T/sbom-missing.json"
  expect_fail "the SBOM check catches a document that is not valid CycloneDX" \
    "not valid CycloneDX" .cache/venv/bin/python scripts/sbom-check.py "$T/sbom-invalid.json"
fi

# ----------------------------------------------------------------------------------------------------------- image
# The real image, both architectures, as one OCI layout directory (index → linux/amd64 + linux/arm64): built by the
# image's own script (Dockerfile stage `prebuilt` over dist/, podman state in $T) and written out by podman.
if has sbom || has sign; then
  echo "--- image"
  static_binary "" arm64 > /dev/null   # both binaries present (built if missing)
  PODMAN_STATE=$T/podman ENGINE=podman bash scripts/image-build.sh --no-binaries --tag giropops-senhas:supply-chain \
    > "$T/image-build.log" 2>&1 || { cat "$T/image-build.log"; die "scripts/image-build.sh failed"; }
  bash scripts/podman-local.sh "$T/podman" manifest push --quiet --all giropops-senhas:supply-chain "oci:$T/image" ||
    die "podman manifest push to an OCI layout failed"
  python3 - "$T/image" <<'EOF'
import json, sys
idx = json.load(open(f"{sys.argv[1]}/index.json"))
m = idx["manifests"]
if len(m) == 1 and "index" in m[0]["mediaType"]:  # a nested index: read it
    idx = json.load(open(f"{sys.argv[1]}/blobs/sha256/{m[0]['digest'].split(':')[1]}"))
archs = sorted(d["platform"]["architecture"] for d in idx["manifests"])
assert archs == ["amd64", "arm64"], archs
print(f"  image layout: {', '.join('linux/' + a for a in archs)}")
EOF
fi

if has sbom; then
  echo "--- trivy"
  # Trivy reads the image itself (no daemon, no registry): the OCI layout, one platform at a time.
  for arch in amd64 arm64; do
    # One platform per layout: trivy's --platform is not applied to a local --input.
    skopeo copy --quiet --override-arch "$arch" "oci:$T/image" "oci:$T/image-$arch"
    expect_pass "trivy image reads the linux/$arch image offline (CycloneDX out)" \
      "$VENV_BIN/trivy" image --quiet --cache-dir "$T/trivy-cache" --skip-db-update --skip-java-db-update \
        --offline-scan --format cyclonedx --output "$T/trivy-$arch.json" --input "$T/image-$arch"
    expect_pass "trivy's CycloneDX for linux/$arch: valid, every compiled crate present, read from the $arch image" \
      bash -c "'$VENV_BIN/python' scripts/sbom-check.py '$T/trivy-$arch.json' --target $(arch_triple "$arch") \
        --label 'trivy linux/$arch' && python3 scripts/oci-config-digest.py '$T/image-$arch' '$T/trivy-$arch.json'"
    grep -E '^ok ' "$T/out" | sed 's/^/       /' || true
  done

  tconfig() {
    "$VENV_BIN/trivy" config --quiet --cache-dir "$T/trivy-cache" --skip-check-update --severity HIGH,CRITICAL \
      --exit-code 1 "$1"
  }
  mkdir -p "$T/dockerfile-ok" "$T/dockerfile-root"
  cp Dockerfile "$T/dockerfile-ok/Dockerfile"
  grep -v '^USER' Dockerfile > "$T/dockerfile-root/Dockerfile"
  expect_pass "trivy config: no HIGH/CRITICAL misconfiguration in the Dockerfile" tconfig "$T/dockerfile-ok"
  expect_fail "trivy config catches a Dockerfile without USER (runs as root)" "DS-?0002" tconfig "$T/dockerfile-root"
fi

# ----------------------------------------------------------------------------------------------------------- sign
if has sign; then
  echo "--- sign"
  COSIGN=$(bash scripts/cosign-fetch.sh)
  export COSIGN COSIGN_TLOG=0 REGISTRY_INSECURE=1 COSIGN_PASSWORD="test-$RANDOM-$RANDOM"
  echo "  cosign: $COSIGN ($(cat .cache/cosign/VERSION 2>/dev/null || "$COSIGN" version 2>&1 | awk '/^GitVersion/ {print $2}'))"
  start_registry "$T/registry"
  echo "  registry: docker-registry on $REGISTRY"
  mkdir -p "$T/key1" "$T/key2"
  (cd "$T/key1" && "$COSIGN" generate-key-pair >/dev/null 2>&1)
  (cd "$T/key2" && "$COSIGN" generate-key-pair >/dev/null 2>&1)
  k1=(env COSIGN_KEY="$T/key1/cosign.key" COSIGN_PUB="$T/key1/cosign.pub")
  k2=(env COSIGN_KEY="$T/key2/cosign.key" COSIGN_PUB="$T/key2/cosign.pub")
  repo=$REGISTRY/giropops-senhas

  # A different image: the amd64 image with one more label (so: another config, another digest).
  python3 - "$T/image" "$T/other" <<'EOF'
import hashlib, json, os, shutil, sys
src, dst = sys.argv[1:3]
shutil.copytree(src, dst)
def blob(d): return f"{dst}/blobs/sha256/{d.split(':')[1]}"
def put(obj):
    data = json.dumps(obj, separators=(",", ":")).encode()
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    open(blob(d), "wb").write(data)
    return d, len(data)
idx = json.load(open(f"{dst}/index.json"))
if "index" in idx["manifests"][0]["mediaType"] and len(idx["manifests"]) == 1:
    idx = json.load(open(blob(idx["manifests"][0]["digest"])))
desc = next(d for d in idx["manifests"] if d["platform"]["architecture"] == "amd64")
man = json.load(open(blob(desc["digest"])))
cfg = json.load(open(blob(man["config"]["digest"])))
cfg.setdefault("config", {}).setdefault("Labels", {})["org.example.tampered"] = "yes"
man["config"]["digest"], man["config"]["size"] = put(cfg)
md, ms = put(man)
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": man.get("mediaType", "application/vnd.oci.image.manifest.v1+json"),
           "digest": md, "size": ms}]}, open(f"{dst}/index.json", "w"))
EOF

  expect_pass "make push: the amd64+arm64 manifest list into the local registry" \
    env PODMAN_STATE="$T/podman" ENGINE=podman LOCAL_IMAGE=giropops-senhas:supply-chain bash scripts/push.sh "$repo:1.0"
  grep -E '^pushed' "$T/out" | sed 's/^/       /' || true
  expect_pass "push an unsigned, different image" \
    skopeo copy --quiet --dest-tls-verify=false "oci:$T/other" "docker://$repo:unsigned"
  nplat=$(skopeo inspect --tls-verify=false --raw "docker://$repo:1.0" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["manifests"]))')
  [[ $nplat == 2 ]] && ok "the registry serves a manifest list of 2 platforms" || bad "manifest list has $nplat platforms"
  signed=$repo@sha256:$(skopeo inspect --tls-verify=false --raw "docker://$repo:1.0" | sha256sum | cut -d' ' -f1)

  expect_pass "cosign sign (key 1, no transparency log) the manifest list and its platforms" \
    "${k1[@]}" bash scripts/cosign.sh sign "$repo:1.0"
  expect_pass "cosign verify --key accepts the signed image (by tag)" "${k1[@]}" bash scripts/cosign.sh verify "$repo:1.0"
  for pd in $(skopeo inspect --tls-verify=false --raw "docker://$repo:1.0" | python3 -c '
import json,sys
for d in json.load(sys.stdin)["manifests"]: print(d["platform"]["architecture"] + "=" + d["digest"])'); do
    expect_pass "cosign verify accepts the ${pd%%=*} image by its own digest" \
      "${k1[@]}" bash scripts/cosign.sh verify "$repo@${pd#*=}"
  done
  expect_fail "cosign verify rejects an unsigned image" "no signatures found|no matching signatures" \
    "${k1[@]}" bash scripts/cosign.sh verify "$repo:unsigned"

  expect_pass "cosign attest --type cyclonedx: each platform's SBOM, signed with key 1" \
    "${k1[@]}" bash scripts/cosign.sh attest "$repo:1.0"
  expect_pass "cosign verify-attestation accepts both attestations" \
    "${k1[@]}" bash scripts/cosign.sh verify-attestation "$repo:1.0"
  grep -E '^verified attestation' "$T/out" | sed 's/^/       /' || true
  expect_fail "cosign verify-attestation rejects the attestations for another key" \
    "no matching attestations|invalid signature" "${k2[@]}" bash scripts/cosign.sh verify-attestation "$repo:1.0"

  expect_pass "sign the other image with key 2" "${k2[@]}" bash scripts/cosign.sh sign "$repo:unsigned"
  expect_pass "(control) key 2 verifies its own signature" "${k2[@]}" bash scripts/cosign.sh verify "$repo:unsigned"
  expect_fail "cosign verify --key (key 1) rejects a signature made by another key" \
    "no matching signatures|invalid signature" "${k1[@]}" bash scripts/cosign.sh verify "$repo:unsigned"

  # After signing: someone pushes a different image under the signed tag.
  expect_pass "push a different image under the signed tag 1.0" \
    skopeo copy --quiet --dest-tls-verify=false "oci:$T/other" "docker://$repo:1.0"
  expect_fail "cosign verify rejects the tag now that it points at a different image" \
    "no signatures found|no matching signatures" "${k1[@]}" bash scripts/cosign.sh verify "$repo:1.0"
  expect_pass "(control) the originally signed digest still verifies" "${k1[@]}" bash scripts/cosign.sh verify "$signed"
fi

echo "$passed passed, $failed failed"
((failed == 0))
