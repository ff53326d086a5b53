#!/usr/bin/env python3
"""Offline tests of the Helm chart (deploy/helm/giropops-senhas) with the real Helm engine (PyPI helm-python-sdk):
the `helm` stage of `make test` (scripts/helm-test.sh, which then tests the OCI distribution with cosign).

  version      Chart.yaml version and appVersion are the crate version (Cargo.toml)
  files        the chart's copies of the alert rules, dashboard and redis.conf are the kustomize tree's
  lint         `helm lint --strict` is clean for every value set (and a broken chart is not)
  schema       every value set of the matrix passes values.schema.json; each bad values file of BAD_VALUES fails
  checklist    every render of the matrix passes deploy/k8s's hardening checklist (the same code: imported from
               deploy/k8s/tests/test_k8s.py) and its CRD checks; its mutation cases, applied to chart renders, are
               each caught
  kubeval      every built-in object of every render passes `kubernetes-validate --strict -k 1.32.0` (one run;
               a misspelt field in the same run is refused)
  trivy        `trivy config`: no HIGH/CRITICAL finding in any render (a privileged copy has some)
  equivalence  the default render and the kustomize production overlay are the same objects, field by field
               (normalised; the documented exceptions in EQUIVALENCE_EXCEPTIONS are the only differences)
  values-doc   docs/deploy-helm.md's values table is the one generated from the schema

Every check prints PASS/FAIL; the last line is "N passed, N failed".
"""
from __future__ import annotations

import copy
import importlib.util
import json
import re
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import helm as chart_cli  # noqa: E402  (scripts/helm.py)

import helm_python as helm  # noqa: E402

CHART = chart_cli.CHART
K8S = ROOT / "deploy" / "k8s"

# The one hardening checklist: deploy/k8s/tests/test_k8s.py, imported as a module (its tests do not run).
_spec = importlib.util.spec_from_file_location("test_k8s", K8S / "tests" / "test_k8s.py")
tk = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tk)
TMP = Path(tempfile.mkdtemp(prefix="helm-test."))

# ----------------------------------------------------------------------------------------------- the matrix
# name -> values overriding the defaults (= the production overlay: external Redis, TLS ingress, monitoring).
IN_CLUSTER = {"redis": {"enabled": True}, "ingress": {"host": "giropops-senhas.localtest.me",
                                                       "tls": {"enabled": False}}}
MATRIX = {
    "default": {},
    "redis-in-cluster": IN_CLUSTER,
    "redis-in-cluster-tls-ingress": {"redis": {"enabled": True}},
    "external-host-port": {"externalRedis": {"host": "redis.internal.example", "port": 6380}},
    "external-sentinel": {"externalRedis": {
        "sentinels": ["sentinel-0.example:26379", "sentinel-1.example:26379", "sentinel-2.example:26379"],
        "sentinelMaster": "mymaster", "networkPolicy": {"cidrs": ["10.20.0.0/16"], "ports": [6379, 26379]}}},
    "external-cluster": {"externalRedis": {
        "clusterNodes": ["node-0.example:6379", "node-1.example:6379", "node-2.example:6379"],
        "networkPolicy": {"cidrs": ["10.30.0.0/16"], "ports": [6379]}}},
    "external-tls-ca": {"externalRedis": {
        "host": "redis.example", "port": 6380, "username": "giropops",
        "tls": {"enabled": True, "caSecret": "redis-ca"}, "networkPolicy": {"ports": [6380]}}},
    "monitoring-off": {"monitoring": {"enabled": False}},
    "ingress-no-tls": {"ingress": {"tls": {"enabled": False}}},
    "ingress-tls-external-issuer": {"ingress": {"certManager": {"issuer": {"create": False, "name": "letsencrypt"}}}},
    "settings": {"config": {"RATE_LIMIT": 4294967295, "TRUSTED_PROXIES": "10.0.0.0/8,fd00::/8",
                            "HEADER_READ_TIMEOUT": "5s", "MAX_CONNECTIONS": 1000000, "REDIS_MAX_IN_FLIGHT": 64,
                            "HISTORY_SIZE": 0, "REQUEST_TIMEOUT": 12, "LOG_LEVEL": None}},
    "no-namespace": {"namespace": {"create": False}},
}
# Renders that must NOT pass the checklist whole (the chart lets you, the checklist says why it is weaker).
# Checks that do not apply to a render, by the features it has.


