"""Normalizers for the bibliographic fields every format spells differently.

Kept in one place so that a DOI, an author name or a page range reads the same
whichever file it came from; that is what lets ingest match a record against the
curated corpus.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*|doi\s+)", re.IGNORECASE)
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_IN_TEXT = re.compile(r"\b10\.\d{4,9}/[^\s\"<>]+")
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")
_INITIALS = re.compile(r"^[A-Z]{1,3}$")
_SPACES = re.compile(r"\s+")
_CORPORATE = re.compile(
    r"\b(?:of|for|and|the|group|consortium|organi[sz]ation|collaboration|association|society|"
    r"institute|committee|investigators|network|team|study|administration|agency|council)\b",
    re.IGNORECASE,
)
_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "2nd", "3rd"}


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
    """Join a page range and expand MEDLINE's abbreviated end page: '351-4' → '351-354'."""
    start, end = clean(first), clean(last)
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


def initials(given: str) -> str:
    """'Jan-Piet' → 'JP', 'R. M.' → 'RM', 'RM' → 'RM'."""
    out = []
    for word in re.split(r"[\s.\-]+", given):
        word = word.strip("{}")
        if not word:
            continue
        out.append(word if _INITIALS.match(word) else word[0].upper())
    return "".join(out)


def family_initials(family: str, given: str | None = None, suffix: str | None = None) -> str:
    """The PubMed author form: 'Dakwar', 'Elias' → 'Dakwar E'."""
    parts = [_SPACES.sub(" ", family).strip()]
    if given and (inits := initials(given)):
        parts.append(inits)
    if suffix:
        suffix = suffix.strip().rstrip(".")
        parts.append(suffix.capitalize() if suffix.lower() in ("jr", "sr") else suffix.upper())
    return " ".join(part for part in parts if part)


def person(name: str) -> str | None:
    """A name as RIS or MEDLINE write it ('Dakwar, Elias', 'Dakwar E', 'Elias Dakwar') → 'Dakwar E'.

    Names that look corporate ('World Health Organization') are kept as written.
    """
    text = clean(name)
    if not text:
        return None
    if "," in text:
        pieces = [piece.strip() for piece in text.split(",")]
        family, rest = pieces[0], [piece for piece in pieces[1:] if piece]
        suffix = next((p for p in rest if p.lower() in _SUFFIXES), None)
        given = " ".join(p for p in rest if p is not suffix)
        return family_initials(family, given, suffix) if family else None
    words = text.split(" ")
    if len(words) == 1 or _CORPORATE.search(text):
        return text
    suffix = words.pop() if words[-1].lower() in _SUFFIXES and len(words) > 2 else None
    if _INITIALS.match(words[-1]):  # already 'Dakwar E' or 'van der Berg JP'
        return family_initials(" ".join(words[:-1]), words[-1], suffix)
    return family_initials(words[-1], " ".join(words[:-1]), suffix)
