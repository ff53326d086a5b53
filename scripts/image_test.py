#!/usr/bin/env python3
"""The image test (`make test` stage `image`, `make image-test`). Run by scripts/image-test.sh after the static
binaries are in dist/ (scripts/build-static.sh); it never touches global container state: every podman call goes
through scripts/podman-local.sh with its state in a temp dir.

Checks, each printed as ok/FAIL, then `N passed, N failed`:
- hadolint: zero findings; the two final stages of the Dockerfile are identical but for the binary's origin;
  tool pins in the Dockerfile agree with scripts/requirements-tools.txt, scripts/cargo-tools.txt, rust-toolchain.toml
- the binaries: static ELF of the right machine, `cargo auditable` data embedded
- packaging (scripts/image-build.sh) into a manifest list amd64 + arm64; per arch: exactly one layer, <= 5.5 MiB
  uncompressed, user 65532:65532, only the binary in it (no /bin/sh), exec-form entrypoint, port, HEALTHCHECK, OCI
  labels; the same check function rejects mutated images (two layers + a shell, too big, root user)
- reproducible packaging: the same binaries packaged again in fresh storage give the same digests
- the amd64 container, --read-only --cap-drop=ALL --security-opt=no-new-privileges --network host on 127.0.0.1:
  embedded store and a real redis-server (password from a mounted file), API + page, uid/caps/no_new_privs from
  /proc, no shell to exec, `healthcheck` subcommand (0 when up, 1 when not), graceful `podman stop` (exit 0, no SIGKILL)
- the arm64 binary under qemu-aarch64-static: /healthz, the API, the healthcheck subcommand, SIGTERM -> exit 0
- reproducible build: a second clean build of the commit in another directory (sharing only the cargo registry
  cache) is byte-identical (REPRO_ARCHS, default "amd64"; REPRO=0 skips it, for local iteration only)
- compose.yaml parsed and its settings asserted (and a mutated copy rejected)
Writes docs/image-report.md (figures measured here), from which `make readme-image` fills the table of docs/image.md.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
ARCHS = ("amd64", "arm64")
ELF_MACHINE = {"amd64": 62, "arm64": 183}  # EM_X86_64, EM_AARCH64
BIN = "giropops-senhas"
# Per architecture, uncompressed. 5.5 MiB since the second round of size cuts of docs/image.md ("Tamanho"): an amd64
# binary of ~5.53 MB; the 4 MiB the issue aimed for is below what every crate at opt-level "z" reaches (same doc).
MAX_UNCOMPRESSED = 11 * 512 * 1024
UID = "65532:65532"
TAG = "localhost/giropops-senhas:test"

results: list[tuple[str, bool, str]] = []
figures: dict = {"arch": {a: {} for a in ARCHS}}


def check(name: str, ok: bool, detail: str = "") -> bool:
    results.append((name, ok, detail))
    print(f"  {'ok  ' if ok else 'FAIL'} {name}" + (f": {detail}" if detail and not ok else ""), flush=True)
    return ok


def run(cmd, *, check_rc=True, env=None, timeout=600, input=None, cwd=ROOT):
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, input=input)
    if check_rc and p.returncode != 0:
        raise RuntimeError(f"{shlex.join(map(str, cmd))} -> {p.returncode}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    return p


class Podman:
    def __init__(self, state: Path):
        self.state = state

    def __call__(self, *args, **kw):
        return run([str(ROOT / "scripts/podman-local.sh"), str(self.state), *map(str, args)], **kw)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method: str, url: str, body: dict | None = None, timeout: float = 5.0, cookie: str | None = None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if cookie:
        req.add_header("Cookie", cookie)
    req.add_header("Connection", "close")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


def wait_http(url: str, seconds: float = 30.0, alive=lambda: True) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive():
            return False
        try:
            if http("GET", url, timeout=1)[0] == 200:
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


# ---------------------------------------------------------------------------------------------------- Dockerfile
def dockerfile_stages(text: str) -> dict[str, list[str]]:
    """Stage name -> its instructions (continuation lines joined, comments dropped, whitespace normalised)."""
    stages: dict[str, list[str]] = {}
    current = None
    logical = re.sub(r"\\\n\s*", " ", "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("#")))
    for line in logical.splitlines():
        line = " ".join(line.split())
        if not line:
            continue
        m = re.match(r"FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$", line, re.I)
        if m:
            current = m.group(2) or f"#{len(stages)}"
            stages[current] = [f"FROM {m.group(1)}"]
        elif current:
            stages[current].append(line)
    return stages


def final_stage_differences(stages: dict[str, list[str]]) -> list[str]:
    """The `prebuilt` and `image` stages must be equal once the binary's origin stage is named the same."""
    problems = []
    for s in ("prebuilt", "image", "from-host", "from-source"):
        if s not in stages:
            problems.append(f"stage {s} missing")
    if problems:
        return problems
    a = [l.replace("--from=from-host", "--from=BINARY") for l in stages["prebuilt"]]
    b = [l.replace("--from=from-source", "--from=BINARY") for l in stages["image"]]
    if a != b:
        problems.append("final stages differ: " + "; ".join(sorted(set(a) ^ set(b))) or "order differs")
    dest = lambda st: [l.split()[-1] for l in stages[st] if l.startswith("COPY")]
    if dest("from-host") != dest("from-source"):
        problems.append(f"binary paths differ: {dest('from-host')} vs {dest('from-source')}")
    if list(stages)[-1] != "image":
        problems.append("the from-source stage `image` must be the last (default) stage")
    return problems


