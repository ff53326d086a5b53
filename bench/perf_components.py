#!/usr/bin/env python3
"""Attributes a `perf record -g` profile of the server to components, per request (bench/profile.sh).

Each sample's call chain is walked from the leaf towards the root; the first frame that belongs to a
*feature* component (logging, metrics, HTTP parsing, Redis client, generation, routing…) takes the whole sample,
including the allocator, memcpy and kernel time spent underneath it. Samples with no feature frame are
attributed by their leaf (async runtime, allocator, kernel…). Weighted by sample period (cycles).
Also prints instructions and cycles per request from `perf stat -x,` output.
"""

from __future__ import annotations

import argparse
import collections
import re
import subprocess
import sys

# (component, regex on the demangled symbol); first match wins, order matters.
FEATURES = [
    ("logging (tracing JSON access log + stdout write)", r"tracing_subscriber|tracing_core|tracing::|"
     r"std::io::stdio|LineWriter|serde_json::ser::.*Json.*Visitor|JsonVisitor|fmt::format::json"),
    ("metrics (prometheus-client families, histogram)", r"prometheus_client"),
    ("password generation (rand, OS RNG)", r"giropops_senhas::generator|rand::|rand_core|getrandom|chacha|SysRng"),
    ("Redis client (commands, parsing, connection task)", r"redis::|combine::"),
    ("page template (askama)", r"askama|giropops_senhas::http::pages"),
    ("JSON body parse / response serialise (serde_json)", r"serde_json|serde::"),
    ("HTTP/1 parse + serialise (hyper, httparse, http)", r"hyper::|httparse|http::header|http::"),
    ("routing + middleware (axum, tower, matchit)", r"axum::|tower::|tower_http|matchit|giropops_senhas::http"),
    ("our code (other)", r"giropops_senhas"),
]
LEAF = [
    ("async runtime (tokio: scheduler, epoll, wakeups)", r"tokio::|mio::|epoll|futex|schedule|__switch_to|"
     r"finish_task_switch|pick_next|try_to_wake_up|do_syscall|entry_SYSCALL|syscall_return"),
    ("allocator (malloc/free)", r"malloc|free|alloc_slot|get_meta|enframe|mi_|__rust_alloc|__rust_dealloc|"
     r"realloc|calloc|__libc_|alloc::alloc"),
    ("memcpy/memset/strings", r"memcpy|memmove|memset|memchr|strlen"),
    ("kernel: TCP loopback send/receive", r"tcp_|ip_|__dev_queue|net_rx|skb|sock_|inet_|loopback|__netif|"
     r"__sys_sendto|__sys_recvfrom|sock_"),
]


def classify(frames: list[str], kernel: list[bool]) -> str:
    for sym in frames:
        for name, rx in FEATURES_RX:
            if rx.search(sym):
                return name
    leaf = frames[0] if frames else "?"
    for name, rx in LEAF_RX:
        if rx.search(leaf):
            return name
    if kernel and kernel[0]:
        return "kernel (other syscalls)"
    return "other (std, core::fmt, unresolved)"


# The system call of a kernel sample: the syscall wrapper, or the first syscall-specific function (many are inlined).
SYSCALL_RX = re.compile(r"^(?:__(?:x64|arm64)_sys_(\w+)|do_(writev)$|ksys_(write|read)$|__sys_(recvfrom|sendto|sendmsg|"
                        r"recvmsg)$|do_(epoll_p?wait)$|do_(futex)$)")
FEATURES_RX = [(n, re.compile(r)) for n, r in FEATURES]
LEAF_RX = [(n, re.compile(r)) for n, r in LEAF]


def crate_of(sym: str, kernel: bool) -> str:
    """Where the leaf's own code comes from: kernel, the libc/allocator, or the Rust crate of the symbol."""
    if kernel:
        return "kernel"
    if sym in ("[unknown]", "?", ""):
        return "unresolved"
    if re.match(r"^(mi_|_mi_|heap\.|c\.|compiler_rt|__|mem|str)", sym):
        return "libc / allocator / compiler-rt"
    s = re.sub(r"^<+", "", sym)
    m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)::", s)
    return m.group(1) if m else "other"


