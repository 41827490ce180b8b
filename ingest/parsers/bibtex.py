"""BibTeX and BibLaTeX → ParsedStudy, read with bibtexparser 2 and decoded with pylatexenc.

LaTeX is decoded per field rather than with bibtexparser's LatexDecodingMiddleware,
because decoding the author field before splitting it would remove the braces
that keep a corporate author ("{World Health Organization}") in one piece.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import bibtexparser
from bibtexparser.middlewares.names import InvalidNameError, parse_single_name_into_parts, split_multiple_persons_names
from bibtexparser.model import DuplicateBlockKeyBlock, Entry
from pylatexenc.latex2text import LatexNodes2Text

from . import fields
from .decoding import decode
from .record import Parsed, ParsedStudy, ParseError, Problem

# The splitter logs each broken block to stderr; we report the same thing as a Problem with its line.
logging.getLogger("bibtexparser.splitter").setLevel(logging.CRITICAL)

_LATEX = LatexNodes2Text()
_MARKUP = re.compile(r"[\\{}$~^_&%]|--|``|''")
_BARE_SPECIAL = re.compile(r"(?<!\\)([%&])")  # '50%' and 'R & D' in exported abstracts are plain text
_PMCID = re.compile(r"^PMC\d+$")
_PMID = re.compile(r"^\d{1,9}$")


def parse(path: Path, data: bytes) -> Iterator[Parsed]:
    """Yield one ParsedStudy per entry, or a Problem for an entry that does not parse or has no title."""
    name = str(path)
    text = decode(name, data)
    try:
        library = bibtexparser.parse_string(text)
    except Exception as err:  # the splitter is not built for hostile input; report, don't crash
        raise ParseError(Problem(name, None, None, "BibTeX", f"{type(err).__name__}: {err}")) from None
    blocks: list[tuple[int, Entry | Problem]] = []
    for entry in library.entries:
        blocks.append((entry.start_line or 0, entry))
    for block in library.failed_blocks:
        start = block.start_line or 0  # bibtexparser counts lines from 0
        if isinstance(block, DuplicateBlockKeyBlock) and isinstance(block.ignore_error_block, Entry):
            blocks.append((start, block.ignore_error_block))  # the same key twice is still two records
        else:
            problem = Problem(name, start + 1, None, "a well-formed BibTeX entry", _error(block.error))
            blocks.append((start, problem))
    if not blocks:
        raise ParseError(Problem(name, None, None, "BibTeX entries like '@article{key, ...}'", "none"))
    for _, item in sorted(blocks, key=lambda pair: pair[0]):
        yield item if isinstance(item, Problem) else _study(name, item)


def _error(error: Exception) -> str:
    reason = getattr(error, "abort_reason", None) or str(error)  # BlockAbortedException keeps its message apart
    return (fields.clean(reason) or type(error).__name__)[:200]


def _raw(entry: Entry, *keys: str) -> str | None:
    """The first present field, with one outer pair of braces or quotes removed (duplicate-key blocks keep them)."""
    for key in keys:
        field = entry.fields_dict.get(key)
        value = field.value if field is not None else None
        if isinstance(value, str) and value.strip():
            value = value.strip()
            if len(value) > 1 and (value[0], value[-1]) in (("{", "}"), ('"', '"')):
                value = value[1:-1]
            return value
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
    names = []
    for raw in split_multiple_persons_names(value) if value else []:
        try:
            parts = parse_single_name_into_parts(raw, strict=False)
        except InvalidNameError:
            names.append(latex(raw))
            continue
        if raw.strip() == "others":  # BibTeX's "and others"
            names.append("et al.")
            continue
        family = latex(" ".join(parts.von + parts.last)) or ""
        given = latex(" ".join(parts.first))
        suffix = latex(" ".join(parts.jr))
        names.append(fields.family_initials(family, given, suffix) if family else given)
    return tuple(name for name in names if name)


def _study(name: str, entry: Entry) -> Parsed:
    line = (entry.start_line or 0) + 1
    title = latex(_raw(entry, "title"))
    if not title:
        return Problem(name, line, "title", "a title", f"nothing (entry {entry.key})")
    keywords = re.split(r"[;,]", latex(_raw(entry, "keywords")) or "")
    pmid = fields.clean(_raw(entry, "pmid"))
    if not pmid and (_raw(entry, "eprinttype") or "").lower() == "pubmed":
        pmid = fields.clean(_raw(entry, "eprint"))
    pmcid = fields.clean(_raw(entry, "pmcid"))
    pages = (_raw(entry, "pages") or "").replace("--", "-")
    return ParsedStudy(
        title=title,
        authors=_authors(_raw(entry, "author")),
        journal=latex(_raw(entry, "journal", "journaltitle", "booktitle")),
        year=fields.year(_raw(entry, "year", "date")),
        volume=fields.clean(_raw(entry, "volume")),
        issue=fields.clean(_raw(entry, "number", "issue")),
        pages=fields.pages(pages),
        doi=fields.doi(_raw(entry, "doi")),
        pmid=pmid if pmid and _PMID.match(pmid) else None,
        pmcid=pmcid if pmcid and _PMCID.match(pmcid) else None,
        url=fields.clean(_raw(entry, "url")),
        abstract=latex(_raw(entry, "abstract")) or "",
        keywords=fields.unique(keywords),
        publication_types=(entry.entry_type.lower(),),
        language=latex(_raw(entry, "language", "langid")),
        line=line,
    )