def test_dockerfile(tmp: Path):
    print("Dockerfile")
    hadolint = ROOT / ".cache/venv/bin/hadolint"
    p = run([hadolint, "Dockerfile"], check_rc=False)
    check("hadolint: zero findings", p.returncode == 0 and not p.stdout.strip(), p.stdout + p.stderr)
    bad = tmp / "Dockerfile.bad"
    bad.write_text((ROOT / "Dockerfile").read_text() + "\nFROM scratch AS bad\nRUN apt-get install curl\n")
    p = run([hadolint, str(bad)], check_rc=False)
    check("hadolint reports a mutated Dockerfile (apt-get without pins)", p.returncode != 0 and "DL3008" in p.stdout)

    text = (ROOT / "Dockerfile").read_text()
    stages = dockerfile_stages(text)
    diff = final_stage_differences(stages)
    check("final stages `prebuilt` and `image` identical but for the binary's origin", not diff, "; ".join(diff))
    mutated = dockerfile_stages(text.replace("USER 65532:65532\nEXPOSE", "USER 0\nEXPOSE", 1))
    check("the stage comparison rejects a mutation (USER changed in one stage)", bool(final_stage_differences(mutated)))

    # Pins that are written twice must agree.
    reqs = (ROOT / "scripts/requirements-tools.txt").read_text()
    tools = (ROOT / "scripts/cargo-tools.txt").read_text()
    toolchain = re.search(r'channel\s*=\s*"([^"]+)"', (ROOT / "rust-toolchain.toml").read_text()).group(1)
    pins_ok, why = True, []
    for name in ("ziglang", "cargo-zigbuild"):
        d = re.search(rf"{name}==(\S+)", text)
        r = re.search(rf"^{name}==(\S+)", reqs, re.M)
        if not (d and r and d.group(1) == r.group(1)):
            pins_ok = False
            why.append(f"{name}: Dockerfile {d and d.group(1)} vs requirements {r and r.group(1)}")
    d = re.search(r"cargo-auditable@(\S+)", text)
    r = re.search(r"^cargo-auditable\s+(\S+)", tools, re.M)
    if not (d and r and d.group(1) == r.group(1)):
        pins_ok = False
        why.append(f"cargo-auditable: Dockerfile {d and d.group(1)} vs cargo-tools {r and r.group(1)}")
    img = re.search(r"ARG RUST_IMAGE=rust:(\d+\.\d+\.\d+)", text)
    if not (img and img.group(1) == toolchain):
        pins_ok = False
        why.append(f"RUST_IMAGE {img and img.group(1)} vs rust-toolchain.toml {toolchain}")
    check("tool pins agree (Dockerfile / requirements-tools / cargo-tools / rust-toolchain)", pins_ok, "; ".join(why))


# ---------------------------------------------------------------------------------------------------- binaries
def elf_info(path: Path) -> dict:
    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return {"elf": False}
    machine = int.from_bytes(data[18:20], "little")
    phoff, phentsize, phnum = int.from_bytes(data[32:40], "little"), int.from_bytes(data[54:56], "little"), int.from_bytes(data[56:58], "little")
    ptypes = [int.from_bytes(data[phoff + i * phentsize: phoff + i * phentsize + 4], "little") for i in range(phnum)]
    shoff, shentsize, shnum, shstrndx = (int.from_bytes(data[40:48], "little"), int.from_bytes(data[58:60], "little"),
                                         int.from_bytes(data[60:62], "little"), int.from_bytes(data[62:64], "little"))
    def sh(i):
        o = shoff + i * shentsize
        return int.from_bytes(data[o:o + 4], "little"), int.from_bytes(data[o + 24:o + 32], "little")
    strtab_off = sh(shstrndx)[1]
    names = []
    for i in range(shnum):
        n = sh(i)[0]
        end = data.index(b"\0", strtab_off + n)
        names.append(data[strtab_off + n:end].decode())
    return {"elf": True, "machine": machine, "static": 3 not in ptypes, "sections": names, "size": len(data)}  # 3 = PT_INTERP


def test_binaries():
    print("binaries")
    for arch in ARCHS:
        b = DIST / f"linux-{arch}" / BIN
        if not check(f"{arch}: {b.relative_to(ROOT)} exists", b.is_file()):
            continue
        info = elf_info(b)
        check(f"{arch}: static ELF for {arch} (no interpreter)", info.get("elf") and info["machine"] == ELF_MACHINE[arch] and info["static"], str(info.get("machine")))
        check(f"{arch}: cargo auditable dependency list embedded (.dep-v0)", ".dep-v0" in info.get("sections", []))
        figures["arch"][arch]["binary_bytes"] = info.get("size")
        figures["arch"][arch]["binary_sha256"] = hashlib.sha256(b.read_bytes()).hexdigest()