def parse_perf_script(path: str):
    out = subprocess.run(["perf", "script", "-i", path, "-F", "period,ip,sym,dso", "--demangle"],
                         capture_output=True, text=True, errors="replace", check=True).stdout
    samples = []
    period, frames, kernel = 0, [], []
    for line in out.splitlines():
        if not line.strip():
            if frames:
                samples.append((period, frames, kernel))
            period, frames, kernel = 0, [], []
            continue
        if not line.startswith((" ", "\t")) or re.match(r"^\s*\d+\s*$", line):
            m = re.match(r"^\s*(\d+)", line)
            period = int(m.group(1)) if m else 1
            continue
        m = re.match(r"^\s*[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$", line)
        if m:
            sym = re.sub(r"\+0x[0-9a-f]+$", "", m.group(1))
            frames.append(sym)
            kernel.append("kernel" in m.group(2))
    if frames:
        samples.append((period, frames, kernel))
    return samples


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--stat", required=True)
    p.add_argument("--requests", type=int, required=True)
    p.add_argument("--perf-data", required=True)
    p.add_argument("--requests-record", type=int, required=True)
    a = p.parse_args()

    counts = {}
    for line in open(a.stat):
        parts = line.strip().split(",")
        if len(parts) > 3 and parts[0] and parts[0][0].isdigit():
            counts[parts[2]] = float(parts[0])
    n = a.requests
    print(f"requests during perf stat: {n}")
    task_ms = counts.get("task-clock", 0)
    print(f"  CPU per request (task-clock): {task_ms * 1000 / n:.1f} µs")
    for ev in ("instructions:u", "instructions:k", "cycles:u", "cycles:k"):
        if ev in counts:
            print(f"  {ev:15} per request: {counts[ev] / n:10,.0f}")
    if "instructions:u" in counts and "instructions:k" in counts:
        tot = counts["instructions:u"] + counts["instructions:k"]
        print(f"  instructions    per request: {tot / n:10,.0f} ({counts['instructions:k'] / tot:.0%} in the kernel)")

    samples = parse_perf_script(a.perf_data)
    total = sum(s[0] for s in samples) or 1
    by = collections.Counter()
    leafs = collections.Counter()
    for period, frames, kernel in samples:
        by[classify(frames, kernel)] += period
        leafs[frames[0] if frames else "?"] += period
    cyc_per_req = (counts.get("cycles:u", 0) + counts.get("cycles:k", 0)) / n if n else 0
    weight = "cycles" if "cycles:u" in counts else "CPU time (cpu-clock)"
    print(f"\nsamples: {len(samples)} (perf record -g, weighted by {weight}); share of the server's CPU by component")
    print(f"{'component':55} {'share':>6}  {'≈ µs/req':>8}")
    us_per_req = task_ms * 1000 / n if n else 0
    for name, w in by.most_common():
        print(f"{name:55} {w / total:6.1%}  {w / total * us_per_req:8.2f}")
    crates = collections.Counter()
    for period, frames, kernel in samples:
        crates[crate_of(frames[0] if frames else "?", bool(kernel and kernel[0]))] += period
    syscalls = collections.Counter()
    for period, frames, kernel in samples:
        if not (kernel and kernel[0]):
            continue
        name = "no syscall (interrupts, softirq, scheduler)"
        for sym in frames:
            m = SYSCALL_RX.match(sym)
            if m:
                name = next(g for g in m.groups() if g)
                break
        syscalls[name] += period
    print("\nkernel time by system call (the syscall entry in the kernel call chain):")
    for name, w in syscalls.most_common(12):
        print(f"  {w / total:6.1%}  {w / total * us_per_req:6.2f} µs/req  {name}")
    print("\nself time by where the code comes from (leaf frame; inlined code counts where it was inlined):")
    for name, w in crates.most_common(15):
        print(f"  {w / total:6.1%}  {w / total * us_per_req:6.2f} µs/req  {name}")
    print("\ntop leaf functions (self):")
    for sym, w in leafs.most_common(25):
        print(f"  {w / total:6.1%}  {sym[:110]}")
    del cyc_per_req
    return 0


if __name__ == "__main__":
    sys.exit(main())
