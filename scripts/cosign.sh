#!/usr/bin/env bash
# Signs, verifies and attests an image in a registry with cosign — what `make sign|verify|attest|verify-attestation`
# run. The image is always addressed by digest: a tag is resolved once, so what is signed is exactly what was read.
#
#   bash scripts/cosign.sh sign               IMAGE   sign (recursively: the manifest list and each platform)
#   bash scripts/cosign.sh verify             IMAGE   check the signature of IMAGE (a tag is verified as it now is)
#   bash scripts/cosign.sh attest             IMAGE [SBOM]  attach each platform's SBOM (target/sbom/giropops-
#                                             senhas-linux-ARCH.cdx.json, `make sbom ARCH=…`) as a signed CycloneDX
#                                             attestation of that platform's image
#   bash scripts/cosign.sh verify-attestation IMAGE   check those attestations (key, subject digest, crates listed)
#
# Environment:
#   COSIGN_KEY=cosign.key  COSIGN_PUB=cosign.pub  key pair (`cosign generate-key-pair`; COSIGN_PASSWORD for the key).
#                          COSIGN_KEY=keyless: keyless signing (Fulcio certificate from the CI's OIDC token, entry in
#                          Rekor); verify then needs COSIGN_IDENTITY and COSIGN_ISSUER (see README).
#   COSIGN_TLOG=1          upload to / check the public transparency log (Rekor). 0: not (offline, private keys).
#   REGISTRY_INSECURE=1    the registry speaks plain HTTP (a local test registry).
#   COSIGN=path            a cosign binary; default: Debian trixie's, fetched by scripts/cosign-fetch.sh.
#   SBOM_DIR=target/sbom   where attest looks for the per-architecture SBOMs.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/supply-chain.sh

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
(($# >= 2)) || usage
cmd=$1 image=$2
[[ $image == */* ]] || die "IMAGE must name a registry repository (registry.example/org/giropops-senhas:tag), not '$image'"

COSIGN=$(bash scripts/cosign-fetch.sh)
KEY=${COSIGN_KEY:-cosign.key}
PUB=${COSIGN_PUB:-cosign.pub}
TLOG=${COSIGN_TLOG:-1}

net=()      # cosign flags for the registry
tls=()      # skopeo flags
if [[ ${REGISTRY_INSECURE:-0} == 1 ]]; then net=(--allow-http-registry); tls=(--tls-verify=false); fi

# repo@sha256:… for IMAGE (a tag is resolved to the digest of its manifest or manifest list).
by_digest() {
  local ref=$1 repo digest
  if [[ $ref == *@sha256:* ]]; then echo "$ref"; return; fi
  if [[ ${ref##*/} == *:* ]]; then repo=${ref%:*}; else repo=$ref; fi
  digest=$(skopeo inspect "${tls[@]}" --raw "docker://$ref" | sha256sum | cut -d' ' -f1) ||
    die "cannot read $ref from its registry"
  echo "$repo@sha256:$digest"
}

verify_args() {
  if [[ $KEY == keyless ]]; then
    [[ -n ${COSIGN_IDENTITY:-} && -n ${COSIGN_ISSUER:-} ]] ||
      die "keyless verify needs COSIGN_IDENTITY (e.g. the workflow URL) and COSIGN_ISSUER (the OIDC issuer)"
    echo --certificate-identity-regexp "$COSIGN_IDENTITY" --certificate-oidc-issuer "$COSIGN_ISSUER"
  else
    [[ -f $PUB ]] || die "public key $PUB not found (COSIGN_PUB=…)"
    echo --key "$PUB"
    [[ $TLOG == 1 ]] || echo --insecure-ignore-tlog
  fi
}

sign_args() {
  if [[ $KEY == keyless ]]; then echo --yes; return; fi
  [[ -f $KEY ]] || die "private key $KEY not found (COSIGN_KEY=…; make one with: cosign generate-key-pair)"
  echo --yes --key "$KEY"
  [[ $TLOG == 1 ]] || echo --tlog-upload=false
}

# "ARCH DIGEST" for each linux platform of a manifest list / OCI index (nothing for a single-platform manifest).
platforms() {
  skopeo inspect "${tls[@]}" --raw "docker://$1" | python3 -c '
import json, sys
m = json.load(sys.stdin)
for d in m.get("manifests", []):
    p = d.get("platform") or {}
    if p.get("os") == "linux" and p.get("architecture"):
        print(p["architecture"], d["digest"])'
}

sbom_for() { echo "${SBOM_DIR:-target/sbom}/giropops-senhas-linux-$1.cdx.json"; }

case $cmd in
  sign)
    ref=$(by_digest "$image")
    echo "signing $ref (and each platform manifest in it)"
    # shellcheck disable=SC2046
    "$COSIGN" sign $(sign_args) "${net[@]}" --recursive "$ref"
    ;;
  verify)
    # shellcheck disable=SC2046
    "$COSIGN" verify $(verify_args) "${net[@]}" "$image" > /dev/null
    echo "verified: $image is signed by $([[ $KEY == keyless ]] && echo "$COSIGN_IDENTITY" || echo "$PUB")"
    ;;
  attest)
    # Each platform image gets the SBOM of its own binary (scripts/sbom.sh with ARCH=…); a single-platform image
    # takes the SBOM given as third argument.
    ref=$(by_digest "$image"); repo=${ref%@*}
    mapfile -t plats < <(platforms "$ref")
    if ((${#plats[@]} == 0)); then plats=("- ${ref#*@}"); fi
    for pd in "${plats[@]}"; do
      arch=${pd% *} digest=${pd#* }
      if [[ -n ${3:-} ]]; then sbom=$3; else sbom=$(sbom_for "$arch"); fi
      [[ -f $sbom ]] || die "SBOM $sbom not found (make sbom ARCH=$arch)"
      echo "attesting $repo@$digest ($arch) with $sbom (CycloneDX)"
      # shellcheck disable=SC2046
      "$COSIGN" attest $(sign_args) "${net[@]}" --type cyclonedx --predicate "$sbom" "$repo@$digest"
    done
    ;;
  verify-attestation)
    ref=$(by_digest "$image"); repo=${ref%@*}
    mapfile -t plats < <(platforms "$ref")
    if ((${#plats[@]} == 0)); then plats=("- ${ref#*@}"); fi
    for pd in "${plats[@]}"; do
      arch=${pd% *} digest=${pd#* }
      # shellcheck disable=SC2046
      out=$("$COSIGN" verify-attestation $(verify_args) "${net[@]}" --type cyclonedx "$repo@$digest")
      # The payload is an in-toto statement about that digest; show what was attested.
      printf '%s\n' "$out" | python3 -c '
import base64, json, sys
arch, digest = sys.argv[1:3]
for line in sys.stdin.read().splitlines():
    st = json.loads(base64.b64decode(json.loads(line)["payload"]))
    subject = st["subject"][0]["digest"]["sha256"]
    assert "sha256:" + subject == digest, f"attestation is about {subject}, not {digest}"
    comps = [c for c in st.get("predicate", {}).get("components", []) if c.get("purl", "").startswith("pkg:cargo/")]
    assert comps, "the attested SBOM lists no crates"
    ptype = st["predicateType"]
    print(f"verified attestation ({arch}): {ptype} for {digest[:19]}…, {len(comps)} crates")
' "$arch" "$digest"
    done
    ;;
  *) usage ;;
esac
