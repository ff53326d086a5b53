#!/usr/bin/env python3
"""Makes an image saved with `podman save --format docker-dir` reproducible, in place: buildah (1.28, Debian bookworm)
writes the random ID and hostname of its build container into the Docker-format config (`container`,
`container_config.Hostname`, `config.Hostname`). Everything else is already a function of the inputs with
`--timestamp`. Blanks those three fields, rewrites the config blob and the manifest that names it.
Usage: image-normalize.py DOCKER_DIR"""
import hashlib
import json
import sys
from pathlib import Path

d = Path(sys.argv[1])
manifest = json.loads((d / "manifest.json").read_text())
old = d / manifest["config"]["digest"].split(":", 1)[1]
config = json.loads(old.read_text())
config.pop("container", None)
for key in ("container_config", "config"):
    if isinstance(config.get(key), dict):
        config[key]["Hostname"] = ""
raw = json.dumps(config, separators=(",", ":"), sort_keys=True).encode()
digest = hashlib.sha256(raw).hexdigest()
old.unlink()
(d / digest).write_bytes(raw)
manifest["config"]["digest"] = f"sha256:{digest}"
manifest["config"]["size"] = len(raw)
(d / "manifest.json").write_text(json.dumps(manifest, separators=(",", ":")))
print(f"sha256:{digest}")
