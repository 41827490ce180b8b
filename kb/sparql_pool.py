"""SPARQL from the web, evaluated where it cannot hurt the rest of the service.

pyoxigraph cannot cancel a query or bound its memory, so a web worker never evaluates one
itself. Each worker process keeps one executor process (`python -m kb.sparql_pool`) that opens
the published store read-only, runs at a lower CPU priority, and lives under an address-space
limit: a query that would allocate past it makes the executor abort, and a query that overruns
its time is killed with it. Either way the caller gets a 503 naming the limit, and the next query
gets a fresh executor. The answer is capped in rows (as before) and in bytes.

Across all workers at most `KAPKB_SPARQL_CONCURRENCY` queries run at once (one lock file per
slot in the data directory); a query that finds no free slot gets 503 with Retry-After at once,
so runaway queries can never hold more than that share of the machine while searches go on.

    parent (web worker)                      executor
    ----------------------------------       ------------------------------------------
    header line (JSON) + query bytes   --->  open the store of `store` (once per version)
                                       <---  header line (JSON: ok, media type, counts …)
                                             + body bytes (or ok: false + the error)
"""

from __future__ import annotations

import atexit
import fcntl
import json
import os
import resource
import select
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kb.errors import KBError, Unavailable

MIB = 1024 * 1024
READY = b"ready\n"  # the executor's first line, once its imports are done
STARTUP_TIMEOUT = 30.0
THREAD_SLACK = 256 * MIB


class QueryTooCostly(Unavailable):
    """The query hit a resource limit (time, memory or answer size); the message names it."""


class Busy(Unavailable):
    """Every SPARQL slot is taken: try again shortly (the response carries Retry-After)."""


# -- the slots: a machine-wide cap on concurrent queries ----------------------------------------


@contextmanager
def slot(data: Path, slots: int):
    """Hold one of `slots` lock files for the duration of a query, or raise Busy at once."""
    folder = data / "sparql-slots"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for i in range(max(1, slots)):
        fd = os.open(folder / f"slot-{i}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            yield i
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        return
    raise Busy(f"all {slots} SPARQL slots are busy with other queries; try again in a few seconds", retry_after=2)


# -- the client side, in the web worker ---------------------------------------------------------


class Executor:
    """One executor process for this web worker, started on first use and after every kill."""

    def __init__(self, memory_mb: int) -> None:
        self.memory_mb = memory_mb
        self.proc: subprocess.Popen | None = None
        self.lock = threading.Lock()  # one query at a time through this process's pipe

    def _start(self) -> subprocess.Popen:
        """A new executor, once it says it is ready: its start (an interpreter, rdflib, pyoxigraph; over a second on
        a busy machine) must not count against the first query's time limit."""
        env = {**os.environ, "RUST_BACKTRACE": "0", "MALLOC_ARENA_MAX": "2", "KAPKB_EXECUTOR_MEMORY_MB": str(self.memory_mb)}
        proc = self._spawn(env)
        try:
            ready = _Reply(proc.stdout.fileno(), time.monotonic() + STARTUP_TIMEOUT).line()
        except (TimeoutError, EOFError, ValueError, OSError):
            ready = b""
        if ready != READY:
            self.proc = proc
            self.kill()
            raise Unavailable("the SPARQL executor did not start; try the query again")
        return proc

    def _spawn(self, env: dict) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "kb.sparql_pool"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            # no new session: with autogroup scheduling a process in its own session gets its own CPU share,
            # and its nice level would then weigh nothing against the web workers
        )

    def kill(self) -> None:
        if self.proc is not None:
            try:
                self.proc.kill()
                self.proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass
            for pipe in (self.proc.stdin, self.proc.stdout):
                if pipe:
                    pipe.close()
            self.proc = None

    def run(self, request: dict, timeout: float, grace: float = 1.0) -> tuple[dict, bytes]:
        """Send one query; the header and body of its answer, or QueryTooCostly when a limit stopped it. The
        executor stops a query at `timeout` itself; this side waits `grace` longer before killing it."""
        with self.lock:
            if self.proc is None or self.proc.poll() is not None:
                self.kill()
                self.proc = self._start()
            proc = self.proc
            deadline = time.monotonic() + timeout + grace
            try:
                proc.stdin.write(json.dumps(request).encode("utf-8") + b"\n")
                proc.stdin.flush()
                reply = _Reply(proc.stdout.fileno(), deadline)
                header = json.loads(reply.line())
                body = reply.exactly(header.get("length", 0))
            except TimeoutError:
                self.kill()
                raise QueryTooCostly(
                    f"the query ran longer than {timeout:g} s and was stopped; add a LIMIT or narrow its patterns"
                ) from None
            except (BrokenPipeError, EOFError, ValueError, OSError):
                try:
                    status = proc.wait(2)  # the pipe closes a moment before the process is reaped
                except subprocess.TimeoutExpired:
                    status = None
                self.kill()
                if status in (-signal.SIGABRT, -signal.SIGKILL, -signal.SIGSEGV, 134, 137):
                    raise QueryTooCostly(
                        f"the query needed more than {self.memory_mb} MB of memory and was stopped; "
                        "build smaller values or narrow its patterns"
                    ) from None
                raise Unavailable("the SPARQL executor stopped unexpectedly; try the query again") from None
            return header, body


