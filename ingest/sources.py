"""Input files → the parser for their format: a registry keyed by format name.

`kapkb ingest` calls `iter_files` on its arguments, `read_bytes` on each path,
`detect_format` unless `--format` was given, and then `parse(fmt, path, data)`.
Detection looks at the content first, because exports are often misnamed
(PubMed's "PubMed format" download is MEDLINE text in a .txt file), and falls
back to the extension.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from .parsers import bibtex, ctgov, curated, html, markdown, medline, medline_xml, pubmed, ris, text, wos
from .parsers.decoding import check_bytes, to_utf8

__all__ = ["FORMATS", "KNOWN_FORMATS", "detect_format", "iter_files", "parse", "read_bytes", "shown", "to_utf8"]
from .parsers.record import ParseError, Problem

FOLDER_DOCS = re.compile(r"(readme|license|licence|changelog|contributing)(\.[a-z]+)?$", re.IGNORECASE)
MAX_BYTES = 20 * 1024 * 1024
STDIN = "-"

# Every module has parse(path: Path, data: bytes) -> Iterator[record | Problem].
FORMATS: dict[str, ModuleType] = {
    "curated": curated,
    "pubmed-xml": pubmed,
    "medline-xml": medline_xml,
    "medline": medline,
    "ris": ris,
    "wos": wos,
    "bibtex": bibtex,
    "ctgov-json": ctgov,
    "html": html,
    "text": text,
    "markdown": markdown,
}
KNOWN_FORMATS = tuple(FORMATS)  # the names `--format` accepts
ARTICLE_FORMATS = ("html", "text", "markdown")  # pages whose claims `kapkb check` reads

EXTENSIONS = {
    ".xml": "pubmed-xml",
    ".nbib": "medline",
    ".medline": "medline",
    ".ris": "ris",
    ".isi": "wos",
    ".ciw": "wos",
    ".bib": "bibtex",
    ".bibtex": "bibtex",
    ".json": "ctgov-json",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
    ".yaml": "curated",
    ".yml": "curated",
}

_HEAD = 8192  # detection reads no further than this
_PROLOG = re.compile(r"^(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.DOTALL)
_DOCTYPE = re.compile(r"<!DOCTYPE\s+([A-Za-z_][\w:.-]*)", re.IGNORECASE)
_ROOT = re.compile(r"<([A-Za-z_][\w:.-]*)")
_PUBMED_ROOTS = {"PubmedArticleSet", "PubmedArticle", "PubmedBookArticle"}
_MEDLINE_ROOTS = {"MedlineCitationSet", "MedlineCitation"}
_HTML_START = re.compile(
    r"<(?:html|head|body|meta|title|article|main|section|div|p|h[1-6])\b|<!doctype\s+html", re.IGNORECASE
)
_CTGOV_KEYS = re.compile(r'"(?:protocolSection|studies)"\s*:')
_BIBTEX_ENTRY = re.compile(
    r"^\s*@(?:article|book|booklet|inbook|incollection|inproceedings|conference|manual|mastersthesis|misc|"
    r"phdthesis|proceedings|techreport|unpublished|online|report|thesis|dataset|software|collection|"
    r"electronic|www|string|preamble|comment)\s*[{(]",
    re.MULTILINE | re.IGNORECASE,
)
_RIS_TAG = re.compile(r"^TY  - ", re.MULTILINE)
_WOS_START = re.compile(r"^(?:FN |VR |PT [A-Z]\s*$)")  # Web of Science: 'FN Clarivate…', or straight to 'PT J'
_WOS_FIELD = re.compile(r"^(?:AU|AF|TI|SO|UT) \S", re.MULTILINE)
_MEDLINE_START = re.compile(r"^[A-Z0-9]{2,4} *- ")  # 'PT  - JOURNAL ARTICLE', not only 'PMID- '
_MEDLINE_FIELDS = re.compile(r"^(TI|DP|TA|JT|SO|PMID) *- \S", re.MULTILINE)
_MD_HEADING = re.compile(r"^#{1,6}[ \t]+\S")


def read_bytes(location: str | Path, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of a regular file (or stdin for "-"), at most `max_bytes` of them whatever the file says.

    The file is opened without blocking and checked after opening, so a FIFO cannot hang ingest
    (and with it the writer lock) and a device such as /dev/zero cannot feed it without end;
    reading stops one byte past the limit, so a file that grows or lies about its size is refused too.
    UTF-16 (with a byte-order mark, as Windows reference managers write it) becomes UTF-8 here.
    """
    name, path = shown(location), Path(location)
    if str(location) == STDIN:
        data = sys.stdin.buffer.read(max_bytes + 1)
    else:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            raise ParseError(Problem(name, None, None, "a readable file", "no such file")) from None
        except OSError as err:
            raise ParseError(Problem(name, None, None, "a readable file", err.strerror or str(err))) from None
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            os.close(fd)
            raise ParseError(Problem(name, None, None, "a regular file", _kind(mode)))
        with os.fdopen(fd, "rb") as fh:
            size = os.fstat(fd).st_size
            if size > max_bytes:
                raise ParseError(Problem(name, None, None, f"at most {_size(max_bytes)}", f"{_size(size)} (not read)"))
            try:
                data = fh.read(max_bytes + 1)
            except OSError as err:
                raise ParseError(Problem(name, None, None, "a readable file", err.strerror or str(err))) from None
    check_size(name, data, max_bytes)
    return to_utf8(data)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def shown(location: str | Path) -> str:
    """A path as text that can be printed and stored: bytes that are not UTF-8 in a file name become U+FFFD."""
    return os.fsencode(str(location)).decode("utf-8", "replace")


