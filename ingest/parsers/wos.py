"""Web of Science tagged export ("Plain text file", savedrecs.txt) → ParsedStudy.

The layout: a header (`FN Clarivate Analytics Web of Science`, `VR 1.0`), then
records from `PT` to `ER`, and `EF` at the end. Each line is a two-character tag,
a space and a value; a value that goes on (a second author, a wrapped title) is
continued on lines indented by three spaces. No maintained library reads this
format (metaknowledge, the one that does, is unmaintained and pulls in a graph
stack), and the splitting below is all it takes.

Authors come from AF (full names, "Dakwar, Elias") and only when it is missing from
AU ("Dakwar, E"); both are kept as written. The year is PY: EA is the early-access
date, often a year before the issue.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from . import fields
from .decoding import decode
from .record import Parsed, ParsedStudy, ParseError, Problem

_TAG = re.compile(r"^([A-Z][A-Z0-9])(?: (.*))?$")
_CONTINUED = "   "
_SEMICOLONS = re.compile(r"\s*;\s*")
_OUTSIDE = {"FN", "VR", "EF"}  # file header and end

Tags = dict[str, list[str]]  # tag → one entry per line, continuation lines included


def parse(path: Path, data: bytes) -> Iterator[Parsed]:
    """Yield one ParsedStudy per PT…ER record, or a Problem for a record without a title."""
    name = str(path)
    records = list(_records(decode(name, data)))
    if not records:
        raise ParseError(Problem(name, None, None, "Web of Science records starting with 'PT '", "none"))
    for line, tags in records:
        yield _study(name, line, tags)


def _records(text: str) -> Iterator[tuple[int, Tags]]:
    """(line where the record starts, its tags) for each record; a missing ER is forgiven."""
    tags: Tags | None = None
    start, last = 0, ""
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip()
        if line.startswith(_CONTINUED):
            if tags is not None and last:
                tags[last].append(line.strip())
            continue
        match = _TAG.match(line)
        if not match:
            continue  # blank lines, and lines between records that carry no field
        tag, value = match.group(1), (match.group(2) or "").strip()
        if tags is None and tag in _OUTSIDE:
            continue
        if tag == "ER":
            if tags:
                yield start, tags
            tags, last = None, ""
            continue
        if tags is None or tag == "PT":
            if tags:
                yield start, tags
            tags, start = {}, number
        last = tag
        tags.setdefault(tag, []).append(value)
    if tags:
        yield start, tags


def _joined(tags: Tags, tag: str) -> str | None:
    """A wrapped value (TI, AB, SO) as one line."""
    return fields.clean(" ".join(tags.get(tag, [])))


def _listed(tags: Tags, tag: str) -> list[str]:
    """A '; '-separated value (DE, ID) that may wrap mid-list."""
    return [item for item in _SEMICOLONS.split(" ".join(tags.get(tag, []))) if item]


def _study(name: str, line: int, tags: Tags) -> Parsed:
    title = _joined(tags, "TI")
    if not title:
        return Problem(name, line, "TI", "a title", "nothing")
    people = tags.get("AF") or tags.get("AU") or []
    pmid = _joined(tags, "PM")
    return ParsedStudy(
        title=title,
        authors=tuple(filter(None, map(fields.person, [*people, *tags.get("CA", [])]))),
        journal=_joined(tags, "SO"),
        year=fields.year(_joined(tags, "PY")) or fields.year(_joined(tags, "EA")),
        volume=_joined(tags, "VL"),
        issue=_joined(tags, "IS"),
        pages=fields.pages(_joined(tags, "BP"), _joined(tags, "EP")) or _joined(tags, "AR"),
        doi=fields.doi(_joined(tags, "DI")),
        pmid=pmid if pmid and pmid.isdigit() else None,
        abstract=_joined(tags, "AB") or "",
        keywords=fields.unique(_listed(tags, "DE") + _listed(tags, "ID")),
        publication_types=fields.unique(_listed(tags, "DT")),
        language=_joined(tags, "LA"),
        line=line,
    )