# ---------------------------------------------------------------------------------------------------- image budget
def read_image(pm: Podman, ref: str, dest: Path) -> dict:
    """Export with `podman save --format docker-dir` (uncompressed layers, Docker config with Healthcheck)."""
    if dest.exists():
        shutil.rmtree(dest)
    pm("save", "--format", "docker-dir", "-o", dest, ref)
    manifest = json.loads((dest / "manifest.json").read_text())
    config = json.loads((dest / manifest["config"]["digest"].split(":")[1]).read_text())
    layers = []
    for l in manifest["layers"]:
        blob = dest / l["digest"].split(":")[1]
        with tarfile.open(blob) as tf:
            members = [(m.name, m) for m in tf.getmembers()]
        raw = blob.read_bytes()
        layers.append({"bytes": len(raw), "gzip_bytes": len(gzip.compress(raw, mtime=0)), "members": members})
    return {"manifest": manifest, "config": config, "layers": layers}


def budget_violations(img: dict, arch: str) -> list[str]:
    """The image budget. Used on the real image AND on mutated images (which it must reject)."""
    v = []
    layers = img["layers"]
    if len(layers) != 1:
        v.append(f"layers: {len(layers)} (budget: exactly 1)")
    total = sum(l["bytes"] for l in layers)
    if total > MAX_UNCOMPRESSED:
        v.append(f"size: {total} bytes uncompressed (budget: {MAX_UNCOMPRESSED})")
    cfg = img["config"].get("config") or img["config"].get("Config") or {}
    if cfg.get("User") != UID:
        v.append(f"user: {cfg.get('User')!r} (budget: {UID})")
    names = {n.lstrip("./").rstrip("/"): m for l in layers for n, m in l["members"]}
    for shell in ("bin/sh", "bin/bash", "bin/busybox", "usr/bin/sh"):
        if shell in names:
            v.append(f"shell: /{shell} present")
    files = sorted(n for n, m in names.items() if not m.isdir())
    if files != [BIN]:
        v.append(f"contents: {files} (budget: only /{BIN})")
    elif names[BIN].mode & 0o022 or names[BIN].uid != 0:
        v.append(f"binary: mode {oct(names[BIN].mode)} uid {names[BIN].uid} (budget: root-owned, not writable)")
    if img["config"].get("architecture") != arch or img["config"].get("os") != "linux":
        v.append(f"platform: {img['config'].get('os')}/{img['config'].get('architecture')} (expected linux/{arch})")
    if cfg.get("Entrypoint") != [f"/{BIN}"]:
        v.append(f"entrypoint: {cfg.get('Entrypoint')} (expected exec form [\"/{BIN}\"])")
    if "5000/tcp" not in (cfg.get("ExposedPorts") or {}):
        v.append("EXPOSE 5000 missing")
    hc = (cfg.get("Healthcheck") or {}).get("Test")
    if hc != ["CMD", f"/{BIN}", "healthcheck"]:
        v.append(f"healthcheck: {hc}")
    labels = cfg.get("Labels") or {}
    for k in ("source", "version", "revision", "licenses", "title", "description", "created"):
        if not labels.get(f"org.opencontainers.image.{k}"):
            v.append(f"label org.opencontainers.image.{k} missing")
    return v


def test_images(tmp: Path, pm: Podman, expect: dict):
    print("image: package the binaries (scripts/image-build.sh --from prebuilt) into amd64 + arm64 + a manifest list")
    t0 = time.monotonic()
    env = dict(os.environ, ENGINE="podman", PODMAN_STATE=str(pm.state), **expect["env"])
    run(["bash", "scripts/image-build.sh", "--no-binaries", "--from", "prebuilt", "--tag", TAG.removeprefix("localhost/")], env=env)
    figures["package_seconds"] = round(time.monotonic() - t0, 1)
    lst = json.loads(pm("manifest", "inspect", TAG).stdout)
    archs = sorted(m["platform"]["architecture"] for m in lst["manifests"])
    check("manifest list holds linux/amd64 and linux/arm64", archs == ["amd64", "arm64"], str(archs))
    digests = {}
    for arch in ARCHS:
        ref = f"{TAG}-{arch}"
        img = read_image(pm, ref, tmp / f"save-{arch}")
        v = budget_violations(img, arch)
        check(f"{arch}: budget (1 layer, <= {MAX_UNCOMPRESSED / 2**20:g} MiB, user {UID}, only the binary, no /bin/sh, entrypoint, port, healthcheck, labels)", not v, "; ".join(v))
        labels = img["config"]["config"]["Labels"]
        check(f"{arch}: labels created/revision/version from the commit",
              (labels.get("org.opencontainers.image.created"), labels.get("org.opencontainers.image.revision"),
               labels.get("org.opencontainers.image.version")) == (expect["created"], expect["revision"], expect["version"]),
              str({k: labels.get(f"org.opencontainers.image.{k}") for k in ("created", "revision", "version")}))
        check(f"{arch}: image time = commit time", img["config"].get("created", "").startswith(expect["created"].rstrip("Z")), img["config"].get("created"))
        layer_bin = next(m for n, m in img["layers"][0]["members"] if n.lstrip("./") == BIN)
        check(f"{arch}: the packaged binary is dist/linux-{arch}/{BIN}", layer_bin.size == figures["arch"][arch].get("binary_bytes"))
        inspect = json.loads(pm("image", "inspect", ref).stdout)[0]
        digests[arch] = inspect["Digest"]
        manifest_in_list = next(m["digest"] for m in lst["manifests"] if m["platform"]["architecture"] == arch)
        check(f"{arch}: the manifest list points at this image", manifest_in_list == inspect["Digest"], f"{manifest_in_list} vs {inspect['Digest']}")
        f = figures["arch"][arch]
        f.update(layers=len(img["layers"]), uncompressed=sum(l["bytes"] for l in img["layers"]),
                 gzip=sum(l["gzip_bytes"] for l in img["layers"]), user=img["config"]["config"]["User"],
                 shell="não", digest=inspect["Digest"], id=inspect["Id"])
    lst_dir = tmp / "list-a"
    pm("manifest", "push", "--all", "--format", "v2s2", TAG, f"dir:{lst_dir}")
    figures["list_digest"] = "sha256:" + hashlib.sha256((lst_dir / "manifest.json").read_bytes()).hexdigest()
    return digests


