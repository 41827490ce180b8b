"""BibTeX and BibLaTeX → ParsedStudy, read with bibtexparser 2 and decoded with pylatexenc.

bibtexparser splits the file and its middlewares do what they can: field names to
lower case (JabRef 3 writes `Title =`), `@string` macros, enclosing braces and
quotes. Two things it leaves undone (its own TODOs) are added here as middlewares of
the same kind: macros joined with `#` (`Publisher = maps # { (MAPS)}`) and
`crossref` inheritance (an @inproceedings takes booktitle, year and publisher from
its @proceedings). An entry whose key or fields repeat is still a record: a
reference manager imports it.

LaTeX is decoded per field rather than with bibtexparser's LatexDecodingMiddleware,
because decoding the author field before splitting it would remove the braces
that keep a corporate author ("{World Health Organization}") in one piece. URLs are
not LaTeX: only their escaped specials (Mendeley's `{\\_}`, `{\\%}`, `{\\&}`) are undone.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import bibtexparser
from bibtexparser.library import Library
from bibtexparser.middlewares import (
    LibraryMiddleware,
    NormalizeFieldKeys,
    RemoveEnclosingMiddleware,
    ResolveStringReferencesMiddleware,
)
from bibtexparser.middlewares.names import InvalidNameError, parse_single_name_into_parts, split_multiple_persons_names
from bibtexparser.model import DuplicateBlockKeyBlock, DuplicateFieldKeyBlock, Entry, Field
from pylatexenc.latex2text import LatexNodes2Text

from . import fields
from .decoding import decode
from .record import Parsed, ParsedStudy, ParseError, Problem

# The splitter and middlewares log each broken block to stderr; we report the same thing as a Problem with its line.
logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)

_LATEX = LatexNodes2Text()
_MARKUP = re.compile(r"[\\{}$~^_&%]|--|``|''")
_BARE_SPECIAL = re.compile(r"(?<!\\)([%&])")  # '50%' and 'R & D' in exported abstracts are plain text
_URL_ESCAPE = re.compile(r"\{\\([%&_#$~])\}|\\([%&_#$~])")
_EXTENDED_NAME = re.compile(r"^\s*(?:family|given|prefix|suffix)\s*=", re.IGNORECASE)
_NAME_PART = re.compile(r",\s*(?=[a-z]+\s*=)", re.IGNORECASE)
_PMCID = re.compile(r"^PMC\d+$")
_PMID = re.compile(r"^\d{1,9}$")
_KEY = "kapkb-key"  # parser_metadata: the key as written, for an entry renamed to keep it apart from its twin


def parse(path: Path, data: bytes) -> Iterator[Parsed]:
    """Yield one ParsedStudy per entry, or a Problem for an entry that does not parse or has no title."""
    name = str(path)
    text = decode(name, data)
    try:
        library = _library(text)
    except Exception as err:  # the splitter is not built for hostile input; report, don't crash
        raise ParseError(Problem(name, None, None, "BibTeX", f"{type(err).__name__}: {err}")) from None
    blocks: list[tuple[int, Entry | Problem]] = []
    for entry in library.entries:
        blocks.append((entry.start_line or 0, entry))
    for block in library.failed_blocks:
        start = block.start_line or 0  # bibtexparser counts lines from 0
        blocks.append((start, Problem(name, start + 1, None, "a well-formed BibTeX entry", _error(block.error))))
    if not blocks:
        raise ParseError(Problem(name, None, None, "BibTeX entries like '@article{key, ...}'", "none"))
    for _, item in sorted(blocks, key=lambda pair: pair[0]):
        yield item if isinstance(item, Problem) else _study(name, item)


def _library(text: str) -> Library:
    """The file's entries with every middleware applied; an entry whose key or fields repeat is kept."""
    library = bibtexparser.parse_string(text, parse_stack=[])
    for block in library.failed_blocks:
        entry = block.ignore_error_block if isinstance(block, DuplicateBlockKeyBlock | DuplicateFieldKeyBlock) else None
        if isinstance(entry, Entry):
            if isinstance(block, DuplicateBlockKeyBlock):
                entry.parser_metadata[_KEY] = entry.key
                entry.key = f"{entry.key} {id(entry)}"  # unique, so the library keeps both
            library.replace(block, entry, fail_on_duplicate_key=False)
    stack = [
        NormalizeFieldKeys(),
        ExpandConcatenation(),
        ResolveStringReferencesMiddleware(),
        RemoveEnclosingMiddleware(),
        InheritCrossref(),
    ]
    for middleware in stack:
        library = middleware.transform(library)
    return library


class ExpandConcatenation(LibraryMiddleware):
    """`kp # {: Science}` → `{The Ketamine Papers: Science}`: macros and literals joined with '#'.

    bibtexparser resolves a field that is a single macro; a '#' chain it leaves as written.
    """

    def transform(self, library: Library) -> Library:
        macros: dict[str, str] = {}
        for string in library.strings:  # in file order: a macro may use those defined before it
            string.value = _expand(string.value, macros)
            macros[string.key.lower()] = _unenclosed(string.value)
        for entry in library.entries:
            for field in entry.fields:
                field.value = _expand(field.value, macros)
        return library


def _expand(value: object, macros: dict[str, str]) -> object:
    parts = _concatenated(value) if isinstance(value, str) and "#" in value else []
    if len(parts) < 2:
        return value
    return "{" + "".join(macros.get(part.lower(), _unenclosed(part)) for part in parts) + "}"


