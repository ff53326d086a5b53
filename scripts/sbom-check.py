#!/usr/bin/env python3
"""Checks a CycloneDX JSON SBOM of the giropops-senhas binary (or image).

    sbom-check.py SBOM.json [--target TRIPLE] [--label NAME] [--no-schema]

1. The document is valid against the CycloneDX JSON schema of its own specVersion (cyclonedx-python-lib's strict
   validator, offline: the schemas ship inside the wheel).
2. Every crate compiled into the binary is a component: the set is computed from Cargo.lock with
   `cargo tree -e normal,no-proc-macro --target TRIPLE` (normal dependencies for the shipped target; proc-macros
   and build-script dependencies run on the build machine and are not linked into the binary).
3. Every cargo component of the SBOM is a package of Cargo.lock (nothing invented, nothing stale).

Exit status 0 when all hold; 1 with the list of problems otherwise.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent  # --root overrides (a checkout of another commit)


def compiled_crates(target: str) -> set[tuple[str, str]]:
    out = subprocess.run(
        ["cargo", "tree", "--locked", "--offline", "-e", "normal,no-proc-macro", "--target", target,
         "--prefix", "none", "-f", "{p}"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    crates = set()
    for line in out.splitlines():
        m = re.match(r"^(\S+) v(\S+)", line.strip())
        if m:
            crates.add((m.group(1), m.group(2)))
    if not crates:
        raise SystemExit("cargo tree listed no crates")
    return crates


def lock_packages() -> set[tuple[str, str]]:
    lock = tomllib.loads((ROOT / "Cargo.lock").read_text())
    return {(p["name"], p["version"]) for p in lock["package"]}


def walk(components):
    for c in components or []:
        yield c
        yield from walk(c.get("components"))


def sbom_crates(doc: dict) -> set[tuple[str, str]]:
    """(name, version) of every pkg:cargo component (metadata.component included)."""
    found = set()
    comps = list(walk(doc.get("components")))
    meta = doc.get("metadata", {}).get("component")
    if meta:
        comps += list(walk([meta]))
    for c in comps:
        purl = c.get("purl", "")
        m = re.match(r"^pkg:cargo/([^@]+)@([^?#]+)", purl)
        if m:
            found.add((unquote(m.group(1)), unquote(m.group(2))))
    return found


def validate_schema(text: str, spec: str) -> str | None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    try:
        version = SchemaVersion.from_version(spec)
    except Exception:  # noqa: BLE001 - an unknown specVersion is itself the finding
        return f"unknown CycloneDX specVersion {spec!r}"
    err = JsonStrictValidator(version).validate_str(text)
    return None if err is None else str(err)[:2000]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("sbom")
    ap.add_argument("--target", default="x86_64-unknown-linux-musl")
    ap.add_argument("--label", default=None)
    ap.add_argument("--root", default=None, help="the checkout whose Cargo.lock the binary was built from")
    ap.add_argument("--no-schema", action="store_true", help="skip schema validation (e.g. a scanner's own output)")
    a = ap.parse_args()
    if a.root:
        global ROOT
        ROOT = Path(a.root).resolve()
    label = a.label or a.sbom
    text = Path(a.sbom).read_text()
    doc = json.loads(text)
    problems = []

    if doc.get("bomFormat") != "CycloneDX":
        problems.append(f"bomFormat is {doc.get('bomFormat')!r}, not 'CycloneDX'")
    if not a.no_schema:
        err = validate_schema(text, str(doc.get("specVersion")))
        if err:
            problems.append(f"not valid CycloneDX {doc.get('specVersion')}: {err}")

    expected = compiled_crates(a.target)
    found = sbom_crates(doc)
    missing = sorted(expected - found)
    if missing:
        problems.append(f"{len(missing)} crate(s) compiled into the binary are missing: "
                        + ", ".join(f"{n}@{v}" for n, v in missing))
    unknown = sorted(found - lock_packages())
    if unknown:
        problems.append(f"{len(unknown)} cargo component(s) are not in Cargo.lock: "
                        + ", ".join(f"{n}@{v}" for n, v in unknown))

    if problems:
        for p in problems:
            print(f"FAIL {label}: {p}", file=sys.stderr)
        if missing or unknown:
            print("  (a binary built from another Cargo.lock? rebuild it: bash scripts/build-static.sh)", file=sys.stderr)
        return 1
    schema = "" if a.no_schema else f"valid CycloneDX {doc.get('specVersion')}, "
    print(f"ok {label}: {schema}all {len(expected)} crates compiled into the binary present "
          f"({len(found)} cargo components, all from Cargo.lock)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