class _Reply:
    """Reads one answer off the executor's pipe: a header line, then exactly `length` body bytes."""

    def __init__(self, fd: int, deadline: float) -> None:
        self.fd, self.deadline, self.buf = fd, deadline, bytearray()

    def line(self) -> bytes:
        while (end := self.buf.find(b"\n")) < 0:
            if len(self.buf) > MIB:
                raise ValueError("header too long")
            self._more()
        head, self.buf = bytes(self.buf[: end + 1]), self.buf[end + 1 :]
        return head

    def exactly(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._more()
        body, self.buf = bytes(self.buf[:n]), self.buf[n:]
        return body

    def _more(self) -> None:
        """os.read with a deadline, through select(): cooperative under gevent, plain blocking elsewhere."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        ready, _, _ = select.select([self.fd], [], [], remaining)
        if not ready:
            raise TimeoutError
        chunk = os.read(self.fd, 1 << 20)
        if not chunk:
            raise EOFError
        self.buf += chunk


_executor: Executor | None = None
_executor_lock = threading.Lock()


def executor(memory_mb: int) -> Executor:
    global _executor
    with _executor_lock:
        if _executor is None or _executor.memory_mb != memory_mb:
            if _executor is not None:
                _executor.kill()
            _executor = Executor(memory_mb)
        return _executor


@atexit.register
def _stop() -> None:
    """The executor goes when its web worker goes."""
    if _executor is not None:
        _executor.kill()


def execute(settings, store_path: Path | None, query: str, result_format: str, graph_format: str, **dataset: Any):
    """Run a web query in the executor, within every limit in `settings`; a kb.sparql.Result."""
    from kb import sparql as safe

    # the executor parses the query (refusing updates, SERVICE, LOAD and file: graphs) within its limits: a parse
    # here would hold this worker's event loop (rdflib's parser took 0.5 s for one 10 KB query)
    safe.query_form(query)  # an update is refused here at once, even when every slot is busy
    safe.check_graphs(iri for iris in dataset.values() for iri in iris or ())
    request = {
        "query": query,
        "result_format": result_format,
        "graph_format": graph_format,
        "max_rows": settings.sparql_max_rows,
        "max_bytes": settings.sparql_max_bytes,
        "timeout": settings.sparql_timeout,
        "dataset": {k: v for k, v in dataset.items() if v},
        "store": str(store_path) if store_path else None,
        "remote": [settings.sparql_endpoint, settings.sparql_update_endpoint] if settings.remote else None,
        "credentials": [settings.sparql_user, settings.sparql_password] if settings.sparql_user else None,
    }
    with slot(settings.data, settings.sparql_concurrency):
        header, body = executor(settings.sparql_max_memory_mb).run(request, settings.sparql_timeout)
    if not header.get("ok"):
        raise _error(header)
    return safe.Result(header["form"], header["media_type"], body, header.get("count"), header["truncated"], header.get("cap"))


def _error(header: dict) -> KBError:
    """The executor's error as the KBError the web answers with (its class name travels in `kind`)."""
    from kb import errors

    kind, message = header.get("kind", ""), header.get("message", "the query failed")
    if kind in ("QueryTimeout", "QueryTooLarge", "QueryTooCostly"):
        return QueryTooCostly(message)
    cls = getattr(errors, kind, None)
    return cls(message) if isinstance(cls, type) and issubclass(cls, KBError) else Unavailable(message)


# -- the executor process ------------------------------------------------------------------------


def _vm_size() -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _serve() -> None:  # pragma: no cover - runs in the executor process; tests drive it through execute()
    from kb import sparql as safe
    from kb.store import EmbeddedStore, RemoteStore

    os.nice(10)  # searches and pages come first on a busy machine
    budget = int(os.environ.get("KAPKB_EXECUTOR_MEMORY_MB", "512")) * MIB
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    stdout.write(READY)
    stdout.flush()
    opened: tuple[str | None, Any] = (None, None)
    for line in stdin:
        request = json.loads(line)
        key = request["store"] or json.dumps(request["remote"])
        if opened[0] != key:
            opened = (None, None)  # close the old version's store before opening the new one
            if request["remote"]:
                user, password = request.get("credentials") or ("", "")
                store = RemoteStore(*request["remote"], user=user, password=password)
            else:
                store = EmbeddedStore(Path(request["store"]), read_only=True)
            opened = (key, store)
            # address space: what the open store maps, the query's budget, and room for the query thread's stack
            # and malloc arena (the limit is there to stop a runaway query, not to account for every page)
            resource.setrlimit(resource.RLIMIT_AS, (_vm_size() + budget + THREAD_SLACK, resource.RLIM_INFINITY))
        try:
            result = safe.execute(
                opened[1], request["query"], request["result_format"], request["graph_format"], request["timeout"],
                request["max_rows"], max_bytes=request["max_bytes"], **request["dataset"],
            )  # fmt: skip
            header = {"ok": True, "form": result.form, "media_type": result.media_type, "count": result.count,
                      "truncated": result.truncated, "cap": result.cap, "length": len(result.body)}  # fmt: skip
            body = result.body
        except KBError as e:
            header, body = {"ok": False, "kind": type(e).__name__, "message": e.message, "length": 0}, b""
            if getattr(e, "running", False):  # Oxigraph is still computing it and cannot be told to stop: exit
                stdout.write(json.dumps(header).encode("utf-8") + b"\n")
                stdout.flush()
                os._exit(0)
        except MemoryError:
            header, body = {"ok": False, "kind": "QueryTooCostly", "message": "the query ran out of memory", "length": 0}, b""
        except Exception as e:  # an evaluation error of the store: say what, keep serving
            header, body = {"ok": False, "kind": "Unavailable", "message": f"the query failed: {e}", "length": 0}, b""
        stdout.write(json.dumps(header).encode("utf-8") + b"\n")
        stdout.write(body)
        stdout.flush()
        del body


if __name__ == "__main__":  # pragma: no cover
    _serve()