def _concatenated(value: str) -> list[str]:
    """The operands of a '#' chain ('a # {b # c}' → ['a', '{b # c}']); one item when there is no chain."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, char in enumerate(value):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == '"' and depth == 0:
            quoted = not quoted
        elif char == "#" and depth == 0 and not quoted:
            parts.append(value[start:i].strip())
            start = i + 1
    return [*parts, value[start:].strip()]


def _unenclosed(value: str) -> str:
    value = value.strip()
    if len(value) > 1 and (value[0], value[-1]) in (("{", "}"), ('"', '"')):
        return value[1:-1]
    return value


class InheritCrossref(LibraryMiddleware):
    """An entry with `crossref = {key}` takes the fields it lacks from that entry, as BibTeX does; the parent's
    title becomes the child's booktitle (an @inproceedings from its @proceedings, an @incollection from its @book)."""

    _OWN = {"crossref", "title", "shorttitle", "subtitle", "ids", "key", "label", "sortkey"}

    def transform(self, library: Library) -> Library:
        by_key = {entry.key.lower(): entry for entry in library.entries}
        for entry in library.entries:
            own = entry.fields_dict
            ref = own.get("crossref")
            parent = by_key.get(ref.value.strip().lower()) if ref and isinstance(ref.value, str) else None
            if parent is None or parent is entry:
                continue
            inherited = {("booktitle" if f.key == "title" else f.key): f.value for f in parent.fields}
            inherited.update({f.key: f.value for f in parent.fields if f.key == "booktitle"})
            for key, value in inherited.items():
                if key not in own and key not in self._OWN:
                    entry.set_field(Field(key, value))
        return library


def _error(error: Exception) -> str:
    reason = getattr(error, "abort_reason", None) or str(error)  # BlockAbortedException keeps its message apart
    return (fields.clean(reason) or type(error).__name__)[:200]


def _raw(entry: Entry, *keys: str) -> str | None:
    """The first present, non-blank field (the middlewares have lower-cased keys and removed the enclosing)."""
    found = entry.fields_dict
    for key in keys:
        value = found[key].value if key in found else None
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def latex(value: str | None) -> str | None:
    """LaTeX markup to plain unicode text: 'M{\\"u}ller' → 'Müller'."""
    if not value:
        return None
    if not _MARKUP.search(value):  # most fields are plain text; pylatexenc costs ~0.5 ms a call
        return fields.clean(value)
    bare = value.replace("{", "").replace("}", "")
    try:
        text = _LATEX.latex_to_text(_BARE_SPECIAL.sub(r"\\\1", value))
    except Exception:  # pylatexenc is tolerant, but a failure here should cost only the markup
        text = bare
    return fields.clean(text) or fields.clean(bare)  # markup that decodes to nothing still has its words


def _authors(value: str | None) -> tuple[str, ...]:
    """'aan het Rot, Marije and {KAPKB Consortium} and others' → ('aan het Rot, Marije', 'KAPKB Consortium', 'et al.')."""
    names = [_person(raw) for raw in split_multiple_persons_names(value)] if value else []
    return tuple(name for name in names if name)


def _person(raw: str) -> str | None:
    """One BibTeX name as 'Family, Given' (particles with the family name, given names as written, suffix last)."""
    if raw.strip() == "others":  # BibTeX's "and others"
        return "et al."
    if _EXTENDED_NAME.match(raw):  # Better BibTeX: 'family=Rot, given=Marije, prefix=aan het, useprefix=false'
        parts = {key.strip().lower(): value for key, _, value in (p.partition("=") for p in _NAME_PART.split(raw))}
        family = " ".join(filter(None, (parts.get("prefix"), parts.get("family"))))
        return fields.family_given(latex(family), latex(parts.get("given")), latex(parts.get("suffix")))
    try:
        parts = parse_single_name_into_parts(raw, strict=False)
    except InvalidNameError:
        return latex(raw)
    family = latex(" ".join(parts.von + parts.last))
    return fields.family_given(family, latex(" ".join(parts.first)), latex(" ".join(parts.jr)))


def _url(value: str | None) -> str | None:
    """The first URL of the field, its LaTeX-escaped specials undone: '{\\_}' → '_' (Mendeley writes two, space-separated)."""
    text = _URL_ESCAPE.sub(lambda m: m.group(1) or m.group(2), value or "").split()
    return text[0] if text else None


def _study(name: str, entry: Entry) -> Parsed:
    line = (entry.start_line or 0) + 1
    title = latex(_raw(entry, "title"))
    if not title:
        key = entry.parser_metadata.get(_KEY, entry.key)
        return Problem(name, line, "title", "a title", f"nothing (entry {key})")
    keywords = re.split(r"[;,]", latex(_raw(entry, "keywords")) or "")
    pmid = fields.clean(_raw(entry, "pmid"))
    if not pmid and (_raw(entry, "eprinttype") or "").lower() in ("pubmed", "pmid"):
        pmid = fields.clean(_raw(entry, "eprint"))
    pmcid = fields.clean(_raw(entry, "pmcid"))
    booktitle = latex(_raw(entry, "booktitle"))
    return ParsedStudy(
        title=title,
        authors=_authors(_raw(entry, "author")),
        journal=latex(_raw(entry, "journal", "journaltitle")) or (booktitle if booktitle != title else None),
        year=fields.year(_raw(entry, "year", "date")),
        volume=fields.clean(_raw(entry, "volume")),
        issue=fields.clean(_raw(entry, "number", "issue")),
        pages=fields.pages(_raw(entry, "pages")),
        doi=fields.doi(_raw(entry, "doi")),
        pmid=pmid if pmid and _PMID.match(pmid) else None,
        pmcid=pmcid if pmcid and _PMCID.match(pmcid) else None,
        url=_url(_raw(entry, "url")),
        abstract=latex(_raw(entry, "abstract")) or "",
        keywords=fields.unique(keywords),
        publication_types=(entry.entry_type.lower(),),
        language=latex(_raw(entry, "language", "langid")),
        line=line,
    )
