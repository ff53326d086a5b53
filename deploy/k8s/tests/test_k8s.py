#!/usr/bin/env python3
"""Offline checks of the Kubernetes deployment (deploy/k8s): what `make k8s-check` and the `k8s` stage run.

No cluster runs on the build machines, so every property we care about is checked on the rendered manifests:

  render        every kustomize target renders (`kubectl kustomize`)
  schema        built-in kinds pass `kubernetes-validate --strict -k 1.32.0`; CRD kinds (ServiceMonitor,
                PrometheusRule, Kyverno ClusterPolicy, cert-manager Issuer) pass our own field/type checks
  hardening     the hardening checklist, field by field, on each overlay
  mutation      each checklist item, broken in turn on a copy of the rendered YAML, makes its check fail
  rules         `promtool check rules` + `promtool test rules` on the PrometheusRule, dashboard queries parse
  trivy         `trivy config`: zero HIGH/CRITICAL findings (and it does flag a deliberately bad manifest)
  yamllint      the YAML sources are clean (and a deliberately bad file is not)
  runtime       the rendered pods run on 127.0.0.1 with real binaries: the Redis container command and its
                readiness probe, redis_exporter with the manifest env, and our app with the Deployment's env,
                probed like the kubelet does, SIGTERM'd like a rollout does (prod: history TTL, store errors)

Every check prints PASS/FAIL with the reason; the last line is "N passed, N failed".
Environment: KUBECTL (default kubectl), PROMTOOL (promtool), VENV (.cache/venv) for kubernetes-validate/trivy.
"""
from __future__ import annotations

import copy
import functools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
K8S = ROOT / "deploy" / "k8s"
VENV = Path(os.environ.get("VENV", ROOT / ".cache" / "venv"))
KUBECTL = os.environ.get("KUBECTL", "kubectl")
PROMTOOL = os.environ.get("PROMTOOL", "promtool")
OVERLAYS = ["dev", "prod"]
TARGETS = {"dev": K8S / "overlays" / "dev", "prod": K8S / "overlays" / "prod", "policies": K8S / "policies"}

APP = "giropops-senhas"
REDIS = "giropops-redis"
UID = 65532
INGRESS_NS = "ingress-nginx"
MONITORING_NS = "monitoring"
POLICY_LABEL = ("giropops-senhas.io/policy", "enforced")

# Kinds the Kubernetes 1.32 API serves itself; everything else is a CRD we check with our own rules.
CRD_KINDS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
    ("kyverno.io/v1", "ClusterPolicy"),
    ("cert-manager.io/v1", "Issuer"),
    ("cert-manager.io/v1", "ClusterIssuer"),
    ("cert-manager.io/v1", "Certificate"),
}

TMP = Path(tempfile.mkdtemp(prefix="k8s-check."))


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def tool(name: str) -> str:
    p = VENV / "bin" / name
    if p.exists():
        return str(p)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found: run `bash scripts/install-deps.sh` (PyPI tools go to {VENV})")
    return found


# --------------------------------------------------------------------------------------------------- rendering
_rendered: dict[str, str] = {}


def render_text(target: str) -> str:
    if target not in _rendered:
        r = run([KUBECTL, "kustomize", str(TARGETS[target])])
        if r.returncode != 0:
            raise AssertionError(f"kubectl kustomize {TARGETS[target]} failed:\n{r.stderr}")
        _rendered[target] = r.stdout
    return _rendered[target]


_parsed: dict[str, list[dict]] = {}
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def render(target: str) -> list[dict]:
    """The rendered docs of a target: a fresh copy each call (tests mutate them)."""
    if target not in _parsed:
        _parsed[target] = [d for d in yaml.load_all(render_text(target), Loader=_Loader) if d]
    return copy.deepcopy(_parsed[target])


# ----------------------------------------------------------------------------------------------------- helpers
def find(docs, kind, name=None):
    return [d for d in docs if d.get("kind") == kind and (name is None or d["metadata"]["name"] == name)]


def one(docs, kind, name):
    found = find(docs, kind, name)
    return found[0] if len(found) == 1 else None