def test_mutations(tmp: Path, pm: Podman):
    print("image budget: mutated images must be rejected by the same check")
    ctx = tmp / "mutations"
    ctx.mkdir()
    (ctx / "sh").write_bytes(b"#!/not-a-shell\n")
    (ctx / "big").write_bytes(os.urandom(MAX_UNCOMPRESSED + 1024 * 1024))  # over the budget by itself
    cases = {
        "shell-and-second-layer": ("COPY sh /bin/sh\n", ["layers: 2", "shell: /bin/sh"]),
        "too-big": ("COPY big /big\n", ["size:"]),
        "root-user": ("USER 0:0\n", ["user: '0:0'"]),
    }
    for name, (extra, expected) in cases.items():
        (ctx / f"Containerfile.{name}").write_text(f"FROM {TAG}-amd64\n{extra}")
        pm("build", "--pull=never", "--format", "docker", "-f", ctx / f"Containerfile.{name}", "-t", f"localhost/mutation:{name}", ctx)
        v = budget_violations(read_image(pm, f"localhost/mutation:{name}", tmp / f"save-{name}"), "amd64")
        missing = [e for e in expected if not any(x.startswith(e) for x in v)]
        check(f"mutation {name} rejected ({', '.join(expected)})", not missing, f"violations {v}, expected {expected}")
        pm("rmi", f"localhost/mutation:{name}", check_rc=False)