def features(values: dict) -> dict:
    merged = helm.Chart.load(CHART).merge_values(values)
    ing = merged["ingress"]
    return {
        "redis": merged["redis"]["enabled"],
        "ingress": ing["enabled"],
        "tls": ing["enabled"] and ing["tls"]["enabled"] and ing["certManager"]["enabled"],
        "issuer": ing["enabled"] and ing["tls"]["enabled"] and ing["certManager"]["enabled"]
        and ing["certManager"]["issuer"]["create"],
        "monitoring": merged["monitoring"]["enabled"],
        "namespace": merged["namespace"]["create"],
    }


# check id -> the feature it needs; checks not listed apply to every render (so new checks apply by default).
CHECK_NEEDS = {
    "networkpolicy-redis": "redis",
    "redis-single-writer": "redis",
    "prod-external-redis": "!redis",
    "ingress-routes-not-metrics": "ingress",
    "ingress-tls-cert-manager": "issuer",
    "monitoring-objects": "monitoring",
    "namespace-restricted-pss": "namespace",
}


def applies(cid: str, feats: dict) -> bool:
    need = CHECK_NEEDS.get(cid)
    if need is None:
        return True
    return not feats[need[1:]] if need.startswith("!") else feats[need]


def checklist(docs: list[dict], feats: dict) -> list[tuple[str, str]]:
    out = []
    for cid, (fn, _) in tk.CHECKS.items():
        if not applies(cid, feats):
            continue
        try:
            probs = fn(docs, "dev" if feats["redis"] else "prod")
        except (KeyError, TypeError, AttributeError, IndexError) as e:
            probs = [f"malformed manifest ({type(e).__name__}: {e})"]
        out += [(cid, m) for m in probs]
    return out


_rendered: dict[str, list[dict]] = {}


def render(case: str) -> list[dict]:
    if case not in _rendered:
        text = chart_cli.render(MATRIX[case])
        _rendered[case] = [d for d in yaml.safe_load_all(text) if d]
    return copy.deepcopy(_rendered[case])


# ------------------------------------------------------------------------------------------------- bad values
# Each must fail values.schema.json (helm install would refuse it before touching the cluster).
BAD_VALUES = [
    ("unknown top-level key (typo)", {"replicas": 3}),
    ("unknown nested key (typo)", {"autoscaling": {"minReplica": 3}}),
    ("unknown app setting", {"config": {"HISTORY_TLL": "300"}}),
    ("image tag latest", {"image": {"tag": "latest"}}),
    ("image digest not sha256", {"image": {"digest": "md5:abc"}}),
    ("image digest missing", {"image": {"digest": ""}}),
    ("HPA minimum 1", {"autoscaling": {"minReplicas": 1}}),
    ("CPU target over 100%", {"autoscaling": {"targetCPUUtilizationPercentage": 150}}),
    ("autoscaling.enabled a string", {"autoscaling": {"enabled": "yes"}}),
    ("zero duration", {"config": {"REQUEST_TIMEOUT": "0"}}),
    ("zero duration with a unit", {"config": {"IDLE_TIMEOUT": "0s"}}),
    ("duration in words", {"config": {"HISTORY_TTL": "five minutes"}}),
    ("HISTORY_SIZE above 1000", {"config": {"HISTORY_SIZE": 5000}}),
    ("LOG_FORMAT unknown", {"config": {"LOG_FORMAT": "xml"}}),
    ("TRUSTED_PROXIES not CIDRs", {"config": {"TRUSTED_PROXIES": "everyone"}}),
    ("service port out of range", {"service": {"port": 70000}}),
    ("service port a string", {"service": {"port": "80"}}),
    ("sentinels without a master name", {"externalRedis": {"sentinels": ["s:26379"]}}),
    ("sentinel not host:port", {"externalRedis": {"sentinels": ["sentinel"], "sentinelMaster": "m"}}),
    ("Redis egress to 0.0.0.0/0", {"externalRedis": {"networkPolicy": {"cidrs": ["0.0.0.0/0"]}}}),
    ("Redis egress with no range", {"externalRedis": {"networkPolicy": {"cidrs": []}}}),
    ("ACME server over http", {"ingress": {"certManager": {"issuer": {"server": "http://acme.example"}}}}),
    ("namespace name not DNS", {"namespace": {"name": "Giropops_Senhas"}}),
    ("pod annotation value a number", {"podAnnotations": {"prometheus.io/scrape": True}}),
    ("redis.enabled a string", {"redis": {"enabled": "true"}}),
    ("monitoring interval not a duration", {"monitoring": {"interval": "30"}}),
    ("both Sentinel and Cluster", {"externalRedis": {"sentinels": ["s:26379"], "sentinelMaster": "m",
                                                     "clusterNodes": ["n:6379"]}}),
]
# Values the schema cannot judge alone (relations between keys): the templates refuse them at render time.
BAD_RENDERS = [
    ("PDB minAvailable = HPA minimum (a drain could never evict)", {"podDisruptionBudget": {"minAvailable": 3}}),
    ("PDB minAvailable = replicaCount without HPA",
     {"autoscaling": {"enabled": False}, "replicaCount": 1, "podDisruptionBudget": {"minAvailable": 1}}),
]