def workloads(docs):
    return [d for d in docs if d.get("kind") in ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")]


def pod_spec(w):
    if w["kind"] == "CronJob":
        return w["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return w["spec"]["template"]["spec"]


def pod_labels(w):
    return w["spec"]["template"]["metadata"].get("labels", {})


def containers(spec):
    return list(spec.get("initContainers", [])) + list(spec.get("containers", []))


def selects(selector: dict | None, labels: dict) -> bool:
    """Label selector semantics (matchLabels + matchExpressions In/NotIn/Exists/DoesNotExist)."""
    if selector is None:
        return False
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        k, op, vals = e["key"], e["operator"], e.get("values", [])
        if op == "In" and labels.get(k) not in vals:
            return False
        if op == "NotIn" and labels.get(k) in vals:
            return False
        if op == "Exists" and k not in labels:
            return False
        if op == "DoesNotExist" and k in labels:
            return False
    return True


def env_of(container) -> dict:
    return {e["name"]: e for e in container.get("env", [])}


def env_value(container, name):
    e = env_of(container).get(name)
    return None if e is None else e.get("value")


def seconds(v) -> float:
    """The app's duration syntax: plain seconds ("5") or with a unit ("500ms", "5s", "1m", "1h")."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*", str(v))
    if not m:
        raise ValueError(f"not a duration: {v!r}")
    n = float(m.group(1))
    return n * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}[m.group(2)]


_QTY = {"": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "Ki": 1024, "Mi": 1024**2, "Gi": 1024**3,
        "Ti": 1024**4}


def quantity(q) -> float:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?", str(q))
    if not m:
        raise ValueError(f"not a quantity: {q!r}")
    return float(m.group(1)) * _QTY[m.group(2) or ""]


def app_deployment(docs):
    return one(docs, "Deployment", APP)


def app_container(docs):
    d = app_deployment(docs)
    if not d:
        return None
    cs = [c for c in pod_spec(d)["containers"] if c["name"] == "app"]
    return cs[0] if cs else None


# ------------------------------------------------------------------------------------- the hardening checklist
# Each check takes the rendered docs of one overlay and returns a list of problems (empty = pass).
CHECKS = {}


def check(cid, overlays=tuple(OVERLAYS)):
    def deco(fn):
        CHECKS[cid] = (fn, overlays)
        return fn
    return deco


@check("namespace-restricted-pss")
def _(docs, ov):
    ns = find(docs, "Namespace")
    if len(ns) != 1:
        return [f"expected one Namespace, found {len(ns)}"]
    labels = ns[0]["metadata"].get("labels", {})
    p = []
    if labels.get("pod-security.kubernetes.io/enforce") != "restricted":
        p.append("Namespace lacks pod-security.kubernetes.io/enforce: restricted")
    if labels.get(POLICY_LABEL[0]) != POLICY_LABEL[1]:
        p.append(f"Namespace lacks the label {POLICY_LABEL[0]}={POLICY_LABEL[1]} the Kyverno policies select")
    for d in docs:
        nsname = d["metadata"].get("namespace")
        if d["kind"] != "Namespace" and nsname not in (None, ns[0]["metadata"]["name"]):
            p.append(f"{d['kind']}/{d['metadata']['name']} is in namespace {nsname}, not the restricted one")
    return p


@check("serviceaccount-no-token")
def _(docs, ov):
    sa = one(docs, "ServiceAccount", APP)
    p = []
    if not sa:
        return ["no dedicated ServiceAccount giropops-senhas"]
    if sa.get("automountServiceAccountToken") is not False:
        p.append("ServiceAccount giropops-senhas: automountServiceAccountToken must be false")
    d = app_deployment(docs)
    if d and pod_spec(d).get("serviceAccountName") != APP:
        p.append("Deployment does not use the dedicated ServiceAccount")
    for w in workloads(docs):
        if pod_spec(w).get("automountServiceAccountToken") is not False:
            p.append(f"{w['kind']}/{w['metadata']['name']}: pod automountServiceAccountToken must be false")
    return p


@check("no-service-links")
def _(docs, ov):
    return [f"{w['kind']}/{w['metadata']['name']}: enableServiceLinks must be false"
            for w in workloads(docs) if pod_spec(w).get("enableServiceLinks") is not False]


IMAGE_RE = re.compile(r"^(?P<repo>[^@]+?):(?P<tag>[\w][\w.-]{0,127})@sha256:[0-9a-f]{64}$")


@check("image-tag-and-digest")
def _(docs, ov):
    p = []
    for w in workloads(docs):
        for c in containers(pod_spec(w)):
            m = IMAGE_RE.match(c.get("image", ""))
            if not m:
                p.append(f"{w['metadata']['name']}/{c['name']}: image {c.get('image')!r} needs repo:tag@sha256:digest")
            elif m.group("tag") == "latest":
                p.append(f"{w['metadata']['name']}/{c['name']}: the latest tag is forbidden")
    return p


@check("deployment-no-replicas")
def _(docs, ov):
    d = app_deployment(docs)
    if not d:
        return ["no Deployment giropops-senhas"]
    return ["Deployment sets spec.replicas: the HPA owns the count"] if "replicas" in d["spec"] else []


@check("rolling-update-max-unavailable-0")
def _(docs, ov):
    d = app_deployment(docs)
    s = d["spec"].get("strategy", {})
    ru = s.get("rollingUpdate", {})
    p = []
    if s.get("type", "RollingUpdate") != "RollingUpdate":
        p.append(f"strategy.type is {s.get('type')}")
    if ru.get("maxUnavailable") not in (0, "0", "0%"):
        p.append(f"rollingUpdate.maxUnavailable is {ru.get('maxUnavailable')!r}, must be 0")
    if ru.get("maxSurge") in (None, 0, "0", "0%"):
        p.append("rollingUpdate.maxSurge must be > 0 (with maxUnavailable 0 a rollout could not start)")
    return p


@check("pod-security-context")
def _(docs, ov):
    p = []
    for w in workloads(docs):
        spec, name = pod_spec(w), w["metadata"]["name"]
        sc = spec.get("securityContext") or {}
        if sc.get("runAsNonRoot") is not True:
            p.append(f"{name}: pod runAsNonRoot must be true")
        if sc.get("runAsUser") != UID or sc.get("runAsGroup") != UID:
            p.append(f"{name}: pod runAsUser/runAsGroup must be {UID}")
        if (sc.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
            p.append(f"{name}: pod seccompProfile must be RuntimeDefault")
        for k in ("hostNetwork", "hostPID", "hostIPC"):
            if spec.get(k):
                p.append(f"{name}: {k} is set")
        for v in spec.get("volumes", []):
            if "hostPath" in v:
                p.append(f"{name}: hostPath volume {v['name']}")
    return p


@check("container-security-context")
def _(docs, ov):
    p = []
    for w in workloads(docs):
        spec = pod_spec(w)
        psc = spec.get("securityContext") or {}
        for c in containers(spec):
            n = f"{w['metadata']['name']}/{c['name']}"
            sc = c.get("securityContext") or {}
            if sc.get("allowPrivilegeEscalation") is not False:
                p.append(f"{n}: allowPrivilegeEscalation must be false")
            if sc.get("readOnlyRootFilesystem") is not True:
                p.append(f"{n}: readOnlyRootFilesystem must be true")
            if sc.get("privileged"):
                p.append(f"{n}: privileged")
            caps = sc.get("capabilities") or {}
            if "ALL" not in (caps.get("drop") or []):
                p.append(f"{n}: capabilities.drop must contain ALL")
            if caps.get("add"):
                p.append(f"{n}: capabilities.add {caps['add']}")
            if sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is not True:
                p.append(f"{n}: runAsNonRoot must be true")
            if sc.get("runAsUser", psc.get("runAsUser")) != UID:
                p.append(f"{n}: runs as uid {sc.get('runAsUser', psc.get('runAsUser'))}, not {UID}")
            if sc.get("runAsGroup", psc.get("runAsGroup")) != UID:
                p.append(f"{n}: runs as gid {sc.get('runAsGroup', psc.get('runAsGroup'))}, not {UID}")
            seccomp = (sc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type")
            if seccomp != "RuntimeDefault":
                p.append(f"{n}: seccompProfile must be RuntimeDefault")
    return p


@check("resources-requests-limits")
def _(docs, ov):
    p = []
    for w in workloads(docs):
        for c in containers(pod_spec(w)):
            n = f"{w['metadata']['name']}/{c['name']}"
            r = c.get("resources") or {}
            req, lim = r.get("requests") or {}, r.get("limits") or {}
            for res in ("cpu", "memory", "ephemeral-storage"):
                if res not in req:
                    p.append(f"{n}: no {res} request")
                if res not in lim:
                    p.append(f"{n}: no {res} limit")
                if res in req and res in lim and quantity(req[res]) > quantity(lim[res]):
                    p.append(f"{n}: {res} request {req[res]} above limit {lim[res]}")
    return p


def _probe_path(c, probe):
    pr = c.get(probe) or {}
    return (pr.get("httpGet") or {}).get("path"), (pr.get("httpGet") or {}).get("port")


@check("probes-healthz-readyz")
def _(docs, ov):
    c = app_container(docs)
    if not c:
        return ["no app container"]
    p = []
    for probe, path in (("startupProbe", "/healthz"), ("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        got, port = _probe_path(c, probe)
        if got != path:
            p.append(f"app {probe} must GET {path}, has {got!r}")
        if not isinstance(port, str):
            p.append(f"app {probe} must use a named port, has {port!r}")
    # The probes use the app's probe port (PROBE_PORT): a listener with its own connection slots, so clients
    # holding every MAX_CONNECTIONS slot of the main port cannot fail the liveness probe.
    probe_port = env_value(c, "PROBE_PORT")
    named = {pt.get("name"): pt.get("containerPort") for pt in c.get("ports", [])}
    if probe_port is None:
        p.append("app has no PROBE_PORT: its probes share the clients' connection slots")
    else:
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            _, port = _probe_path(c, probe)
            if str(named.get(port)) != str(probe_port):
                p.append(f"app {probe} port {port!r} is not the PROBE_PORT ({probe_port})")
    # Every container of every workload has liveness and readiness probes.
    for w in workloads(docs):
        for cc in pod_spec(w)["containers"]:
            for probe in ("livenessProbe", "readinessProbe"):
                if probe not in cc:
                    p.append(f"{w['metadata']['name']}/{cc['name']}: no {probe}")
    return p


@check("named-ports")
def _(docs, ov):
    p = []
    for w in workloads(docs):
        for c in pod_spec(w)["containers"]:
            names = {pt.get("name") for pt in c.get("ports", [])}
            for pt in c.get("ports", []):
                if not pt.get("name"):
                    p.append(f"{w['metadata']['name']}/{c['name']}: port {pt.get('containerPort')} has no name")
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                pr = c.get(probe) or {}
                port = (pr.get("httpGet") or pr.get("tcpSocket") or {}).get("port")
                if port is not None and port not in names:
                    p.append(f"{w['metadata']['name']}/{c['name']}: {probe} port {port!r} is not a named port")
    app = app_container(docs)
    if app and "http" not in {pt.get("name") for pt in app.get("ports", [])}:
        p.append("app container has no port named http")
    return p


@check("graceful-shutdown-timing")
def _(docs, ov):
    d, c = app_deployment(docs), app_container(docs)
    p = []
    try:
        delay = seconds(env_value(c, "SHUTDOWN_DELAY"))
        drain = seconds(env_value(c, "SHUTDOWN_TIMEOUT"))
        req = seconds(env_value(c, "REQUEST_TIMEOUT"))
    except (ValueError, TypeError) as e:
        return [f"SHUTDOWN_DELAY, SHUTDOWN_TIMEOUT and REQUEST_TIMEOUT must be set as durations: {e}"]
    grace = pod_spec(d).get("terminationGracePeriodSeconds", 30)
    rp = c.get("readinessProbe") or {}
    unready_after = rp.get("periodSeconds", 10) * rp.get("failureThreshold", 3)
    if delay <= 0:
        p.append("SHUTDOWN_DELAY must be > 0 (endpoints and ingress need time to stop routing)")
    if delay < unready_after:
        p.append(f"SHUTDOWN_DELAY {delay}s < readiness period x failureThreshold {unready_after}s")
    if drain < req:
        p.append(f"SHUTDOWN_TIMEOUT {drain}s < REQUEST_TIMEOUT {req}s: a slow request would be cut")
    if delay + drain + 5 > grace:
        p.append(f"SHUTDOWN_DELAY {delay}s + SHUTDOWN_TIMEOUT {drain}s + 5s margin > "
                 f"terminationGracePeriodSeconds {grace}s: the kubelet would SIGKILL during the drain")
    return p


@check("topology-spread")
def _(docs, ov):
    d = app_deployment(docs)
    tsc = pod_spec(d).get("topologySpreadConstraints") or []
    ok = [t for t in tsc if t.get("topologyKey") == "kubernetes.io/hostname"
          and selects(t.get("labelSelector"), pod_labels(d)) and t.get("maxSkew", 0) >= 1]
    return [] if ok else ["Deployment has no topologySpreadConstraint across nodes (kubernetes.io/hostname) "
                          "selecting its own pods"]


@check("service-clusterip")
def _(docs, ov):
    s = one(docs, "Service", APP)
    d = app_deployment(docs)
    if not s:
        return ["no Service giropops-senhas"]
    p = []
    if s["spec"].get("type", "ClusterIP") != "ClusterIP":
        p.append(f"Service type {s['spec'].get('type')}, expected ClusterIP")
    if not selects({"matchLabels": s["spec"].get("selector")}, pod_labels(d)) or not s["spec"].get("selector"):
        p.append("Service selector does not select the app pods")
    if not any(pt.get("name") == "http" and pt.get("targetPort") == "http" for pt in s["spec"].get("ports", [])):
        p.append("Service has no port named http targeting the named container port")
    return p


@check("hpa")
def _(docs, ov):
    hpas = find(docs, "HorizontalPodAutoscaler")
    p = []
    app = [h for h in hpas if h["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                                                "name": APP}]
    if len(app) != 1:
        return ["exactly one HPA must target Deployment giropops-senhas"]
    h = app[0]["spec"]
    if h.get("minReplicas", 1) < 2:
        p.append(f"HPA minReplicas {h.get('minReplicas', 1)} < 2")
    if not any(m.get("type") == "Resource" and m["resource"]["name"] == "cpu" for m in h.get("metrics", [])):
        p.append("HPA has no CPU target")
    if (h.get("behavior", {}).get("scaleDown", {}).get("stabilizationWindowSeconds") or 0) <= 0:
        p.append("HPA has no scale-down stabilisation window")
    for x in hpas:
        if x["spec"]["scaleTargetRef"]["kind"] == "StatefulSet" or x["spec"]["scaleTargetRef"]["name"] == REDIS:
            p.append("an HPA scales Redis: independent Redis replicas are independent histories")
    return p


@check("pdb")
def _(docs, ov):
    d = app_deployment(docs)
    pdbs = [x for x in find(docs, "PodDisruptionBudget") if selects(x["spec"].get("selector"), pod_labels(d))]
    if len(pdbs) != 1:
        return [f"expected one PodDisruptionBudget selecting the app pods, found {len(pdbs)}"]
    s = pdbs[0]["spec"]
    p = []
    if s.get("unhealthyPodEvictionPolicy") != "AlwaysAllow":
        p.append("PDB unhealthyPodEvictionPolicy must be AlwaysAllow")
    hpa = one(docs, "HorizontalPodAutoscaler", APP)
    min_r = hpa["spec"].get("minReplicas", 1) if hpa else 1
    if "minAvailable" in s:
        if not isinstance(s["minAvailable"], int) or s["minAvailable"] >= min_r or s["minAvailable"] < 1:
            p.append(f"PDB minAvailable {s['minAvailable']!r} must be 1..HPA minReplicas-1 ({min_r - 1}) "
                     "so that drains can proceed")
    elif s.get("maxUnavailable") in (None, 0, "0", "0%"):
        p.append("PDB must allow at least one disruption")
    return p


def _policies_for(docs, labels, ptype):
    return [n for n in find(docs, "NetworkPolicy")
            if ptype in n["spec"].get("policyTypes", []) and selects(n["spec"]["podSelector"], labels)]


@check("networkpolicy-default-deny")
def _(docs, ov):
    ok = [n for n in find(docs, "NetworkPolicy") if n["spec"].get("podSelector") == {}
          and set(n["spec"].get("policyTypes", [])) == {"Ingress", "Egress"}
          and not n["spec"].get("ingress") and not n["spec"].get("egress")]
    return [] if ok else ["no default-deny NetworkPolicy (podSelector {}, Ingress+Egress, no rules)"]


def _ns_of(peer):
    return (peer.get("namespaceSelector") or {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")


@check("networkpolicy-app-ingress")
def _(docs, ov):
    d = app_deployment(docs)
    p = []
    pols = _policies_for(docs, pod_labels(d), "Ingress")
    rules = [r for n in pols for r in n["spec"].get("ingress", [])]
    if not rules:
        return ["no NetworkPolicy lets the ingress controller / Prometheus reach the app"]
    sources = set()
    for r in rules:
        if not r.get("from"):
            p.append("an ingress rule for the app has no `from`: open to every source")
        if not r.get("ports"):
            p.append("an ingress rule for the app has no `ports`: every port is open")
        for pt in r.get("ports", []):
            if pt.get("port") not in ("http", 5000):
                p.append(f"app ingress opens port {pt.get('port')!r}")
        for peer in r.get("from", []):
            ns = _ns_of(peer)
            if "ipBlock" in peer or ns not in (INGRESS_NS, MONITORING_NS):
                p.append(f"app ingress allows {peer}: only {INGRESS_NS} and {MONITORING_NS} may connect")
            sources.add(ns)
    for need in (INGRESS_NS, MONITORING_NS):
        if need not in sources:
            p.append(f"app ingress does not admit the {need} namespace")
    return p


@check("networkpolicy-app-egress")
def _(docs, ov):
    d = app_deployment(docs)
    p = []
    rules = [r for n in _policies_for(docs, pod_labels(d), "Egress") for r in n["spec"].get("egress", [])]
    redis_ok = dns_ok = False
    redis_labels = pod_labels(one(docs, "StatefulSet", REDIS)) if one(docs, "StatefulSet", REDIS) else None
    for r in rules:
        ports = {pt.get("port") for pt in r.get("ports", [])}
        if not r.get("to"):
            p.append("an app egress rule has no `to`: every destination is open")
        if not ports:
            p.append("an app egress rule has no `ports`: every port is open")
        if ports and ports <= {53}:
            if all(_ns_of(peer) == "kube-system" for peer in r.get("to", [])):
                dns_ok = True
            else:
                p.append("DNS egress must go to kube-system only")
        elif ports and ports <= {6379, 6380, 26379}:  # Redis, Redis TLS, Sentinel (the Helm chart's topologies)
            for peer in r.get("to", []):
                if "ipBlock" in peer:
                    if peer["ipBlock"]["cidr"] in ("0.0.0.0/0", "::/0"):
                        p.append("Redis egress to 0.0.0.0/0")
                    redis_ok = True
                elif redis_labels is not None and selects(peer.get("podSelector"), redis_labels) \
                        and "namespaceSelector" not in peer:
                    redis_ok = True
                else:
                    p.append(f"Redis egress to an unexpected peer {peer}")
        elif ports:
            p.append(f"app egress opens ports {sorted(map(str, ports))}: only DNS and Redis are allowed")
    if not dns_ok:
        p.append("app egress to DNS (kube-system, 53) is not allowed")
    if not redis_ok:
        p.append("app egress to Redis is not allowed")
    return p


@check("networkpolicy-redis", overlays=("dev",))
def _(docs, ov):
    sts = one(docs, "StatefulSet", REDIS)
    if not sts:
        return ["no StatefulSet giropops-redis"]
    rules = [r for n in _policies_for(docs, pod_labels(sts), "Ingress") for r in n["spec"].get("ingress", [])]
    if not rules:
        return ["no NetworkPolicy admits the app into Redis"]
    p = []
    app_labels = pod_labels(app_deployment(docs))
    app_ok = False
    for r in rules:
        ports = {pt.get("port") for pt in r.get("ports", [])}
        if not r.get("from") or not ports:
            p.append("a Redis ingress rule is open to every source or every port")
            continue
        for peer in r["from"]:
            if "namespaceSelector" not in peer and selects(peer.get("podSelector"), app_labels):
                if ports - {"redis", 6379}:
                    p.append(f"the app may reach Redis on {ports}")
                app_ok = True
            elif _ns_of(peer) == MONITORING_NS:
                if ports - {"metrics", 9121}:
                    p.append(f"Prometheus may reach Redis on {ports}")
            else:
                p.append(f"Redis admits {peer}")
    if not app_ok:
        p.append("the app pods are not admitted into Redis on 6379")
    return p


def _ingress_matches(path_rule, request_path):
    """Ingress path semantics (networking.k8s.io/v1): Exact, Prefix element-wise; ImplementationSpecific is
    counted as a prefix match (the worst case)."""
    path, ptype = path_rule.get("path", "/"), path_rule.get("pathType")
    if ptype == "Exact":
        return request_path == path
    if path == "/":
        return True
    p = path.rstrip("/")
    if ptype == "ImplementationSpecific" and request_path.startswith(p):
        return True
    return request_path == p or request_path.startswith(p + "/")


@check("ingress-routes-not-metrics")
def _(docs, ov):
    ings = find(docs, "Ingress")
    if not ings:
        return ["no Ingress"]
    p = []
    paths = [pr for i in ings for r in i["spec"].get("rules", []) for pr in r.get("http", {}).get("paths", [])]
    if any(i["spec"].get("defaultBackend") for i in ings):
        p.append("an Ingress has a defaultBackend: every path, /metrics included, would be routed")
    for forbidden in ("/metrics", "/metrics/", "/healthz", "/readyz"):
        hit = [pr["path"] for pr in paths if _ingress_matches(pr, forbidden)]
        if hit:
            p.append(f"Ingress routes {forbidden} (through {hit})")
    for needed in ("/", "/api/gerar-senha", "/api/senhas", "/api/openapi.json", "/assets/app.css"):
        if not any(_ingress_matches(pr, needed) for pr in paths):
            p.append(f"Ingress does not route {needed}")
    return p


@check("ingress-tls-cert-manager", overlays=("prod",))
def _(docs, ov):
    ing = one(docs, "Ingress", APP)
    p = []
    if not ing:
        return ["no Ingress"]
    tls = ing["spec"].get("tls") or []
    hosts = {r.get("host") for r in ing["spec"].get("rules", [])}
    if not tls or not all(t.get("secretName") for t in tls):
        p.append("prod Ingress has no TLS section with a secretName")
    elif not hosts <= {h for t in tls for h in t.get("hosts", [])}:
        p.append("prod Ingress has hosts without TLS")
    ann = ing["metadata"].get("annotations", {})
    issuer = ann.get("cert-manager.io/issuer")
    cissuer = ann.get("cert-manager.io/cluster-issuer")
    if not issuer and not cissuer:
        p.append("prod Ingress has no cert-manager issuer annotation")
    elif issuer and not one(docs, "Issuer", issuer):
        p.append(f"cert-manager Issuer {issuer} is not in the prod overlay")
    return p


@check("prod-history-exposure", overlays=("prod",))
def _(docs, ov):
    c = app_container(docs)
    size, ttl = env_value(c, "HISTORY_SIZE"), env_value(c, "HISTORY_TTL")
    try:
        if size is not None and int(size) == 0:
            return []
        if ttl is not None and 0 < seconds(ttl) <= 3600:
            return []
    except ValueError as e:
        return [str(e)]
    return ["prod must set HISTORY_TTL (1s..1h) or HISTORY_SIZE=0: the history shows passwords to every visitor"]


@check("redis-single-writer", overlays=("dev",))
def _(docs, ov):
    sts = one(docs, "StatefulSet", REDIS)
    if not sts:
        return ["no StatefulSet giropops-redis"]
    p = []
    if sts["spec"].get("replicas") != 1:
        p.append(f"Redis StatefulSet replicas {sts['spec'].get('replicas')!r}, must be exactly 1 (single writer)")
    if not sts["spec"].get("volumeClaimTemplates"):
        p.append("Redis StatefulSet has no PersistentVolumeClaim template")
    names = [c["name"] for c in pod_spec(sts)["containers"]]
    exp = [c for c in pod_spec(sts)["containers"] if any(pt.get("containerPort") == 9121
                                                         for pt in c.get("ports", []))]
    if not exp:
        p.append(f"Redis pod has no redis_exporter sidecar on 9121 (containers: {names})")
    redis = [c for c in pod_spec(sts)["containers"] if c["name"] == "redis"]
    if redis and "--requirepass" in " ".join(redis[0].get("args", []) + redis[0].get("command", [])):
        p.append("Redis password passed on the command line")
    if redis and not any(m["mountPath"] == "/data" for m in redis[0].get("volumeMounts", [])):
        p.append("Redis data is not on the PVC")
    return p


@check("redis-password-from-file")
def _(docs, ov):
    c, d = app_container(docs), app_deployment(docs)
    p = []
    path = env_value(c, "REDIS_PASSWORD_FILE")
    if not path:
        p.append("the app does not read its Redis password from REDIS_PASSWORD_FILE")
    else:
        mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
        vols = {v["name"]: v for v in pod_spec(d).get("volumes", [])}
        mount = [mp for mp in mounts if path.startswith(mp.rstrip("/") + "/")]
        if not mount or "secret" not in vols.get(mounts[mount[0]], {}):
            p.append(f"REDIS_PASSWORD_FILE {path} is not inside a mounted Secret volume")
    if not any(env_of(c).get(k) for k in ("REDIS_HOST", "REDIS_URL", "REDIS_SENTINELS", "REDIS_CLUSTER_NODES")):
        p.append("the app is not pointed at a Redis (REDIS_HOST, REDIS_SENTINELS or REDIS_CLUSTER_NODES)")
    for w in workloads(docs):
        for cc in containers(pod_spec(w)):
            for e in cc.get("env", []):
                if re.search(r"PASSWORD|SECRET|TOKEN", e["name"]) and "value" in e and e["name"] != \
                        "REDIS_PASSWORD_FILE":
                    p.append(f"{w['metadata']['name']}/{cc['name']}: literal secret in env {e['name']}")
    return p


@check("prod-external-redis", overlays=("prod",))
def _(docs, ov):
    p = []
    if find(docs, "StatefulSet"):
        p.append("prod runs a Redis StatefulSet; it should point at a managed Redis")
    return p


@check("monitoring-objects")
def _(docs, ov):
    p = []
    svc = one(docs, "Service", APP)
    sms = [s for s in find(docs, "ServiceMonitor")
           if svc and selects(s["spec"].get("selector"), svc["metadata"].get("labels", {}))]
    if not sms:
        p.append("no ServiceMonitor selects the app Service")
    for s in sms:
        for e in s["spec"].get("endpoints", []):
            if e.get("path", "/metrics") != "/metrics" or e.get("port") not in \
                    {pt.get("name") for pt in svc["spec"]["ports"]}:
                p.append(f"ServiceMonitor endpoint {e} does not scrape /metrics on a Service port")
    alerts = {r.get("alert") for pr in find(docs, "PrometheusRule") for g in pr["spec"]["groups"]
              for r in g["rules"]}
    for a in ("GiropopsSenhasDown", "GiropopsSenhasHigh5xxRatio", "GiropopsSenhasHighLatencyP99",
              "GiropopsSenhasStoreErrors", "GiropopsRedisDown"):
        if a not in alerts:
            p.append(f"alert {a} missing")
    dash = [c for c in find(docs, "ConfigMap") if c["metadata"].get("labels", {}).get("grafana_dashboard") == "1"]
    if not dash:
        p.append("no Grafana dashboard ConfigMap (label grafana_dashboard=1)")
    return p


def hardening_problems(docs, overlay, only=None):
    out = []
    for cid, (fn, ovs) in CHECKS.items():
        if overlay not in ovs or (only and cid not in only):
            continue
        try:
            probs = fn(docs, overlay)
        except (KeyError, TypeError, AttributeError, IndexError) as e:
            probs = [f"malformed manifest ({type(e).__name__}: {e})"]
        out += [(cid, m) for m in probs]
    return out


# ------------------------------------------------------------------------------------------------ CRD checks
def _typecheck(value, spec, path, probs):
    """A tiny type checker for the CRD fields we rely on: spec is str/int/bool, [item spec] (non-empty list),
    {key: spec} ("*" = every key), opt(spec), or a function returning an error message."""
    if isinstance(spec, tuple) and spec and spec[0] == "optional":
        if value is None:
            return
        spec = spec[1]
    if value is None:
        probs.append(f"{path}: missing")
        return
    if spec in (str, int, bool):
        if not isinstance(value, spec) or (spec is int and isinstance(value, bool)):
            probs.append(f"{path}: expected {spec.__name__}, got {type(value).__name__} {value!r}")
    elif isinstance(spec, list):
        if not isinstance(value, list) or not value:
            probs.append(f"{path}: expected a non-empty list")
            return
        for i, v in enumerate(value):
            _typecheck(v, spec[0], f"{path}[{i}]", probs)
    elif isinstance(spec, dict):
        if not isinstance(value, dict):
            probs.append(f"{path}: expected a mapping, got {type(value).__name__}")
            return
        for k, sub in spec.items():
            if k == "*":
                for kk, vv in value.items():
                    _typecheck(vv, sub, f"{path}.{kk}", probs)
            else:
                _typecheck(value.get(k), sub, f"{path}.{k}", probs)
    elif callable(spec):
        msg = spec(value)
        if msg:
            probs.append(f"{path}: {msg}")


def opt(s):
    return ("optional", s)


def duration(v):
    if not isinstance(v, str) or not re.fullmatch(r"(\d+(ms|s|m|h|d|w|y))+", v):
        return f"expected a Prometheus duration string, got {v!r}"


def one_of(*allowed):
    def f(v):
        if v not in allowed:
            return f"expected one of {allowed}, got {v!r}"
    return f


def is_true(v):
    if v is not True:
        return f"expected true, got {v!r}"


def pem(v):
    if not isinstance(v, str) or not re.search(r"-----BEGIN PUBLIC KEY-----\n(.+\n)+-----END PUBLIC KEY-----", v):
        return "expected a PEM public key block"


LABELS = {"*": str}
SELECTOR = {"matchLabels": {"*": str}}
SERVICEMONITOR = {
    "metadata": {"name": str, "labels": opt(LABELS)},
    "spec": {"selector": SELECTOR, "jobLabel": opt(str),
             "endpoints": [{"port": str, "path": str, "interval": duration, "scrapeTimeout": opt(duration)}]},
}
PROMETHEUSRULE = {
    "metadata": {"name": str, "labels": opt(LABELS)},
    "spec": {"groups": [{"name": str, "rules": [{"expr": str, "for": opt(duration), "labels": opt(LABELS),
                                                  "annotations": opt(LABELS), "alert": opt(str),
                                                  "record": opt(str)}]}]},
}
KYVERNO_MATCH = {"any": [{"resources": {"kinds": [one_of("Pod")], "namespaceSelector": SELECTOR}}]}
CLUSTERPOLICY = {
    "metadata": {"name": str},
    "spec": {"validationFailureAction": one_of("Enforce"), "background": bool,
             "rules": [{"name": str, "match": KYVERNO_MATCH}]},
}
VERIFY_IMAGES = [{"imageReferences": [str], "mutateDigest": is_true, "verifyDigest": is_true, "required": is_true,
                  "attestors": [{"entries": [{"keys": {"publicKeys": pem}}]}]}]
ISSUER = {
    "metadata": {"name": str},
    "spec": {"acme": {"server": lambda v: None if isinstance(v, str) and v.startswith("https://") else
                      "expected an https:// ACME directory", "email": str, "privateKeySecretRef": {"name": str},
                      "solvers": [{"http01": {"ingress": {"ingressClassName": str}}}]}},
}


def crd_problems(docs):
    p = []
    for d in docs:
        key = (d.get("apiVersion"), d.get("kind"))
        if d.get("kind") in {k for _, k in CRD_KINDS} and key not in CRD_KINDS:
            p.append(f"{d['kind']}/{d['metadata']['name']}: unexpected apiVersion {d.get('apiVersion')}")
            continue
        name = f"{d['kind']}/{d['metadata']['name']}"
        if key == ("monitoring.coreos.com/v1", "ServiceMonitor"):
            _typecheck(d, SERVICEMONITOR, name, p)
        elif key == ("monitoring.coreos.com/v1", "PrometheusRule"):
            _typecheck(d, PROMETHEUSRULE, name, p)
            for g in d["spec"].get("groups", []):
                for r in g.get("rules", []):
                    if ("alert" in r) == ("record" in r):
                        p.append(f"{name}: a rule must have exactly one of alert/record: {r}")
                    if "alert" in r and not (r.get("labels") or {}).get("severity"):
                        p.append(f"{name}: alert {r['alert']} has no severity label")
        elif key == ("kyverno.io/v1", "ClusterPolicy"):
            _typecheck(d, CLUSTERPOLICY, name, p)
            for r in d["spec"].get("rules", []):
                kinds = [k for k in ("validate", "verifyImages", "mutate", "generate") if k in r]
                if len(kinds) != 1:
                    p.append(f"{name}/{r.get('name')}: exactly one of validate/verifyImages/mutate/generate")
                if "verifyImages" in r:
                    _typecheck(r["verifyImages"], VERIFY_IMAGES, f"{name}/{r['name']}.verifyImages", p)
                if "validate" in r:
                    v = r["validate"]
                    if "podSecurity" in v:
                        _typecheck(v, {"podSecurity": {"level": one_of("restricted"), "version": str}},
                                   f"{name}/{r['name']}.validate", p)
                    elif not isinstance(v.get("pattern"), dict) or not isinstance(v.get("message"), str):
                        p.append(f"{name}/{r['name']}: validate needs a pattern mapping and a message")
                for m in r.get("match", {}).get("any", []):
                    sel = m.get("resources", {}).get("namespaceSelector", {}).get("matchLabels", {})
                    if sel != {POLICY_LABEL[0]: POLICY_LABEL[1]}:
                        p.append(f"{name}/{r['name']}: must select namespaces by {POLICY_LABEL[0]}=enforced")
        elif key == ("cert-manager.io/v1", "Issuer"):
            _typecheck(d, ISSUER, name, p)
    return p


def policy_coverage(docs):
    """The four admission policies the issue asks for are there and say what they must."""
    p = []
    rules = [(d["metadata"]["name"], r) for d in find(docs, "ClusterPolicy") for r in d["spec"]["rules"]]
    vi = [r for _, r in rules if "verifyImages" in r]
    if not any(v.get("mutateDigest") is True and any("giropops-senhas" in ref for ref in v.get("imageReferences", []))
               for r in vi for v in r["verifyImages"]):
        p.append("no verifyImages rule for the giropops-senhas image with mutateDigest")
    if not any(r.get("validate", {}).get("podSecurity", {}).get("level") == "restricted" for _, r in rules):
        p.append("no rule requiring the restricted Pod Security profile")
    pats = [json.dumps(r.get("validate", {}).get("pattern", {})) for _, r in rules]
    if not any("livenessProbe" in s and "readinessProbe" in s for s in pats):
        p.append("no rule requiring liveness and readiness probes")
    if not any("requests" in s and "memory" in s and "cpu" in s for s in pats):
        p.append("no rule requiring resources")
    if not any('"!*:latest"' in s for s in pats):
        p.append("no rule forbidding the latest tag")
    key_file = (K8S / "policies" / "cosign.pub").read_text()
    for v in (v for r in vi for v in r["verifyImages"]):
        for a in v.get("attestors", []):
            for e in a.get("entries", []):
                if e.get("keys", {}).get("publicKeys") != key_file:
                    p.append("the policy's public key is not the content of deploy/k8s/policies/cosign.pub")
    return p


# ----------------------------------------------------------------------------------------------- mutations
def _app(docs):
    return app_container(docs)


def _dep(docs):
    return pod_spec(app_deployment(docs))


def _sts(docs):
    return pod_spec(one(docs, "StatefulSet", REDIS))


def _np(docs, name):
    return one(docs, "NetworkPolicy", name)["spec"]


def _set_env(c, name, value):
    for e in c["env"]:
        if e["name"] == name:
            e["value"] = value
            return
    c["env"].append({"name": name, "value": value})


def _del_env(c, name):
    c["env"] = [e for e in c["env"] if e["name"] != name]


def _drop_ns_label(d, label):
    del find(d, "Namespace")[0]["metadata"]["labels"][label]


# (overlay, check id that must fail, description, mutation)
MUTATIONS = [
    ("dev", "namespace-restricted-pss", "PSS enforce label removed",
     lambda d: _drop_ns_label(d, "pod-security.kubernetes.io/enforce")),
    ("prod", "namespace-restricted-pss", "PSS enforce weakened to baseline",
     lambda d: find(d, "Namespace")[0]["metadata"]["labels"].update({"pod-security.kubernetes.io/enforce": "baseline"})),
    ("dev", "serviceaccount-no-token", "ServiceAccount automount true",
     lambda d: one(d, "ServiceAccount", APP).update({"automountServiceAccountToken": True})),
    ("dev", "serviceaccount-no-token", "pod automountServiceAccountToken removed",
     lambda d: _dep(d).pop("automountServiceAccountToken")),
    ("dev", "serviceaccount-no-token", "Redis pod automount removed",
     lambda d: _sts(d).pop("automountServiceAccountToken")),
    ("prod", "serviceaccount-no-token", "default ServiceAccount used",
     lambda d: _dep(d).pop("serviceAccountName")),
    ("dev", "no-service-links", "enableServiceLinks removed (defaults to true)",
     lambda d: _dep(d).pop("enableServiceLinks")),
    ("dev", "no-service-links", "Redis enableServiceLinks true",
     lambda d: _sts(d).update({"enableServiceLinks": True})),
    ("dev", "image-tag-and-digest", "app image :latest",
     lambda d: _app(d).update({"image": "giropops-senhas:latest"})),
    ("prod", "image-tag-and-digest", "app image without digest",
     lambda d: _app(d).update({"image": "giropops-senhas:0.1.0"})),
    ("dev", "image-tag-and-digest", "Redis image digest only, tag latest",
     lambda d: _sts(d)["containers"][0].update({"image": "redis:latest@sha256:" + "a" * 64})),
    ("dev", "deployment-no-replicas", "Deployment replicas: 2",
     lambda d: app_deployment(d)["spec"].update({"replicas": 2})),
    ("dev", "rolling-update-max-unavailable-0", "maxUnavailable 1",
     lambda d: app_deployment(d)["spec"]["strategy"]["rollingUpdate"].update({"maxUnavailable": 1})),
    ("prod", "rolling-update-max-unavailable-0", "strategy Recreate",
     lambda d: app_deployment(d)["spec"].update({"strategy": {"type": "Recreate"}})),
    ("dev", "pod-security-context", "pod runAsNonRoot removed",
     lambda d: _dep(d)["securityContext"].pop("runAsNonRoot")),
    ("dev", "pod-security-context", "pod seccompProfile Unconfined",
     lambda d: _dep(d)["securityContext"].update({"seccompProfile": {"type": "Unconfined"}})),
    ("dev", "pod-security-context", "Redis pod runs as uid 0",
     lambda d: _sts(d)["securityContext"].update({"runAsUser": 0})),
    ("prod", "pod-security-context", "hostNetwork true",
     lambda d: _dep(d).update({"hostNetwork": True})),
    ("dev", "container-security-context", "allowPrivilegeEscalation removed",
     lambda d: _app(d)["securityContext"].pop("allowPrivilegeEscalation")),
    ("dev", "container-security-context", "readOnlyRootFilesystem false",
     lambda d: _app(d)["securityContext"].update({"readOnlyRootFilesystem": False})),
    ("dev", "container-security-context", "capabilities.drop emptied",
     lambda d: _app(d)["securityContext"]["capabilities"].update({"drop": []})),
    ("dev", "container-security-context", "capability NET_RAW added",
     lambda d: _app(d)["securityContext"]["capabilities"].update({"add": ["NET_RAW"]})),
    ("dev", "container-security-context", "exporter privileged",
     lambda d: _sts(d)["containers"][1]["securityContext"].update({"privileged": True})),
    ("dev", "container-security-context", "Redis readOnlyRootFilesystem removed",
     lambda d: _sts(d)["containers"][0]["securityContext"].pop("readOnlyRootFilesystem")),
    ("prod", "container-security-context", "container and pod seccomp removed",
     lambda d: (_app(d)["securityContext"].pop("seccompProfile"), _dep(d)["securityContext"].pop("seccompProfile"))),
    ("dev", "resources-requests-limits", "ephemeral-storage request removed",
     lambda d: _app(d)["resources"]["requests"].pop("ephemeral-storage")),
    ("dev", "resources-requests-limits", "memory limit removed",
     lambda d: _app(d)["resources"]["limits"].pop("memory")),
    ("dev", "resources-requests-limits", "exporter cpu request removed",
     lambda d: _sts(d)["containers"][1]["resources"]["requests"].pop("cpu")),
    ("prod", "resources-requests-limits", "memory request above its limit",
     lambda d: _app(d)["resources"]["requests"].update({"memory": "10Gi"})),
    ("dev", "probes-healthz-readyz", "readiness on /healthz",
     lambda d: _app(d)["readinessProbe"]["httpGet"].update({"path": "/healthz"})),
    ("dev", "probes-healthz-readyz", "liveness on / (needs Redis)",
     lambda d: _app(d)["livenessProbe"]["httpGet"].update({"path": "/"})),
    ("prod", "probes-healthz-readyz", "startup probe removed",
     lambda d: _app(d).pop("startupProbe")),
    ("dev", "probes-healthz-readyz", "exporter liveness removed",
     lambda d: _sts(d)["containers"][1].pop("livenessProbe")),
    ("dev", "probes-healthz-readyz", "liveness on the main port",
     lambda d: _app(d)["livenessProbe"]["httpGet"].update({"port": "http"})),
    ("prod", "probes-healthz-readyz", "PROBE_PORT removed",
     lambda d: _del_env(_app(d), "PROBE_PORT")),
    ("dev", "probes-healthz-readyz", "PROBE_PORT not the probes' container port",
     lambda d: _set_env(_app(d), "PROBE_PORT", "9090")),
    ("dev", "named-ports", "probe on a numeric port",
     lambda d: _app(d)["livenessProbe"]["httpGet"].update({"port": 5000})),
    ("dev", "named-ports", "container port unnamed",
     lambda d: _app(d)["ports"][0].pop("name")),
    ("dev", "graceful-shutdown-timing", "grace period shorter than delay + drain",
     lambda d: _dep(d).update({"terminationGracePeriodSeconds": 20})),
    ("dev", "graceful-shutdown-timing", "SHUTDOWN_DELAY 0",
     lambda d: _set_env(_app(d), "SHUTDOWN_DELAY", "0")),
    ("prod", "graceful-shutdown-timing", "SHUTDOWN_DELAY shorter than readiness detection",
     lambda d: _set_env(_app(d), "SHUTDOWN_DELAY", "3s")),
    ("dev", "graceful-shutdown-timing", "SHUTDOWN_TIMEOUT shorter than REQUEST_TIMEOUT",
     lambda d: _set_env(_app(d), "SHUTDOWN_TIMEOUT", "5")),
    ("dev", "graceful-shutdown-timing", "SHUTDOWN_DELAY removed",
     lambda d: _del_env(_app(d), "SHUTDOWN_DELAY")),
    ("dev", "graceful-shutdown-timing", "delay in minutes overflowing the grace period",
     lambda d: _set_env(_app(d), "SHUTDOWN_DELAY", "1m")),
    ("dev", "topology-spread", "topology spread removed",
     lambda d: _dep(d).pop("topologySpreadConstraints")),
    ("prod", "topology-spread", "topology spread selecting other pods",
     lambda d: [t.update({"labelSelector": {"matchLabels": {"app": "other"}}})
                for t in _dep(d)["topologySpreadConstraints"]]),
    ("dev", "service-clusterip", "Service type LoadBalancer",
     lambda d: one(d, "Service", APP)["spec"].update({"type": "LoadBalancer"})),
    ("dev", "service-clusterip", "Service selector wrong",
     lambda d: one(d, "Service", APP)["spec"].update({"selector": {"app": "x"}})),
    ("dev", "hpa", "HPA minReplicas 1",
     lambda d: one(d, "HorizontalPodAutoscaler", APP)["spec"].update({"minReplicas": 1})),
    ("dev", "hpa", "HPA without scale-down stabilisation",
     lambda d: one(d, "HorizontalPodAutoscaler", APP)["spec"].pop("behavior")),
    ("prod", "hpa", "HPA on memory only",
     lambda d: one(d, "HorizontalPodAutoscaler", APP)["spec"].update(
         {"metrics": [{"type": "Resource", "resource": {"name": "memory", "target": {
             "type": "Utilization", "averageUtilization": 80}}}]})),
    ("dev", "hpa", "an HPA on the Redis StatefulSet",
     lambda d: d.append({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                         "metadata": {"name": "redis"}, "spec": {"scaleTargetRef": {
                             "apiVersion": "apps/v1", "kind": "StatefulSet", "name": REDIS},
                             "minReplicas": 2, "maxReplicas": 3}})),
    ("dev", "pdb", "unhealthyPodEvictionPolicy removed",
     lambda d: one(d, "PodDisruptionBudget", APP)["spec"].pop("unhealthyPodEvictionPolicy")),
    ("prod", "pdb", "PDB minAvailable equal to the HPA minimum (blocks drains)",
     lambda d: one(d, "PodDisruptionBudget", APP)["spec"].update({"minAvailable": 3})),
    ("dev", "pdb", "PDB removed",
     lambda d: d.remove(one(d, "PodDisruptionBudget", APP))),
    ("dev", "networkpolicy-default-deny", "default deny removed",
     lambda d: d.remove(one(d, "NetworkPolicy", "default-deny-all"))),
    ("prod", "networkpolicy-default-deny", "default deny without Egress",
     lambda d: _np(d, "default-deny-all").update({"policyTypes": ["Ingress"]})),
    ("dev", "networkpolicy-app-ingress", "app ingress from everywhere",
     lambda d: _np(d, "giropops-senhas-ingress")["ingress"].append({"ports": [{"port": "http"}]})),
    ("dev", "networkpolicy-app-ingress", "app ingress from any namespace",
     lambda d: _np(d, "giropops-senhas-ingress")["ingress"][0]["from"][0].update({"namespaceSelector": {}})),
    ("prod", "networkpolicy-app-ingress", "app ingress on every port",
     lambda d: _np(d, "giropops-senhas-ingress")["ingress"][1].pop("ports")),
    ("dev", "networkpolicy-app-ingress", "Prometheus not admitted",
     lambda d: _np(d, "giropops-senhas-ingress")["ingress"].pop(1)),
    ("dev", "networkpolicy-app-egress", "app egress to everything",
     lambda d: _np(d, "giropops-senhas-egress-redis")["egress"].append({})),
    ("dev", "networkpolicy-app-egress", "app egress on 443",
     lambda d: _np(d, "giropops-senhas-egress-redis")["egress"][0]["ports"].append({"port": 443,
                                                                                    "protocol": "TCP"})),
    ("prod", "networkpolicy-app-egress", "managed Redis egress to 0.0.0.0/0",
     lambda d: _np(d, "giropops-senhas-egress-redis")["egress"][0]["to"][0]["ipBlock"].update(
         {"cidr": "0.0.0.0/0"})),
    ("dev", "networkpolicy-app-egress", "DNS egress removed",
     lambda d: d.remove(one(d, "NetworkPolicy", "allow-dns-egress"))),
    ("dev", "networkpolicy-redis", "Redis open to every pod",
     lambda d: _np(d, "giropops-redis-ingress")["ingress"][0].pop("from")),
    ("dev", "networkpolicy-redis", "Redis ingress policy removed",
     lambda d: d.remove(one(d, "NetworkPolicy", "giropops-redis-ingress"))),
    ("dev", "ingress-routes-not-metrics", "Ingress path / as Prefix (routes /metrics)",
     lambda d: one(d, "Ingress", APP)["spec"]["rules"][0]["http"]["paths"][0].update({"pathType": "Prefix"})),
    ("prod", "ingress-routes-not-metrics", "Ingress path /metrics added",
     lambda d: one(d, "Ingress", APP)["spec"]["rules"][0]["http"]["paths"].append(
         {"path": "/metrics", "pathType": "Exact", "backend": {"service": {"name": APP, "port": {"name": "http"}}}})),
    ("dev", "ingress-routes-not-metrics", "Ingress defaultBackend",
     lambda d: one(d, "Ingress", APP)["spec"].update({"defaultBackend": {"service": {
         "name": APP, "port": {"name": "http"}}}})),
    ("dev", "ingress-routes-not-metrics", "Ingress without the API",
     lambda d: one(d, "Ingress", APP)["spec"]["rules"][0]["http"]["paths"].pop(1)),
    ("prod", "ingress-tls-cert-manager", "TLS removed",
     lambda d: one(d, "Ingress", APP)["spec"].pop("tls")),
    ("prod", "ingress-tls-cert-manager", "cert-manager annotation removed",
     lambda d: one(d, "Ingress", APP)["metadata"]["annotations"].pop("cert-manager.io/issuer")),
    ("prod", "ingress-tls-cert-manager", "Issuer missing",
     lambda d: d.remove(one(d, "Issuer", "letsencrypt"))),
    ("prod", "prod-history-exposure", "HISTORY_TTL removed",
     lambda d: _del_env(_app(d), "HISTORY_TTL")),
    ("prod", "prod-history-exposure", "HISTORY_TTL one day",
     lambda d: _set_env(_app(d), "HISTORY_TTL", "86400")),
    ("dev", "redis-single-writer", "Redis replicas 3",
     lambda d: one(d, "StatefulSet", REDIS)["spec"].update({"replicas": 3})),
    ("dev", "redis-single-writer", "Redis without PVC",
     lambda d: one(d, "StatefulSet", REDIS)["spec"].pop("volumeClaimTemplates")),
    ("dev", "redis-single-writer", "exporter sidecar removed",
     lambda d: _sts(d)["containers"].pop(1)),
    ("dev", "redis-single-writer", "Redis password on the command line",
     lambda d: _sts(d)["containers"][0].update({"args": ["redis-server", "--requirepass", "x"]})),
    ("dev", "redis-password-from-file", "REDIS_PASSWORD literal in env",
     lambda d: _set_env(_app(d), "REDIS_PASSWORD", "hunter2")),
    ("prod", "redis-password-from-file", "REDIS_PASSWORD_FILE removed",
     lambda d: _del_env(_app(d), "REDIS_PASSWORD_FILE")),
    ("dev", "redis-password-from-file", "password file outside the Secret mount",
     lambda d: _set_env(_app(d), "REDIS_PASSWORD_FILE", "/etc/redis-password")),
    ("prod", "prod-external-redis", "a Redis StatefulSet in prod",
     lambda d: d.append({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "redis"},
                         "spec": {"template": {"metadata": {}, "spec": {"containers": []}}}})),
    ("dev", "monitoring-objects", "ServiceMonitor removed",
     lambda d: d.remove(one(d, "ServiceMonitor", APP))),
    ("prod", "monitoring-objects", "p99 latency alert removed",
     lambda d: one(d, "PrometheusRule", APP)["spec"]["groups"][1]["rules"].pop(2)),
]

# CRD-structure mutations: (target, description, mutation); crd_problems or policy_coverage must complain.
CRD_MUTATIONS = [
    ("dev", "ServiceMonitor endpoints as a mapping",
     lambda d: one(d, "ServiceMonitor", APP)["spec"].update({"endpoints": {"port": "http"}})),
    ("dev", "ServiceMonitor interval as a number",
     lambda d: one(d, "ServiceMonitor", APP)["spec"]["endpoints"][0].update({"interval": 30})),
    ("prod", "PrometheusRule `for` not a duration",
     lambda d: one(d, "PrometheusRule", APP)["spec"]["groups"][1]["rules"][0].update({"for": "2 minutes"})),
    ("prod", "alert without severity",
     lambda d: one(d, "PrometheusRule", APP)["spec"]["groups"][1]["rules"][0]["labels"].pop("severity")),
    ("dev", "rule with both alert and record",
     lambda d: one(d, "PrometheusRule", APP)["spec"]["groups"][1]["rules"][0].update({"record": "x"})),
    ("prod", "Issuer on plain http",
     lambda d: one(d, "Issuer", "letsencrypt")["spec"]["acme"].update({"server": "http://acme.example"})),
    ("prod", "Issuer solvers missing",
     lambda d: one(d, "Issuer", "letsencrypt")["spec"]["acme"].pop("solvers")),
    ("policies", "verifyImages mutateDigest false",
     lambda d: one(d, "ClusterPolicy", "giropops-verify-image-signature")["spec"]["rules"][0]["verifyImages"][0]
     .update({"mutateDigest": False})),
    ("policies", "public key not PEM",
     lambda d: one(d, "ClusterPolicy", "giropops-verify-image-signature")["spec"]["rules"][0]["verifyImages"][0]
     ["attestors"][0]["entries"][0]["keys"].update({"publicKeys": "ssh-ed25519 AAAA"})),
    ("policies", "policy in Audit mode",
     lambda d: one(d, "ClusterPolicy", "giropops-require-restricted")["spec"].update(
         {"validationFailureAction": "Audit"})),
    ("policies", "restricted weakened to baseline",
     lambda d: one(d, "ClusterPolicy", "giropops-require-restricted")["spec"]["rules"][0]["validate"]
     ["podSecurity"].update({"level": "baseline"})),
    ("policies", "latest-tag rule removed",
     lambda d: one(d, "ClusterPolicy", "giropops-disallow-latest-tag")["spec"]["rules"].pop(1)),
    ("policies", "probe rule removed",
     lambda d: one(d, "ClusterPolicy", "giropops-require-probes-and-resources")["spec"]["rules"].pop(0)),
    ("policies", "policy matching every namespace",
     lambda d: one(d, "ClusterPolicy", "giropops-disallow-latest-tag")["spec"]["rules"][0]["match"]["any"][0]
     ["resources"].pop("namespaceSelector")),
    ("policies", "rule with validate and verifyImages",
     lambda d: one(d, "ClusterPolicy", "giropops-require-restricted")["spec"]["rules"][0].update(
         {"verifyImages": []})),
]


# ------------------------------------------------------------------------------------------------ the tests
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def render_every_target():
    for t in TARGETS:
        docs = render(t)
        assert docs, f"{t} rendered nothing"
    names = [d["metadata"]["name"] for d in render("policies")]
    assert "cosign-public-key" not in names, "the key helper ConfigMap leaked into the policies output"


@test
def builtin_kinds_pass_kubernetes_validate():
    """One run (the tool takes seconds to start): every rendered built-in resource passes, and a Deployment
    with a misspelt field, validated in the same run, is rejected."""
    kv = tool("kubernetes-validate")
    files, count = [], 0
    for t in TARGETS:
        docs = [d for d in render(t) if (d["apiVersion"], d["kind"]) not in CRD_KINDS]
        if not docs:
            continue
        f = TMP / f"builtin-{t}.yaml"
        f.write_text(yaml.safe_dump_all(docs, sort_keys=False))
        files.append(str(f))
        count += len(docs)
    broken = [d for d in render("dev") if d["kind"] == "Deployment"]
    broken[0]["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystm"] = True
    bad = TMP / "misspelt-field.yaml"
    bad.write_text(yaml.safe_dump_all(broken))
    r = run([kv, "--strict", "-k", "1.32.0", str(bad), *files])
    out = r.stdout + r.stderr
    good_errors = [ln for ln in out.splitlines() if not ln.startswith("INFO") and bad.name not in ln]
    assert not good_errors, "kubernetes-validate:\n" + "\n".join(good_errors)
    passed = sum(1 for ln in out.splitlines() if ln.startswith("INFO") and " passed " in ln and bad.name not in ln)
    assert passed == count, f"{passed} of {count} resources reported as passed:\n{out}"
    assert re.search(rf"ERROR .*{bad.name} did not validate", out), \
        f"kubernetes-validate accepted a misspelt field (readOnlyRootFilesystm):\n{out}"


@test
def crd_kinds_have_the_fields_we_rely_on():
    problems = []
    seen = set()
    for t in TARGETS:
        docs = render(t)
        seen |= {(d["apiVersion"], d["kind"]) for d in docs if (d["apiVersion"], d["kind"]) in CRD_KINDS}
        problems += [f"{t}: {m}" for m in crd_problems(docs)]
    problems += [f"policies: {m}" for m in policy_coverage(render("policies"))]
    for need in [("monitoring.coreos.com/v1", "ServiceMonitor"), ("monitoring.coreos.com/v1", "PrometheusRule"),
                 ("kyverno.io/v1", "ClusterPolicy"), ("cert-manager.io/v1", "Issuer")]:
        if need not in seen:
            problems.append(f"no {need[1]} rendered at all")
    assert not problems, "\n".join(problems)
    if "REPLACE-ME" in (K8S / "policies" / "cosign.pub").read_text():
        print("    note: deploy/k8s/policies/cosign.pub is still the placeholder (Kyverno refuses it: replace it)")


@test
def crd_checks_catch_each_mutation():
    missed = []
    for target, desc, mutate in CRD_MUTATIONS:
        docs = copy.deepcopy(render(target))
        mutate(docs)
        found = crd_problems(docs) + (policy_coverage(docs) if target == "policies" else [])
        if not found:
            missed.append(f"{target}: {desc}")
    assert not missed, "the CRD checks did not notice:\n  " + "\n  ".join(missed)


@test
def hardening_checklist_dev():
    probs = hardening_problems(render("dev"), "dev")
    assert not probs, "\n".join(f"[{c}] {m}" for c, m in probs)


@test
def hardening_checklist_prod():
    probs = hardening_problems(render("prod"), "prod")
    assert not probs, "\n".join(f"[{c}] {m}" for c, m in probs)
    zero = sorted({c["image"] for w in workloads(render("prod")) + workloads(render("dev"))
                   for c in containers(pod_spec(w)) if c["image"].endswith("@sha256:" + "0" * 64)})
    if zero:
        print(f"    note: placeholder digests still in place (set the real ones before deploying): {zero}")


@test
def hardening_mutations_each_fail_their_check():
    missed, covered = [], set()
    for overlay, cid, desc, mutate in MUTATIONS:
        docs = copy.deepcopy(render(overlay))
        mutate(docs)
        probs = hardening_problems(docs, overlay)
        if not any(c == cid for c, _ in probs):
            missed.append(f"{overlay} [{cid}] {desc}: not detected (got {probs})")
        covered.add(cid)
    uncovered = set(CHECKS) - covered
    assert not uncovered, f"checks without a mutation proving they can fail: {sorted(uncovered)}"
    assert not missed, "\n".join(missed)
    print(f"    {len(MUTATIONS)} mutations, each detected by its check ({len(CHECKS)} checks)")


# ----------------------------------------------------------------------------------------- promtool / rules
def _write_rules(docs, dest: Path):
    pr = one(docs, "PrometheusRule", APP)
    dest.write_text(yaml.safe_dump({"groups": pr["spec"]["groups"]}, sort_keys=False))


def _promtool_test(rules_docs) -> subprocess.CompletedProcess:
    d = Path(tempfile.mkdtemp(dir=TMP))
    _write_rules(rules_docs, d / "giropops-senhas.rules.yaml")
    shutil.copy(K8S / "tests" / "alerts.test.yaml", d / "alerts.test.yaml")
    return run([PROMTOOL, "test", "rules", "alerts.test.yaml"], cwd=d)


@test
def promtool_check_rules():
    f = TMP / "rules.yaml"
    _write_rules(render("prod"), f)
    r = run([PROMTOOL, "check", "rules", str(f)])
    assert r.returncode == 0, f"promtool check rules:\n{r.stdout}{r.stderr}"
    bad = copy.deepcopy(render("prod"))
    one(bad, "PrometheusRule", APP)["spec"]["groups"][1]["rules"][0]["expr"] = "sum(rate(up[5m])"
    _write_rules(bad, f)
    r = run([PROMTOOL, "check", "rules", str(f)])
    assert r.returncode != 0, "promtool check rules accepted a broken expression"


@test
def promtool_alert_unit_tests():
    r = _promtool_test(render("dev"))
    assert r.returncode == 0, f"promtool test rules:\n{r.stdout}{r.stderr}"


@test
def alert_unit_tests_catch_weakened_rules():
    def rule(docs, name):
        return [r for g in one(docs, "PrometheusRule", APP)["spec"]["groups"] for r in g["rules"]
                if r.get("alert") == name][0]
    weakenings = [
        ("5xx threshold raised to 50%", lambda d: rule(d, "GiropopsSenhasHigh5xxRatio").update(
            {"expr": rule(d, "GiropopsSenhasHigh5xxRatio")["expr"].replace("> 0.05", "> 0.5")})),
        ("app-down `for` removed", lambda d: rule(d, "GiropopsSenhasDown").pop("for")),
        ("p99 computed as p50", lambda d: rule(d, "GiropopsSenhasHighLatencyP99").update(
            {"expr": rule(d, "GiropopsSenhasHighLatencyP99")["expr"].replace("0.99", "0.5")})),
        ("store errors on another metric", lambda d: rule(d, "GiropopsSenhasStoreErrors").update(
            {"expr": rule(d, "GiropopsSenhasStoreErrors")["expr"].replace("giropops_store_errors_total",
                                                                          "store_errors_total")})),
        ("Redis down only via exporter scrape", lambda d: rule(d, "GiropopsRedisDown").update(
            {"expr": 'up{job="giropops-redis"} == 0'})),
    ]
    missed = []
    for desc, mutate in weakenings:
        docs = copy.deepcopy(render("dev"))
        mutate(docs)
        if _promtool_test(docs).returncode == 0:
            missed.append(desc)
    assert not missed, f"alert unit tests still pass with: {missed}"


GRAFANA_VARS = {"$__rate_interval": "5m", "$__range": "1h", "$__interval": "1m", "$namespace": "giropops-senhas"}
APP_METRICS = {"http_requests_total", "http_request_duration_seconds_bucket", "senha_gerada_total",
               "giropops_store_errors_total", "giropops_build_info", "up"}


def dashboard_problems(dash: dict) -> list[str]:
    p = []
    exprs = []
    for panel in dash.get("panels", []):
        for t in panel.get("targets", []):
            exprs.append((panel.get("title"), t.get("expr", "")))
    if not exprs:
        return ["dashboard has no queries"]
    used = set()
    for title, e in exprs:
        for m in re.findall(r"\b([a-z_:][a-z0-9_:]*)\s*\{", e):
            used.add(m)
            if m not in APP_METRICS:
                p.append(f"panel {title!r} queries unknown metric {m}")
    for need, what in (("http_requests_total", "requests/s"), ("http_request_duration_seconds_bucket", "latency"),
                       ("senha_gerada_total", "secrets generated"), ("giropops_store_errors_total", "store errors"),
                       ("up", "pods")):
        if need not in used:
            p.append(f"dashboard has no {what} panel ({need})")
    if not any("sum by (route, status)" in e for _, e in exprs):
        p.append("no requests/s panel by route and status")
    if not any("histogram_quantile(0.99" in e for _, e in exprs):
        p.append("no p99 latency panel")
    # Every query must parse: promtool checks them as recording rules.
    rules = {"groups": [{"name": "dashboard", "rules": []}]}
    for i, (title, e) in enumerate(exprs):
        for k, v in GRAFANA_VARS.items():
            e = e.replace(k, v)
        rules["groups"][0]["rules"].append({"record": f"dashboard:query_{i}", "expr": e})
    f = Path(tempfile.mkdtemp(dir=TMP)) / "dashboard-queries.yaml"
    f.write_text(yaml.safe_dump(rules))
    r = run([PROMTOOL, "check", "rules", str(f)])
    if r.returncode != 0:
        p.append(f"a dashboard query does not parse:\n{r.stdout}{r.stderr}")
    return p


@test
def grafana_dashboard():
    cms = [c for c in render("dev") if c["kind"] == "ConfigMap" and "giropops-senhas.json" in c.get("data", {})]
    assert cms, "dashboard ConfigMap missing"
    dash = json.loads(cms[0]["data"]["giropops-senhas.json"])
    probs = dashboard_problems(dash)
    assert not probs, "\n".join(probs)
    bad = copy.deepcopy(dash)
    bad["panels"][4]["targets"][0]["expr"] = "sum by (route (rate(http_requests_total[5m]))"
    assert dashboard_problems(bad), "a broken dashboard query went unnoticed"
    bad = copy.deepcopy(dash)
    bad["panels"] = [p for p in bad["panels"] if "senha_gerada_total" not in json.dumps(p)]
    assert dashboard_problems(bad), "a dashboard without the secrets-generated panel went unnoticed"


# ---------------------------------------------------------------------------------------- trivy / yamllint
def _trivy(paths_dir: Path) -> list[tuple[str, dict]]:
    r = run([tool("trivy"), "config", "--quiet", "--format", "json", "--severity", "HIGH,CRITICAL",
             str(paths_dir)], env={**os.environ, "TRIVY_CACHE_DIR": str(ROOT / ".cache" / "trivy")})
    assert r.returncode == 0, f"trivy config failed to run:\n{r.stderr}"
    report = json.loads(r.stdout)
    return [(res["Target"], m) for res in report.get("Results", []) or []
            for m in res.get("Misconfigurations", []) or [] if m.get("Status") == "FAIL"]


@test
def trivy_config_no_high_or_critical():
    """One run: the rendered targets have no HIGH/CRITICAL finding, and a privileged, writable container
    scanned in the same run has some."""
    d = Path(tempfile.mkdtemp(dir=TMP))
    for t in TARGETS:
        (d / f"{t}.yaml").write_text(render_text(t))
    docs = [x for x in render("dev") if x["kind"] == "Deployment"]
    docs[0]["spec"]["template"]["spec"]["containers"][0]["securityContext"].update(
        {"privileged": True, "readOnlyRootFilesystem": False, "allowPrivilegeEscalation": True})
    (d / "zz-privileged.yaml").write_text(yaml.safe_dump_all(docs))
    found = _trivy(d)
    ours = [m for tgt, m in found if tgt != "zz-privileged.yaml"]
    assert not ours, "trivy HIGH/CRITICAL findings:\n" + "\n".join(
        f"  {m['ID']} {m['Severity']}: {m['Message']}" for m in ours)
    assert any(tgt == "zz-privileged.yaml" for tgt, _ in found), \
        "trivy found nothing HIGH in a privileged, writable container"


@test
def yamllint_clean():
    yl = shutil.which("yamllint") or tool("yamllint")
    cfg = K8S / ".yamllint"
    r = run([yl, "-s", "-c", str(cfg), str(K8S)])
    assert r.returncode == 0, f"yamllint:\n{r.stdout}{r.stderr}"
    d = Path(tempfile.mkdtemp(dir=TMP))
    (d / "bad.yaml").write_text("a:\n  b: 1 \n   c: 2\n")
    r = run([yl, "-s", "-c", str(cfg), str(d)])
    assert r.returncode != 0, "yamllint accepted a badly indented file"


# ------------------------------------------------------------------ the rendered pods, run for real on loopback
# No kubelet here, but the binaries are: the Redis container's command (password on stdin), the exporter with the
# manifest's env, and our app with the Deployment's env run on 127.0.0.1, probed as the kubelet would probe them.
# Only what cannot exist here is replaced: ports (free loopback ports), the Secret/ConfigMap mount paths (temp
# files holding the rendered data), the Redis host (127.0.0.1) and BIND (127.0.0.1).
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, port, path, body=None, timeout=3, cookie=None):
    headers = {"Content-Type": "application/json"} if body else {}
    if cookie:
        headers["Cookie"] = cookie
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, data=body, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def history_cookie(port):
    """The history cookie `GET /` gives a browser (HISTORY_SCOPE=private, the default), as `name=value`."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=3) as r:
        set_cookie = r.headers.get("Set-Cookie") or ""
    assert set_cookie.startswith("giropops-historico="), f"GET / set no history cookie: {set_cookie!r}"
    return set_cookie.split(";", 1)[0]


def private_key(rport, password):
    """The one private history list in Redis (`senhas:privado:<derived id>`)."""
    keys = re.findall(r"senhas:privado:[0-9a-f]+", resp(rport, "KEYS", "senhas:privado:*", password=password))
    assert len(keys) == 1, f"expected one private history list in Redis, found {keys}"
    return keys[0]


def wait_for(cond, what, timeout=20.0, proc=None):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{what}: the process exited with {proc.returncode}")
        try:
            if cond():
                return
        except (OSError, urllib.error.URLError) as e:
            last = e
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last error: {last})")


def need_binary(name, package):
    found = shutil.which(name)
    if not found:
        raise AssertionError(f"{name} not found: install the Debian package {package} (scripts/install-deps.sh)")
    return found


@functools.cache
def app_binary() -> str:
    """GIROPOPS_BIN, or the debug binary of the current tree (`cargo build` is a no-op when it is up to date,
    and never runs a stale build left over from another commit)."""
    if os.environ.get("GIROPOPS_BIN"):
        return os.environ["GIROPOPS_BIN"]
    r = run(["cargo", "build", "--locked", "--bin", APP], cwd=ROOT)
    assert r.returncode == 0, f"cargo build failed:\n{r.stderr[-3000:]}"
    return str(Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")).resolve() / "debug" / APP)


class Procs:
    def __init__(self):
        self.procs = []

    def start(self, cmd, env, log: Path, **kw):
        f = open(log, "wb")
        p = subprocess.Popen(cmd, env=env, stdout=f, stderr=subprocess.STDOUT, **kw)
        self.procs.append((p, f))
        return p

    def stop(self):
        for p, f in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            f.close()


def configmap_data(docs, name):
    """A ConfigMap by its (possibly hash-suffixed) name, as kustomize rewrote the references."""
    return one(docs, "ConfigMap", name)["data"]


def resolve_env(docs, container, secrets: dict) -> dict:
    env = {}
    for e in container.get("env", []):
        if "value" in e:
            env[e["name"]] = e["value"]
        elif "configMapKeyRef" in e["valueFrom"]:
            ref = e["valueFrom"]["configMapKeyRef"]
            env[e["name"]] = configmap_data(docs, ref["name"])[ref["key"]]
        elif "secretKeyRef" in e["valueFrom"]:
            ref = e["valueFrom"]["secretKeyRef"]
            env[e["name"]] = secrets[ref["name"]][ref["key"]]
    return env


def mounted(container, pod, files: dict, tmp: Path) -> dict:
    """Materialises each volumeMount of the container under tmp from the rendered Secret/ConfigMap data;
    returns {mountPath: local directory}."""
    vols = {v["name"]: v for v in pod.get("volumes", [])}
    out = {}
    for m in container.get("volumeMounts", []):
        v = vols.get(m["name"])
        local = tmp / m["name"]
        local.mkdir(parents=True, exist_ok=True)
        if v is not None:
            src = v.get("secret", {}).get("secretName") or v.get("configMap", {}).get("name")
            for key, content in files.get(src, {}).items():
                (local / key).write_text(content)
        out[m["mountPath"]] = str(local)
    return out


def relocate(text: str, mounts: dict) -> str:
    for mp, local in sorted(mounts.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(mp, local)
    return text


def start_rendered_redis(docs, procs, tmp, password):
    """Runs the rendered Redis container command with the rendered redis.conf; returns (port, container)."""
    need_binary("redis-server", "redis-server")
    sts = one(docs, "StatefulSet", REDIS)
    pod = pod_spec(sts)
    c = [x for x in pod["containers"] if x["name"] == "redis"][0]
    port = free_port()
    cm = [v["configMap"]["name"] for v in pod["volumes"] if "configMap" in v][0]
    conf = configmap_data(docs, cm)["redis.conf"]
    conf = re.sub(r"(?m)^bind .*$", "bind 127.0.0.1", conf)
    conf = re.sub(r"(?m)^port .*$", f"port {port}", conf)
    files = {cm: {"redis.conf": conf}, "giropops-redis-auth": {"password": password}}
    mounts = mounted(c, pod, files, tmp / "redis")
    conf_path = Path(mounts["/etc/redis"]) / "redis.conf"
    conf_path.write_text(conf.replace("dir /data", f"dir {mounts['/data']}"))
    cmd = [relocate(a, mounts) for a in c["command"] + c["args"]]
    p = procs.start(cmd, {"PATH": os.environ["PATH"]}, tmp / "redis.log", cwd=mounts["/data"])
    wait_for(lambda: socket.create_connection(("127.0.0.1", port), 0.5).close() or True, "redis to listen",
             proc=p)
    return port, c, mounts, p


def resp(port, *words, password=None):
    with socket.create_connection(("127.0.0.1", port), 2) as s:
        def cmd(*ws):
            s.sendall(f"*{len(ws)}\r\n".encode() + b"".join(f"${len(w)}\r\n{w}\r\n".encode() for w in ws))
            return s.recv(4096).decode()
        if password:
            assert cmd("AUTH", password).startswith("+OK"), "AUTH refused"
        return cmd(*words)


@test
def rendered_redis_pod_runs():
    docs = render("dev")
    tmp = Path(tempfile.mkdtemp(dir=TMP))
    procs = Procs()
    password = os.urandom(16).hex()
    try:
        port, c, mounts, p = start_rendered_redis(docs, procs, tmp, password)
        assert resp(port, "PING").startswith("-NOAUTH"), "Redis answers without the password"
        assert resp(port, "PING", password=password).startswith("+PONG"), "the Secret's password is not the one"
        cmdline = Path(f"/proc/{p.pid}/cmdline").read_bytes().decode(errors="replace")
        assert password not in cmdline, "the Redis password is visible in the process arguments"
        # The readiness probe, as the kubelet runs it, passes; with a wrong password it fails.
        probe = [relocate(a, mounts).replace("redis-cli -h 127.0.0.1", f"redis-cli -h 127.0.0.1 -p {port}")
                 for a in c["readinessProbe"]["exec"]["command"]]
        assert run(probe).returncode == 0, "Redis readiness probe fails on a healthy Redis"
        Path(mounts["/run/secrets/redis"], "password").write_text("wrong")
        assert run(probe).returncode != 0, "Redis readiness probe passes with a wrong password"
        # The exporter sidecar with the manifest's env reaches Redis (redis_up 1) and answers its probe path.
        exporter = need_binary("prometheus-redis-exporter", "prometheus-redis-exporter")
        e = [x for x in pod_spec(one(docs, "StatefulSet", REDIS))["containers"] if x["name"] == "exporter"][0]
        env = resolve_env(docs, e, {"giropops-redis-auth": {"password": password}})
        env["REDIS_ADDR"] = env["REDIS_ADDR"].replace(":6379", f":{port}")
        mport = free_port()
        env["REDIS_EXPORTER_WEB_LISTEN_ADDRESS"] = f"127.0.0.1:{mport}"
        ep = procs.start([exporter], {**env, "PATH": os.environ["PATH"]}, tmp / "exporter.log")
        health = e["readinessProbe"]["httpGet"]["path"]
        wait_for(lambda: http("GET", mport, health)[0] == 200, f"exporter {health}", proc=ep)
        _, metrics = http("GET", mport, "/metrics")
        assert re.search(r"(?m)^redis_up 1$", metrics), "exporter does not report redis_up 1"
    finally:
        procs.stop()


def run_rendered_app(docs, procs, tmp, redis_port, password):
    d = app_deployment(docs)
    pod, c = pod_spec(d), app_container(docs)
    mounts = mounted(c, pod, {"giropops-redis-auth": {"password": password + "\n"}}, tmp / "app")
    env = {k: relocate(v, mounts) for k, v in resolve_env(docs, c, {}).items()}
    port = free_port()
    env.update(BIND="127.0.0.1", PORT=str(port), REDIS_HOST="127.0.0.1", REDIS_PORT=str(redis_port))
    # The container's named ports, relocated to free local ports as PORT is.
    ports = {"http": port}
    if "PROBE_PORT" in env:
        ports["probes"] = free_port()
        env["PROBE_PORT"] = str(ports["probes"])
    p = procs.start([app_binary()] + c.get("args", []), {**env, "PATH": os.environ["PATH"]}, tmp / "app.log")
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        path, named = c[probe]["httpGet"]["path"], c[probe]["httpGet"]["port"]
        wait_for(lambda: http("GET", ports[named], path)[0] == 200, f"app {path} ({probe}, port {named})", proc=p)
    if "probes" in ports:
        # The probe port serves the probe routes only.
        assert http("GET", ports["probes"], "/api/senhas")[0] == 404, "the probe port serves the application"
    return port, p, env


@test
def rendered_dev_pods_serve_and_shut_down_gracefully():
    docs = render("dev")
    tmp = Path(tempfile.mkdtemp(dir=TMP))
    procs = Procs()
    password = os.urandom(16).hex()
    try:
        rport, *_ = start_rendered_redis(docs, procs, tmp, password)
        port, p, env = run_rendered_app(docs, procs, tmp, rport, password)
        # The private history (the default): a browser's cookie, its list in Redis, encrypted.
        cookie = history_cookie(port)
        st, body = http("POST", port, "/api/gerar-senha", b'{"tamanho": 16}', cookie=cookie)
        assert st == 200, f"POST /api/gerar-senha -> {st} {body}"
        senha = json.loads(body)["senha"]
        st, history = http("GET", port, "/api/senhas", cookie=cookie)
        assert st == 200 and senha in history, \
            "the password did not come back from the rendered Redis (REDIS_PASSWORD_FILE wiring)"
        # One list under a derived key (its entries are ciphertext; tests/private_history.rs scans them).
        key = private_key(rport, password)
        assert resp(rport, "LLEN", key, password=password).strip() == ":1", "the private list holds one entry"
        # Rolling-update behaviour, as the kubelet drives it: SIGTERM, then /readyz must fail while the app still
        # serves; the process must exit by itself before terminationGracePeriodSeconds (else SIGKILL).
        grace = pod_spec(app_deployment(docs))["terminationGracePeriodSeconds"]
        t0 = time.monotonic()
        p.send_signal(signal.SIGTERM)
        wait_for(lambda: http("GET", port, "/readyz")[0] == 503, "/readyz 503 after SIGTERM", proc=p)
        assert http("GET", port, "/healthz")[0] == 200, "liveness fails during the shutdown delay"
        st, _ = http("POST", port, "/api/gerar-senha", b"{}")
        assert st == 200, f"requests are refused during the shutdown delay ({st})"
        try:
            rc = p.wait(timeout=max(0.0, grace - (time.monotonic() - t0)))
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the app was still running after terminationGracePeriodSeconds ({grace}s): "
                                 "the kubelet would SIGKILL it") from None
        assert rc == 0, f"the app exited with {rc} after SIGTERM"
    finally:
        procs.stop()


@test
def rendered_prod_app_expires_the_history_and_exports_the_alerted_metrics():
    docs = render("prod")
    tmp = Path(tempfile.mkdtemp(dir=TMP))
    procs = Procs()
    password = os.urandom(16).hex()
    try:
        # prod has no Redis of its own: the dev Redis container stands in for the managed one.
        rport, _, _, rproc = start_rendered_redis(render("dev"), procs, tmp, password)
        port, p, env = run_rendered_app(docs, procs, tmp, rport, password)
        st, body = http("POST", port, "/api/gerar-senha", b"{}", cookie=history_cookie(port))
        assert st == 200, f"POST /api/gerar-senha -> {st} {body}"
        key = private_key(rport, password)
        ttl = int(resp(rport, "TTL", key, password=password).strip().lstrip(":"))
        want = seconds(env["HISTORY_TTL"])
        assert 0 < ttl <= want, f"the prod history key has TTL {ttl}, expected 1..{want}"
        # Redis goes away: the app answers, counts the store error, and /readyz turns 503 (pod leaves the Service).
        rproc.terminate()
        rproc.wait(5)
        st, _ = http("POST", port, "/api/gerar-senha", b"{}")
        assert st == 200, f"generation fails when Redis is down ({st})"
        wait_for(lambda: http("GET", port, "/readyz")[0] == 503, "/readyz 503 with Redis down", proc=p)
        assert http("GET", port, "/healthz")[0] == 200, "liveness depends on Redis"
        # Every metric the alerts and the dashboard query is exported by the app under that name.
        _, metrics = http("GET", port, "/metrics")
        rules = json.dumps(one(docs, "PrometheusRule", APP)["spec"])
        dash = json.dumps([c["data"] for c in find(docs, "ConfigMap") if c["metadata"]["name"].endswith("dashboard")])
        for m in sorted(APP_METRICS - {"up"}):
            if m in rules or m in dash:
                assert re.search(rf"(?m)^{m}[{{ ]", metrics), \
                    f"the app does not export {m}, which the alerts/dashboard query"
        assert re.search(r'(?m)^giropops_store_errors_total\{[^}]*operation="', metrics), \
            "store errors are not labelled by operation (the alert groups by it)"
    finally:
        procs.stop()


# ----------------------------------------------------------------------------------------------------- main
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
    print(f"k8s: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
