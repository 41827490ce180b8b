"""The service under real conditions: ingest while serving (no failed request, no restart) and kill -9 mid-ingest."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

from kapkb.cli import initialize
from kb.config import Settings
from kb.reader import KB
from tests.live import ROOT, running_server

CORPUS = ROOT / "kb" / "corpus"


def kapkb(data: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kapkb", "--data", str(data), *args], cwd=ROOT,
                          capture_output=True, text=True, **kw)  # fmt: skip


def copies_of_corpus(folder: Path, copies: int) -> int:
    """`copies` renamed copies of every curated record: a batch big enough to take a few seconds."""
    folder.mkdir(parents=True, exist_ok=True)
    n = 0
    for c in range(copies):
        for path in sorted(CORPUS.glob("*.yaml")):
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
            doc["id"] = f"{doc['id']}-copy{c}"
            (folder / f"{doc['id']}.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
            n += 1
    return n


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_server_moves_to_the_new_kb_during_load_with_no_failed_request(tmp_path):
    settings = Settings(data=tmp_path / "var")
    initialize(settings)
    batch = tmp_path / "batch"
    added = copies_of_corpus(batch, 2)
    with running_server(settings.data, workers=2) as base:
        before = json.loads(get(base + "/healthz")[1])
        errors: list[str] = []
        versions: set[str] = set()
        stop = threading.Event()

        def load() -> None:
            while not stop.is_set():
                for path in ("/api/search?q=PTSD", "/healthz", "/search?q=depression+%2B+IV", "/"):
                    status, body = get(base + path)
                    if status != 200:
                        errors.append(f"{path}: {status} {body[:200]!r}")
                    elif path == "/healthz":
                        versions.add(json.loads(body)["version"])

        threads = [threading.Thread(target=load) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        result = kapkb(settings.data, "ingest", "--json", str(batch))
        time.sleep(1.0)
        stop.set()
        for t in threads:
            t.join()
        assert result.returncode == 0, result.stderr
        assert errors == []
        after = json.loads(get(base + "/healthz")[1])
        assert after["version"] != before["version"]
        assert after["counts"]["studies"] == before["counts"]["studies"] + added
        assert versions >= {before["version"], after["version"]}  # served both, no restart


def test_kill_9_mid_ingest_loses_nothing_and_leaves_no_duplicates(tmp_path):
    settings = Settings(data=tmp_path / "var")
    initialize(settings)
    before = KB(settings).stats()
    batch = tmp_path / "batch"
    added = copies_of_corpus(batch, 6)
    proc = subprocess.Popen([sys.executable, "-m", "kapkb", "--data", str(settings.data), "ingest", str(batch)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 60
    while not list((settings.data / "versions").glob("*.tmp")) and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.5)  # well inside the batch
    assert proc.poll() is None, "the ingest finished before it could be killed; make the batch bigger"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert KB(settings).stats() == before  # the published KB is untouched
    again = kapkb(settings.data, "ingest", "--json", str(batch))
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["stored"] == added
    kb = KB(settings)
    after = kb.stats()
    assert after["studies"] == before["studies"] + added
    assert after["sources"] == before["sources"] + added
    assert not list((settings.data / "versions").glob("*.tmp"))
    validate = kapkb(settings.data, "validate")
    assert validate.returncode == 0, validate.stdout
    # the index matches the store: same documents after a rebuild from the store
    docs = {d["iri"]: d for d in kb.searcher().all_stored_fields()}
    assert kapkb(settings.data, "reindex").returncode == 0
    rebuilt = {d["iri"]: d for d in KB(settings).searcher().all_stored_fields()}
    assert docs == rebuilt
    shutil.rmtree(batch)