def check_size(location: str | Path, data: bytes, max_bytes: int = MAX_BYTES) -> None:
    """Raise ParseError for more than `max_bytes` (the limit holds for stdin and in-memory data too)."""
    if len(data) > max_bytes:
        got = f"more than {_size(max_bytes)}" if str(location) == STDIN else _size(len(data))
        raise ParseError(Problem(str(location), None, None, f"at most {_size(max_bytes)}", f"{got} (not parsed)"))


def parse(fmt: str, path: Path, data: bytes, max_bytes: int = MAX_BYTES) -> Iterator[Any]:
    """Run the parser registered for `fmt`; ParseError for an unknown format or oversized data."""
    check_size(path, data, max_bytes)
    module = FORMATS.get(fmt)
    if module is None:
        raise ParseError(Problem(str(path), None, None, f"a known format ({', '.join(KNOWN_FORMATS)})", repr(fmt)))
    return module.parse(path, data)


def _size(size: int) -> str:
    return f"{size:,} bytes ({size / 1024 / 1024:.1f} MiB)"


def detect_format(path: Path, data: bytes) -> str:
    """The format name for `data`: from its content, else from the extension of `path`."""
    name = str(path)
    check_bytes(name, data)  # empty and binary files get their own message, not "unknown format"
    head = data[:_HEAD].decode("utf-8", errors="replace").lstrip("\ufeff")
    suffix = path.suffix.lower()
    found = _by_content(head)
    if found:
        return found
    if suffix in (".yaml", ".yml"):  # YAML may open with '---', which would read as front matter
        return "curated"
    if _front_matter(head) or _MD_HEADING.match(head.lstrip()):
        return "markdown"
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    expected = f"a known format ({', '.join(KNOWN_FORMATS)})"
    raise ParseError(Problem(name, None, None, expected, "content and extension that match none of them"))


def _by_content(head: str) -> str | None:
    stripped = head.lstrip()
    first_line = stripped.split("\n", 1)[0]
    if stripped.startswith("<"):
        after_prolog = head[_PROLOG.match(head).end() :]  # type: ignore[union-attr]
        doctype = _DOCTYPE.match(after_prolog)
        root = doctype or _ROOT.match(after_prolog)
        tag = root.group(1) if root else ""
        if tag in _PUBMED_ROOTS:
            return "pubmed-xml"
        if tag in _MEDLINE_ROOTS:
            return "medline-xml"
        if tag.lower() == "html" or _HTML_START.match(after_prolog):
            return "html"
    if first_line.startswith("PMID-"):
        return "medline"
    if stripped.startswith(("{", "[")) and _CTGOV_KEYS.search(head):
        return "ctgov-json"
    if _front_matter(head):  # a Markdown page may quote RIS or BibTeX; its front matter says what it is
        return None
    if _WOS_START.match(first_line) and _WOS_FIELD.search(head):  # before RIS: users rename it .ris
        return "wos"
    if _RIS_TAG.search(head):  # some exports put a "Provider: …" header before the first record
        return "ris"
    # MEDLARS text that does not open with 'PMID- ' (HighWire): a title and a date, journal or PMID, and no TY line
    if _MEDLINE_START.match(first_line) and {"TI"} < set(_MEDLINE_FIELDS.findall(head)):
        return "medline"
    if _BIBTEX_ENTRY.search(head):
        return "bibtex"
    return None


def _front_matter(head: str) -> bool:
    return head.split("\n", 1)[0].rstrip() == "---"


def iter_files(paths: Iterable[str | Path], on_skip: Callable[[str], None] | None = None) -> Iterator[str]:
    """Each input file as a path string: folders expanded recursively in sorted order, hidden entries skipped.

    A folder's README, LICENSE and CHANGELOG describe the folder, not a source, so a
    walk skips them; named on the command line they are ingested like any file. A
    symbolic link inside a folder is followed only when it stays inside that folder (a
    link to /etc/passwd in a folder of exports is not an export); one that leaves it, or
    is broken or loops, is skipped and reported through `on_skip`. Links to folders are not
    walked. "-" (stdin) is passed through. Paths that do not exist are yielded as given,
    so that reading them reports the problem against the name the user typed.
    """
    for item in paths:
        path = Path(item)
        if str(item) == STDIN:
            yield STDIN
        elif path.is_dir():
            root = path.resolve()
            found = []
            for folder, dirs, files in os.walk(path):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                for f in files:
                    if f.startswith(".") or FOLDER_DOCS.match(f):
                        continue
                    candidate = Path(folder, f)
                    if candidate.is_symlink() and (why := _link_problem(candidate, root)):
                        if on_skip:
                            on_skip(f"{shown(candidate)}: {why}; skipped")
                        continue
                    found.append(candidate)
            yield from (str(p) for p in sorted(found, key=lambda p: p.relative_to(path).parts))
        else:
            yield str(item)


def _link_problem(link: Path, root: Path) -> str | None:
    try:
        target = link.resolve(strict=True)
    except (OSError, RuntimeError):
        return "a broken or looping symbolic link"
    if not target.is_relative_to(root):
        return f"a symbolic link to {shown(target)}, outside the folder"
    return None
