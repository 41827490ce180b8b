"""Published KB versions in the data directory, and the atomic switch between them.

    {data}/kapkb.lock            held by the one writer (flock)
    {data}/current -> versions/v000007
    {data}/versions/v000007/     store/ (Oxigraph, embedded mode), index/ (Whoosh), meta.json
    {data}/versions/v000008.tmp  a version being written; never read, removed if a writer crashed

A version is never written after it is published, so any number of web workers may
open it read-only (pyoxigraph calls reading a store another process writes
undefined behaviour). The writer builds the next version from a hard-linked
checkpoint of the current one and publishes it by replacing the `current` symlink,
which is atomic on POSIX: readers see the old KB or the new one, never half.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from kb.errors import Unavailable

KEEP_VERSIONS = 3  # published versions kept for readers that have not switched yet
KEEP_SECONDS = 120  # and none removed younger than this


def current_dir(data: Path) -> Path | None:
    link = data / "current"
    try:
        return data / os.readlink(link)
    except FileNotFoundError:
        return None


def meta(version: Path) -> dict:
    try:
        return json.loads((version / "meta.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def ensure_data_dir(data: Path) -> None:
    """The data directory, created private (0700): other local users can neither read it nor block its writer."""
    if not data.exists():
        data.mkdir(parents=True, mode=0o700)
    elif data.stat().st_uid == os.getuid() and data.stat().st_mode & 0o077:
        data.chmod(0o700)  # made before kapkb made it private (or by hand): private from now on


@contextmanager
def writer_lock(data: Path, wait: bool = True, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """The one-writer lock. The holder writes who it is into the lock file, so a writer that has to wait can
    say for whom (`on_wait` gets that sentence) instead of hanging silently."""
    ensure_data_dir(data)
    fd = os.open(data / "kapkb.lock", os.O_RDWR | os.O_CREAT, 0o600)
    if os.fstat(fd).st_uid == os.getuid():
        os.fchmod(fd, 0o600)  # a lock left world-readable by an older kapkb
    with os.fdopen(fd, "r+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            holder = fh.read().strip() or "another kapkb process"
            if not wait:
                raise Unavailable(f"{holder} is writing {data}; try again when it finishes") from e
            if on_wait:
                on_wait(f"waiting for {holder} to finish writing {data} ...")
            fcntl.flock(fh, fcntl.LOCK_EX)
        fh.seek(0)
        fh.truncate()
        command = " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv[:3]))
        fh.write(f"{command} (pid {os.getpid()}, since {time.strftime('%H:%M:%S')})\n")
        fh.flush()
        try:
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fcntl.flock(fh, fcntl.LOCK_UN)


def next_version(data: Path) -> tuple[str, Path]:
    """Name and temporary folder of the next version (call under the writer lock)."""
    versions = data / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    for stale in versions.glob("*.tmp"):
        shutil.rmtree(stale, ignore_errors=True)  # left by a writer that crashed
    numbers = [int(p.name[1:]) for p in versions.iterdir() if p.name.startswith("v") and p.name[1:].isdigit()]
    name = f"v{max(numbers, default=0) + 1:06d}"
    tmp = versions / f"{name}.tmp"
    tmp.mkdir()
    return name, tmp


def copy_index(src: Path, dst: Path) -> None:
    """Copy a Whoosh index folder (segments are small next to the store; copying keeps versions independent)."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*.lock", "*_LOCK"))


def publish(data: Path, name: str, tmp: Path, info: dict) -> Path:
    """Seal `tmp` as version `name` and point `current` at it, atomically."""
    (tmp / "meta.json").write_text(json.dumps({"version": name, **info}, indent=2), encoding="utf-8")
    _fsync_tree(tmp)
    final = tmp.with_name(name)
    os.rename(tmp, final)
    link_tmp = data / f"current.{os.getpid()}.tmp"
    if link_tmp.is_symlink() or link_tmp.exists():
        link_tmp.unlink()
    os.symlink(Path("versions") / name, link_tmp)
    os.replace(link_tmp, data / "current")
    _fsync_dir(data)
    prune(data)
    return final


def prune(data: Path) -> None:
    versions = sorted(p for p in (data / "versions").iterdir() if p.name.startswith("v") and p.name[1:].isdigit())
    current = current_dir(data)
    now = time.time()
    for old in versions[:-KEEP_VERSIONS]:
        if old != current and now - old.stat().st_mtime > KEEP_SECONDS:
            shutil.rmtree(old, ignore_errors=True)


def _fsync_tree(root: Path) -> None:
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(dirpath))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
