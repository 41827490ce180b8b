"""RIS (EndNote, Zotero, Mendeley, publisher exports) → ParsedStudy, read with rispy.

rispy silently drops a record whose "ER" line is missing and reports no line
numbers, so we cut the file into records ourselves ("TY  - " to "ER  - ") and hand
rispy one record at a time: a broken record then costs only itself, and every
Problem names the line where its record starts. What lies between records (Ovid's
"1." and "Link to the Ovid Full Text…" lines) is not part of any record; blank lines
inside one (Citavi) do not end it.

Each database puts the PubMed id somewhere else (AN for PubMed-derived records, C5 in
Embase, C2 in Scopus), and a record is kept whenever it has a title: books, chapters
and theses often have no identifier at all. Authors are kept as written ("Liu R.",
"Dakwar, Elias").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import rispy

from . import fields
from .decoding import decode
from .record import Parsed, ParsedStudy, ParseError, Problem

_START = re.compile(r"^TY  - ")
_END = re.compile(r"^ER  -")
_PMCID = re.compile(r"\bPMC\d+\b")
_PMID = re.compile(r"^\d{1,9}$")
_PUBMED_DB = re.compile(r"pubmed|medline|nlm", re.IGNORECASE)
_PMID_FIELD = {"embase": "custom5", "scopus": "custom2"}  # database → where its RIS export puts the PMID


def parse(path: Path, data: bytes) -> Iterator[Parsed]:
    """Yield one ParsedStudy per record, or a Problem for a record rispy cannot read or without a title."""
    name = str(path)
    chunks = _records(decode(name, data))
    if not chunks:
        raise ParseError(Problem(name, None, None, "RIS records starting with 'TY  - '", "no such line"))
    for line, text in chunks:
        try:
            entries = rispy.loads(text, skip_unknown_tags=True)
        except Exception as err:  # rispy is not written for hostile input; one bad record must not stop the rest
            yield Problem(name, line, None, "a readable RIS record", f"{type(err).__name__}: {err}")
            continue
        if not entries:
            yield Problem(name, line, None, "a readable RIS record", "nothing rispy could read")
            continue
        yield _study(name, line, entries[0])


def _records(text: str) -> list[tuple[int, str]]:
    """(first line number, record text) for each TY…ER block; a missing final ER is forgiven."""
    records: list[tuple[int, str]] = []
    lines: list[str] | None = None
    start = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if _START.match(line):
            if lines:
                records.append((start, "\n".join([*lines, "ER  - "])))
            lines, start = [line], number
        elif lines is not None:
            lines.append(line)
            if _END.match(line):
                records.append((start, "\n".join(lines)))
                lines = None
    if lines:
        records.append((start, "\n".join([*lines, "ER  - "])))
    return records


def _many(entry: dict, *keys: str) -> list[str]:
    values: list[str] = []
    for key in keys:
        value = entry.get(key)
        for item in value if isinstance(value, list) else [value]:
            if text := fields.clean(item):
                values.append(text)
    return values


def _one(entry: dict, *keys: str) -> str | None:
    values = _many(entry, *keys)
    return values[0] if values else None


def _pmid(entry: dict) -> str | None:
    """AN holds the PMID in PubMed-derived exports; Embase (C5) and Scopus (C2) put it elsewhere and their own
    accession numbers in AN, even when the record also names Medline as a database."""
    database = " ".join(_many(entry, "name_of_database", "database_provider"))
    own = next((key for name, key in _PMID_FIELD.items() if name in database.lower()), None)
    value = _one(entry, own or "accession_number")
    if value and _PMID.match(value) and (own or not database or _PUBMED_DB.search(database)):
        return value
    return None


def _study(name: str, line: int, entry: dict) -> Parsed:
    title = fields.title(_one(entry, "title", "primary_title"))
    if not title:
        return Problem(name, line, "TI", "a title", "nothing")
    urls = _many(entry, "urls")
    doi = fields.doi(_one(entry, "doi")) or next(filter(None, map(fields.doi, urls)), None)
    pmcid = next((m.group(0) for v in _many(entry, "custom2", "custom1", "notes") if (m := _PMCID.search(v))), None)
    date = _one(entry, "year", "publication_year", "date")
    return ParsedStudy(
        title=title,
        authors=tuple(filter(None, map(fields.person, _many(entry, "authors", "first_authors")))),  # as written
        journal=_one(
            entry, "secondary_title", "alternate_title3", "journal_name", "alternate_title2", "alternate_title1"
        ),
        year=fields.year(date),
        volume=_one(entry, "volume"),
        issue=_one(entry, "number"),
        pages=fields.pages(_one(entry, "start_page"), _one(entry, "end_page")) or _one(entry, "custom7"),  # C7: article no.
        doi=doi,
        pmid=_pmid(entry),
        pmcid=pmcid,
        url=urls[0] if urls else None,
        abstract=_one(entry, "abstract", "notes_abstract") or "",
        keywords=fields.unique(_many(entry, "keywords")),
        publication_types=fields.unique(_many(entry, "type_of_reference")),
        language=_one(entry, "language"),
        line=line,
    )