def test_reproducible_packaging(tmp: Path, digests: dict, expect: dict):
    print("reproducible packaging: the same binaries again, in fresh storage")
    pm2 = Podman(tmp / "podman-b")
    env = dict(os.environ, ENGINE="podman", PODMAN_STATE=str(pm2.state), **expect["env"])
    run(["bash", "scripts/image-build.sh", "--no-binaries", "--from", "prebuilt", "--tag", TAG.removeprefix("localhost/")], env=env)
    for arch in ARCHS:
        d = json.loads(pm2("image", "inspect", f"{TAG}-{arch}").stdout)[0]["Digest"]
        check(f"{arch}: same image digest ({digests[arch][:19]}…)", d == digests[arch], f"{d} vs {digests[arch]}")
    lst_dir = tmp / "list-b"
    pm2("manifest", "push", "--all", "--format", "v2s2", TAG, f"dir:{lst_dir}")
    d = "sha256:" + hashlib.sha256((lst_dir / "manifest.json").read_bytes()).hexdigest()
    check(f"manifest list: same digest ({figures['list_digest'][:19]}…)", d == figures["list_digest"], f"{d} vs {figures['list_digest']}")
    shutil.rmtree(pm2.state, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------- running
def exercise(base: str, label: str) -> str | None:
    """The course's API and page through the container, as a browser would: the history cookie the page gives
    (private scope, the default; none with HISTORY_SCOPE=shared) goes with every request. Returns the password."""
    with urllib.request.urlopen(f"{base}/", timeout=5.0) as r:
        cookie = (r.headers.get("Set-Cookie") or "").split(";", 1)[0] or None
    body = {"tamanho": 12, "incluir_numeros": True, "incluir_caracteres_especiais": True}
    st, ct, raw = http("POST", f"{base}/api/gerar-senha", body, cookie=cookie)
    senha = None
    try:
        senha = json.loads(raw).get("senha")
    except (ValueError, AttributeError):
        pass
    check(f"{label}: POST /api/gerar-senha -> 200 {{\"senha\": <12 chars>}}", st == 200 and isinstance(senha, str) and len(senha) == 12, f"{st} {raw[:200]!r}")
    st, ct, raw = http("GET", f"{base}/api/senhas", cookie=cookie)
    try:
        lst = json.loads(raw)
    except ValueError:
        lst = None
    check(f"{label}: GET /api/senhas -> the list, newest first", st == 200 and isinstance(lst, list) and bool(lst) and lst[0].get("senha") == senha, f"{st} {raw[:200]!r}")
    st, ct, raw = http("GET", f"{base}/")
    check(f"{label}: GET / -> 200 the page", st == 200 and "text/html" in ct and b"Gerador de Senhas" in raw, f"{st} {ct}")
    st, _, _ = http("GET", f"{base}/readyz")
    check(f"{label}: GET /readyz -> 200", st == 200, str(st))
    return senha


HARDENING = ["--read-only", "--cap-drop=ALL", "--security-opt=no-new-privileges", "--network", "host",
             "--health-interval=disable"]  # no systemd timers here; the healthcheck is run by hand below


def run_container(pm: Podman, name: str, port: int, extra: list[str]) -> str:
    pm("run", "-d", "--name", name, *HARDENING, "-e", "BIND=127.0.0.1", "-e", f"PORT={port}", *extra, f"{TAG}-amd64")
    return name


def container_checks(pm: Podman, name: str, port: int, label: str):
    ins = json.loads(pm("inspect", name).stdout)[0]
    pid = ins["State"]["Pid"]
    status = Path(f"/proc/{pid}/status").read_text()
    uids = re.search(r"^Uid:\s+(.*)$", status, re.M).group(1).split()
    gids = re.search(r"^Gid:\s+(.*)$", status, re.M).group(1).split()
    cap_eff = re.search(r"^CapEff:\s+(\S+)", status, re.M).group(1)
    nnp = re.search(r"^NoNewPrivs:\s+(\S+)", status, re.M).group(1)
    check(f"{label}: process runs as uid/gid 65532 (from /proc)", set(uids) == {"65532"} and set(gids) == {"65532"}, f"{uids} {gids}")
    check(f"{label}: no capabilities, no_new_privs, read-only root", int(cap_eff, 16) == 0 and nnp == "1" and ins["HostConfig"]["ReadonlyRootfs"], f"CapEff={cap_eff} NoNewPrivs={nnp} ro={ins['HostConfig']['ReadonlyRootfs']}")
    p = pm("exec", name, "/bin/sh", "-c", "true", check_rc=False)
    check(f"{label}: no shell to exec (/bin/sh)", p.returncode != 0 and "no such file" in (p.stderr + p.stdout).lower(), p.stderr[-200:])
    p = pm("exec", name, f"/{BIN}", "healthcheck", check_rc=False)
    check(f"{label}: `{BIN} healthcheck` inside the container -> 0", p.returncode == 0, p.stderr[-300:])
    p = pm("healthcheck", "run", name, check_rc=False)
    check(f"{label}: `podman healthcheck run` (the image's HEALTHCHECK) -> healthy", p.returncode == 0, p.stdout + p.stderr)


def graceful_stop(pm: Podman, name: str, label: str, grace: int = 30):
    p = pm("stop", "-t", grace, name, check_rc=False, timeout=grace + 30)
    ins = json.loads(pm("inspect", name).stdout)[0]
    code = ins["State"]["ExitCode"]
    killed = "SIGKILL" in p.stderr
    check(f"{label}: podman stop -> exit 0 within the grace period, no SIGKILL", p.returncode == 0 and code == 0 and not killed, f"exit {code}; {p.stderr.strip()[-300:]}")
    logs = pm("logs", name, check_rc=False)
    pm("rm", "-f", name, check_rc=False)
    return logs.stdout + logs.stderr


def test_run_embedded(tmp: Path, pm: Podman):
    print("container (amd64): embedded store")
    port = free_port()
    name = run_container(pm, "giropops-embedded", port, [])
    base = f"http://127.0.0.1:{port}"
    up = wait_http(f"{base}/healthz")
    if not check("embedded: answers /healthz on 127.0.0.1 (read-only, no caps, no-new-privileges)", up):
        print(pm("logs", name, check_rc=False).stderr[-2000:])
        pm("rm", "-f", name, check_rc=False)
        return
    exercise(base, "embedded")
    container_checks(pm, name, port, "embedded")
    graceful_stop(pm, name, "embedded")
    # The healthcheck subcommand must be able to say no.
    p = pm("run", "--rm", *HARDENING, "-e", "BIND=127.0.0.1", "-e", f"PORT={free_port()}", f"{TAG}-amd64", "healthcheck", check_rc=False, timeout=60)
    check("`healthcheck` with nothing listening -> exit 1", p.returncode == 1, f"exit {p.returncode}")


def test_run_redis(tmp: Path, pm: Podman):
    print("container (amd64): real Redis (redis-server on the host, password from a mounted file)")
    rport, port = free_port(), free_port()
    password = hashlib.sha256(os.urandom(16)).hexdigest()
    rdir = tmp / "redis"
    rdir.mkdir()
    secret = tmp / "redis_password"
    secret.write_text(password + "\n")
    secret.chmod(0o644)  # read by uid 65532 inside the container
    redis = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(rport), "--requirepass", password,
                              "--save", "", "--appendonly", "no", "--dir", str(rdir)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        cli = ["redis-cli", "-h", "127.0.0.1", "-p", str(rport), "--no-auth-warning", "-a", password]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and run([*cli, "PING"], check_rc=False).stdout.strip() != "PONG":
            time.sleep(0.1)
        # The course's configuration: the shared list `senhas`, checked below as the original app wrote it.
        name = run_container(pm, "giropops-redis", port, ["-e", "HISTORY_SCOPE=shared",
                                                         "-e", "REDIS_HOST=127.0.0.1", "-e", f"REDIS_PORT={rport}",
                                                         "-e", "REDIS_PASSWORD_FILE=/run/secrets/redis_password",
                                                         "-v", f"{secret}:/run/secrets/redis_password:ro"])
        base = f"http://127.0.0.1:{port}"
        if not check("redis: answers /healthz", wait_http(f"{base}/healthz")):
            print(pm("logs", name, check_rc=False).stderr[-2000:])
            pm("rm", "-f", name, check_rc=False)
            return
        wait_http(f"{base}/readyz", 10)
        senha = exercise(base, "redis")
        stored = run([*cli, "LRANGE", "senhas", "0", "-1"], check_rc=False).stdout.split("\n")
        check("redis: the password is in the Redis list `senhas` (LPUSH, newest first)", bool(senha) and stored[0] == senha, f"{stored[:3]}")
        container_checks(pm, name, port, "redis")
        logs = graceful_stop(pm, name, "redis")
        check("redis: the password never appears in the logs", bool(senha) and senha not in logs and password not in logs)
    finally:
        redis.terminate()
        redis.wait(10)


def test_qemu_arm64(tmp: Path):
    print("arm64 binary under qemu-aarch64-static")
    port = free_port()
    env = dict(os.environ, BIND="127.0.0.1", PORT=str(port))
    proc = subprocess.Popen(["qemu-aarch64-static", str(DIST / "linux-arm64" / BIN)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        ok = wait_http(f"{base}/healthz", 60, alive=lambda: proc.poll() is None)
        check("arm64: answers /healthz under qemu-aarch64-static", ok)
        if ok:
            body = {"tamanho": 12, "incluir_numeros": True, "incluir_caracteres_especiais": True}
            st, _, raw = http("POST", f"{base}/api/gerar-senha", body)
            check("arm64: POST /api/gerar-senha -> 200", st == 200 and len(json.loads(raw).get("senha", "")) == 12, f"{st} {raw[:100]!r}")
            p = run(["qemu-aarch64-static", str(DIST / "linux-arm64" / BIN), "healthcheck"], env=env, check_rc=False, timeout=60)
            check("arm64: `healthcheck` -> 0", p.returncode == 0, p.stderr[-300:])
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(40)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = "killed"
        check("arm64: SIGTERM -> exit 0", code == 0, f"exit {code}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------------------------------------------- repro build
BUILD_INPUTS = ["src", "Cargo.toml", "Cargo.lock", "rust-toolchain.toml", "build.rs", "templates", "assets"]


def clean_build(tmp: Path, label: str, archs: list[str], offline: bool = True) -> tuple[dict, float]:
    """A clean build of HEAD in its own directory: a clone and its own target dir; it shares the cargo registry cache
    (CARGO_HOME, used offline) and the zig / cargo-zigbuild caches under $XDG_CACHE_HOME. A different, empty
    $XDG_CACHE_HOME gave the same amd64 binary too (2026-12-02, docs/image.md); `make repro` checks both
    architectures with separate caches."""
    src = tmp / f"clone-{label}"
    run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(src)])
    scripts = src / "scripts"
    for f in ("build-static.sh",):  # the commit under test may predate this script: use the current one
        shutil.copy(ROOT / "scripts" / f, scripts / f)
    env = dict(os.environ, CARGO_TARGET_DIR=str(src / "target"), CARGO_NET_OFFLINE="true" if offline else "false",
               PATH=f"{ROOT / '.cache/venv/bin'}:{os.environ['PATH']}")
    args = []
    for a in archs:
        args += ["--arch", a]
    t0 = time.monotonic()
    p = run(["bash", str(scripts / "build-static.sh"), *args, "--out", str(tmp / f"dist-{label}")], env=env, cwd=src, check_rc=False, timeout=3600)
    took = time.monotonic() - t0
    if p.returncode != 0:
        print(p.stdout[-2000:], p.stderr[-4000:])
        raise RuntimeError(f"clean build {label} failed")
    out = {a: (tmp / f"dist-{label}" / f"linux-{a}" / BIN).read_bytes() for a in archs}
    shutil.rmtree(src / "target", ignore_errors=True)
    return out, took


def test_reproducible_build(tmp: Path):
    # amd64 only by default: a second clean build of both architectures costs make test ~10 more minutes.
    archs = os.environ.get("REPRO_ARCHS", "amd64").split()
    print(f"reproducible build: a second clean build of HEAD in another directory ({' '.join(archs)})")
    dirty = run(["git", "status", "--porcelain", "--", *BUILD_INPUTS]).stdout.strip()
    if dirty:
        # The work tree differs from the commit: compare two clean builds of HEAD instead.
        print("  (work tree has uncommitted build inputs: building HEAD twice in clones)")
        a, ta = clean_build(tmp, "a", archs, offline=False)
        figures["repro_build_seconds_first"] = round(ta)
    else:
        a = {x: (DIST / f"linux-{x}" / BIN).read_bytes() for x in archs}
    b, tb = clean_build(tmp, "b", archs)
    figures["repro_build_seconds"] = round(tb)
    figures["repro_archs"] = archs
    for x in archs:
        check(f"{x}: byte-identical binary from another directory (sha256 {hashlib.sha256(b[x]).hexdigest()[:16]}…)", a[x] == b[x],
              f"{hashlib.sha256(a[x]).hexdigest()} vs {hashlib.sha256(b[x]).hexdigest()}")
    print(f"  second clean build: {tb:.0f}s for {' + '.join(archs)} (shares the cargo registry and zig caches)")


# ---------------------------------------------------------------------------------------------------- compose
def compose_violations(doc: dict) -> list[str]:
    v = []
    services = doc.get("services") or {}
    app, redis = services.get("app") or {}, services.get("redis") or {}
    if not app or not redis:
        return ["services app and redis required"]
    if str(app.get("user")) != UID:
        v.append(f"app.user {app.get('user')!r} != {UID}")
    if app.get("read_only") is not True:
        v.append("app.read_only must be true")
    for name, svc in (("app", app), ("redis", redis)):
        if "ALL" not in (svc.get("cap_drop") or []):
            v.append(f"{name}.cap_drop must contain ALL")
        if not any(str(s).replace("=", ":") in ("no-new-privileges:true", "no-new-privileges") for s in svc.get("security_opt") or []):
            v.append(f"{name}.security_opt must contain no-new-privileges:true")
        if svc.get("restart") not in ("unless-stopped", "always", "on-failure"):
            v.append(f"{name}.restart policy missing ({svc.get('restart')!r})")
        if not (svc.get("healthcheck") or {}).get("test"):
            v.append(f"{name}.healthcheck missing")
        if str(svc.get("user", "root")).split(":")[0] in ("root", "0"):
            v.append(f"{name}.user must be non-root ({svc.get('user')!r})")
    if (app.get("healthcheck") or {}).get("test") != ["CMD", f"/{BIN}", "healthcheck"]:
        v.append(f"app.healthcheck.test must be the healthcheck subcommand: {(app.get('healthcheck') or {}).get('test')}")
    dep = (app.get("depends_on") or {}).get("redis") if isinstance(app.get("depends_on"), dict) else None
    if not dep or dep.get("condition") != "service_healthy":
        v.append("app.depends_on.redis.condition must be service_healthy")
    env = app.get("environment") or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) for e in env)
    if env.get("REDIS_HOST") != "redis":
        v.append("app.environment.REDIS_HOST must be redis")
    if not (env.get("REDIS_PASSWORD_FILE") or env.get("REDIS_PASSWORD") or env.get("REDIS_URL")):
        v.append("app must authenticate to Redis (REDIS_PASSWORD_FILE)")
    cmd = redis.get("command")
    cmd = " ".join(cmd) if isinstance(cmd, list) else str(cmd or "")
    if "requirepass" not in cmd or "/run/secrets/redis_password" not in cmd:
        v.append("redis must require a password (requirepass from /run/secrets/redis_password)")
    elif "--requirepass" in cmd:
        v.append("redis password must not be a process argument (--requirepass is visible in ps)")
    if "redis_password" not in [s if isinstance(s, str) else s.get("source") for s in redis.get("secrets") or []]:
        v.append("redis must get its password from the redis_password secret")
    if "redis_password" not in (doc.get("secrets") or {}):
        v.append("secret redis_password must be defined")
    if not any(str(p).endswith(":5000") or (isinstance(p, dict) and p.get("target") == 5000) for p in app.get("ports") or []):
        v.append("app must publish container port 5000")
    if not str(app.get("stop_grace_period", "")).rstrip("s").isdigit() or int(str(app.get("stop_grace_period")).rstrip("s")) < 25:
        v.append("app.stop_grace_period must cover SHUTDOWN_DELAY + SHUTDOWN_TIMEOUT (>= 25s)")
    return v


