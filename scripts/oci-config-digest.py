#!/usr/bin/env python3
"""oci-config-digest.py OCI_LAYOUT TRIVY_CYCLONEDX.json: the image trivy described (its ImageID property) is the
single image of that OCI layout (the digest of its config blob). Guards against reading the wrong platform."""
import json
import sys

layout, report = sys.argv[1:3]
idx = json.load(open(f"{layout}/index.json"))
(desc,) = idx["manifests"]
man = json.load(open(f"{layout}/blobs/sha256/{desc['digest'].split(':')[1]}"))
config = man["config"]["digest"]
props = json.load(open(report))["metadata"]["component"].get("properties", [])
ids = [p["value"] for p in props if p["name"] == "aquasecurity:trivy:ImageID"]
if ids != [config]:
    sys.exit(f"trivy described image {ids}, the layout holds {config}")
print(f"ok trivy read image {config[:19]}… of {layout}")
