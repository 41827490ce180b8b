"""A real gunicorn server on 127.0.0.1 for tests that need HTTP over a socket (browser, load, hot swap)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(data: Path, workers: int = 2, env: dict[str, str] | None = None) -> Iterator[str]:
    """Serve the KB in `data` with the project's gunicorn config; yields the base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environ = {**os.environ, "KAPKB_DATA": str(data), "KAPKB_BASE": base, **(env or {})}
    cmd = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "webapp" / "gunicorn.conf.py"),
           "-w", str(workers), "-b", f"127.0.0.1:{port}", "--access-logfile", "/dev/null", "webapp:create_app()"]  # fmt: skip
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=environ, stdout=subprocess.DEVNULL, stderr=log)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"gunicorn did not start: {log.read().decode()[-2000:]}") from None
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
