#!/usr/bin/env bash
# The `helm` stage of `make test` (`make helm-test`): the chart deploy/helm/giropops-senhas, offline, with the real
# Helm engine (PyPI helm-python-sdk; no helm binary, no cluster).
#   1. scripts/helm_test.py: version, lint --strict, schema (+ a table of bad values), the deploy/k8s hardening
#      checklist and its mutations on a matrix of renders, kubernetes-validate, equivalence with kustomize prod.
#   2. distribution: the chart is packaged, pushed as an OCI artifact to a local docker-registry (127.0.0.1), signed
#      with cosign (fresh key, no transparency log) and verified; an unsigned chart, a chart signed by another key
#      and a different chart pushed under the signed tag are refused; the signed chart pulled back by digest is
#      the packaged archive, byte for byte.
# Arguments: names of single tests of scripts/helm_test.py (then the distribution part is skipped).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/supply-chain.sh

need_venv_tool python
need_venv_tool kubernetes-validate
PY=$VENV_BIN/python
"$PY" -c 'import helm_python' 2>/dev/null ||
  die "helm-python-sdk is missing from $VENV_BIN: run 'bash scripts/install-deps.sh' (scripts/requirements-tools.txt)"
command -v "${KUBECTL:-kubectl}" >/dev/null || die "kubectl (>= 1.32) is missing: the equivalence test renders kustomize"

t0=$(date +%s)
PYTHONDONTWRITEBYTECODE=1 "$PY" scripts/helm_test.py "$@"
echo "helm: chart tests in $(( $(date +%s) - t0 ))s"
(($# == 0)) || exit 0

# ------------------------------------------------------------------------------------------------ distribution
t1=$(date +%s)
T=$(mktemp -d /tmp/helm-test.XXXXXX)
REGISTRY_PID=
cleanup() {
  if [[ -n $REGISTRY_PID ]]; then kill "$REGISTRY_PID" 2>/dev/null || true; wait "$REGISTRY_PID" 2>/dev/null || true; fi
  rm -rf "$T"
}
trap cleanup EXIT

. scripts/lib/checks.sh

echo "--- distribution (OCI + cosign)"
COSIGN=$(bash scripts/cosign-fetch.sh)
export COSIGN COSIGN_TLOG=0 REGISTRY_INSECURE=1 COSIGN_PASSWORD="test-$RANDOM-$RANDOM"
start_registry "$T/registry"
echo "  registry: docker-registry on $REGISTRY"
mkdir -p "$T/key1" "$T/key2"
(cd "$T/key1" && "$COSIGN" generate-key-pair >/dev/null 2>&1)
(cd "$T/key2" && "$COSIGN" generate-key-pair >/dev/null 2>&1)
k1=(env COSIGN_KEY="$T/key1/cosign.key" COSIGN_PUB="$T/key1/cosign.pub")
k2=(env COSIGN_KEY="$T/key2/cosign.key" COSIGN_PUB="$T/key2/cosign.pub")
version=$(sed -n 's/^version: *//p' deploy/helm/giropops-senhas/Chart.yaml)
repo=$REGISTRY/charts/giropops-senhas

expect_pass "make helm-package: the chart archive" make -s helm-package HELM_OUT="$T/pkg"
archive=$T/pkg/giropops-senhas-$version.tgz
[[ -f $archive ]] || die "no $archive after packaging"
expect_pass "make helm-push: the archive to oci://$REGISTRY/charts" \
  make -s helm-push HELM_OUT="$T/pkg" CHART_REPO="oci://$REGISTRY/charts" PLAIN_HTTP=1
expect_pass "the registry serves it as a Helm chart (config media type)" bash -c \
  "skopeo inspect --tls-verify=false --raw 'docker://$repo:$version' | grep -q 'application/vnd.cncf.helm.config.v1+json'"
signed=$repo@sha256:$(skopeo inspect --tls-verify=false --raw "docker://$repo:$version" | sha256sum | cut -d' ' -f1)

expect_pass "cosign sign (key 1, no transparency log) the chart" "${k1[@]}" bash scripts/cosign.sh sign "$repo:$version"
expect_pass "cosign verify accepts the signed chart (by tag)" "${k1[@]}" bash scripts/cosign.sh verify "$repo:$version"
expect_pass "helm pull by the signed digest returns the packaged archive, byte for byte" bash -c "
  mkdir -p '$T/pull' && '$PY' -c 'import helm_python as h, sys; h.pull(sys.argv[1], destination=sys.argv[2], plain_http=True)' \
    'oci://$signed' '$T/pull' && cmp '$archive' '$T'/pull/giropops-senhas*.tgz"
expect_fail "cosign verify with another key refuses it" "no matching signatures|invalid signature" \
  "${k2[@]}" bash scripts/cosign.sh verify "$repo:$version"

# An unsigned chart (another version) and a tampered chart (same version, one value changed) pushed over the tag.
mkdir -p "$T/tampered"
cp -r deploy/helm/giropops-senhas "$T/tampered/"
sed -i 's/^  minReplicas: 3$/  minReplicas: 2/' "$T/tampered/giropops-senhas/values.yaml"
grep -q '^  minReplicas: 2$' "$T/tampered/giropops-senhas/values.yaml" || die "the tampering did not apply"
"$PY" -c 'import helm_python as h, sys; h.package(sys.argv[1], destination=sys.argv[2], version=sys.argv[3])' \
  "$T/tampered/giropops-senhas" "$T/unsigned" "$version-unsigned"
"$PY" -c 'import helm_python as h, sys; h.package(sys.argv[1], destination=sys.argv[2])' \
  "$T/tampered/giropops-senhas" "$T/tampered-pkg"
expect_pass "push an unsigned chart ($version-unsigned)" \
  "$PY" scripts/helm.py push "$T/unsigned/giropops-senhas-$version-unsigned.tgz" "oci://$REGISTRY/charts" --plain-http
expect_fail "cosign verify refuses the unsigned chart" "no signatures found|no matching signatures" \
  "${k1[@]}" bash scripts/cosign.sh verify "$repo:$version-unsigned"
expect_pass "push a tampered chart under the signed tag $version" \
  "$PY" scripts/helm.py push "$T/tampered-pkg/giropops-senhas-$version.tgz" "oci://$REGISTRY/charts" --plain-http
expect_fail "cosign verify refuses the tag now that it is a different chart" "no signatures found|no matching signatures" \
  "${k1[@]}" bash scripts/cosign.sh verify "$repo:$version"
expect_pass "(control) the originally signed digest still verifies" "${k1[@]}" bash scripts/cosign.sh verify "$signed"

echo "helm: distribution $passed passed, $failed failed in $(( $(date +%s) - t1 ))s"
((failed == 0))