def test_compose():
    print("compose.yaml")
    import yaml  # PyYAML, from the project venv
    doc = yaml.safe_load((ROOT / "compose.yaml").read_text())
    v = compose_violations(doc)
    check("compose.yaml: app + redis, healthchecks, restart, non-root, read-only app, Redis password", not v, "; ".join(v))
    import copy
    bad = copy.deepcopy(doc)
    bad["services"]["app"]["read_only"] = False
    bad["services"]["app"]["user"] = "0"
    bad["services"]["redis"]["command"] = ["redis-server"]
    v = compose_violations(bad)
    check("compose check rejects a mutation (writable, root, Redis without password)",
          {"app.read_only must be true", "redis must require a password (requirepass from /run/secrets/redis_password)"} <= set(v) and any(x.startswith("app.user") for x in v), str(v))


# ---------------------------------------------------------------------------------------------------- report
COURSE = [
    ("python:3.11 (curso)", "≈ 1,03–1,14 GB", "–", "≈ 25", "root", "sim"),
    ("python:3.11-slim (curso)", "≈ 149–168 MB", "–", "–", "root", "sim"),
    ("python:3.11-alpine (curso)", "≈ 70–88 MB", "–", "–", "root", "sim"),
    ("Chainguard/Wolfi distroless Python (curso)", "≈ 60–83 MB", "–", "1–11", "nonroot", "não"),
]


