#!/usr/bin/env bash
# Signs, verifies and attests an image in a registry with cosign — what `make sign|verify|attest|verify-attestation`
# run. The image is always addressed by digest: a tag is resolved once, so what is signed is exactly what was read.
#
#   bash scripts/cosign.sh sign               IMAGE   sign (recursively: the manifest list and each platform)
#   bash scripts/cosign.sh verify             IMAGE   check the signature of IMAGE (a tag is verified as it now is)
#   bash scripts/cosign.sh attest             IMAGE SBOM.json   attach the SBOM as a signed CycloneDX attestation
#   bash scripts/cosign.sh verify-attestation IMAGE   check that attestation (prints its predicate type)
#
# Environment:
#   COSIGN_KEY=cosign.key  COSIGN_PUB=cosign.pub  key pair (`cosign generate-key-pair`; COSIGN_PASSWORD for the key).
#                          COSIGN_KEY=keyless: keyless signing (Fulcio certificate from the CI's OIDC token, entry in
#                          Rekor); verify then needs COSIGN_IDENTITY and COSIGN_ISSUER (see README).
#   COSIGN_TLOG=1          upload to / check the public transparency log (Rekor). 0: not (offline, private keys).
#   REGISTRY_INSECURE=1    the registry speaks plain HTTP (a local test registry).
#   COSIGN=path            a cosign binary; default: Debian trixie's, fetched by scripts/cosign-fetch.sh.
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

case $cmd in
  sign)
    ref=$(by_digest "$image")
    echo "signing $ref"
    # shellcheck disable=SC2046
    "$COSIGN" sign $(sign_args) "${net[@]}" --recursive "$ref"
    ;;
  verify)
    # shellcheck disable=SC2046
    "$COSIGN" verify $(verify_args) "${net[@]}" "$image" > /dev/null
    echo "verified: $image is signed by $([[ $KEY == keyless ]] && echo "$COSIGN_IDENTITY" || echo "$PUB")"
    ;;
  attest)
    (($# >= 3)) || usage
    sbom=$3
    [[ -f $sbom ]] || die "SBOM $sbom not found (make sbom)"
    ref=$(by_digest "$image")
    echo "attesting $ref with $sbom (CycloneDX)"
    # shellcheck disable=SC2046
    "$COSIGN" attest $(sign_args) "${net[@]}" --type cyclonedx --predicate "$sbom" "$ref"
    ;;
  verify-attestation)
    # shellcheck disable=SC2046
    out=$("$COSIGN" verify-attestation $(verify_args) "${net[@]}" --type cyclonedx "$image")
    # The payload is an in-toto statement; show what was attested.
    python3 - "$out" <<'EOF'
import base64, json, sys
for line in sys.argv[1].splitlines():
    env = json.loads(line)
    st = json.loads(base64.b64decode(env["payload"]))
    comps = st.get("predicate", {}).get("components", [])
    print(f"verified attestation: {st['predicateType']} for {st['subject'][0]['digest']['sha256'][:12]}…, "
          f"{len(comps)} components")
EOF
    ;;
  *) usage ;;
esac