def schema_error(values: dict) -> str | None:
    try:
        helm.Chart.load(CHART).validate_schema(values)
    except helm.HelmError as e:
        return str(e)
    return None


# ------------------------------------------------------------------------------------------------ equivalence
# The chart's default render against `kubectl kustomize deploy/k8s/overlays/prod`, object by object, every field
# compared after this normalisation (each item is a documented, intended difference):
#  - metadata.labels and metadata.annotations: dropped, except the ones with a security or routing meaning, which
#    are compared (Pod Security and Kyverno labels of the Namespace, the Ingress annotations, the dashboard and
#    Prometheus selector labels);
#  - the label app.kubernetes.io/instance: dropped everywhere (selectors too): the chart adds the release name so
#    that two releases never select each other's pods; kustomize has no release;
#  - env valueFrom.configMapKeyRef: resolved to its value (kustomize reads the Redis host from a generated
#    ConfigMap, the chart writes it in the env), env compared as a set;
#  - the Namespace's helm.sh/resource-policy: keep annotation (Helm-only: uninstall keeps the namespace).
KEPT_LABELS = re.compile(r"^(pod-security\.kubernetes\.io/|giropops-senhas\.io/policy$|grafana_dashboard$|release$)")
KEPT_ANNOTATIONS = re.compile(r"^(cert-manager\.io/|nginx\.ingress\.kubernetes\.io/)")
# (kind, name): objects only kustomize renders, and why.
ONLY_KUSTOMIZE = {
    ("ConfigMap", "giropops-redis-endpoint"): "kustomize's Redis host ConfigMap; the chart puts the host in the env",
}


def _strip_instance(x):
    if isinstance(x, dict):
        return {k: _strip_instance(v) for k, v in x.items() if k != "app.kubernetes.io/instance"}
    if isinstance(x, list):
        return [_strip_instance(v) for v in x]
    return x


def normalise(docs: list[dict]) -> dict[tuple[str, str], dict]:
    cms = {d["metadata"]["name"]: d.get("data", {}) for d in docs if d["kind"] == "ConfigMap"}
    out = {}
    for d in docs:
        d = copy.deepcopy(d)
        md = d["metadata"]
        name = md["name"]
        if d["kind"] == "ConfigMap":
            name = re.sub(r"-[a-z0-9]{10}$", "", name)  # kustomize's content hash suffix
        md["name"] = name
        md["labels"] = {k: v for k, v in (md.get("labels") or {}).items() if KEPT_LABELS.search(k)}
        md["annotations"] = {k: v for k, v in (md.get("annotations") or {}).items() if KEPT_ANNOTATIONS.search(k)}
        for k in ("labels", "annotations"):
            if not md[k]:
                del md[k]
        for w in [d] if d["kind"] in ("Deployment", "StatefulSet") else []:
            for c in tk.containers(tk.pod_spec(w)):
                env = []
                for e in c.get("env", []):
                    ref = (e.get("valueFrom") or {}).get("configMapKeyRef")
                    if ref:
                        e = {"name": e["name"], "value": cms[ref["name"]][ref["key"]]}
                    env.append(e)
                c["env"] = sorted(env, key=lambda e: e["name"])
        out[(d["kind"], name)] = _strip_instance(d)
    return out


