"""Normalizers for the bibliographic fields every format spells differently.

Kept in one place so that a DOI, a year or a page range reads the same whichever
file it came from; that is what lets ingest match a record against the curated
corpus. Author names are the exception: they are kept as each source gives them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*|doi\s+)", re.IGNORECASE)
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_IN_TEXT = re.compile(r"\b10\.\d{4,9}/[^\s\"<>]+")
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")
_SPACES = re.compile(r"\s+")
_DASHES = re.compile(r"\s*(?:--?|[\u2010-\u2015])\s*")  # '17--18' (BibTeX), '17 – 18'


def clean(value: object) -> str | None:
    """Collapse whitespace; None for missing, non-text or blank values."""
    if not isinstance(value, str):
        return None
    text = _SPACES.sub(" ", value).strip()
    return text or None


def unique(values: Iterable[object]) -> tuple[str, ...]:
    """Cleaned text values, blanks and non-text dropped, first occurrence kept, order preserved."""
    seen: dict[str, None] = {}
    for value in values:
        text = clean(value)
        if text and text not in seen:
            seen[text] = None
    return tuple(seen)


def title(value: object) -> str | None:
    """A title without the final period PubMed and Ovid add to every title, so titles match other sources."""
    text = clean(value)
    if text and text.endswith(".") and not text.endswith(".."):
        text = text[:-1].rstrip()
    return text or None


def doi(value: object) -> str | None:
    """'https://doi.org/10.1000/ABC.' → '10.1000/abc'; None when it is not a DOI."""
    text = clean(value)
    if not text:
        return None
    text = _DOI_PREFIX.sub("", text).rstrip(".,;").lower()
    while text[-1:] in (")", "]") and text.count(text[-1]) > text.count("(" if text[-1] == ")" else "["):
        text = text[:-1].rstrip(".,;")  # "(doi:10.1000/x)": the bracket closes the sentence, not the DOI
    return text if _DOI.match(text) else None


def doi_in_text(text: str) -> str | None:
    """The first DOI written anywhere in a citation string."""
    match = _DOI_IN_TEXT.search(text)
    return doi(match.group(0)) if match else None


def year(value: object) -> int | None:
    """The first plausible year (1800–2099) in a date string such as '2019 Nov-Dec'."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 1800 <= value <= 2099 else None
    match = _YEAR.search(value) if isinstance(value, str) else None
    return int(match.group(1)) if match else None


def pages(first: object, last: object = None) -> str | None:
    """Join a page range and expand MEDLINE's abbreviated end page: '351-4' → '351-354', '17--18' → '17-18'."""
    start, end = (_DASHES.sub("-", text) if text else None for text in (clean(first), clean(last)))
    if start and not end and "-" in start:
        start, _, end = (part.strip() for part in start.partition("-"))
        end = end or None
    if not start:
        return end
    if not end or end == start:
        return start
    if start.isdigit() and end.isdigit() and len(end) < len(start):
        end = start[: len(start) - len(end)] + end
    return f"{start}-{end}"


def family_given(family: str | None, given: str | None = None, suffix: str | None = None) -> str | None:
    """A name whose parts the source keeps apart, as 'Family, Given': 'Dakwar', 'Elias' → 'Dakwar, Elias'.

    Given names stay as written (never cut to initials); a suffix follows them ('Zarate, Carlos A, Jr').
    """
    parts = [clean(family), clean(given), clean(suffix)]
    if not parts[0]:
        return parts[1]
    return ", ".join(part for part in parts if part)


def person(name: object) -> str | None:
    """A name from a source that writes one string per author, kept exactly as written.

    'Dakwar, Elias' (Zotero), 'Zarate Jr. C.A.' (Embase), 'Zarate, C.A., Jr.' (Scopus) and corporate
    names alike: any reordering would lose what the source says ('Liu R.' once became 'R. L').
    """
    text = clean(name)
    return (text.strip(" ;") or None) if text else None
