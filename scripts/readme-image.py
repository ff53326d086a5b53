#!/usr/bin/env python3
"""`make readme-image`: copies the image table that the image test wrote into docs/image-report.md (between
<!-- image-table --> markers) into docs/image.md's `image` section (between the same markers). Nothing typed by hand."""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- image-table -->", "<!-- /image-table -->"
pattern = re.compile(re.escape(BEGIN) + r"\n(?:.*?\n)?" + re.escape(END), re.S)

report = (ROOT / "docs/image-report.md").read_text()
m = pattern.search(report)
if not m:
    sys.exit("readme-image: no image table in docs/image-report.md: run `make image-test` first")
readme_path = ROOT / "docs" / "image.md"
readme = readme_path.read_text()
section = re.search(r"<!-- section:image -->.*?<!-- /section:image -->", readme, re.S)
if not section or not pattern.search(section.group(0)):
    sys.exit("readme-image: docs/image.md has no image table markers inside <!-- section:image -->")
new_section = pattern.sub(lambda _: m.group(0), section.group(0))
readme_path.write_text(readme[:section.start()] + new_section + readme[section.end():])
print("docs/image.md: image table updated from docs/image-report.md")