def mb(n: int) -> str:
    return f"{n / 1e6:.2f} MB".replace(".", ",")


def write_report(expect: dict, started: float):
    def ver(cmd):
        p = run(cmd, check_rc=False)
        return (p.stdout or p.stderr).strip().splitlines()[0] if (p.stdout or p.stderr).strip() else "?"
    rows = [f"| {n} | {s} | {c} | {l} | {u} | {sh} |" for n, s, c, l, u, sh in COURSE]
    for arch in ARCHS:
        f = figures["arch"][arch]
        if "uncompressed" in f:
            rows.append(f"| **giropops-senhas linux/{arch}** | **{mb(f['uncompressed'])}** | {mb(f['gzip'])} | **{f['layers']}** | {f['user']} | {f['shell']} |")
    table = "\n".join(["| imagem | tamanho (descompactado) | compactado (gzip) | camadas | usuário | shell |",
                       "|---|---|---|---|---|---|", *rows])
    passed = sum(ok for _, ok, _ in results)
    lines = [
        "# Imagem: relatório do teste",
        "",
        f"Gerado por `make image-test` (estágio `image` de `make test`) em {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"commit `{expect['revision'][:12]}`, numa máquina de {os.cpu_count()} núcleos ({os.uname().sysname} {os.uname().release}, {os.uname().machine}). "
        "Os números abaixo são medidos pelo teste; as linhas do curso são as medidas relatadas pelos alunos "
        "(`shared/reference/original-app.md`). Não edite à mão: rode `make image-test` e depois `make readme-image`.",
        "",
        "<!-- image-table -->",
        table,
        "<!-- /image-table -->",
        "",
        "Tamanho descompactado = o tar da única camada (o que o `podman save --format docker-dir` grava); "
        "compactado = essa camada com gzip (o que um registry recebe).",
        "",
        "| arquitetura | binário | sha256 do binário | digest da imagem |",
        "|---|---|---|---|",
    ]
    for arch in ARCHS:
        f = figures["arch"][arch]
        lines.append(f"| linux/{arch} | {f.get('binary_bytes', '?')} bytes | `{f.get('binary_sha256', '?')[:16]}…` | `{f.get('digest', '?')}` |")
    lines += [
        "",
        f"- Lista de manifests (amd64 + arm64): `{figures.get('list_digest', '?')}`; empacotada de novo num armazenamento "
        "novo, dá os mesmos digests (teste `reproducible packaging`).",
        (f"- Build dos binários estáticos no host (`scripts/build-static.sh`, amd64 + arm64, em `target/static`, "
         f"reaproveitado quando existe): {figures['binaries_seconds']} s." if figures.get("binaries_seconds") else
         "- Build dos binários estáticos no host: não medido nesta execução (BUILD=0)."),
        (f"- Segundo build limpo do mesmo commit em outro diretório ({' + '.join(figures['repro_archs'])}; clone próprio, "
         f"`target` próprio; compartilha o cache do registry do cargo, offline, e os caches do zig em $XDG_CACHE_HOME): "
         f"{figures['repro_build_seconds']} s; binários idênticos byte a byte." if figures.get("repro_build_seconds") else
         "- Segundo build limpo: não rodado nesta execução (REPRO=0)."),
        f"- Empacotamento (2 arquiteturas + lista): {figures.get('package_seconds', '?')} s.",
        f"- Ferramentas: {ver(['podman', '--version'])}, {ver(['buildah', '--version'])}, {ver(['runc', '--version'])}, "
        f"{ver(['rustc', '--version'])}, {ver([str(ROOT / '.cache/venv/bin/cargo-zigbuild'), '--version'])}.",
        "",
        f"## Verificações ({passed} ok, {len(results) - passed} falhas)",
        "",
        *[f"- {'ok' if ok else '**FALHA**'}: {name}" for name, ok, _ in results],
        "",
    ]
    (ROOT / "docs").mkdir(exist_ok=True)
    (ROOT / "docs/image-report.md").write_text("\n".join(lines))


