"""HTTP load on gunicorn (127.0.0.1) with wrk: req/s and p50/p99 per endpoint, each beside /healthz.

    python bench/bench_load.py [--kb bundled|100000] [--seconds 15] [--connections 64]

/healthz is the framework's floor on the same server in the same run; each endpoint is
reported as a ratio to it. Target (issue 8, bundled KB, 2 cores): /api/search >= 300
req/s with p99 <= 100 ms, and no errors at 64 connections for 60 s (`--soak`).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kb.cli import initialize  # noqa: E402
from kb.config import Settings  # noqa: E402
from tests.live import running_server  # noqa: E402

SPARQL = "PREFIX kap: <https://w3id.org/kapkb/ontology#> SELECT ?s ?t WHERE { ?s a kap:Study ; <http://purl.org/dc/terms/title> ?t ; kap:condition ?c } LIMIT 20"
ENDPOINTS = {
    "/healthz": "/healthz",
    "/api/search": "/api/search?q=" + quote("PTSD + IV outcomes"),
    "/search": "/search?q=" + quote("treatment-resistant depression + intranasal"),
    "/sparql": "/sparql?query=" + quote(SPARQL),
    "/export": "/export?format=ris&q=" + quote("OCD + exposure and response prevention"),
}


def wrk(url: str, seconds: int, connections: int) -> dict:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip

    def ms(label: str) -> float:
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\b", out, re.M)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket = re.search(r"Socket errors:.*?connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(non2xx.group(1)) if non2xx else 0
    if socket:
        errors += sum(int(x) for x in socket.groups())
    return {"rps": rps, "p50": ms("50"), "p99": ms("99"), "errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kb", default="bundled", help="'bundled' or a generated size like 100000")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--soak", action="store_true", help="also 60 s of /api/search at 64 connections")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.kb == "bundled":
            settings = Settings(data=Path(tmp) / "var")
            initialize(settings)
        else:
            from bench.generate import ensure

            settings = ensure(int(args.kb))
        env = {"KAPKB_SPARQL_RATE_PER_MINUTE": "0"}  # the rate limit would turn a load test into 429s
        with running_server(settings.data, workers=args.workers, env=env) as base:
            for path in ENDPOINTS.values():  # warm each worker's caches
                for _ in range(args.workers * 2):
                    subprocess.run(["curl", "-s", "-o", "/dev/null", base + path], check=False)
            rows = {name: wrk(base + path, args.seconds, args.connections) for name, path in ENDPOINTS.items()}
            floor = rows["/healthz"]["rps"]
            print(f"KB: {args.kb}; gunicorn {args.workers} sync workers; wrk {args.connections} connections, {args.seconds} s each")
            print(f"{'endpoint':14} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'vs /healthz':>12}")
            for name, r in rows.items():
                print(f"{name:14} {r['rps']:8.0f} {r['p50']:8.1f} {r['p99']:8.1f} {r['errors']:7d} {r['rps'] / floor:11.2f}x")
            if args.soak:
                soak = wrk(base + ENDPOINTS["/api/search"], 60, 64)
                print(f"soak /api/search 60 s x 64 connections: {soak['rps']:.0f} req/s, p99 {soak['p99']:.1f} ms, errors {soak['errors']}")


if __name__ == "__main__":
    main()
