#!/usr/bin/env python3
"""Instructions per request from a callgrind dump of the server (bench/instructions.sh).

Prints the total, the self count grouped by where the code comes from (disjoint: each instruction is counted
once, in the function that executed it, inlined code where it was inlined), and the inclusive count of the
functions that start each piece of work (these nest, so they do not add up to the total).
"""

from __future__ import annotations

import argparse
import collections
import re
import subprocess
import sys

# Inclusive entry points: (what, regex on the function name, how matches combine). "max" takes the largest
# matching function (a function and its same-named callee are not added twice); "sum" adds functions that
# do not call one another (the two series lookups of one request, say).
ENTRY_POINTS = [
    ("HTTP/1 request head parse (hyper, httparse)", r"^<hyper::proto::h1::role::Server as hyper::proto::h1::Http1Transaction>::parse$", "max"),
    ("HTTP/1 response head write (hyper)", r"^hyper::proto::h1::conn::Conn<I,B,T>::write_head$", "max"),
    ("request JSON body (axum extractor + serde_json)", r"^<giropops_senhas::http::body::JsonBody<.*> as axum_core::extract::FromRequest<S>>::from_request", "max"),
    ("password generation (policy, sampling; getrandom's syscall not counted)", r"^giropops_senhas::generator::policy::(Policy::prepare_for|Prepared::generate_many)$", "sum"),
    ("history write, request side (redis crate: encode, send, await)", r"^giropops_senhas::store::redis_store::RedisStore::query::\{\{closure\}\}$", "max"),
    ("history write, connection task (redis crate: read, parse, flush)", r"^redis::aio::multiplexed_connection::PipelineSink<T>::poll_read$|^<redis::aio::multiplexed_connection::PipelineSink<T> as futures_sink::Sink<.*>>::(poll_flush|start_send)$", "sum"),
    ("access log line (tracing event + our JSON line)", r"^<tracing_subscriber::fmt::Subscriber<N,E,F,W> as tracing_core::subscriber::Subscriber>::event$", "max"),
    ("access log batch write (log-flush thread, full batches)", r"^giropops_senhas::telemetry::batch::flush$", "max"),
    ("metrics series lookups (prometheus-client)", r"^prometheus_client::metrics::family::Family<S,M,C>::get_or_create$", "max"),
    ("request deadline and keep-alive timers (tokio time)", r"^tokio::time::timeout::poll_delay$|^<tokio::time::sleep::Sleep as core::future::future::Future>::poll$", "sum"),
]


def annotate(dump: str, inclusive: bool) -> tuple[int, list[tuple[int, str]]]:
    out = subprocess.run(
        ["callgrind_annotate", f"--inclusive={'yes' if inclusive else 'no'}", "--threshold=100", "--auto=no", dump],
        capture_output=True, text=True, errors="replace", check=True).stdout
    total, rows = 0, []
    for line in out.splitlines():
        m = re.match(r"^\s*([\d,]+)\s+(?:\(\s*[\d.]+%\)\s+)?(.*)$", line)
        if not m:
            continue
        count, rest = int(m.group(1).replace(",", "")), m.group(2).strip()
        if rest.startswith("PROGRAM TOTALS"):
            total = count
            continue
        rest = re.sub(r"\s+\[[^\]]*\]$", "", rest)
        fn = rest.split(":", 1)[1] if ":" in rest else rest
        rows.append((count, fn))
    return total, rows


def origin(fn: str) -> str:
    """Where a function's code comes from: the Rust crate of its path, the allocator, or libc."""
    if re.match(r"^_?mi_", fn):
        return "allocator (mimalloc)"
    if fn in ("???", "") or fn.startswith("0x"):
        return "unresolved"
    s = re.sub(r"^<+", "", fn)
    m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)::", s)
    if m:
        return m.group(1)
    return "libc / compiler-rt (memcpy, syscall wrappers)"


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--dump", required=True)
    p.add_argument("--requests", type=int, required=True)
    a = p.parse_args()
    n = max(a.requests, 1)
    total, self_rows = annotate(a.dump, inclusive=False)
    _, incl_rows = annotate(a.dump, inclusive=True)
    print(f"requests counted: {a.requests}")
    print(f"instructions per request (user space, all threads): {total / n:,.0f}")

    print("\nself instructions by where the code comes from (disjoint, sums to the total):")
    by = collections.Counter()
    for count, fn in self_rows:
        by[origin(fn)] += count
    for name, count in by.most_common(16):
        print(f"  {count / total:6.1%}  {count / n:9,.0f}/req  {name}")

    print("\ninclusive instructions of the functions that start each piece of work (these nest):")
    for what, rx, combine in ENTRY_POINTS:
        r = re.compile(rx)
        counts = [count for count, fn in incl_rows if r.search(fn)]
        cost = sum(counts) if combine == "sum" else max(counts, default=0)
        print(f"  {cost / total:6.1%}  {cost / n:9,.0f}/req  {what}")

    print("\ntop functions (self):")
    for count, fn in sorted(self_rows, reverse=True)[:25]:
        print(f"  {count / total:6.1%}  {count / n:9,.0f}/req  {fn[:110]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