def main() -> int:
    started = time.monotonic()
    if os.environ.get("BINARIES_SECONDS"):
        figures["binaries_seconds"] = os.environ["BINARIES_SECONDS"]
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH") or run(["git", "log", "-1", "--format=%ct"]).stdout.strip())
    expect = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch)),
        "revision": run(["git", "rev-parse", "HEAD"]).stdout.strip(),
        "epoch": epoch,
        "version": re.search(r'^version\s*=\s*"([^"]+)"', (ROOT / "Cargo.toml").read_text(), re.M).group(1),
    }
    # Both packagings describe the same commit even if another commit lands meanwhile.
    expect["env"] = {"SOURCE_DATE_EPOCH": str(epoch), "REVISION": expect["revision"]}
    tmp = Path(tempfile.mkdtemp(prefix="giropops-image-"))
    pm = Podman(tmp / "podman-a")
    try:
        test_dockerfile(tmp)
        test_compose()
        test_binaries()
        digests = test_images(tmp, pm, expect)
        test_mutations(tmp, pm)
        test_reproducible_packaging(tmp, digests, expect)
        test_run_embedded(tmp, pm)
        test_run_redis(tmp, pm)
        test_qemu_arm64(tmp)
        if os.environ.get("REPRO", "1") != "0":
            test_reproducible_build(tmp)
    except Exception as e:  # a broken step is a failure with its output, not a traceback lost in the noise
        check("image test ran to the end", False, f"{type(e).__name__}: {e}")
    finally:
        for name in ("giropops-embedded", "giropops-redis"):
            pm("rm", "-f", "-t", "0", name, check_rc=False)
        write_report(expect, started)
        # Only private state lives under tmp (no `podman system reset`: it would also delete global networks).
        for state in (tmp / "podman-a", tmp / "podman-b"):
            if state.exists():
                Podman(state)("rm", "-a", "-f", "-t", "0", check_rc=False)
        shutil.rmtree(tmp, ignore_errors=True)
    passed = sum(ok for _, ok, _ in results)
    failed = len(results) - passed
    print(f"docs/image-report.md written")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
