"""Gzipped full dumps of each published KB version: Turtle, N-Quads and JSON-LD.

The writer calls `write_for()` right after it publishes a version (or `kapkb dumps`
does, when KAPKB_DUMPS=manual): serialising 5 million triples takes about a minute,
and readers should not wait for it. The files go to `{version}/dumps.tmp/` and appear
as `{version}/dumps/` by one rename, so a reader sees all of them or none; the store
and index of a published version are never touched. `/download/` only lists and sends
files named in the manifest (so no request path ever reaches the file system).

    {version}/dumps/dumps.json        manifest: name, format, media type, bytes, sha256
    {version}/dumps/kapkb.ttl.gz      every triple, the named graphs merged
    {version}/dumps/kapkb.nq.gz       every triple with its named graph (one per source)
    {version}/dumps/kapkb.jsonld.gz   the same dataset, one @graph per named graph
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from kb.store import GRAPH_FORMATS, Store

FOLDER = "dumps"
MANIFEST = "dumps.json"


@dataclass(frozen=True)
class Dump:
    name: str
    format: str  # a kb.store.GRAPH_FORMATS key
    description: str


DUMPS = (
    Dump("kapkb.ttl.gz", "turtle", "Turtle: every triple of every named graph, merged into one graph"),
    Dump("kapkb.nq.gz", "nquads", "N-Quads: every triple with its named graph (one graph per source document)"),
    Dump("kapkb.jsonld.gz", "jsonld", "JSON-LD: the same dataset, one @graph object per named graph"),
)


def write_for(settings, version_dir: Path) -> list[dict]:
    """Write the dumps of a published version (idempotent: an existing set is kept)."""
    from kb.store import open_store

    if (version_dir / FOLDER / MANIFEST).exists():
        return listing(version_dir)
    tmp = version_dir / f"{FOLDER}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    entries = write(open_store(settings, version_dir / "store", read_only=True), tmp)
    os.rename(tmp, version_dir / FOLDER)
    return entries


def write(store: Store, folder: Path) -> list[dict]:
    """Write every dump and the manifest into `folder` (part of a version not yet published).

    The three run in parallel threads: serialising is most of the cost (about 30 s each for
    5.5 million triples), and Oxigraph does it outside the GIL, so this halves the time.
    """
    folder.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=len(DUMPS), thread_name_prefix="dump") as pool:
        entries = list(pool.map(lambda dump: _write_one(store, folder, dump), DUMPS))
    (folder / MANIFEST).write_text(json.dumps(entries, indent=2), encoding="utf-8")
    return entries


def _write_one(store: Store, folder: Path, dump: Dump) -> dict:
    target = folder / dump.name
    with open(target, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as out:
        store.dump(dump.format, out)
    return {
        "name": dump.name,
        "format": dump.format,
        "media_type": GRAPH_FORMATS[dump.format][0],
        "encoding": "gzip",
        "description": dump.description,
        "bytes": target.stat().st_size,
        "sha256": _sha256(target),
    }


def listing(version_dir: Path | None) -> list[dict]:
    """The dumps of a published version; empty for versions written before dumps existed."""
    if version_dir is None:
        return []
    try:
        return json.loads((version_dir / FOLDER / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []


def find(version_dir: Path | None, name: str) -> tuple[Path, dict] | None:
    """The file for a listed dump name, else None: only names from the manifest are ever opened."""
    for entry in listing(version_dir):
        if entry["name"] == name:
            return version_dir / FOLDER / entry["name"], entry  # type: ignore[operator]
    return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
