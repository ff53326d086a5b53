#!/usr/bin/env python3
"""The benchmark of giropops-senhas (`make bench`, `make bench-smoke`). Python 3.11 stdlib only.

Builds the static musl release binary (scripts/build-static.sh: what the image ships), starts its own Redis
(no persistence) and the app on free loopback ports, with the shipped defaults (JSON access log on, metrics on,
history writes awaited), and drives wrk (Debian) at 1, 32 and 256 connections, bounded in time and in requests,
against every route of ROUTES, with Redis and with the embedded store. Each case runs --repeats times; the
report gives the median and the spread (min-max) of:
  req/s, p50/p99/max latency (wrk), errors (socket errors + non-2xx),
  server CPU per request: (utime+stime after - before) from /proc/<pid>/stat / requests completed,
  Redis CPU per request (same method, redis-server's pid), RSS peak (VmRSS sampled every 20 ms),
  other load: CPU time the rest of the machine used during the run (/proc/stat), in cores.
Once per store: RSS idle (after start-up, and again after all the load), start-up time to the first 200 on
/healthz (median of several starts). Ceilings measured in the same run: redis-benchmark LPUSH and
LRANGE senhas 0 9 at the same concurrency; our own /healthz (no I/O).
The original app in the same run, same Redis, same wrk: a stand-in of its request path (bench/original/app.py, on
its stack from scripts/requirements-original.txt in .cache/original-venv) under `flask run` and `gunicorn -w 2`,
on the routes it has (POST /api/gerar-senha, GET /api/senhas, GET /); CPU and RSS summed over its process tree.
Ratios ours / original per route and concurrency (req/s, server CPU per request). --no-original leaves it out.
The report leads with what does not depend on the machine: instructions per request per route (the newest
bench/results/instructions-*-redis-*.txt of bench/instructions.sh) and those ratios; then the µs and req/s of
this machine on this day.

Output: bench/results/<date>.json + .md + .svg (throughput and p99 against concurrency), and the block of
docs/performance.md between <!-- bench:results --> and <!-- /bench:results --> when --readme is given.
--smoke: a second per case, one repetition (the original at 32 connections only), results in a temp dir, then
checks that every case ran and produced sane numbers (never a speed), and that those checks fail on broken
results (mutations + a real run against a route that does not exist).
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

APP_ENV: dict[str, str] = {}  # --app-env: only for experiments (allocator options); the report lists it
ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def perf_counts_instructions() -> bool:
    """Whether perf really counts instructions here: on most VMs `perf stat` exits 0 but prints `<not supported>`
    instead of a count, and the instruction column must then be left out, not checked."""
    if shutil.which("perf") is None:
        return False
    result = subprocess.run(["perf", "stat", "-x,", "-e", "instructions:u,instructions:k", "true"],
                            capture_output=True, text=True)
    counts = [line.split(",", 1)[0] for line in result.stderr.splitlines() if "instructions" in line]
    return result.returncode == 0 and bool(counts) and all(re.fullmatch(r"[0-9.]+", c) for c in counts)


PERF_OK = perf_counts_instructions()
COURSE_BODY = '{"tamanho":12,"incluir_numeros":true,"incluir_caracteres_especiais":true}'
WORST_V1_BODY = ('{"length":128,"count":22,"min_lowercase":24,"min_uppercase":24,"min_digits":24,'
                 '"min_symbols":24}')
# Issue 13, row 4: the body the hostile-client audit found (9-13 ms of CPU per request before the fix).
AUDIT_V1_BODY = ('{"length":128,"count":100,"min_lowercase":2,"min_uppercase":2,"min_digits":2,'
                 '"min_symbols":2}')
# Issue 16: how cost grows with work. `count` 10 and 100 of the default policy; a `max-consecutive` rule set (the
# run-limited sampler); a known site; a pt-BR passphrase.
V1_COUNT10_BODY = '{"length":16,"count":10}'
V1_COUNT100_BODY = '{"length":16,"count":100}'
V1_RULES_BODY = ('{"rules":"minlength: 16; required: lower; required: upper; required: digit; '
                 'max-consecutive: 2"}')
V1_SITE_BODY = '{"site":"apple.com"}'
PTBR_BODY = '{"language":"pt-BR"}'
# The costliest rules body we found within the API's limits (8 required lines, 3 of them single characters,
# length 128, a run limit, `count` 63: 64 is a 422 too_much_work). Found by asking a debug build for ~580 rule
# sets (6 or 8 tiny required lines, disjoint or overlapping, 4 alphabets, lengths 16-128, run limits none/1/2)
# at the most passwords each is allowed, ranked by the server's CPU per request; the top ones were within ~20%
# of each other, so a release build may rank them differently.
V1_RULES_WORST_BODY = ('{"rules":"minlength: 128; maxlength: 128; required: [abc]; required: [def]; '
                       'required: [ghi]; required: [jkl]; required: [mno]; required: [f]; required: [g]; '
                       'required: [h]; allowed: ascii-printable; max-consecutive: 2","count":63}')

# The cases. To add a route: one line. `optional` routes are benchmarked only when a probe answers 200
# (routes that another change adds later join the benchmark by themselves).
ROUTES = [
    {"name": "POST /api/gerar-senha", "key": "post", "method": "POST", "path": "/api/gerar-senha",
     "body": COURSE_BODY},
    {"name": "POST /api/v1/passwords", "key": "v1", "method": "POST", "path": "/api/v1/passwords",
     "body": '{"length":12,"digits":true,"symbols":true}', "optional": True,
     "probe_bodies": ['{"length":12,"digits":true,"symbols":true}', "{}"]},
    # Issue 13, row 4: the costliest v1 body served (counting sampler, a ~1,100-product table, the most passwords
    # the CPU budget lets through: 22; 23 is a 422 too_much_work). Before: the body took 9-13 ms.
    {"name": "POST /api/v1/passwords (worst body)", "key": "v1worst", "method": "POST", "path": "/api/v1/passwords",
     "body": WORST_V1_BODY, "optional": True, "probe_bodies": [WORST_V1_BODY]},
    {"name": "POST /api/v1/passwords (audit body)", "key": "v1audit", "method": "POST", "path": "/api/v1/passwords",
     "body": AUDIT_V1_BODY, "optional": True, "probe_bodies": [AUDIT_V1_BODY]},
    {"name": "POST /api/v1/passwords (count 10)", "key": "v1count10", "method": "POST",
     "path": "/api/v1/passwords", "body": V1_COUNT10_BODY, "optional": True, "probe_bodies": [V1_COUNT10_BODY]},
    {"name": "POST /api/v1/passwords (count 100)", "key": "v1count100", "method": "POST",
     "path": "/api/v1/passwords", "body": V1_COUNT100_BODY, "optional": True, "probe_bodies": [V1_COUNT100_BODY]},
    {"name": "POST /api/v1/passwords (rules, max-consecutive)", "key": "v1rules", "method": "POST",
     "path": "/api/v1/passwords", "body": V1_RULES_BODY, "optional": True, "probe_bodies": [V1_RULES_BODY]},
    {"name": "POST /api/v1/passwords (site apple.com)", "key": "v1site", "method": "POST",
     "path": "/api/v1/passwords", "body": V1_SITE_BODY, "optional": True, "probe_bodies": [V1_SITE_BODY]},
    {"name": "POST /api/v1/passwords (worst rules body)", "key": "v1rulesworst", "method": "POST",
     "path": "/api/v1/passwords", "body": V1_RULES_WORST_BODY, "optional": True,
     "probe_bodies": [V1_RULES_WORST_BODY]},
    {"name": "POST /api/v1/passphrases (pt-BR)", "key": "ptbr", "method": "POST", "path": "/api/v1/passphrases",
     "body": PTBR_BODY, "optional": True, "probe_bodies": [PTBR_BODY]},
    {"name": "GET /api/senhas", "key": "senhas", "method": "GET", "path": "/api/senhas"},
    {"name": "GET /", "key": "page", "method": "GET", "path": "/"},
    {"name": "GET /healthz", "key": "healthz", "method": "GET", "path": "/healthz"},
]
STORES = ["redis", "memory"]
# The original app, measured in the same run: a stand-in of its request path (bench/original/app.py, written from
# its documented contract, not its code) on its own stack (scripts/requirements-original.txt, installed into
# .cache/original-venv by scripts/install-deps.sh), served the two ways it is run, against the same Redis.
ORIGINAL_VENV = ROOT / ".cache" / "original-venv"
ORIGINAL_ROUTES = ["post", "senhas", "page"]  # keys of ROUTES the original has
ORIGINAL_SERVERS = [
    {"key": "orig-flask", "name": "original: `flask run`", "argv": lambda port: [
        str(ORIGINAL_VENV / "bin" / "flask"), "--app", "app.py", "run", "--host", "127.0.0.1", "--port", str(port)]},
    {"key": "orig-gunicorn", "name": "original: `gunicorn -w 2`", "argv": lambda port: [
        str(ORIGINAL_VENV / "bin" / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "app:app"]},
]
STORE_LABELS = {"redis": "Redis", "memory": "embutido", "orig-flask": "original `flask run` (Redis)",
                "orig-gunicorn": "original `gunicorn -w 2` (Redis)"}
# The original's figures as measured once elsewhere (../shared/reference/original-app.md: wrk -t1 -c32 -d8s,
# 2 cores); only a footnote now that the original is measured in every run.
ORIGINAL = {
    "source": "shared/reference/original-app.md (Flask 3.0.3 + redis-py, wrk -t1 -c32, 2 cores)",
    "lpush_ceiling": 71480,
    "servers": [
        {"name": "flask run (como o curso roda)", "post": 900, "senhas": 996, "page": 939,
         "p50_ms": 34.8, "p99_ms": 52.8, "cpu_us": None, "rss": "≈ 36–39 MiB",
         "startup_ms": "≈ 240–260"},
        {"name": "gunicorn -w 2", "post": 3089, "senhas": 3673, "page": 3054,
         "p50_ms": 10.0, "p99_ms": 17.7, "cpu_us": 420, "rss": "≈ 94 MiB (3 processos)",
         "startup_ms": None},
    ],
}


# ---------------------------------------------------------------------------------------------- helpers
def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_ticks(pid: int) -> int:
    """utime + stime of a process, in clock ticks (/proc/<pid>/stat fields 14 and 15)."""
    data = Path(f"/proc/{pid}/stat").read_text()
    fields = data[data.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


def machine_busy_ticks() -> int:
    """All non-idle CPU time of the machine (/proc/stat first line), in clock ticks."""
    parts = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    v = [int(x) for x in parts]
    # user nice system idle iowait irq softirq steal (guest is already inside user)
    return v[0] + v[1] + v[2] + v[5] + v[6] + v[7]


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} missing in /proc/{pid}/status")


def tree_pids(root: int) -> list[int]:
    """root and its descendants (gunicorn: the master and its workers), from the ppid field of /proc/*/stat."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                data = (d / "stat").read_text()
            except OSError:
                continue
            children.setdefault(int(data[data.rindex(")") + 2:].split()[1]), []).append(int(d.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def tree_cpu_ticks(pids: list[int]) -> int:
    """utime + stime of every process of a tree (pids[0] its root), plus the root's cutime + cstime: the CPU of
    children it has already reaped (a worker that died during the run still counts)."""
    total = sum(cpu_ticks(pid) for pid in pids)
    data = Path(f"/proc/{pids[0]}/stat").read_text()
    fields = data[data.rindex(")") + 2:].split()
    return total + int(fields[13]) + int(fields[14])


def pss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    raise RuntimeError(f"Pss missing in /proc/{pid}/smaps_rollup")


def http_status(port: int, method: str, path: str, body: str | None = None, timeout: float = 2.0) -> int:
    """Minimal HTTP/1.1 client (stdlib http.client); returns the status, 0 when the connection fails."""
    import http.client
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body=body, headers=headers)
        status = conn.getresponse().status
        conn.close()
        return status
    except OSError:
        return 0


def wait_healthz(port: int, proc: subprocess.Popen, deadline_s: float, path: str = "/healthz") -> float:
    """Seconds from now until GET `path` answers 200 (polls as fast as it can)."""
    start = time.perf_counter()
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with {proc.returncode} before answering {path}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(request)
                head = s.recv(64)
                if head.startswith(b"HTTP/1.1 200"):
                    return time.perf_counter() - start
        except OSError:
            pass
        if time.perf_counter() - start > deadline_s:
            raise RuntimeError(f"{path} did not answer 200 within {deadline_s}s")
        time.sleep(0.0002)


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def spread(xs):
    xs = [x for x in xs if x is not None]
    return [min(xs), max(xs)] if xs else None


# ---------------------------------------------------------------------------------------------- processes
class Redis:
    def __init__(self, tmp: Path):
        self.port = free_port()
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(tmp), "--logfile", str(tmp / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while self.cli("PING") != "PONG":
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"redis-server did not start (see {tmp / 'redis.log'})")
            time.sleep(0.02)
        self.version = self.cli("INFO", "server").split("redis_version:")[1].split()[0]

    def cli(self, *args: str) -> str:
        r = subprocess.run(["redis-cli", "-p", str(self.port), *args], capture_output=True, text=True)
        return r.stdout.strip()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class App:
    def __init__(self, binary: Path, store: str, redis: Redis | None, tmp: Path, tag: str):
        self.port = free_port()
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PORT": str(self.port), "BIND": "127.0.0.1",
               # wrk sends no cookie: in the private scope (the default) its POSTs would record nothing. The
               # shared scope keeps every POST writing the history, as the published numbers always measured.
               "HISTORY_SCOPE": "shared"}
        env.update(APP_ENV)
        if store == "redis":
            env["REDIS_URL"] = f"redis://127.0.0.1:{redis.port}/0"
        # stdout is a file, not a tty: the shipped default applies (LOG_FORMAT=json, access log on).
        self.log_path = tmp / f"app-{store}-{tag}.log"
        self.log_file = open(self.log_path, "wb")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen([str(binary)], env=env, stdout=self.log_file, stderr=subprocess.STDOUT)
        self.startup_s = (time.perf_counter() - t0) + wait_healthz(self.port, self.proc, 10)
        self.pid = self.proc.pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(25)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()


class OriginalApp:
    """The stand-in of the original (bench/original/app.py) under `flask run` or `gunicorn -w 2`, on our Redis
    (REDIS_HOST/REDIS_PORT, database 0, the same list `senhas`). Ready at the first 200 on GET /api/senhas (it has
    no /healthz); `pids` is the process tree once every worker is up."""

    def __init__(self, server: dict, redis: Redis, tmp: Path, tag: str):
        self.port = free_port()
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "REDIS_HOST": "127.0.0.1",
               "REDIS_PORT": str(redis.port), "PYTHONDONTWRITEBYTECODE": "1"}
        self.log_path = tmp / f"{server['key']}-{tag}.log"
        self.log_file = open(self.log_path, "wb")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(server["argv"](self.port), env=env, cwd=BENCH / "original",
                                     stdout=self.log_file, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        try:
            self.startup_s = (time.perf_counter() - t0) + wait_healthz(self.port, self.proc, 30, "/api/senhas")
        except RuntimeError:
            self.stop()
            raise RuntimeError(f"{server['name']} did not start: see {self.log_path}: "
                               + self.log_path.read_text(errors="replace")[-2000:])
        expected = 3 if server["key"] == "orig-gunicorn" else 1
        deadline = time.time() + 10
        while len(tree_pids(self.pid)) < expected and time.time() < deadline:
            time.sleep(0.05)
        self.pids = tree_pids(self.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(25)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()


class RssSampler(threading.Thread):
    """Peak of VmRSS, summed over the given processes (the app; gunicorn's master and workers)."""

    def __init__(self, pids: list[int], every_s: float = 0.02):
        super().__init__(daemon=True)
        self.pids, self.every_s, self.peak, self._halt = pids, every_s, 0, threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                self.peak = max(self.peak, sum(rss_kib(pid) for pid in self.pids))
            except (OSError, RuntimeError):
                return
            self._halt.wait(self.every_s)

    def finish(self) -> int:
        self._halt.set()
        self.join()
        return self.peak


# ---------------------------------------------------------------------------------------------- load
def store_errors(port: int) -> float:
    """Sum of giropops_store_errors_total on /metrics: history operations that failed or were skipped."""
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    conn.close()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("giropops_store_errors_total"))


def run_wrk(port: int, route: dict, conns: int, duration_s: float, max_requests: int,
            app_pid: int | list[int], redis_pid: int | None, ours: bool = True) -> dict:
    """One wrk run. app_pid: our server's pid, or the original's process tree (CPU and RSS summed over it);
    `ours` is False for the original (no giropops_store_errors_total to read)."""
    app_pids = app_pid if isinstance(app_pid, list) else [app_pid]
    env = dict(os.environ)
    env.update({"BENCH_METHOD": route["method"], "BENCH_PATH": route["path"],
                "BENCH_BODY": route.get("body") or "", "BENCH_MAX_REQUESTS": str(max_requests)})
    cmd = ["wrk", "-t1", f"-c{conns}", f"-d{max(1, round(duration_s))}s", "--timeout", "5s",
           "-s", str(BENCH / "wrk.lua"), f"http://127.0.0.1:{port}{route['path']}"]
    sampler = RssSampler(app_pids)
    store_errors0 = store_errors(port) if ours else 0
    busy0, app0 = machine_busy_ticks(), tree_cpu_ticks(app_pids)
    redis0 = cpu_ticks(redis_pid) if redis_pid else 0
    sampler.start()
    perf = None
    if PERF_OK:  # instructions are far steadier than time when the machine is shared
        perf_out = Path(tempfile.mktemp(prefix="giropops-perf-"))
        perf = subprocess.Popen(["perf", "stat", "-x,", "-e", "instructions:u,instructions:k", "-p", ",".join(map(str, app_pids)),
                                 "-o", str(perf_out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.05)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=duration_s + 30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise RuntimeError(f"wrk did not finish: {' '.join(cmd)}")
    app1, busy1 = tree_cpu_ticks(app_pids), machine_busy_ticks()
    redis1 = cpu_ticks(redis_pid) if redis_pid else 0
    peak = sampler.finish()
    store_errors1 = store_errors(port) if ours else 0
    instructions = None
    if perf:
        perf.send_signal(signal.SIGINT)
        perf.wait(10)
        counts = [line.split(",") for line in perf_out.read_text().splitlines() if line[:1].isdigit()]
        perf_out.unlink()
        if len(counts) == 2:
            instructions = sum(float(c[0]) for c in counts)
    m = re.search(r"^BENCH_RESULT (\{.*\})$", out, re.M)
    if proc.returncode != 0 or not m:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {err.strip() or out.strip()}")
    r = json.loads(m.group(1))
    n = r["requests"]
    seconds = r["duration_us"] / 1e6
    app_cpu_s = (app1 - app0) / CLK_TCK
    redis_cpu_s = (redis1 - redis0) / CLK_TCK
    other_cpu_s = (busy1 - busy0) / CLK_TCK - app_cpu_s - redis_cpu_s
    e = r["errors"]
    return {
        "requests": n,
        "seconds": round(seconds, 3),
        "rps": round(n / seconds, 1) if seconds > 0 else 0.0,
        "p50_ms": r["latency_us"]["p50"] / 1000,
        "p99_ms": r["latency_us"]["p99"] / 1000,
        "max_ms": r["latency_us"]["max"] / 1000,
        "errors": e["connect"] + e["read"] + e["write"] + e["status"] + e["timeout"],
        "errors_detail": e,
        # history operations that failed or were skipped (REDIS_MAX_IN_FLIGHT) while the case ran
        "store_errors": int(store_errors1 - store_errors0),
        "cpu_us_per_req": round(app_cpu_s / n * 1e6, 2) if n else None,
        # server instructions (user + kernel) per request, from perf stat; None where perf cannot count
        "kinstr_per_req": round(instructions / n / 1000, 1) if (n and instructions) else None,
        "redis_cpu_us_per_req": round(redis_cpu_s / n * 1e6, 2) if (n and redis_pid) else None,
        # wrk + everything else on the machine, in cores; wrk itself takes most of it.
        "client_and_other_cores": round(max(other_cpu_s, 0) / seconds, 2) if seconds > 0 else None,
        "rss_peak_kib": peak,
    }


def redis_benchmark(redis: Redis, test: str, conns: int, n: int) -> dict:
    if test == "LPUSH":
        args = ["-t", "lpush"]
    else:  # the command GET /api/senhas sends
        args = ["LRANGE", "senhas", "0", "9"]
    cmd = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(redis.port), "-c", str(conns), "-n", str(n),
           "-P", "1", "--threads", "1", "--csv", *args]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    rows = [line for line in r.stdout.splitlines() if line.startswith('"') and not line.startswith('"test"')]
    if r.returncode != 0 or not rows:
        raise RuntimeError(f"redis-benchmark failed: {r.stderr.strip() or r.stdout.strip()}")
    cols = [c.strip('"') for c in rows[-1].split('","')]
    # "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
    return {"rps": float(cols[1]), "p50_ms": float(cols[4]), "p99_ms": float(cols[6]), "max_ms": float(cols[7]),
            "requests": n}


# ---------------------------------------------------------------------------------------------- the run
def machine() -> dict:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    os_name = "Linux"
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "mem_gib": round(mem_kib / 1024 / 1024, 1),
            "kernel": platform.release(), "os": os_name}


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def tool_version(cmd: list[str]) -> str:
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (r.stdout + r.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


def build(out_dir: Path) -> Path:
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    log(f"building the static release binary (scripts/build-static.sh --arch {arch})")
    subprocess.run(["bash", str(ROOT / "scripts/build-static.sh"), "--arch", arch, "--out", str(out_dir)],
                   check=True, cwd=ROOT)
    return out_dir / f"linux-{arch}" / "giropops-senhas"


def probe_routes(binary: Path, redis: Redis, tmp: Path, only: set[str] | None) -> list[dict]:
    app = App(binary, "memory", redis, tmp, "probe")
    try:
        routes = []
        for route in ROUTES:
            if only and route["key"] not in only:
                continue
            if not route.get("optional"):
                routes.append(route)
                continue
            for body in route.get("probe_bodies", [route.get("body")]):
                if http_status(app.port, route["method"], route["path"], body) == 200:
                    routes.append(dict(route, body=body))
                    break
            else:
                log(f"{route['name']}: not answering 200 yet, left out")
        return routes
    finally:
        app.stop()


def run(args) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="giropops-bench-"))
    redis = None
    apps: list[App] = []
    started = time.time()
    try:
        binary = Path(args.binary).resolve() if args.binary else build(ROOT / "target" / "bench" / "dist")
        if not binary.is_file():
            raise SystemExit(f"bench: binary {binary} not found")
        for tool, pkg in (("wrk", "wrk"), ("redis-server", "redis-server"), ("redis-benchmark", "redis-tools")):
            if not shutil.which(tool):
                raise SystemExit(f"bench: `{tool}` missing: apt-get install {pkg} (scripts/install-deps.sh)")
        if args.original_connections and not (ORIGINAL_VENV / "bin" / "gunicorn").is_file():
            raise SystemExit(f"bench: the original's stack is missing ({ORIGINAL_VENV}): run bash scripts/install-deps.sh "
                             "(or pass --no-original)")
        results = {
            "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "label": args.label,
            "smoke": args.smoke,
            "machine": machine(),
            "load_before": loadavg(),
            "git": subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                                  capture_output=True, text=True).stdout.strip(),
            "binary": {"path": str(binary.relative_to(ROOT) if binary.is_relative_to(ROOT) else binary),
                       "abs": str(binary), "bytes": binary.stat().st_size},
            "tools": {"wrk": " ".join(tool_version(["wrk", "-v"]).split()[:2]), "redis": None},
            "method": {"connections": args.connections, "repeats": args.repeats,
                       "duration_s": args.duration, "max_requests": args.max_requests,
                       "wrk": "wrk -t1 -c<C> -d<D> --timeout 5s -s bench/wrk.lua",
                       "redis_benchmark_n": args.redis_n,
                       "app_env": APP_ENV,
                       "settings": "defaults (JSON access log to a file, metrics, HISTORY_SIZE=10, awaited writes) with HISTORY_SCOPE=shared"},
            "startup": {}, "idle": {}, "cases": [], "ceilings": [],
        }
        if args.original_connections:
            freeze = subprocess.run([str(ORIGINAL_VENV / "bin" / "python"), "-m", "pip", "freeze"],
                                    capture_output=True, text=True).stdout.split()
            results["original"] = {
                "app": "bench/original/app.py (a stand-in written from the original's contract, not its code)",
                "python": tool_version([str(ORIGINAL_VENV / "bin" / "python"), "--version"]),
                "stack": [x for x in freeze if x.split("==")[0].lower() in
                          ("flask", "werkzeug", "redis", "prometheus-client", "gunicorn", "jinja2")],
                "connections": args.original_connections,
                "routes": [], "servers": {}}
        redis = Redis(tmp)
        results["tools"]["redis"] = redis.version
        routes = probe_routes(binary, redis, tmp, set(args.routes.split(",")) if args.routes else None)
        if args.extra_route:  # used by the smoke test's broken case
            routes.append(args.extra_route)
        results["routes"] = [r["name"] for r in routes]

        # start-up: fresh processes, median of several
        for store in STORES:
            times = []
            for i in range(args.startups):
                app = App(binary, store, redis, tmp, f"start{i}")
                times.append(app.startup_s * 1000)
                app.stop()
            results["startup"][store] = {"median_ms": round(median(times), 2),
                                         "spread_ms": [round(x, 2) for x in spread(times)], "n": len(times)}
            log(f"start-up {store}: {results['startup'][store]['median_ms']} ms (median of {len(times)})")

        # the original (stand-in), both servers: start-up to the first 200 on GET /api/senhas, fewer starts
        orig_routes = [r for r in routes if r["key"] in ORIGINAL_ROUTES] if args.original_connections else []
        if orig_routes:
            results["original"]["routes"] = [r["name"] for r in orig_routes]
            for server in ORIGINAL_SERVERS:
                times = []
                for i in range(min(args.startups, 3)):
                    o = OriginalApp(server, redis, tmp, f"start{i}")
                    times.append(o.startup_s * 1000)
                    o.stop()
                results["original"]["servers"][server["key"]] = {
                    "name": server["name"], "startup": {"median_ms": round(median(times), 1),
                                                        "spread_ms": [round(x, 1) for x in spread(times)],
                                                        "n": len(times)}}
                log(f"start-up {server['key']}: {median(times):.0f} ms (median of {len(times)})")

        # the load: one long-lived app per store; repeats outermost so that noise spreads over every case
        by_key: dict[tuple, list] = {}
        for store in STORES:
            app = App(binary, store, redis, tmp, "load")
            apps.append(app)
            time.sleep(0.3)
            results["idle"][store] = {"rss_kib_after_start": rss_kib(app.pid)}
            # warm-up (connections, lazily connected Redis, first allocations); not reported
            run_wrk(app.port, routes[0], 32, 1, 0, app.pid, redis.proc.pid)
        originals: list[tuple[dict, OriginalApp]] = []
        for server in ORIGINAL_SERVERS if orig_routes else ():
            o = OriginalApp(server, redis, tmp, "load")
            apps.append(o)
            originals.append((server, o))
            time.sleep(0.3)
            results["original"]["servers"][server["key"]]["idle"] = {
                "processes": len(o.pids), "rss_kib_after_start": sum(rss_kib(p) for p in o.pids)}
            # warm-up (lazy imports, the Redis connection pool, the page's template compiled once); not reported
            run_wrk(o.port, orig_routes[0], 32, 1, 0, o.pids, redis.proc.pid, ours=False)
            for route in orig_routes[1:]:
                for _ in range(4):
                    http_status(o.port, route["method"], route["path"], route.get("body"))
        for rep in range(args.repeats):
            for store, app in zip(STORES, apps):
                for route in routes:
                    for conns in args.connections:
                        r = run_wrk(app.port, route, conns, args.duration, args.max_requests, app.pid,
                                    redis.proc.pid if store == "redis" else None)
                        by_key.setdefault((store, route["name"], conns), []).append(r)
                        log(f"{rep + 1}/{args.repeats} {store:6} {route['name']:24} c={conns:<3} "
                            f"{r['rps']:>9.0f} req/s p99 {r['p99_ms']:.2f} ms cpu {r['cpu_us_per_req']} us/req "
                            f"errors {r['errors']}")
            for server, o in originals:
                for route in orig_routes:
                    for conns in args.original_connections:
                        r = run_wrk(o.port, route, conns, args.duration, args.max_requests, o.pids,
                                    redis.proc.pid, ours=False)
                        by_key.setdefault((server["key"], route["name"], conns), []).append(r)
                        log(f"{rep + 1}/{args.repeats} {server['key']:13} {route['name']:24} c={conns:<3} "
                            f"{r['rps']:>9.0f} req/s p99 {r['p99_ms']:.2f} ms cpu {r['cpu_us_per_req']} us/req "
                            f"errors {r['errors']}")
        for store, app in zip(STORES, apps):
            time.sleep(1.0)
            results["idle"][store]["rss_kib_after_load"] = rss_kib(app.pid)
            results["idle"][store]["rss_kib_hwm"] = rss_kib(app.pid, "VmHWM")
        for server, o in originals:
            idle = results["original"]["servers"][server["key"]]["idle"]
            idle["rss_kib_after_load"] = sum(rss_kib(p) for p in o.pids)
            idle["pss_kib_after_load"] = sum(pss_kib(p) for p in o.pids)
        for (store, name, conns), runs in by_key.items():
            case = {"store": store, "route": name, "connections": conns, "runs": runs, "median": {}, "spread": {}}
            for k in ("rps", "p50_ms", "p99_ms", "max_ms", "cpu_us_per_req", "kinstr_per_req", "redis_cpu_us_per_req",
                      "rss_peak_kib", "client_and_other_cores"):
                case["median"][k] = median([r[k] for r in runs])
                case["spread"][k] = spread([r[k] for r in runs])
            case["errors"] = sum(r["errors"] for r in runs)
            case["store_errors"] = sum(r.get("store_errors", 0) for r in runs)
            case["requests"] = sum(r["requests"] for r in runs)
            results["cases"].append(case)

        # ceilings: one Redis at the same concurrency
        for test in ("LPUSH", "LRANGE senhas 0 9") if not args.skip_ceilings else ():
            for conns in args.connections:
                n = args.redis_n if conns > 1 else max(args.redis_n // 4, 500)  # c=1 is the slowest
                runs = [redis_benchmark(redis, test, conns, n) for _ in range(args.repeats)]
                c = {"test": test, "connections": conns, "runs": runs,
                     "median": {k: median([r[k] for r in runs]) for k in ("rps", "p50_ms", "p99_ms", "max_ms")},
                     "spread": {k: spread([r[k] for r in runs]) for k in ("rps", "p50_ms", "p99_ms", "max_ms")}}
                results["ceilings"].append(c)
                log(f"redis-benchmark {test:18} c={conns:<3} {c['median']['rps']:>9.0f} ops/s")
        redis.cli("DEL", "mylist")
        results["load_after"] = loadavg()
        results["wall_s"] = round(time.time() - started, 1)
        results["ratios"] = ratios(results)
        results["ratios_original"] = ratios_original(results)
        return results
    finally:
        for app in apps:
            app.stop()
        if redis:
            redis.stop()
        if args.keep_tmp:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def find_case(results, store, route, conns):
    for c in results["cases"]:
        if c["store"] == store and c["route"] == route and c["connections"] == conns:
            return c
    return None


def find_ceiling(results, test, conns):
    for c in results["ceilings"]:
        if c["test"] == test and c["connections"] == conns:
            return c
    return None


def ratios(results) -> list[dict]:
    """Each route's req/s over its ceilings at the same concurrency."""
    out = []
    for c in results["cases"]:
        row = {"store": c["store"], "route": c["route"], "connections": c["connections"]}
        hz = find_case(results, c["store"], "GET /healthz", c["connections"])
        if hz and c["route"] != "GET /healthz" and hz["median"]["rps"]:
            row["of_healthz"] = round(c["median"]["rps"] / hz["median"]["rps"], 2)
        test = {"POST /api/gerar-senha": "LPUSH", "POST /api/v1/passwords": "LPUSH",
                "GET /api/senhas": "LRANGE senhas 0 9", "GET /": "LRANGE senhas 0 9"}.get(c["route"])
        ceil = find_ceiling(results, test, c["connections"]) if test else None
        if ceil and ceil["median"]["rps"] and c["store"] != "memory":
            row["of_redis"] = round(c["median"]["rps"] / ceil["median"]["rps"], 3)
            row["redis_test"] = test
        out.append(row)
    return out


def ratios_original(results) -> list[dict]:
    """Ours (with Redis) over the original measured in the same run, per route, concurrency and server:
    req/s ours / original (how many times the throughput), server CPU per request ours / original."""
    out = []
    for server in ORIGINAL_SERVERS:
        for route in results.get("original", {}).get("routes", []):
            for conns in results["original"]["connections"]:
                ours, orig = find_case(results, "redis", route, conns), find_case(results, server["key"], route, conns)
                if not (ours and orig and orig["median"]["rps"] and orig["median"]["cpu_us_per_req"]
                        and ours["median"]["cpu_us_per_req"]):
                    continue
                out.append({"server": server["key"], "route": route, "connections": conns,
                            "rps": round(ours["median"]["rps"] / orig["median"]["rps"], 2),
                            "cpu": round(ours["median"]["cpu_us_per_req"] / orig["median"]["cpu_us_per_req"], 4)})
    return out


# ---------------------------------------------------------------------------------------------- checks
def check(results: dict, expect_routes: list[str], connections: list[int],
          original_connections: list[int] | None = None) -> list[str]:
    """Sanity of a run (never speed): every case ran, no errors, finite positive numbers, ordered latencies;
    with original_connections, the original's cases as well (its routes that were expected)."""
    problems = []

    def pos(v, what):
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) or v <= 0:
            problems.append(f"{what}: {v!r} is not a positive number")

    expected = [(store, route, conns) for store in STORES for route in expect_routes for conns in connections]
    orig_routes = [r["name"] for r in ROUTES if r["key"] in ORIGINAL_ROUTES and r["name"] in expect_routes]
    expected += [(s["key"], route, conns) for s in ORIGINAL_SERVERS for route in orig_routes
                 for conns in original_connections or []]
    if original_connections:
        for s in ORIGINAL_SERVERS:
            pos(results.get("original", {}).get("servers", {}).get(s["key"], {}).get("startup", {}).get("median_ms"),
                f"startup {s['key']}")
    for store, route, conns in expected:
        c = find_case(results, store, route, conns)
        where = f"{store} {route} c={conns}"
        if c is None:
            problems.append(f"{where}: case missing")
            continue
        if not c["runs"]:
            problems.append(f"{where}: no runs")
        for i, r in enumerate(c["runs"]):
            w = f"{where} run {i + 1}"
            # Non-2xx answers are accepted only when the app itself counted them as shed history
            # operations (giropops_store_errors_total: REDIS_MAX_IN_FLIGHT), never socket errors.
            ed = r["errors_detail"]
            socket_errors = ed["connect"] + ed["read"] + ed["write"] + ed["timeout"]
            if socket_errors or ed["status"] > r.get("store_errors", 0) or \
                    r["errors"] != socket_errors + ed["status"]:
                problems.append(f"{w}: {r['errors']} errors {ed} (store errors {r.get('store_errors')})")
            for k in ("requests", "rps", "p50_ms", "p99_ms", "max_ms", "cpu_us_per_req", "rss_peak_kib"):
                pos(r.get(k), f"{w} {k}")
            if PERF_OK and store in STORES:
                pos(r.get("kinstr_per_req"), f"{w} kinstr_per_req")
            if store != "memory" and route in ("POST /api/gerar-senha", "GET /api/senhas"):
                pos(r.get("redis_cpu_us_per_req"), f"{w} redis_cpu_us_per_req")
            if all(isinstance(r.get(k), (int, float)) for k in ("p50_ms", "p99_ms", "max_ms")) and \
                    not r["p50_ms"] <= r["p99_ms"] <= r["max_ms"]:
                problems.append(f"{w}: latencies not ordered p50 {r['p50_ms']} p99 {r['p99_ms']} "
                                f"max {r['max_ms']}")
            if isinstance(r.get("cpu_us_per_req"), (int, float)) and r["cpu_us_per_req"] > 1e5:
                problems.append(f"{w}: {r['cpu_us_per_req']} us of CPU per request is not sane")
    for store in STORES:
        pos(results.get("startup", {}).get(store, {}).get("median_ms"), f"startup {store}")
        for k in ("rss_kib_after_start", "rss_kib_after_load", "rss_kib_hwm"):
            pos(results.get("idle", {}).get(store, {}).get(k), f"idle {store} {k}")
    for test in ("LPUSH", "LRANGE senhas 0 9"):
        for conns in connections:
            c = find_ceiling(results, test, conns)
            if c is None:
                problems.append(f"ceiling {test} c={conns}: missing")
            else:
                pos(c["median"]["rps"], f"ceiling {test} c={conns} rps")
    return problems


def mutations(results: dict) -> list[tuple[str, dict]]:
    """Broken copies of a good run; check() must reject every one."""
    out = []

    def mutated(name, fn):
        r = copy.deepcopy(results)
        fn(r)
        out.append((name, r))

    mutated("a case missing", lambda r: r["cases"].pop(0))
    mutated("a case with errors", lambda r: r["cases"][0]["runs"][0].update(errors=3))
    mutated("non-2xx answers the app did not count",
            lambda r: r["cases"][0]["runs"][0].update(errors=3, store_errors=0,
                                                      errors_detail=dict(r["cases"][0]["runs"][0]["errors_detail"], status=3)))
    mutated("socket errors", lambda r: r["cases"][0]["runs"][0].update(
        errors=2, errors_detail=dict(r["cases"][0]["runs"][0]["errors_detail"], read=2)))
    mutated("zero requests", lambda r: r["cases"][1]["runs"][0].update(requests=0, rps=0.0, cpu_us_per_req=None))
    mutated("CPU not measured", lambda r: r["cases"][2]["runs"][0].update(cpu_us_per_req=0.0))
    mutated("NaN latency", lambda r: r["cases"][0]["runs"][0].update(p99_ms=float("nan")))
    mutated("p99 above max", lambda r: r["cases"][0]["runs"][0].update(p99_ms=r["cases"][0]["runs"][0]["max_ms"] + 1))
    mutated("no start-up time", lambda r: r["startup"].pop("memory"))
    mutated("ceiling missing", lambda r: r["ceilings"].pop())
    mutated("RSS not sampled", lambda r: r["cases"][0]["runs"][0].update(rss_peak_kib=0))
    orig = [i for i, c in enumerate(results["cases"]) if c["store"] not in STORES]
    if orig:
        mutated("an original case missing", lambda r: r["cases"].pop(orig[-1]))
        mutated("an original case with errors", lambda r: r["cases"][orig[0]]["runs"][0].update(
            errors=1, errors_detail=dict(r["cases"][orig[0]]["runs"][0]["errors_detail"], status=1)))
        mutated("the original's CPU not measured (gunicorn workers missed)",
                lambda r: r["cases"][orig[-1]]["runs"][0].update(cpu_us_per_req=0.0))
    return out


# ---------------------------------------------------------------------------------------------- report
def fmt_num(v, digits=0):
    if v is None:
        return "–"
    if digits == 0:
        return f"{v:,.0f}".replace(",", " ")
    return f"{v:.{digits}f}"


def fmt_spread(s, digits=0):
    if not s:
        return ""
    return f"{fmt_num(s[0], digits)}–{fmt_num(s[1], digits)}"


# The instruction counts of bench/instructions.sh (callgrind) per route, newest file of each in bench/results.
INSTRUCTION_ROUTES = [
    ("POST /api/gerar-senha", "api-gerar-senha", COURSE_BODY),
    ("POST /api/v1/passwords", "api-v1-passwords", '{"length":16}'),
    ("GET /api/senhas", "api-senhas", None),
    ("GET /", "root", None),
]


def instruction_counts() -> list[dict]:
    """Newest bench/results/instructions-<date>-redis-<slug>.txt of each route (bench/instructions.sh --out)."""
    out = []
    for route, slug, body in INSTRUCTION_ROUTES:
        files = sorted((BENCH / "results").glob(f"instructions-????-??-??-redis-{slug}.txt"))
        if not files:
            continue
        text = files[-1].read_text()
        m = re.search(r"^instructions per request \(user space, all threads\): ([0-9,]+)$", text, re.M)
        head = re.match(r"^# callgrind: .*?(?:\(body (.*)\))?, store=redis, wrk -t1 -c32, (\d+) requests counted, (\S+)",
                        text)
        if not (m and head):
            continue
        binary = (text.splitlines()[1:2] or [""])[0]
        out.append({"route": route, "file": files[-1].name, "instructions": int(m.group(1).replace(",", "")),
                    "body": head.group(1) or body, "requests": int(head.group(2)), "date": head.group(3)[:10],
                    "symbols": "bench-prof" in binary or "with symbols" in binary})
    return out


def markdown(results: dict, svg_name: str | None, here: Path | None = None) -> str:
    """The report; links are relative to `here`, the folder the text goes into (default docs/)."""
    here = here or ROOT / "docs"

    def link(rel: str) -> str:
        return os.path.relpath(ROOT / rel, here)

    m = results["machine"]
    orig = results.get("original") or {}
    L = []
    # ------------------------------------------------------------------ what does not depend on the machine
    L.append("### O que vale em qualquer máquina")
    L.append("")
    counts = instruction_counts()
    if counts:
        L.append("**Instruções por requisição**, por rota: o que o servidor executa em espaço de usuário, todas as "
                 "threads, contado exatamente pelo `callgrind` (`make bench-instructions`, `wrk -t1 -c32`, com Redis) "
                 "— a mesma contagem numa máquina quieta, numa ocupada ou noutra máquina x86-64; é o número para "
                 "comparar versões do código (o `make test` barra +10% no `POST /api/gerar-senha`).")
        L.append("")
        L.append("| rota | corpo | mil instruções/req | requisições contadas | binário | medido em |")
        L.append("|---|---|---:|---:|---|---|")
        for c in counts:
            body = f"`{c['body']}`" if c["body"] else "–"
            binary = ("com símbolos (`bench/build-prof.sh`)" if c["symbols"]
                      else "o da imagem (`build-static.sh`; sem símbolos, só o total)")
            L.append(f"| `{c['route']}` | {body} | **{c['instructions'] / 1000:.1f}** | {c['requests']} | {binary} | "
                     f"[{c['date']}]({link('bench/results/' + c['file'])}) |")
        L.append("")
    ro = results.get("ratios_original") or []
    if ro:
        servers = orig["servers"]
        L.append(f"**O app original, medido na mesma execução** — mesma máquina, mesmo minuto, mesmo Redis, mesmo "
                 f"`wrk`: a razão entre os dois muda pouco de máquina para máquina (os µs e req/s de cada um mudam "
                 f"muito). O original é uma recriação do caminho de uma requisição do app do curso "
                 f"([bench/original/app.py]({link('bench/original/app.py')}), escrita a partir do contrato documentado, não "
                 f"o código dele) sobre a pilha dele: {orig['python']}, "
                 + ", ".join(f"{x.replace('==', ' ')}" for x in orig["stack"]) +
                 f" ([scripts/requirements-original.txt]({link('scripts/requirements-original.txt')})). "
                 "Nosso ÷ original, com Redis:")
        L.append("")
        L.append("| rota | conexões | req/s ÷ `flask run` | req/s ÷ `gunicorn -w 2` | CPU do servidor/req ÷ `flask run` "
                 "| CPU do servidor/req ÷ `gunicorn -w 2` |")
        L.append("|---|---:|---:|---:|---:|---:|")
        keys = list(dict.fromkeys((r["route"], r["connections"]) for r in ro))
        for route, conns in keys:
            row = {r["server"]: r for r in ro if r["route"] == route and r["connections"] == conns}
            cells = []
            for what in ("rps", "cpu"):
                for s in ("orig-flask", "orig-gunicorn"):
                    r = row.get(s)
                    if not r:
                        cells.append("–")
                    elif what == "rps":
                        cells.append(f"**{r['rps']:.1f}×**")
                    else:
                        inv = 1 / r["cpu"]
                        less = f"{inv:.0f}× menos" if inv >= 10 else f"{inv:.1f}× menos" if inv > 1 else "não menos"
                        cells.append(f"**{r['cpu']:.3f}** ({less})")
            L.append(f"| `{route}` | {conns} | " + " | ".join(cells) + " |")
        L.append("")
        post32 = [r for r in results["ratios"] if r["route"] == "POST /api/gerar-senha" and r["connections"] == 32
                  and "of_redis" in r and r["store"] in ("redis", "orig-flask", "orig-gunicorn")]
        if post32:
            L.append("E o `POST /api/gerar-senha` a 32 conexões como fração do teto de um Redis (`redis-benchmark -t "
                     "lpush -c 32`, mesma execução): " + "; ".join(
                         f"{'nosso' if r['store'] == 'redis' else STORE_LABELS[r['store']].replace(' (Redis)', '')} "
                         f"**{r['of_redis']:.3f}×**" for r in post32) + ".")
            L.append("")
    # ------------------------------------------------------------------ this machine, this day
    L.append(f"### Nesta máquina, neste dia: {results['date'][:10]}, {m['cores']} núcleos")
    L.append("")
    L.append(f"Os µs e req/s abaixo valem **nesta máquina, neste dia** (a mesma build já deu 14,9 e 26,6 µs por POST "
             f"em dois dias). Medido em {results['date']} ({results['label']}), commit `{results['git']}`: {m['cpu']}, "
             f"{m['cores']} núcleos, {m['mem_gib']} GiB, {m['os']}, kernel {m['kernel']}; "
             f"load average antes {results['load_before'][0]:.2f} / depois {results['load_after'][0]:.2f}. "
             f"`{results['tools']['wrk']}`, Redis {results['tools']['redis']}. Binário estático musl "
             f"({results['binary']['bytes'] / 1e6:.1f} MB), configuração padrão (log de acesso JSON ligado, "
             f"métricas, escrita no histórico aguardada). Cada caso: `wrk -t1 -c<C> -d{results['method']['duration_s']}s`, "
             f"{results['method']['repeats']} repetições: mediana (mín–máx). Duração total {results['wall_s']:.0f} s.")
    if results["method"].get("app_env"):
        L.append("")
        L.append("Ambiente extra do app (experimento): " +
                 ", ".join(f"`{k}={v}`" for k, v in results["method"]["app_env"].items()))
    L.append("")
    if svg_name:
        L.append(f"![vazão e p99 por número de conexões]({svg_name})")
        L.append("")
    L.append("| servidor / store | rota | conexões | req/s | p50 ms | p99 ms | máx ms | erros | histórico pulado/falho | CPU do servidor µs/req | instruções/req (mil) | CPU do Redis µs/req | RSS pico MiB |")
    L.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c in results["cases"]:
        md, sp = c["median"], c["spread"]
        store = STORE_LABELS.get(c["store"], c["store"])
        L.append(
            f"| {store} | `{c['route']}` | {c['connections']} | {fmt_num(md['rps'])} ({fmt_spread(sp['rps'])}) | "
            f"{fmt_num(md['p50_ms'], 2)} | {fmt_num(md['p99_ms'], 2)} ({fmt_spread(sp['p99_ms'], 2)}) | "
            f"{fmt_num(md['max_ms'], 1)} | {c['errors']} | {c.get('store_errors', 0) if c['store'] in STORES else '–'} | "
            f"{fmt_num(md['cpu_us_per_req'], 1)} "
            f"({fmt_spread(sp['cpu_us_per_req'], 1)}) | {fmt_num(md['kinstr_per_req'])} | "
            f"{fmt_num(md['redis_cpu_us_per_req'], 1)} | "
            f"{fmt_num(md['rss_peak_kib'] / 1024 if md['rss_peak_kib'] else None, 1)} |")
    L.append("")
    if orig.get("servers"):
        L.append("CPU e RSS do original sob `gunicorn` somam o mestre e os 2 workers (`/proc/<pid>/stat` de cada um; "
                 "a CPU de um worker que morresse entraria pelo `cutime` do mestre).")
        L.append("")
    L.append("Tetos medidos na mesma execução (`redis-benchmark -P 1`, mesma concorrência) e razões:")
    L.append("")
    L.append("| teto | conexões | ops/s | p50 ms | p99 ms |")
    L.append("|---|---:|---:|---:|---:|")
    for c in results["ceilings"]:
        md, sp = c["median"], c["spread"]
        L.append(f"| `{c['test']}` | {c['connections']} | {fmt_num(md['rps'])} ({fmt_spread(sp['rps'])}) | "
                 f"{fmt_num(md['p50_ms'], 3)} | {fmt_num(md['p99_ms'], 3)} |")
    L.append("")
    L.append("| servidor / store | rota | conexões | ÷ `/healthz` | ÷ Redis (comando) |")
    L.append("|---|---|---:|---:|---:|")
    for r in results["ratios"]:
        if "of_healthz" not in r and "of_redis" not in r:
            continue
        store = STORE_LABELS.get(r["store"], r["store"])
        of_redis = f"{r['of_redis']:.3f} × `{r['redis_test']}`" if "of_redis" in r else "–"
        L.append(f"| {store} | `{r['route']}` | {r['connections']} | {r.get('of_healthz', '–')} | {of_redis} |")
    L.append("")
    st, idle = results["startup"], results["idle"]
    L.append("| servidor / store | start-up até o 1º 200 | RSS ocioso após o start | RSS após a carga | pico (VmHWM) / PSS após a carga |")
    L.append("|---|---:|---:|---:|---:|")
    for store in STORES:
        if store not in st:
            continue
        s, i = st[store], idle[store]
        L.append(f"| {STORE_LABELS[store]} | {s['median_ms']:.1f} ms em `/healthz` "
                 f"({fmt_spread(s['spread_ms'], 1)}) | {i['rss_kib_after_start'] / 1024:.1f} MiB | "
                 f"{i['rss_kib_after_load'] / 1024:.1f} MiB | {i['rss_kib_hwm'] / 1024:.1f} MiB (pico) |")
    for key, o in (orig.get("servers") or {}).items():
        s, i = o["startup"], o.get("idle", {})
        L.append(f"| {STORE_LABELS[key]}, {i.get('processes', '?')} processo(s) | {s['median_ms']:.0f} ms em "
                 f"`/api/senhas` ({fmt_spread(s['spread_ms'])}, {s['n']} partida(s)) | "
                 f"{fmt_num(i['rss_kib_after_start'] / 1024 if 'rss_kib_after_start' in i else None, 1)} MiB | "
                 f"{fmt_num(i['rss_kib_after_load'] / 1024 if 'rss_kib_after_load' in i else None, 1)} MiB | "
                 f"{fmt_num(i['pss_kib_after_load'] / 1024 if 'pss_kib_after_load' in i else None, 1)} MiB (PSS) |")
    L.append("")
    L.append(f"Antes desta medição lado a lado, o original aparecia com números de uma medição única noutra máquina "
             f"do mesmo tipo (`shared/reference/original-app.md`, fora deste repositório: `flask run` "
             f"{fmt_num(ORIGINAL['servers'][0]['post'])} e `gunicorn -w 2` {fmt_num(ORIGINAL['servers'][1]['post'])} "
             f"POST/s, ≈ {ORIGINAL['servers'][1]['cpu_us']} µs de CPU por POST, com o teto `LPUSH` a "
             f"{fmt_num(ORIGINAL['lpush_ceiling'])} ops/s), normalizados pelo teto `LPUSH` da execução; ficam só "
             f"como referência.")
    return "\n".join(L) + "\n"


def svg(results: dict) -> str:
    """Two panels: req/s and p99 against connections (log scales), one line per store × route."""
    conns = sorted({c["connections"] for c in results["cases"]})
    routes = list(dict.fromkeys(c["route"] for c in results["cases"]))
    palette = ["#1b7837", "#2166ac", "#b2182b", "#762a83", "#e08214", "#4d4d4d", "#01665e"]
    colors = {r: palette[i % len(palette)] for i, r in enumerate(routes)}
    W, PW, PH, ML, MT = 960, 380, 300, 80, 50
    # the legend: routes wrapped to the width, then one line of line styles; the machine below it
    legend_rows, x = 1, ML
    for route in routes:
        if x + 30 + 7 * len(route) > W - 10:
            legend_rows, x = legend_rows + 1, ML
        x += 30 + 7 * len(route)
    H = MT + PH + 50 + 20 * (legend_rows + 1) + 22
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
           f'font-family="sans-serif" font-size="12">', f'<rect width="{W}" height="{H}" fill="white"/>']

    def xpos(ox, c):
        if len(conns) == 1:
            return ox + PW / 2
        lo, hi = math.log(conns[0]), math.log(conns[-1])
        return ox + 20 + (math.log(c) - lo) / (hi - lo) * (PW - 40)

    def panel(ox, title, key, unit, ceiling_test=None):
        vals = [c["median"][key] for c in results["cases"] if c["median"][key]]
        if ceiling_test:
            vals += [c["median"][key] for c in results["ceilings"] if c["test"] == ceiling_test]
        lo = 10 ** math.floor(math.log10(min(vals)))
        hi = 10 ** math.ceil(math.log10(max(vals)))
        if hi / lo < 10:
            hi = lo * 10

        def ypos(v):
            return MT + PH - (math.log(v) - math.log(lo)) / (math.log(hi) - math.log(lo)) * PH

        out.append(f'<text x="{ox + PW / 2}" y="{MT - 20}" text-anchor="middle" font-size="14" '
                   f'font-weight="bold">{title}</text>')
        out.append(f'<rect x="{ox}" y="{MT}" width="{PW}" height="{PH}" fill="none" stroke="#999"/>')
        d = lo
        while d <= hi * 1.0001:
            y = ypos(d)
            out.append(f'<line x1="{ox}" x2="{ox + PW}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>')
            label = f"{d:g}" if d < 1e4 else f"{d / 1000:g}k"
            out.append(f'<text x="{ox - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')
            d *= 10
        for c in conns:
            x = xpos(ox, c)
            out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{MT}" y2="{MT + PH}" stroke="#eee"/>')
            out.append(f'<text x="{x:.1f}" y="{MT + PH + 16}" text-anchor="middle">{c}</text>')
        out.append(f'<text x="{ox + PW / 2}" y="{MT + PH + 34}" text-anchor="middle">conexões (wrk -c)</text>')
        out.append(f'<text x="{ox - 55}" y="{MT + PH / 2}" text-anchor="middle" '
                   f'transform="rotate(-90 {ox - 55} {MT + PH / 2})">{unit}</text>')
        series = []
        dashes = {"redis": "", "memory": "6,4", "orig-flask": "1,4", "orig-gunicorn": "10,3,1,3"}
        for store in dashes:
            for route in routes:
                pts = [(c["connections"], c["median"][key]) for c in results["cases"]
                       if c["store"] == store and c["route"] == route and c["median"][key]]
                if pts:
                    series.append((colors[route], dashes[store], sorted(pts)))
        if ceiling_test:
            pts = sorted((c["connections"], c["median"][key]) for c in results["ceilings"] if c["test"] == ceiling_test)
            series.append(("#000", "2,3", pts))
        for color, dash, pts in series:
            path = " ".join(f"{xpos(ox, c):.1f},{ypos(v):.1f}" for c, v in pts)
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"{dash_attr}/>')
            for c, v in pts:
                out.append(f'<circle cx="{xpos(ox, c):.1f}" cy="{ypos(v):.1f}" r="3" fill="{color}"/>')

    panel(ML, "vazão (req/s, mediana)", "rps", "req/s", "LPUSH")
    panel(ML + PW + 110, "latência p99 (ms, mediana)", "p99_ms", "ms")
    ly = MT + PH + 58
    x = ML
    for route in routes:
        if x + 30 + 7 * len(route) > W - 10:
            ly, x = ly + 20, ML
        out.append(f'<line x1="{x}" x2="{x + 20}" y1="{ly}" y2="{ly}" stroke="{colors[route]}" stroke-width="3"/>')
        out.append(f'<text x="{x + 25}" y="{ly + 4}">{route}</text>')
        x += 30 + 7 * len(route)
    ly += 20
    out.append(f'<line x1="{ML}" x2="{ML + 20}" y1="{ly}" y2="{ly}" stroke="#333" stroke-width="2"/>'
               f'<text x="{ML + 25}" y="{ly + 4}">com Redis</text>')
    out.append(f'<line x1="{ML + 110}" x2="{ML + 130}" y1="{ly}" y2="{ly}" stroke="#333" stroke-width="2" '
               f'stroke-dasharray="6,4"/><text x="{ML + 135}" y="{ly + 4}">store embutido</text>')
    out.append(f'<line x1="{ML + 250}" x2="{ML + 270}" y1="{ly}" y2="{ly}" stroke="#000" stroke-width="2" '
               f'stroke-dasharray="2,3"/><text x="{ML + 275}" y="{ly + 4}">teto: redis-benchmark LPUSH</text>')
    if any(c["store"] not in STORES for c in results["cases"]):
        for x0, dash, label in ((ML + 450, "1,4", "original: flask run"),
                                (ML + 600, "10,3,1,3", "original: gunicorn -w 2")):
            out.append(f'<line x1="{x0}" x2="{x0 + 20}" y1="{ly}" y2="{ly}" stroke="#333" stroke-width="2" '
                       f'stroke-dasharray="{dash}"/><text x="{x0 + 25}" y="{ly + 4}">{label}</text>')
    out.append(f'<text x="{W - 10}" y="{H - 6}" text-anchor="end" fill="#666" font-size="10">'
               f'{results["date"]} · {results["machine"]["cpu"]} · {results["machine"]["cores"]} núcleos</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def update_readme(block: str) -> None:
    readme = ROOT / "docs" / "performance.md"
    text = readme.read_text()
    start, end = "<!-- bench:results -->", "<!-- /bench:results -->"
    if start not in text or end not in text:
        raise SystemExit("bench: docs/performance.md has no <!-- bench:results --> block")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    readme.write_text(head + start + "\n" + block + end + tail)


# ---------------------------------------------------------------------------------------------- main
def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="a second per case, one repetition, checks, temp output")
    p.add_argument("--binary", help="benchmark this binary instead of building the static release binary")
    p.add_argument("--label", default="release (musl, estático)", help="what is measured (report title)")
    p.add_argument("--routes", help="comma-separated route keys: " + ",".join(r["key"] for r in ROUTES))
    p.add_argument("--connections", default="1,32,256")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--duration", type=float, default=3.0, help="seconds per wrk run")
    p.add_argument("--max-requests", type=int, default=1_000_000, help="cap per wrk run")
    p.add_argument("--redis-n", type=int, default=40_000, help="requests per redis-benchmark run (c=1: a quarter)")
    p.add_argument("--startups", type=int, default=7)
    p.add_argument("--out", help="results directory (default bench/results; temp dir with --smoke)")
    p.add_argument("--name", help="file name stem (default: the date)")
    p.add_argument("--readme", action="store_true", help="write the table and plot into docs/performance.md")
    p.add_argument("--report-from", metavar="JSON",
                   help="measure nothing: rewrite the .md/.svg beside this results JSON (and, with --readme, "
                        "docs/performance.md), e.g. after new bench/instructions.sh counts")
    p.add_argument("--no-original", action="store_true",
                   help="leave out the original app (bench/original/app.py under flask run and gunicorn -w 2)")
    p.add_argument("--original-connections",
                   help="connections for the original's cases (default: --connections; 32 with --smoke)")
    p.add_argument("--keep-tmp", action="store_true")
    p.add_argument("--app-env", action="append", default=[], metavar="K=V",
                   help="extra environment for the app (experiments only, e.g. MIMALLOC_PURGE_DELAY=0)")
    args = p.parse_args()
    args.connections = [int(c) for c in args.connections.split(",")]
    if args.no_original:
        args.original_connections = []
    elif args.original_connections:
        args.original_connections = [int(c) for c in args.original_connections.split(",")]
    else:
        args.original_connections = [32] if args.smoke else list(args.connections)
    args.extra_route = None
    args.skip_ceilings = False
    APP_ENV.update(kv.split("=", 1) for kv in args.app_env)
    if args.smoke:
        args.repeats, args.duration, args.max_requests, args.redis_n, args.startups = 1, 1.0, 100_000, 2_000, 1
    out_dir = Path(args.out) if args.out else (Path(tempfile.mkdtemp(prefix="giropops-bench-out-"))
                                               if args.smoke else BENCH / "results")
    out_dir.mkdir(parents=True, exist_ok=True)

    if args.report_from:
        src = Path(args.report_from)
        results = json.loads(src.read_text())
        out_dir, stem = src.parent, src.stem
    else:
        results = run(args)
        stem = args.name or results["date"][:10]
    (out_dir / f"{stem}.json").write_text(json.dumps(results, indent=1) + "\n")
    (out_dir / f"{stem}.svg").write_text(svg(results))
    md = markdown(results, f"{stem}.svg", out_dir.resolve())
    (out_dir / f"{stem}.md").write_text(f"# Benchmark giropops-senhas — {results['date']}\n\n" + md)
    log(f"wrote {out_dir / stem}.json/.md/.svg ({results['wall_s']:.0f} s of measuring)")
    if args.readme:
        rel = os.path.relpath(out_dir / f"{stem}.svg", ROOT / "docs")
        update_readme(markdown(results, rel))
        log("docs/performance.md: bench block updated")
    if not args.smoke or args.report_from:
        print(md)
        return 0

    # smoke: sanity checks (every case ran, sane numbers), each shown failing on a broken case
    passed = failed = 0
    probs = check(results, results["routes"], args.connections, args.original_connections)
    for pr in probs:
        print(f"FAIL: {pr}")
    if probs:
        failed += 1
    else:
        passed += 1
        print(f"ok: {len(results['cases'])} cases ran with sane numbers")
    for name, broken in mutations(results):
        if check(broken, results["routes"], args.connections, args.original_connections):
            passed += 1
            print(f"ok: broken case rejected: {name}")
        else:
            failed += 1
            print(f"FAIL: broken case accepted: {name}")
    # a real broken run: a route that answers 404 must be caught as errors
    args2 = copy.copy(args)
    args2.routes, args2.connections, args2.startups = "healthz", [1], 1
    args2.binary = results["binary"]["abs"]
    args2.skip_ceilings = True
    args2.original_connections = []
    args2.extra_route = {"name": "GET /nao-existe", "key": "missing", "method": "GET", "path": "/nao-existe"}
    broken = run(args2)
    if any("errors" in p for p in check(broken, ["GET /healthz", "GET /nao-existe"], [1])):
        passed += 1
        print("ok: broken case rejected: a real run against a route answering 404")
    else:
        failed += 1
        print("FAIL: a run against a 404 route was accepted")
    shutil.rmtree(out_dir, ignore_errors=True) if not args.out else None
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
