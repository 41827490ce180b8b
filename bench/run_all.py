"""`make bench`: every benchmark in turn, each as its own process, then one table of their summaries.

    python bench/run_all.py [--quick] [--only search,ingest]

Each bench prints its own detail and a `SUMMARY {...}` line (bench/summary.py); this script
collects those lines. Every figure is a ratio against a baseline measured in the same run
(bare Whoosh, pyoxigraph, /healthz) or an absolute target; nothing here is a test.
--quick runs smaller sizes (minutes, not the better part of an hour).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PREFIX = "SUMMARY "
BENCHES = {  # name: (full arguments, quick arguments)
    "ingest": (["--n", "100000"], ["--n", "10000"]),
    "search": (["--n", "100000"], ["--n", "100000", "--repeat", "10"]),  # the 100k KB is generated once and reused
    "sparql": (["--n", "100000"], ["--n", "10000", "--repeat", "5"]),
    "export": (["-n", "10000"], ["-n", "2000"]),
    "load": (["--kb", "bundled", "--seconds", "15"], ["--kb", "bundled", "--seconds", "5"]),
}


def run(name: str, args: list[str]) -> tuple[list[dict], int, float]:
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(HERE / f"bench_{name}.py"), *args], stdout=subprocess.PIPE, text=True)
    found = []
    for line in proc.stdout:  # the bench's own detail goes on to the terminal as it comes
        if line.startswith(PREFIX):
            found.append(json.loads(line[len(PREFIX) :]))
        else:
            sys.stdout.write(line)
            sys.stdout.flush()
    return found, proc.wait(), time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--only", help="comma-separated benches: " + ", ".join(BENCHES))
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(BENCHES)
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        parser.error(f"unknown bench {', '.join(unknown)}; choose from {', '.join(BENCHES)}")
    rows, failed = [], []
    for name in names:
        print(f"\n=== bench_{name} ===", flush=True)
        found, code, seconds = run(name, BENCHES[name][1 if args.quick else 0])
        if code != 0 or not found:
            failed.append(name)
            rows.append({"bench": name, "measure": f"exit {code}", "value": "", "baseline": "", "ratio": None, "target": "", "ok": False})
        rows += found
        print(f"(bench_{name}: {seconds:.0f} s)", flush=True)
    print("\n" + table(rows))
    return 1 if failed else 0


def table(rows: list[dict]) -> str:
    head = ("bench", "measure", "value", "baseline (same run)", "ratio", "target", "met")
    cells = [[r["bench"], r["measure"], r["value"], r["baseline"], "" if r["ratio"] is None else f"{r['ratio']:.2f}x",
              r["target"], {True: "yes", False: "NO", None: "n/a"}[r["ok"]]] for r in rows]  # fmt: skip
    widths = [max(len(str(x)) for x in col) for col in zip(head, *cells, strict=False)]
    line = lambda row: "  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True))  # noqa: E731
    return "\n".join([line(head), line(["-" * w for w in widths]), *map(line, cells)])


if __name__ == "__main__":
    sys.exit(main())