def diff(a, b, path="") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            if k not in a:
                out.append(f"{path}.{k}: only in the chart: {json.dumps(b[k])[:120]}")
            elif k not in b:
                out.append(f"{path}.{k}: only in kustomize: {json.dumps(a[k])[:120]}")
            else:
                out += diff(a[k], b[k], f"{path}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [x for i, (p, q) in enumerate(zip(a, b)) for x in diff(p, q, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: kustomize {json.dumps(a)[:120]} != chart {json.dumps(b)[:120]}"]


def equivalence_problems(kustomize_docs: list[dict], chart_docs: list[dict]) -> list[str]:
    k, c = normalise(kustomize_docs), normalise(chart_docs)
    p = []
    for key in sorted(set(k) | set(c)):
        if key in ONLY_KUSTOMIZE and key not in c:
            continue
        if key not in c:
            p.append(f"{key[0]}/{key[1]}: only in kustomize")
        elif key not in k:
            p.append(f"{key[0]}/{key[1]}: only in the chart")
        else:
            p += [f"{key[0]}/{key[1]}{d}" for d in diff(k[key], c[key])]
    return p


# ----------------------------------------------------------------------------------------------------- tests
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def chart_version_is_the_crate_version():
    cargo = re.search(r'(?m)^version\s*=\s*"([^"]+)"', (ROOT / "Cargo.toml").read_text()).group(1)
    meta = helm.Chart.load(CHART).metadata
    assert meta["version"] == cargo, f"Chart.yaml version {meta['version']} != Cargo.toml {cargo}"
    assert meta.get("appVersion") == cargo, f"Chart.yaml appVersion {meta.get('appVersion')} != Cargo.toml {cargo}"


@test
def chart_files_are_the_kustomize_sources():
    pairs = [("files/prometheusrule.yaml", "components/monitoring/prometheusrule.yaml"),
             ("files/giropops-senhas.json", "components/monitoring/dashboards/giropops-senhas.json"),
             ("files/redis.conf", "components/redis/redis.conf")]
    stale = [f"{c} differs from deploy/k8s/{k} (copy it over)" for c, k in pairs
             if (CHART / c).read_bytes() != (K8S / k).read_bytes()]
    assert not stale, "\n".join(stale)


@test
def lint_strict_clean():
    problems = []
    for case, values in MATRIX.items():
        problems += [f"{case}: {m}" for m in chart_cli.lint_problems(values)]
    assert not problems, "\n".join(problems)
    # A chart with a template error is reported (the lint can fail).
    broken = TMP / "broken" / "giropops-senhas"
    shutil.copytree(CHART, broken)
    (broken / "templates" / "service.yaml").write_text("{{ .Values.service.port | nosuchfunction }}\n")
    assert chart_cli.lint_problems({}, broken), "helm lint --strict accepted a template calling an unknown function"


@test
def matrix_passes_the_schema():
    problems = [f"{case}: {e}" for case, values in MATRIX.items() if (e := schema_error(values))]
    assert not problems, "\n".join(problems)


@test
def schema_refuses_each_bad_values_file():
    accepted = [desc for desc, values in BAD_VALUES if schema_error(values) is None]
    assert not accepted, "values.schema.json accepted:\n  " + "\n  ".join(accepted)
    # …and the install path refuses them too (render validates like `helm install`).
    try:
        chart_cli.render(BAD_VALUES[0][1])
    except helm.HelmError:
        pass
    else:
        raise AssertionError("rendering with an unknown key succeeded")
    rendered = []
    for desc, values in BAD_RENDERS:
        try:
            chart_cli.render(values)
        except helm.HelmError as e:
            if "podDisruptionBudget.minAvailable" not in str(e):
                rendered.append(f"{desc}: refused for another reason: {e}")
        else:
            rendered.append(f"{desc}: rendered")
    assert not rendered, "\n".join(rendered)
    ok = {"autoscaling": {"enabled": False}, "replicaCount": 2}
    assert schema_error(ok) is None and chart_cli.render(ok), "a valid autoscaling-off value set was refused"
    print(f"    {len(BAD_VALUES)} bad values files refused by the schema, {len(BAD_RENDERS)} by the templates")


