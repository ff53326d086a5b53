#!/usr/bin/env python3
"""Soak (`make soak`, and `make test` stage `soak-smoke` for 30 s): the static release binary against a
redis-server of its own, both on 127.0.0.1, under moderate load for a long bounded time, while the app's
resident memory (VmRSS of /proc/PID/status) and open file descriptors (entries of /proc/PID/fd) are sampled
every few seconds. Writes a CSV and an SVG plot; fails if either keeps growing after warm-up.

Load: a small asyncio HTTP/1.1 client, CONNECTIONS keep-alive connections paced to RATE requests/s in total,
each connection closed and reopened every RECONNECT requests (connection churn exposes descriptor leaks).
The mix is the app's real traffic: POST /api/gerar-senha (JSON), POST / (form), GET /, GET /api/senhas,
POST /api/v1/passwords, GET /healthz, GET /metrics. Every answer must be a 200.

The rule (growth after warm-up). The first WARMUP fraction of the run (default 25 %) is warm-up and is not
judged. The rest is cut into halves, "early" and "late"; with m(x) the median of the samples of x:
  RSS:  m(late) - m(early) <= max(RSS_PCT % of m(early), RSS_KB)     default 5 %, 1024 kB
  and a least-squares slope over the judged samples, projected over the judged span, stays within the same
  bound (catches a steady leak that the medians of a short run would halve);
  fds:  min(late) - min(early) <= FD_SLACK (default 2): the floor, the descriptors the server holds whatever
        the client connections of the moment; and m(late) - m(early) <= FD_SLACK + CONNECTIONS.
A leak of 1 kB per request at 200 requests/s grows RSS by ~12 MB a minute: far outside the bound; a run that
is flat within allocator noise passes. `--self-check` shows the rule rejecting synthetic growing series (RSS
and fds) and accepting flat and warm-up-only ones; every run performs it first.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def log(msg: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ---------------------------------------------------------------------------------------------- the rule --
@dataclass
class Bounds:
    warmup: float = 0.25
    rss_pct: float = 5.0
    rss_kb: float = 1024.0
    fd_slack: float = 2.0


def slope(ts: list[float], ys: list[float]) -> float:
    n = len(ts)
    mt, my = sum(ts) / n, sum(ys) / n
    var = sum((t - mt) ** 2 for t in ts)
    return 0.0 if var == 0 else sum((t - mt) * (y - my) for t, y in zip(ts, ys)) / var


def judge(ts: list[float], ys: list[float], allowed_of, name: str, warmup: float, stat=statistics.median,
          fit: bool = True) -> tuple[bool, str, dict]:
    """Growth of one series after warm-up: `stat` (median, or min for a floor) of the late half minus that of
    the early half, and (with `fit`) a least-squares slope over the judged span, against `allowed_of(early)`."""
    t_end = ts[-1]
    judged = [(t, y) for t, y in zip(ts, ys) if t >= warmup * t_end]
    if len(judged) < 4:
        return False, f"{name}: only {len(judged)} samples after warm-up, need 4", {}
    half = len(judged) // 2
    early = [y for _, y in judged[:half]]
    late = [y for _, y in judged[half:]]
    m_early, m_late = stat(early), stat(late)
    allowed = allowed_of(m_early)
    jt = [t for t, _ in judged]
    projected = slope(jt, [y for _, y in judged]) * (jt[-1] - jt[0]) if fit else 0.0
    growth = m_late - m_early
    ok = growth <= allowed and projected <= allowed
    info = {"early": m_early, "late": m_late, "statistic": stat.__name__, "growth": growth,
            "projected_growth": projected, "allowed": allowed, "start": ys[0], "end": ys[-1], "max": max(ys)}
    fitted = f", fitted {projected:+.0f} over the judged span" if fit else ""
    msg = (f"{name}: {stat.__name__} {m_early:.0f} -> {m_late:.0f} (growth {growth:+.0f}{fitted}; "
           f"allowed {allowed:.0f}) {'ok' if ok else 'GROWING'}")
    return ok, msg, info


def judge_all(rows: list[dict], b: Bounds, connections: int = 8) -> tuple[bool, list[str], dict]:
    """RSS: medians and fit. fds: the floor (minimum: the descriptors the server keeps whatever the client
    connections of the moment) may not rise by more than FD_SLACK, and the median by more than FD_SLACK plus
    the client connections (a sample may fall while every connection is being reopened)."""
    ts = [r["t"] for r in rows]
    fds = [r["fds"] for r in rows]
    ok_r, msg_r, info_r = judge(ts, [r["rss_kb"] for r in rows],
                                lambda m: max(b.rss_pct / 100 * m, b.rss_kb), "RSS kB", b.warmup)
    ok_f, msg_f, info_f = judge(ts, fds, lambda m: b.fd_slack, "open fds", b.warmup, stat=min, fit=False)
    ok_m, msg_m, _ = judge(ts, fds, lambda m: b.fd_slack + connections, "open fds", b.warmup, fit=False)
    return ok_r and ok_f and ok_m, [msg_r, msg_f + "; " + msg_m.removeprefix("open fds: ")], {"rss_kb": info_r, "fds": info_f}


def self_check(b: Bounds) -> bool:
    """The rule must reject growth and accept flatness: synthetic series, deterministic noise."""
    def series(rss, fds, n=120):
        return [{"t": i * 5.0, "rss_kb": rss(i, n), "fds": fds(i, n)} for i in range(n)]
    noise = lambda i: ((i * 7919) % 13 - 6) * 40  # ±240 kB, deterministic
    cases = [
        ("flat RSS and fds with noise", series(lambda i, n: 9000 + noise(i), lambda i, n: 12 + (i % 3 == 0)), True),
        ("fds swinging with the client connections", series(lambda i, n: 9000 + noise(i), lambda i, n: 11 + 8 * (i % 2 == 0) * (i > 60)), True),
        ("growth during warm-up only", series(lambda i, n: 6000 + min(i, 20) * 150 + noise(i), lambda i, n: 12), True),
        ("RSS leaking 40 kB per sample", series(lambda i, n: 9000 + 40 * i + noise(i), lambda i, n: 12), False),
        ("RSS step up in the late half", series(lambda i, n: 9000 + (3000 if i > 90 else 0), lambda i, n: 12), False),
        ("one fd leaked every 10 samples", series(lambda i, n: 9000 + noise(i), lambda i, n: 12 + i // 10), False),
        ("too few samples", series(lambda i, n: 9000, lambda i, n: 12, n=4), False),
    ]
    good = True
    for name, rows, expect in cases:
        ok, msgs, _ = judge_all(rows, b, connections=8)
        verdict = "accepted" if ok else "rejected"
        right = ok == expect
        good &= right
        print(f"  self-check: {name}: {verdict} ({'as expected' if right else 'WRONG'})")
        if not right:
            for m in msgs:
                print(f"    {m}")
    return good


# ---------------------------------------------------------------------------------------------- the load --
REQUESTS = [
    # (weight, method, path, content type, body)
    (30, "POST", "/api/gerar-senha", "application/json",
     b'{"tamanho": 16, "incluir_numeros": true, "incluir_caracteres_especiais": true}'),
    (15, "POST", "/", "application/x-www-form-urlencoded",
     b"tamanho=12&incluir_numeros=on&incluir_caracteres_especiais=on"),
    (15, "GET", "/", None, None),
    (20, "GET", "/api/senhas", None, None),
    (10, "POST", "/api/v1/passwords", "application/json", b'{"length": 20, "count": 3}'),
    (5, "GET", "/healthz", None, None),
    (5, "GET", "/metrics", None, None),
]
MIX = [r for r in REQUESTS for _ in range(r[0])]


class Stats:
    def __init__(self) -> None:
        self.ok = 0
        self.failed = 0
        self.connections = 0
        self.failures: dict[str, int] = {}
        self.after: dict[str, int] = {}

    def fail(self, why: str) -> None:
        self.failed += 1
        self.failures[why] = self.failures.get(why, 0) + 1


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Status code and whether the server keeps the connection; reads the whole body."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("connection closed before the response")
    status = int(status_line.split()[1])
    length, chunked, close = 0, False, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        k, _, v = line.decode("latin-1").partition(":")
        k, v = k.strip().lower(), v.strip().lower()
        if k == "content-length":
            length = int(v)
        elif k == "transfer-encoding" and "chunked" in v:
            chunked = True
        elif k == "connection" and v == "close":
            close = True
    if chunked:
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status, not close


async def worker(idx: int, port: int, interval: float, deadline: float, reconnect: int, st: Stats) -> None:
    reader = writer = None
    sent_on_conn = 0
    n = idx
    next_at = time.monotonic() + interval * idx / 8
    while time.monotonic() < deadline:
        delay = next_at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        next_at += interval
        _, method, path, ctype, body = MIX[(n * 7) % len(MIX)]
        n += 1
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                st.connections += 1
                sent_on_conn = 0
            head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: giropops-soak\r\n"
            if body is not None:
                head += f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
            writer.write(head.encode() + b"\r\n" + (body or b""))
            await writer.drain()
            status, keep = await asyncio.wait_for(read_response(reader), 15)
            sent_on_conn += 1
            if status == 200:
                st.ok += 1
            else:
                st.fail(f"{method} {path} -> {status}")
            if not keep or sent_on_conn >= reconnect + 7 * idx:
                writer.close()
                writer = None
        except (OSError, ConnectionError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as e:
            st.fail(f"{method} {path} -> {type(e).__name__}")
            if writer is not None:
                writer.close()
            writer = None
    if writer is not None:
        writer.close()


def read_proc(pid: int) -> tuple[int, int]:
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


async def run_load(pid: int, port: int, a, st: Stats) -> list[dict]:
    start = time.monotonic()
    deadline = start + a.seconds
    interval = a.connections / a.rate
    tasks = [asyncio.create_task(worker(i, port, interval, deadline, a.reconnect, st)) for i in range(a.connections)]
    rows = []
    next_sample = start
    while time.monotonic() < deadline + 0.01:
        now = time.monotonic()
        rss, fds = read_proc(pid)
        rows.append({"t": round(now - start, 2), "rss_kb": rss, "fds": fds, "requests_ok": st.ok,
                     "requests_failed": st.failed, "connections_opened": st.connections})
        if len(rows) % max(1, int(60 / a.interval)) == 1:
            log(f"t={now - start:6.0f}s RSS {rss} kB, {fds} fds, {st.ok} ok, {st.failed} failed")
        next_sample += a.interval
        await asyncio.sleep(max(0.0, min(next_sample, deadline + 0.01) - time.monotonic()))
        if time.monotonic() >= deadline:
            break
    await asyncio.gather(*tasks)
    # After the load (every client connection closed): reported, not judged (it would bend the fit down).
    await asyncio.sleep(1)
    st.after = dict(zip(("rss_kb", "fds"), read_proc(pid)))
    return rows


# ---------------------------------------------------------------------------------------------- the plot --
def svg_plot(rows: list[dict], info: dict, b: Bounds, title: str) -> str:
    W, H, L, R, T, PH, GAP = 900, 520, 80, 30, 50, 170, 70
    t_end = max(rows[-1]["t"], 1)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
           f'font-family="sans-serif" font-size="12">',
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="{W / 2}" y="24" text-anchor="middle" font-size="15">{title}</text>']
    panels = [("rss_kb", "RSS (MiB)", 1 / 1024, "#1f77b4"), ("fds", "descritores abertos", 1, "#d62728")]
    for k, (key, label, scale, color) in enumerate(panels):
        top = T + k * (PH + GAP)
        ys = [r[key] * scale for r in rows]
        lo, hi = min(ys), max(ys)
        pad = max((hi - lo) * 0.15, 0.5 if key == "rss_kb" else 1)
        lo, hi = max(0, lo - pad), hi + pad
        x = lambda t: L + (W - L - R) * t / t_end
        y = lambda v: top + PH - PH * (v - lo) / (hi - lo)
        wx = x(b.warmup * t_end)
        out.append(f'<rect x="{L}" y="{top}" width="{wx - L:.1f}" height="{PH}" fill="#eee"/>')
        out.append(f'<text x="{L + 4}" y="{top + 14}" fill="#777">aquecimento</text>')
        out.append(f'<rect x="{L}" y="{top}" width="{W - L - R}" height="{PH}" fill="none" stroke="#333"/>')
        for i in range(5):
            v = lo + (hi - lo) * i / 4
            out.append(f'<line x1="{L - 4}" x2="{L}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#333"/>')
            out.append(f'<text x="{L - 8}" y="{y(v) + 4:.1f}" text-anchor="end">{v:.1f}</text>')
        out.append(f'<text x="16" y="{top + PH / 2}" transform="rotate(-90 16 {top + PH / 2})" '
                   f'text-anchor="middle">{label}</text>')
        pts = " ".join(f"{x(r['t']):.1f},{y(r[key] * scale):.1f}" for r in rows)
        out.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="1.5"/>')
        i = info[key]
        half_t = None
        judged = [r for r in rows if r["t"] >= b.warmup * t_end]
        if judged:
            half_t = judged[len(judged) // 2]["t"]
        if i and half_t is not None:
            for (t0, t1, m) in ((b.warmup * t_end, half_t, i["early"]), (half_t, t_end, i["late"])):
                out.append(f'<line x1="{x(t0):.1f}" x2="{x(t1):.1f}" y1="{y(m * scale):.1f}" y2="{y(m * scale):.1f}" '
                           f'stroke="#555" stroke-dasharray="5,4"/>')
            stat_pt = "medianas" if i["statistic"] == "median" else "mínimos"
            out.append(f'<text x="{W - R - 4}" y="{top + 14}" text-anchor="end" fill="#555">{stat_pt} '
                       f'{i["early"] * scale:.1f} → {i["late"] * scale:.1f} '
                       f'(limite +{i["allowed"] * scale:.1f})</text>')
        step = next(v for v in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600, 10**9) if v >= t_end / 10)
        for s in range(0, int(t_end) + 1, step):
            out.append(f'<text x="{x(s):.1f}" y="{top + PH + 16}" text-anchor="middle">{s}</text>')
        out.append(f'<text x="{(L + W - R) / 2}" y="{top + PH + 34}" text-anchor="middle">segundos</text>')
    out.append("</svg>")
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------- the run --
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, deadline_s: float) -> None:
    end = time.monotonic() + deadline_s
    while True:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except Exception:
            if time.monotonic() > end:
                raise SystemExit(f"soak: {url} not ready after {deadline_s} s")
            time.sleep(0.2)


def build_binary(tmp: Path) -> Path:
    log("building the static release binary (scripts/build-static.sh --arch amd64)")
    subprocess.run(["bash", str(ROOT / "scripts/build-static.sh"), "--arch", "amd64", "--out", str(tmp / "dist")],
                   check=True)
    return tmp / "dist/linux-amd64/giropops-senhas"


def main() -> int:
    env = os.environ
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=float(env.get("SOAK_SECONDS", 600)))
    p.add_argument("--rate", type=float, default=float(env.get("SOAK_RATE", 200)), help="requests/s in total")
    p.add_argument("--connections", type=int, default=int(env.get("SOAK_CONNECTIONS", 8)))
    p.add_argument("--reconnect", type=int, default=100, help="requests per connection before reopening it")
    p.add_argument("--interval", type=float, default=float(env.get("SOAK_INTERVAL", 5)), help="sampling, seconds")
    p.add_argument("--binary", default=env.get("GIROPOPS_BIN"), help="default: build the static release binary")
    p.add_argument("--out", default=env.get("SOAK_OUT", str(ROOT / "target/soak")), help="CSV + SVG directory")
    p.add_argument("--warmup", type=float, default=0.25)
    p.add_argument("--rss-pct", type=float, default=5.0)
    p.add_argument("--rss-kb", type=float, default=1024.0)
    p.add_argument("--fd-slack", type=float, default=2.0)
    p.add_argument("--self-check", action="store_true", help="only check the rule on synthetic series")
    a = p.parse_args()
    b = Bounds(a.warmup, a.rss_pct, a.rss_kb, a.fd_slack)

    print("the growth rule on synthetic series:")
    if not self_check(b):
        print("soak: the growth rule does not separate growing from flat series")
        print("0 passed, 1 failed")
        return 1
    if a.self_check:
        print("1 passed, 0 failed")
        return 0
    for tool in ("redis-server", "redis-cli"):
        if not shutil.which(tool):
            raise SystemExit(f"soak: {tool} missing: apt-get install redis-server redis-tools")

    procs: list[subprocess.Popen] = []
    tmp = Path(tempfile.mkdtemp(prefix="soak-"))
    try:
        binary = Path(a.binary) if a.binary else build_binary(tmp)
        rport, aport = free_port(), free_port()
        (tmp / "redis").mkdir()
        procs.append(subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(rport), "--save", "",
                                       "--appendonly", "no", "--dir", str(tmp / "redis")],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for _ in range(100):
            if subprocess.run(["redis-cli", "-p", str(rport), "ping"], capture_output=True, text=True).stdout.strip() == "PONG":
                break
            time.sleep(0.1)
        app_log = open(tmp / "app.log", "w")
        app = subprocess.Popen([str(binary)], env={"PATH": "/usr/bin:/bin", "BIND": "127.0.0.1", "PORT": str(aport),
                                                   "REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(rport),
                                                   "LOG_LEVEL": "warn",
                                                   # The load sends no cookie: the shared scope keeps every POST
                                                   # writing to Redis, the traffic the soak has always measured.
                                                   "HISTORY_SCOPE": "shared"}, stdout=app_log, stderr=subprocess.STDOUT)
        procs.append(app)
        wait_ready(f"http://127.0.0.1:{aport}/readyz", 30)
        log(f"{binary} pid {app.pid} on 127.0.0.1:{aport}, redis-server on {rport}; {a.seconds:.0f} s at "
            f"{a.rate:.0f} requests/s over {a.connections} connections (reopened every {a.reconnect} requests), "
            f"sampling every {a.interval:.0f} s")
        st = Stats()
        rows = asyncio.run(run_load(app.pid, aport, a, st))
        alive = app.poll() is None
        ok, msgs, info = judge_all(rows, b, a.connections)

        out = Path(a.out)
        out.mkdir(parents=True, exist_ok=True)
        stem = f"soak-{dt.datetime.now(dt.timezone.utc).strftime('%Y%m%dT%H%M%SZ')}"
        with open(out / f"{stem}.csv", "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        title = (f"giropops-senhas, soak de {a.seconds:.0f} s a {a.rate:.0f} req/s com Redis: "
                 f"{st.ok} respostas 200, {st.failed} falhas")
        (out / f"{stem}.svg").write_text(svg_plot(rows, info, b, title))
        summary = {"seconds": a.seconds, "rate": a.rate, "connections": a.connections, "requests_ok": st.ok,
                   "requests_failed": st.failed, "connections_opened": st.connections, "samples": len(rows),
                   "failures": st.failures, "app_alive": alive, "rss_kb": info["rss_kb"], "fds": info["fds"], "after_load": st.after,
                   "bounds": vars(b), "passed": ok and alive and st.failed == 0}
        (out / f"{stem}.json").write_text(json.dumps(summary, indent=2) + "\n")

        log(f"{st.ok} requests answered 200, {st.failed} failed, {st.connections} connections opened, "
            f"{len(rows)} samples")
        for m in msgs:
            log(m)
        log(f"after the load (connections closed): RSS {st.after.get('rss_kb')} kB, {st.after.get('fds')} fds")
        log(f"written: {out / stem}.csv, .svg, .json")
        checks = [("growth rule self-check", True),
                  ("app alive at the end", alive),
                  (f"no failed request ({st.failed} failed: {st.failures})", st.failed == 0),
                  ("RSS does not keep growing after warm-up", msgs[0].endswith("ok")),
                  ("open fds do not keep growing after warm-up", msgs[1].endswith("ok"))]
        for name, good in checks:
            print(f"{'ok' if good else 'FAIL'}: {name}")
        n_ok = sum(g for _, g in checks)
        print(f"{n_ok} passed, {len(checks) - n_ok} failed")
        return 0 if n_ok == len(checks) else 1
    finally:
        for pr in reversed(procs):
            if pr.poll() is None:
                pr.send_signal(signal.SIGTERM)
                try:
                    pr.wait(25)
                except subprocess.TimeoutExpired:
                    pr.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
