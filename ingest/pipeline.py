"""parse → extract → model → Writer, one source at a time; a bad source never stops the batch.

Each input file is one source (one named graph). A file that cannot be read at all is
rejected with the reason; a file with some bad records stores the good ones and
reports the others; nothing already in the KB is touched by a rejected file.
"""

from __future__ import annotations

import gc
import hashlib
import os
import re
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from kb.errors import KBError
from kb.model import Article, Source, Study
from kb.writer import Writer

from . import sources
from .extract import build_record
from .known import KnownStudies
from .parsers import curated
from .parsers.record import ParseError, ParsedArticle, ParsedStudy, Problem


@dataclass
class SourceReport:
    source: str
    id: str | None = None
    format: str | None = None
    kind: str | None = None
    status: str = "rejected"
    error: str | None = None
    triples: int = 0
    records: int = 0
    problems: list[str] = field(default_factory=list)  # records that could not be stored
    warnings: list[str] = field(default_factory=list)  # fields dropped because the KB could not hold them
    internal: bool = False  # a kapkb bug, not the input's fault
    concepts: dict[str, list[str]] | None = None
    claims: list[dict] | None = None

    def as_json(self) -> dict:
        out = {k: v for k, v in self.__dict__.items() if v is not None}
        for key in ("problems", "warnings"):
            if not out.get(key):
                out.pop(key, None)
        if not self.internal:
            out.pop("internal", None)
        return out


@dataclass
class Report:
    sources: list[SourceReport] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # paths a folder walk left out, and why

    def count(self, status: str) -> int:
        return sum(1 for s in self.sources if s.status == status)

    @property
    def partial(self) -> bool:
        return bool(self.skipped) or any(s.status == "rejected" or s.problems or s.warnings for s in self.sources)

    @property
    def internal(self) -> bool:
        return any(s.internal for s in self.sources)

    def as_json(self) -> dict:
        return {
            "sources": [s.as_json() for s in self.sources],
            "stored": self.count("stored"),
            "unchanged": self.count("unchanged"),
            "rejected": self.count("rejected"),
            **({"skipped": self.skipped} if self.skipped else {}),
        }


def source_id(path: str) -> str:
    """Stable for the same location: a readable slug of the file name plus a short hash of its path."""
    if path == "-":
        return "stdin"
    p = Path(path)
    stem = slug(sources.shown(p.stem)) or "source"
    if p.parent.name == "corpus" and p.suffix == ".yaml":
        return f"corpus-{stem}"
    digest = hashlib.sha1(os.fsencode(p.resolve())).hexdigest()[:6]
    return f"{stem}-{digest}"


def slug(text: str, limit: int = 60) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].strip("-")


def ingest_paths(
    writer: Writer,
    paths: Iterable[str],
    fmt: str | None = None,
    on_progress: Callable[[SourceReport], None] | None = None,
    read: Callable[[str], bytes] | None = None,
) -> Report:
    report = Report()
    known = KnownStudies.from_store(writer.store)  # once per batch; grows as sources are stored
    for path in sources.iter_files(paths, on_skip=report.skipped.append):
        entry = ingest_one(writer, str(path), fmt, read, known)
        report.sources.append(entry)
        if on_progress:
            on_progress(entry)
    return report


def ingest_one(
    writer: Writer,
    path: str,
    fmt: str | None,
    read: Callable[[str], bytes] | None = None,
    known: KnownStudies | None = None,
) -> SourceReport:
    """Parse, extract and store one source; `known` are the studies its claims may cite (read from the store when None)."""
    entry = SourceReport(source=sources.shown(path), id=source_id(path))
    known = known if known is not None else KnownStudies.from_store(writer.store)
    try:
        data = sources.to_utf8(read(path)) if read else sources.read_bytes(Path(path))
        entry.format = fmt or sources.detect_format(Path(path), data)
        parser = curated if entry.format == "curated" else sources.FORMATS[entry.format]
        records: list[Study | Article] = []
        with _no_cyclic_gc():
            for item in parser.parse(Path(path), data):
                if isinstance(item, Problem):
                    entry.problems.append(str(item))
                    continue
                record = (
                    item if isinstance(item, Study | Article) else build_record(item, path, writer.vocab, known, entry.id)
                )
                if isinstance(record, Problem):
                    entry.problems.append(str(record))
                else:
                    records.append(record)
        if not records:
            entry.error = entry.problems.pop(0) if entry.problems else f"{path}: no records found"
            return entry
        records = _unique_ids(records)
        source = Source(
            id=entry.id,
            location=sources.shown(Path(path).name) if path != sources.STDIN else "stdin",  # never a local path
            format=entry.format,
            checksum=hashlib.sha256(data).hexdigest(),
            records=tuple(records),
        )
        result = writer.replace_source(source)
        for r in records:
            if isinstance(r, Study):
                known.add(r, entry.id)
        entry.status, entry.triples = result.status, result.triples
        entry.records = len(records) - len(result.rejected)
        entry.problems += result.rejected
        entry.warnings += result.warnings
        entry.kind = _kind(records)
        articles = [r for r in records if isinstance(r, Article)]
        if articles:
            entry.concepts = concepts_by_scheme(articles, writer)
            entry.claims = [claim_json(c, writer, known) for a in articles for c in a.claims]
    except ParseError as e:
        entry.error = str(e.problem)
    except KBError as e:
        entry.error = f"{entry.source}: {e.message}"
    except RecursionError:
        entry.error = f"{entry.source}: nested too deeply to read (expected a document of ordinary depth)"
    except MemoryError:
        entry.error = f"{entry.source}: too large to read in memory"
    except Exception as e:  # a bug in kapkb: this source is reported, the batch goes on, the CLI exits 2
        entry.error = f"{entry.source}: internal error ({type(e).__name__}: {e}); please report it"
        entry.internal = True
    return entry


