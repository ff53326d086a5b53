#!/usr/bin/env python3
"""The Helm steps of the project without a `helm` binary: PyPI `helm-python-sdk` (pinned in
scripts/requirements-tools.txt) is the Helm v4 engine as a shared library. `make helm-*` run this.

  template [-f VALUES]… [--name N] [--namespace NS]   render the chart to stdout (offline, like `helm template`)
  lint [-f VALUES]…                                    `helm lint --strict`: exit 1 on any warning or error
  package [--out DIR]                                  `helm package` -> DIR/giropops-senhas-VERSION.tgz (path printed)
  push ARCHIVE oci://HOST/PATH [--plain-http]          `helm push` (credentials: HELM_REGISTRY_CONFIG, as helm's)
  values-doc [--check]                                 the values table of docs/deploy-helm.md, from the schema
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "deploy" / "helm" / "giropops-senhas"
DOC = ROOT / "docs" / "deploy-helm.md"
BEGIN, END = "<!-- values-table:begin (scripts/helm.py values-doc) -->", "<!-- values-table:end -->"


def helm():
    try:
        import helm_python
    except ImportError:
        sys.exit("helm.py: helm-python-sdk is missing: run `bash scripts/install-deps.sh` and use .cache/venv/bin/python")
    return helm_python


def load_values(files: list[str]) -> dict:
    import yaml
    merged: dict = {}

    def merge(a, b):
        for k, v in b.items():
            if isinstance(v, dict) and isinstance(a.get(k), dict):
                merge(a[k], v)
            else:
                a[k] = v
    for f in files:
        merge(merged, yaml.safe_load(Path(f).read_text()) or {})
    return merged


def render(values: dict | None = None, name: str = "giropops-senhas", namespace: str = "default") -> str:
    """The chart rendered as one multi-document YAML stream (NOTES.txt left out), in template order."""
    h = helm()
    chart = h.Chart.load(CHART)
    chart.validate_schema(values or {})
    out = chart.render(values or {}, name=name, namespace=namespace, is_install=True)
    docs = [text for path, text in sorted(out.items()) if not path.endswith("NOTES.txt") and text.strip()]
    return "---\n".join(d if d.endswith("\n") else d + "\n" for d in docs)


def lint_problems(values: dict | None = None, chart: Path = CHART) -> list[str]:
    """`helm lint --strict` findings of warning level or above (info, e.g. "icon is recommended", is not one)."""
    report = helm().lint(chart, values or None, strict=True, kube_version="v1.32.0")
    return [f"{m['path']}: {m['error']}" for m in report.get("messages", []) if m.get("severity", 0) >= 2] + \
        list(report.get("errors") or [])


# ------------------------------------------------------------------------------------------------ values doc
def _type(s: dict, defs: dict) -> str:
    if "$ref" in s:
        name = s["$ref"].rsplit("/", 1)[1]
        return {"duration": "duração", "durationOrZero": "duração (0 aceito)", "stringMap": "mapa",
                "resources": "resources (k8s)", "image": "imagem", "podPeer": "namespace + labels",
                "hostPort": "host:porta"}.get(name, name)
    if "oneOf" in s:
        return " \\| ".join(_type(x, defs) for x in s["oneOf"] if x.get("type") != "null") + " ou null"
    if "enum" in s:
        return " \\| ".join(f"`{e}`" for e in s["enum"])
    t = s.get("type", "objeto")
    if isinstance(t, list):
        return " ou ".join(t)
    if t == "array" and "items" in s:
        return f"lista de {_type(s['items'], defs)}"
    return {"string": "texto", "integer": "inteiro", "boolean": "booleano", "object": "objeto", "array": "lista"}.get(t, t)


def _limits(s: dict) -> str:
    parts = []
    for k, fmt in (("minimum", "≥ {}"), ("maximum", "≤ {}"), ("pattern", "padrão `{}`")):
        if k in s:
            parts.append(fmt.format(s[k]))
    if s.get("not", {}).get("const"):
        parts.append(f"nunca `{s['not']['const']}`")
    return ", ".join(parts)


def values_table() -> str:
    import yaml
    schema = json.loads((CHART / "values.schema.json").read_text())
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())
    defs = schema.get("$defs", {})
    rows = ["| chave | tipo | padrão | descrição |", "| --- | --- | --- | --- |"]

    def walk(s, prefix, default):
        if "$ref" in s and s["$ref"].rsplit("/", 1)[1] in ("image", "podPeer"):
            target = defs[s["$ref"].rsplit("/", 1)[1]]
            return walk({**target, "description": s.get("description", "")}, prefix, default)
        props = s.get("properties") if s.get("type") == "object" else None
        if props and s.get("additionalProperties") is False:
            for k, sub in props.items():
                walk(sub, f"{prefix}.{k}" if prefix else k, (default or {}).get(k) if isinstance(default, dict) else None)
            return
        shown = json.dumps(default, ensure_ascii=False) if default not in (None, "", {}, []) else \
            ("null" if default is None else json.dumps(default))
        desc = s.get("description", "")
        lim = _limits(s)
        if "$ref" in s and s["$ref"].endswith("duration"):
            lim = lim or "zero recusado"
        text = desc + (f" ({lim})" if lim else "")
        text = text.replace("|", "\\|")
        rows.append(f"| `{prefix}` | {_type(s, defs)} | `{shown}` | {text} |")

    walk(schema, "", defaults)
    return "\n".join(rows) + "\n"


def values_doc(check: bool) -> int:
    text = DOC.read_text()
    m = re.search(re.escape(BEGIN) + r"\n(.*?)" + re.escape(END), text, re.S)
    if not m:
        sys.exit(f"{DOC}: markers {BEGIN} … {END} not found")
    table = values_table()
    if m.group(1) == table:
        print(f"{DOC.relative_to(ROOT)}: values table is current")
        return 0
    if check:
        print(f"{DOC.relative_to(ROOT)}: the values table is stale: run `python3 scripts/helm.py values-doc`",
              file=sys.stderr)
        return 1
    DOC.write_text(text[:m.start(1)] + table + text[m.end(1):])
    print(f"{DOC.relative_to(ROOT)}: values table updated")
    return 0


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="scripts/helm.py", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("template")
    t.add_argument("-f", "--values", action="append", default=[])
    t.add_argument("--name", default="giropops-senhas")
    t.add_argument("--namespace", default="default")
    li = sub.add_parser("lint")
    li.add_argument("-f", "--values", action="append", default=[])
    pk = sub.add_parser("package")
    pk.add_argument("--out", default=str(ROOT / "target" / "helm"))
    pu = sub.add_parser("push")
    pu.add_argument("archive")
    pu.add_argument("remote")
    pu.add_argument("--plain-http", action="store_true")
    vd = sub.add_parser("values-doc")
    vd.add_argument("--check", action="store_true")
    a = p.parse_args(argv)

    h = helm()
    try:
        if a.cmd == "template":
            sys.stdout.write(render(load_values(a.values), a.name, a.namespace))
        elif a.cmd == "lint":
            problems = lint_problems(load_values(a.values))
            for pr in problems:
                print(f"lint: {pr}", file=sys.stderr)
            if problems:
                return 1
            print(f"lint: {CHART.relative_to(ROOT)} clean (strict)")
        elif a.cmd == "package":
            Path(a.out).mkdir(parents=True, exist_ok=True)
            print(h.package(CHART, destination=a.out))
        elif a.cmd == "push":
            client = h.RegistryClient(plain_http=a.plain_http)
            res = h.push(a.archive, a.remote, client=client, plain_http=a.plain_http)
            print(json.dumps(res))
        elif a.cmd == "values-doc":
            return values_doc(a.check)
    except h.HelmError as e:
        print(f"helm.py {a.cmd}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
