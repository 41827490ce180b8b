"""Real servers on 127.0.0.1 for tests: the app under werkzeug or gunicorn, and `oxigraph serve`.

Each picks a free port, waits until the server answers, and stops only the process or
thread it started.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 20.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with status {proc.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"no answer from {url} within {timeout} s")


def stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    """Terminate a server this module started; kill it if it has not exited within `timeout` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def werkzeug_server(app) -> Iterator[str]:
    """The Flask app behind werkzeug's threaded WSGI server, in a thread of this process."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


@contextmanager
def gunicorn_server(
    env: dict[str, str], workers: int = 1, log: Path | None = None, port: int | None = None
) -> Iterator[tuple[str, subprocess.Popen]]:
    """The app under gunicorn (gevent workers, webapp/gunicorn.conf.py), as `kapkb serve` runs it."""
    port = port or free_port()
    out = open(log, "wb") if log else subprocess.DEVNULL
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "webapp" / "gunicorn.conf.py"), "-b", f"127.0.0.1:{port}",
         "-w", str(workers), "webapp:create_app()"],  # fmt: skip
        cwd=ROOT,
        env={**os.environ, "KAPKB_LOG_LEVEL": "info", **env},
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", proc=proc)
        yield f"http://127.0.0.1:{port}", proc
    finally:
        stop(proc)
        if log:
            out.close()  # type: ignore[union-attr]


@contextmanager
def running_server(data: Path, workers: int = 2, env: dict[str, str] | None = None) -> Iterator[str]:
    """Serve the KB in `data` under gunicorn, its IRIs minted under the server's own URL; yields that URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environ = {"KAPKB_DATA": str(data), "KAPKB_PUBLIC_URL": base, **(env or {})}
    with gunicorn_server(environ, workers=workers, port=port) as (url, _):
        yield url


def oxigraph_binary() -> str | None:
    candidate = VENV_BIN / "oxigraph"
    return str(candidate) if candidate.exists() else shutil.which("oxigraph")


@contextmanager
def oxigraph_server(location: Path) -> Iterator[str]:
    """`oxigraph serve` with the union default graph kapkb expects; yields its base URL."""
    binary = oxigraph_binary()
    if binary is None:
        raise RuntimeError("the oxigraph CLI is not installed (pip install oxigraph)")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/query?query=ASK%7B%7D", proc=proc)
        yield url
    finally:
        stop(proc)


def slow_query(n: int = 150) -> str:
    """A SELECT whose cost does not depend on the data: a sum over n³ rows (n=150: about a second)."""
    values = " ".join(str(i) for i in range(n))
    return "SELECT (SUM(?a * ?b * ?c) AS ?total) WHERE { " + " ".join(f"VALUES ?{v} {{ {values} }}" for v in "abc") + " }"


VIRTUOSO_INI = """[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
MaxCheckpointRemap = 2000
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000

[Parameters]
ServerPort = 127.0.0.1:{isql}
DisableUnixSocket = 1
NumberOfBuffers = 20000
MaxDirtyBuffers = 12000
CheckpointInterval = 60
DirsAllowed = .

[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = {dir}
MaxClientConnections = 8
ServerThreads = 8

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 120
MaxQueryCostEstimationTime = 0
"""
# kapkb's own account, made at each start with SPARQL_UPDATE rights only; its password is new on every test run, so
# finding it anywhere (tests/test_remote_store.py scans logs, output, files and dumps) can only mean a leak
VIRTUOSO_USER, VIRTUOSO_PASSWORD = "kapkb", "pw-" + secrets.token_urlsafe(18)
_VIRTUOSO_ADMIN = ("dba", "dba")  # a fresh database's administrator, used only to make that account


def virtuoso_binary() -> str | None:
    return shutil.which("virtuoso-t")


@contextmanager
def virtuoso_server(location: Path) -> Iterator[str]:
    """Virtuoso Open Source (`virtuoso-t -f`, Debian's virtuoso-opensource-7-bin) on 127.0.0.1; yields its base URL.

    Queries go to /sparql, updates to /sparql-auth, which asks for HTTP Digest authentication: VIRTUOSO_USER with
    VIRTUOSO_PASSWORD, an account made here with update rights only (not the administrator).
    """
    binary = virtuoso_binary()
    if binary is None:
        raise RuntimeError("virtuoso-t is not installed (apt-get install virtuoso-opensource-7-bin)")
    location.mkdir(parents=True, exist_ok=True)
    http, isql = free_port(), free_port()
    ini = location / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(dir=location, http=http, isql=isql), encoding="utf-8")
    proc = subprocess.Popen([binary, "-f", "-c", str(ini)], cwd=location, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{http}"
    try:
        wait_for(f"{url}/sparql?query=ASK%7B%7D", timeout=60, proc=proc)
        account = (f"DB.DBA.USER_CREATE('{VIRTUOSO_USER}', '{VIRTUOSO_PASSWORD}'); "
                   f"DB.DBA.USER_GRANT_ROLE('{VIRTUOSO_USER}', 'SPARQL_UPDATE'); "
                   f"DB.DBA.RDF_DEFAULT_USER_PERMS_SET('{VIRTUOSO_USER}', 3);")  # fmt: skip
        subprocess.run([shutil.which("isql-vt") or "isql", f"127.0.0.1:{isql}", *_VIRTUOSO_ADMIN, f"exec={account}"],
                       check=True, capture_output=True, timeout=60)  # fmt: skip
        yield url
    finally:
        stop(proc, timeout=30)