@test
def settings_reach_the_env_as_the_app_reads_them():
    """config: values become exactly these env values (numbers in decimal, null = not set: the app's default)."""
    env = {e["name"]: e.get("value") for e in tk.app_container(render("settings"))["env"]}
    want = {"RATE_LIMIT": "4294967295", "MAX_CONNECTIONS": "1000000", "REDIS_MAX_IN_FLIGHT": "64",
            "HISTORY_SIZE": "0", "REQUEST_TIMEOUT": "12", "HEADER_READ_TIMEOUT": "5s",
            "TRUSTED_PROXIES": "10.0.0.0/8,fd00::/8", "IDLE_TIMEOUT": "75s"}
    wrong = {k: (env.get(k), v) for k, v in want.items() if env.get(k) != v}
    assert not wrong, f"env (got, want): {wrong}"
    assert "LOG_LEVEL" not in env, "a null setting was rendered"
    # Every name config: accepts is a setting the app reads (its --help lists it).
    schema = json.loads((CHART / "values.schema.json").read_text())
    names = set(schema["properties"]["config"]["properties"])
    src = (ROOT / "src" / "config.rs").read_text()
    unknown = sorted(n for n in names if f'env = "{n}"' not in src)
    assert not unknown, f"config: accepts settings the app does not read: {unknown}"


@test
def every_render_passes_the_hardening_checklist():
    problems, counts = [], []
    for case, values in MATRIX.items():
        docs, feats = render(case), features(values)
        probs = checklist(docs, feats) + [("crd", m) for m in tk.crd_problems(docs)]
        problems += [f"{case}: [{c}] {m}" for c, m in probs]
        counts.append(f"{case} {sum(applies(c, feats) for c in tk.CHECKS)}")
    assert not problems, "\n".join(problems)
    print(f"    checks per render: {', '.join(counts)}")


@test
def the_checklist_mutations_are_caught_on_chart_renders():
    """deploy/k8s's mutation cases, each applied to the chart render of the same shape as its overlay
    (dev: in-cluster Redis, plain-HTTP ingress; prod: the defaults), must each make their check fail."""
    shape = {"dev": "redis-in-cluster", "prod": "default"}
    missed = []
    for overlay, cid, desc, mutate in tk.MUTATIONS:
        case = shape[overlay]
        docs = render(case)
        try:
            mutate(docs)
        except (KeyError, TypeError, IndexError, AttributeError) as e:
            missed.append(f"{overlay}->{case} [{cid}] {desc}: mutation does not apply to the chart ({e!r})")
            continue
        if not any(c == cid for c, _ in checklist(docs, features(MATRIX[case]))):
            missed.append(f"{overlay}->{case} [{cid}] {desc}: not detected")
    for target, desc, mutate in tk.CRD_MUTATIONS:
        if target not in shape:
            continue  # the Kyverno policies are not part of the chart
        docs = render(shape[target])
        mutate(docs)
        if not tk.crd_problems(docs):
            missed.append(f"{target} CRD: {desc}: not detected")
    assert not missed, "\n".join(missed)
    print(f"    {len(tk.MUTATIONS)} checklist mutations + CRD mutations, each detected on a chart render")


@test
def builtin_kinds_pass_kubernetes_validate():
    kv = tk.tool("kubernetes-validate")
    files, count = [], 0
    for case in MATRIX:
        docs = [d for d in render(case) if (d["apiVersion"], d["kind"]) not in tk.CRD_KINDS]
        f = TMP / f"chart-{case}.yaml"
        f.write_text(yaml.safe_dump_all(docs, sort_keys=False))
        files.append(str(f))
        count += len(docs)
    broken = [d for d in render("default") if d["kind"] == "Deployment"]
    broken[0]["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystm"] = True
    bad = TMP / "misspelt-field.yaml"
    bad.write_text(yaml.safe_dump_all(broken))
    r = tk.run([kv, "--strict", "-k", "1.32.0", str(bad), *files])
    out = r.stdout + r.stderr
    errors = [ln for ln in out.splitlines() if not ln.startswith("INFO") and bad.name not in ln]
    assert not errors, "kubernetes-validate:\n" + "\n".join(errors)
    passed = sum(1 for ln in out.splitlines() if ln.startswith("INFO") and " passed " in ln and bad.name not in ln)
    assert passed == count, f"{passed} of {count} resources reported as passed:\n{out}"
    assert re.search(rf"ERROR .*{bad.name} did not validate", out), \
        f"kubernetes-validate accepted a misspelt field:\n{out}"
    print(f"    {count} objects from {len(MATRIX)} renders")


