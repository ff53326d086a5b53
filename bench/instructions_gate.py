#!/usr/bin/env python3
"""The instruction-count regression gate of `make test` (stage bench-smoke).

Instructions per request (callgrind, bench/instructions.sh) do not depend on what else the machine is doing, so
unlike a time they make a fair pass/fail: the measured count of a route must not exceed its committed baseline
(bench/instructions-baseline.txt) by more than the allowed growth (10%). The baseline changes only in a commit
that says why.

Usage: instructions_gate.py --baseline FILE --measured FILE [--route KEY] [--scale-baseline F]
       instructions_gate.py --self-test      (shows the gate refuses 11% growth and accepts 9%)
--scale-baseline 0.8 judges the measurement against a baseline 20% lower: make test runs it and expects a
failure, which shows the gate can fail on a real measurement.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ALLOWED_GROWTH = 0.10


def read_baseline(path: Path) -> dict[str, int]:
    """`KEY COUNT  # why` lines; blank lines and comments skipped."""
    baseline = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            key, count = line.split()
            baseline[key] = int(count.replace(",", ""))
    return baseline


def read_measured(path: Path) -> int:
    match = re.search(r"^instructions per request \(user space, all threads\): ([0-9,]+)$", path.read_text(), re.M)
    if not match:
        raise SystemExit(f"gate: no instruction count in {path}")
    return int(match.group(1).replace(",", ""))


def verdict(measured: int, baseline: int) -> tuple[bool, str]:
    growth = measured / baseline - 1
    ok = growth <= ALLOWED_GROWTH
    return ok, (f"{measured:,} instructions per request against a baseline of {baseline:,} "
                f"({growth:+.1%}; allowed {ALLOWED_GROWTH:+.0%})")


def self_test() -> None:
    assert verdict(110_000 + 1_000, 100_000)[0] is False, "11% growth must fail"
    assert verdict(109_000, 100_000)[0] is True, "9% growth must pass"
    assert verdict(80_000, 100_000)[0] is True, "a smaller count passes"
    print("gate self-test: 11% growth refused, 9% and -20% accepted")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path)
    parser.add_argument("--measured", type=Path)
    parser.add_argument("--route", default="legacy-post-redis")
    parser.add_argument("--scale-baseline", type=float, default=1.0)
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test:
        self_test()
        return
    if not (args.baseline and args.measured):
        parser.error("--baseline and --measured are required")
    baseline = read_baseline(args.baseline)
    if args.route not in baseline:
        raise SystemExit(f"gate: {args.baseline} has no baseline for {args.route}")
    ok, text = verdict(read_measured(args.measured), round(baseline[args.route] * args.scale_baseline))
    print(f"gate {args.route}: {text}: {'ok' if ok else 'FAILED'}")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
