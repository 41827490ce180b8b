"""MEDLINE tagged text (PubMed's "Save as PubMed format", .nbib) → ParsedStudy.

Each line is a tag padded to four characters, "- ", and a value; values wrap onto
continuation lines indented with spaces. Records are separated by blank lines and
begin with "PMID- " in PubMed's files; other MEDLARS exports (HighWire's "Download
citation") have no PMID and may carry numbered tags of their own ("4099 - ").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from . import fields
from .decoding import decode
from .record import Parsed, ParsedStudy, ParseError, Problem

_TAG = re.compile(r"^([A-Z0-9]{2,4}) {0,3}-(?: (.*))?$")
_LABEL = re.compile(r"(?:^|(?<=[.?!] ))([A-Z][A-Z0-9 ,&/\-]{2,60}): ")

Tags = list[tuple[str, str]]


def parse(path: Path, data: bytes) -> Iterator[Parsed]:
    """Yield one ParsedStudy per record, or a Problem for a record without a title or a stray line."""
    name = str(path)
    records, problems = _split(name, decode(name, data))
    if not records:
        first = problems[0].got if problems else "no tagged lines"
        raise ParseError(Problem(name, None, None, "MEDLINE records of 'TAG - value' lines", first))
    items = [(problem.line or 0, problem) for problem in problems]
    items += [(line, _study(name, line, tags)) for line, tags in records]
    for _, item in sorted(items, key=lambda pair: pair[0]):  # in file order
        yield item


def _split(name: str, text: str) -> tuple[list[tuple[int, Tags]], list[Problem]]:
    """Group lines into records of (tag, value), joining continuation lines to their tag."""
    records: list[tuple[int, Tags]] = []
    problems: list[Problem] = []
    current: Tags = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip()
        if not line.strip():
            current = []
            continue
        match = _TAG.match(line)
        if match and not raw[:1].isspace():
            tag, value = match.group(1), (match.group(2) or "").strip()
            if not current or tag == "PMID" and any(t == "PMID" for t, _ in current):
                current = []
                records.append((number, current))
            current.append((tag, value))
        elif raw[:1].isspace() and current:
            tag, value = current[-1]
            current[-1] = (tag, f"{value} {line.strip()}".strip())
        else:
            problems.append(Problem(name, number, None, "a 'TAG - value' line", repr(line[:60])))
    return records, problems


def _values(tags: Tags, *wanted: str) -> list[str]:
    return [value for tag, value in tags if tag in wanted and value]


def _first(tags: Tags, *wanted: str) -> str | None:
    for tag in wanted:  # in order of preference, not of appearance
        if values := _values(tags, tag):
            return values[0]
    return None


def _authors(tags: Tags) -> tuple[str, ...]:
    """Each author's FAU ('Dakwar, Elias') when given, else the AU that PubMed pairs with it ('Dakwar E');
    collective names (CN) in their place in the list. Names are kept as written."""
    names = []
    full = False  # the last line was an FAU, so the AU after it names the same person
    for tag, value in tags:
        if tag == "FAU" or tag == "CN" or (tag == "AU" and not full):
            names.append(fields.person(value))
        full = tag == "FAU"
    return tuple(name for name in names if name)


def _tagged_id(values: list[str], kind: str) -> str | None:
    """'10.1000/xyz [doi]' → '10.1000/xyz' for kind 'doi'."""
    suffix = f"[{kind}]"
    for value in values:
        if value.endswith(suffix):
            return value[: -len(suffix)].strip()
    return None


def split_abstract(text: str) -> tuple[tuple[str, str], ...]:
    """'BACKGROUND: a. METHODS: b.' → (('BACKGROUND', 'a.'), ('METHODS', 'b.')); () when unlabeled."""
    matches = list(_LABEL.finditer(text))
    if not matches or matches[0].start() != 0:
        return ()
    sections = []
    for match, following in zip(matches, [*matches[1:], None]):
        end = following.start() if following else len(text)
        sections.append((match.group(1).strip(), text[match.end() : end].strip()))
    return tuple(sections)


def _study(name: str, line: int, tags: Tags) -> Parsed:
    pmid = _first(tags, "PMID")
    title = fields.title(_first(tags, "TI", "BTI"))
    if not title:
        return Problem(name, line, "TI", "a title", f"nothing (PMID {pmid})" if pmid else "nothing")
    abstract = fields.clean(_first(tags, "AB")) or ""
    mesh = [value.lstrip("*").split("/")[0] for value in _values(tags, "MH")]
    ids = _values(tags, "LID", "AID")
    return ParsedStudy(
        title=title,
        authors=_authors(tags),
        journal=_first(tags, "JT", "TA"),
        year=fields.year(_first(tags, "DP")),
        volume=_first(tags, "VI"),
        issue=_first(tags, "IP"),
        pages=fields.pages(_first(tags, "PG")),
        doi=fields.doi(_tagged_id(ids, "doi")),
        pmid=pmid,
        pmcid=_first(tags, "PMC"),
        abstract=abstract,
        abstract_sections=split_abstract(abstract),
        keywords=fields.unique(mesh + _values(tags, "OT")),
        publication_types=fields.unique(_values(tags, "PT")),
        language=_first(tags, "LA"),
        line=line,
    )
