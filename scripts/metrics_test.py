#!/usr/bin/env python3
"""`/metrics` read by real scrapers (stage `metrics` of `make test`), on loopback, bounded in time.

1. The app (the binary given, or target/debug/giropops-senhas) on a free port; a few requests so every family
   has samples.
2. Without `Accept` (and with Prometheus' classic `Accept`): the classic text format 0.0.4, which
   `promtool check metrics` must find clean. The check can fail: the OpenMetrics body fed to promtool must be
   refused (it does not know the `info` type).
3. With `Accept: application/openmetrics-text`: OpenMetrics 1.0, which the OpenMetrics parser of the Python
   `prometheus_client` must read to the end. The check can fail: the classic body (no `# EOF`) must be refused.
4. Debian's Prometheus server scrapes the app every second; the query API must return `senha_gerada_total` and
   `giropops_build_info` with the app's values.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from prometheus_client.openmetrics.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parent.parent
DEADLINE_S = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, headers: dict[str, str] | None = None, data: bytes | None = None):
    request = urllib.request.Request(url, data=data, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers.get("Content-Type", ""), response.read().decode()


def wait_for(what: str, condition) -> None:
    end = time.monotonic() + DEADLINE_S
    while time.monotonic() < end:
        try:
            if condition():
                return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit(f"metrics: timed out waiting for {what}")


def promtool_check(text: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [os.environ.get("PROMTOOL", "promtool"), "check", "metrics"],
        input=text, text=True, capture_output=True, timeout=30,
    )


def parses_as_openmetrics(text: str) -> bool:
    try:
        list(text_string_to_metric_families(text))
        return True
    except ValueError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=str(ROOT / "target/debug/giropops-senhas"))
    args = parser.parse_args()
    for tool in (os.environ.get("PROMTOOL", "promtool"), "prometheus"):
        if shutil.which(tool) is None:
            sys.exit(f"metrics: {tool} missing (apt-get install prometheus)")
    if not Path(args.binary).exists():
        sys.exit(f"metrics: {args.binary} missing (cargo build)")

    tmp = Path(tempfile.mkdtemp(prefix="giropops-metrics-"))
    processes: list[subprocess.Popen] = []
    try:
        port = free_port()
        env = {"PATH": os.environ["PATH"], "PORT": str(port), "BIND": "127.0.0.1", "LOG_FORMAT": "json"}
        processes.append(subprocess.Popen([args.binary], env=env, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
        base = f"http://127.0.0.1:{port}"
        wait_for("the app's /healthz", lambda: get(base + "/healthz")[1] != "")
        for _ in range(3):
            get(base + "/api/gerar-senha", {"Content-Type": "application/json"}, b'{"tamanho": 12}')

        content_type, classic = get(base + "/metrics")
        assert content_type.startswith("text/plain; version=0.0.4"), content_type
        _, classic_asked = get(base + "/metrics", {"Accept": "text/plain;version=0.0.4;q=1,*/*;q=0.1"})
        result = promtool_check(classic)
        if result.returncode != 0:
            sys.exit(f"metrics: promtool check metrics refused the classic format:\n{result.stdout}{result.stderr}")
        assert "senha_gerada_total 3" in classic, classic
        assert "# TYPE giropops_build_info gauge" in classic, classic
        assert "# EOF" not in classic_asked
        print(f"classic text format: {len(classic.splitlines())} lines, promtool check metrics clean")

        content_type, openmetrics = get(base + "/metrics", {"Accept": "application/openmetrics-text;version=1.0.0"})
        assert content_type.startswith("application/openmetrics-text; version=1.0.0"), content_type
        families = {f.name: f for f in text_string_to_metric_families(openmetrics)}
        assert families["senha_gerada"].samples[0].value == 3, families["senha_gerada"]
        assert families["giropops_build"].type == "info", families["giropops_build"]
        print(f"OpenMetrics: {len(families)} families read by prometheus_client's OpenMetrics parser")

        # Each check can fail: each format is refused by the other format's reader.
        if promtool_check(openmetrics).returncode == 0:
            sys.exit("metrics: promtool accepted OpenMetrics text with an info metric: the check proves nothing")
        if parses_as_openmetrics(classic):
            sys.exit("metrics: the OpenMetrics parser accepted the classic text: the check proves nothing")
        print("broken cases: promtool refuses the OpenMetrics body, the OpenMetrics parser refuses the classic one")

        prom_port = free_port()
        (tmp / "prometheus.yml").write_text(
            "global: {scrape_interval: 1s, scrape_timeout: 1s}\n"
            "scrape_configs:\n"
            f"  - job_name: giropops\n    static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n"
        )
        processes.append(subprocess.Popen(
            ["prometheus", f"--config.file={tmp / 'prometheus.yml'}", f"--storage.tsdb.path={tmp / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{prom_port}"],
            stdout=subprocess.DEVNULL, stderr=(tmp / "prometheus.log").open("w"),
        ))

        def query(expr: str) -> list:
            url = f"http://127.0.0.1:{prom_port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
            return json.loads(get(url)[1])["data"]["result"]

        wait_for("Prometheus to scrape senha_gerada_total",
                 lambda: [r["value"][1] for r in query("senha_gerada_total")] == ["3"])
        build = query("giropops_build_info")
        assert build and build[0]["metric"].get("version"), build
        up = query('up{job="giropops"}')
        assert [r["value"][1] for r in up] == ["1"], up
        print(f"Prometheus {subprocess.run(['prometheus', '--version'], capture_output=True, text=True).stdout.split()[2]}"
              f" scraped the app: senha_gerada_total 3, giropops_build_info version={build[0]['metric']['version']}")
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
