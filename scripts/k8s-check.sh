#!/usr/bin/env bash
# Offline checks of the Kubernetes deployment (deploy/k8s) — `make k8s-check` and the `k8s` stage of `make test`.
# No cluster is needed: manifests are rendered with `kubectl kustomize` and checked (schemas, hardening
# checklist + mutation test, promtool rules/unit tests, dashboard queries, trivy config, yamllint).
# Tools: kubectl (>= 1.32, with kustomize), promtool (Debian `prometheus`), yamllint (Debian), and the venv's
# kubernetes-validate / trivy (scripts/requirements-tools.txt). `bash scripts/install-deps.sh` installs them.
# Arguments: names of single tests of deploy/k8s/tests/test_k8s.py to run only those.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.cache/venv}
missing=()
command -v "${KUBECTL:-kubectl}" >/dev/null || missing+=("kubectl (>= 1.32; https://kubernetes.io/docs/tasks/tools/)")
command -v "${PROMTOOL:-promtool}" >/dev/null || missing+=("promtool (Debian package prometheus)")
command -v yamllint >/dev/null || missing+=("yamllint (Debian package yamllint)")
for t in python kubernetes-validate trivy; do
  [[ -x $VENV/bin/$t ]] || missing+=("$VENV/bin/$t (scripts/requirements-tools.txt)")
done
if ((${#missing[@]})); then
  printf 'k8s-check: missing %s\n' "${missing[@]}" >&2
  echo "k8s-check: run 'bash scripts/install-deps.sh' first" >&2
  exit 1
fi
PYTHONDONTWRITEBYTECODE=1 VENV=$VENV exec "$VENV/bin/python" deploy/k8s/tests/test_k8s.py "$@"