@test
def trivy_config_no_high_or_critical():
    """`trivy config` on every render (one run): no HIGH/CRITICAL finding; a privileged copy in the same run has."""
    d = TMP / "trivy"
    d.mkdir()
    for case in MATRIX:
        (d / f"{case}.yaml").write_text(yaml.safe_dump_all(render(case), sort_keys=False))
    priv = [x for x in render("default") if x["kind"] == "Deployment"]
    tk.app_container(priv)["securityContext"].update(
        {"privileged": True, "readOnlyRootFilesystem": False, "allowPrivilegeEscalation": True})
    (d / "zz-privileged.yaml").write_text(yaml.safe_dump_all(priv))
    found = tk._trivy(d)
    ours = [f"{tgt}: {m['ID']} {m['Severity']}: {m['Message']}" for tgt, m in found if tgt != "zz-privileged.yaml"]
    assert not ours, "trivy HIGH/CRITICAL findings:\n" + "\n".join(ours)
    assert any(tgt == "zz-privileged.yaml" for tgt, _ in found), "trivy found nothing in a privileged container"


@test
def default_render_equals_the_kustomize_production_overlay():
    kustomize = tk.render("prod")
    problems = equivalence_problems(kustomize, render("default"))
    assert not problems, "chart (defaults) vs kustomize prod:\n" + "\n".join(problems)
    # The comparison can fail: a weakened securityContext in the chart render is reported.
    weak = render("default")
    tk.app_container(weak)["securityContext"]["readOnlyRootFilesystem"] = False
    assert any("readOnlyRootFilesystem" in p for p in equivalence_problems(kustomize, weak)), \
        "the equivalence check missed a securityContext difference"
    print(f"    {len(normalise(kustomize))} objects compared; exceptions: {sorted(ONLY_KUSTOMIZE)}")


@test
def dev_render_matches_the_kustomize_dev_overlay():
    """The in-cluster-Redis render against overlays/dev, for the Redis objects and the app's Redis wiring."""
    k, c = normalise(tk.render("dev")), normalise(render("redis-in-cluster"))
    problems = []
    for key in [("StatefulSet", tk.REDIS), ("Service", tk.REDIS), ("Service", tk.REDIS + "-headless"),
                ("NetworkPolicy", tk.REDIS + "-ingress"), ("NetworkPolicy", tk.APP + "-egress-redis"),
                ("ServiceMonitor", tk.REDIS), ("ConfigMap", tk.REDIS + "-config")]:
        if key not in c or key not in k:
            problems.append(f"{key}: missing ({'chart' if key not in c else 'kustomize'})")
            continue
        a, b = k[key], c[key]
        if key[0] == "StatefulSet":  # the chart rolls the pod when redis.conf changes (kustomize: by name hash)
            b["spec"]["template"]["metadata"].pop("annotations", None)
            for v in a["spec"]["template"]["spec"]["volumes"]:
                if "configMap" in v:
                    v["configMap"]["name"] = re.sub(r"-[a-z0-9]{10}$", "", v["configMap"]["name"])
        problems += [f"{key[0]}/{key[1]}{d}" for d in diff(a, b)]
    assert not problems, "\n".join(problems)


@test
def yamllint_clean():
    """values.yaml and Chart.yaml (the templates are not YAML until rendered) with deploy/k8s's yamllint rules."""
    yl = shutil.which("yamllint") or tk.tool("yamllint")
    r = tk.run([yl, "-s", "-c", str(K8S / ".yamllint"), str(CHART / "values.yaml"), str(CHART / "Chart.yaml")])
    assert r.returncode == 0, f"yamllint:\n{r.stdout}{r.stderr}"


@test
def values_doc_is_current():
    assert chart_cli.values_doc(check=True) == 0, "docs/deploy-helm.md: run `python3 scripts/helm.py values-doc`"


def main(argv):
    only = set(argv[1:])
    passed = failed = 0
    try:
        for t in TESTS:
            if only and t.__name__ not in only:
                continue
            t0 = time.monotonic()
            try:
                t()
            except AssertionError as e:
                failed += 1
                print(f"FAIL {t.__name__}\n    " + str(e).replace("\n", "\n    "))
            except Exception:  # noqa: BLE001 - a crash is a failure with its traceback
                failed += 1
                print(f"FAIL {t.__name__} (error)\n" + traceback.format_exc())
            else:
                passed += 1
                print(f"PASS {t.__name__} ({time.monotonic() - t0:.1f}s)")
            sys.stdout.flush()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
        shutil.rmtree(tk.TMP, ignore_errors=True)
    print(f"helm: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