@contextmanager
def _no_cyclic_gc():
    """Parsing and extraction make millions of small acyclic objects; with tens of thousands of records alive the
    cyclic collector rescans them over and over (about 40% of extraction time for 10,000 records). Reference
    counting still frees everything; the collector runs again as soon as the block ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _kind(records: list[Study | Article]) -> str:
    kinds = {"study" if isinstance(r, Study) else "article" for r in records}
    return kinds.pop() if len(kinds) == 1 else "mixed"


def _unique_ids(records: list[Study | Article]) -> list[Study | Article]:
    """Two records of one file with the same id get -2, -3…: ids are IRIs, and IRIs must not collide."""
    from dataclasses import replace

    seen: dict[str, int] = {}
    out = []
    for r in records:
        n = seen.get(r.id, 0) + 1
        seen[r.id] = n
        out.append(r if n == 1 else replace(r, id=f"{r.id}-{n}"))
    return out


def concepts_by_scheme(articles: list[Article], writer: Writer) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for a in articles:
        for iri in a.concepts:
            c = writer.vocab.concepts.get(iri)
            if c and c.pref_label not in out.setdefault(c.scheme, []):
                out[c.scheme].append(c.pref_label)
    return out


def claim_json(claim, writer: Writer, known: KnownStudies | None = None) -> dict:
    """A claim as `kapkb ingest --json` reports it: `cites` names the study's DOI and PMID when it is resolved."""
    cit = claim.citation
    cites = []
    if claim.cites:
        study = known.get(claim.cites) if known is not None else None
        cites = [{"doi": study.doi if study else None, "pmid": study.pmid if study else None, "id": claim.cites}]
    elif cit and (cit.doi or cit.pmid):
        cites = [{"doi": cit.doi, "pmid": cit.pmid, "id": None}]
    return {
        "text": claim.text,
        "concepts": [writer.vocab.label(i) for i in claim.concepts],
        "cites": cites,
        "resolved": claim.cites is not None,
        **({"citation": cit.text} if cit and cit.text else {}),
        **({"reason": claim.unresolved_reason} if claim.unresolved_reason else {}),
        **({"verdict": verdict_json(claim, known)} if claim.verdict else {}),
    }


def verdict_json(claim, known: KnownStudies | None) -> dict:
    """A claim's verdict in the shape `kapkb check --json` and POST /api/check give (docs/claim-check.md)."""
    v = claim.verdict
    study = known.get(claim.cites) if known is not None and claim.cites else None
    return {
        "quote": claim.provenance.quote or claim.text,
        "start": claim.provenance.start,
        "end": claim.provenance.end,
        "study": claim.cites,
        "doi": study.doi if study else None,
        "verdict": v.label,
        "reason": v.reason,
        "page_figures": list(v.page_figures),
        "study_figures": list(v.study_figures),
        "candidates": list(v.candidates),
    }


def check_page(data: bytes, name: str, fmt: str | None, vocab, known: KnownStudies) -> dict:
    """Read one page (any article format) and judge its claims against the KB; nothing is stored.
    A file of studies, or one that does not parse, raises KBError naming it."""
    from kb.errors import KBError

    data = sources.to_utf8(data)
    if fmt is None and name == sources.STDIN:
        try:
            fmt = sources.detect_format(Path(name), data)
        except ParseError:
            fmt = "text"  # pasted text: nothing to detect it by, and plain text is what people paste
    try:
        fmt = fmt or sources.detect_format(Path(name), data)
    except ParseError as e:
        raise KBError(str(e)) from None
    parser = sources.FORMATS.get(fmt)
    if parser is None or fmt not in sources.ARTICLE_FORMATS:
        raise KBError(f"{sources.shown(name)}: {fmt} holds studies, not a page; kapkb check reads html, text or markdown")
    claims, titles = [], []
    for item in parser.parse(Path(name), data):
        if isinstance(item, Problem):
            raise KBError(str(item))
        article = build_record(item, name, vocab, known)
        if isinstance(article, Problem):
            raise KBError(str(article))
        titles.append(article.title)
        claims += [verdict_json(c, known) for c in article.claims]
    return {"source": sources.shown(name), "title": titles[0] if titles else None, "claims": claims}


__all__ = ["Report", "SourceReport", "ingest_paths", "ingest_one", "source_id", "ParsedStudy", "ParsedArticle"]
