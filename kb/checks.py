"""What the store and the index accept, checked before anything is written.

One bad value must never cost more than itself: a sample size of 2^31 (the index's numeric
fields hold 32 bits), a ClinicalTrials.gov enrollment of 10^400, NaN or infinity (not an
xsd:decimal), a URL with a space or a brace (not an IRI), a `javascript:` link, a lone
surrogate from a mangled file name (not UTF-8). Every record passes `check_record` on its way
into the writer: a bad field is dropped with a warning naming it, a record without a usable id
or title is rejected with an error naming why, and everything else goes on.
"""

from __future__ import annotations

import math
import re
from dataclasses import fields, is_dataclass, replace
from typing import Any
from urllib.parse import quote, urlsplit

from kb.model import Article, Study

MAX_INT = 2**31 - 1  # Whoosh NUMERIC fields and xsd:int-minded consumers
MAX_NUMBER = 1e12  # no figure in this literature comes near it
SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]{0,199}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_URL_FIELDS = {"url", "primary_urls", "secondary_urls"}
_YEAR = (1000, 2100)


class RecordRejected(ValueError):
    """The record cannot be stored at all; the message names the field and what was expected."""


def clean_text(text: str) -> str:
    """Text the store can hold: control characters dropped, lone surrogates (undecodable bytes) replaced."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(lambda m: "\ufffd" if "\ud800" <= m[0] <= "\udfff" else "", text)


def safe_iri(url: str | None) -> str | None:
    """An http(s) URL as an IRI the store accepts (spaces, braces, quotes percent-encoded), or None."""
    if not url:
        return None
    text = clean_text(url.strip())
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    text = re.sub(r"%(?![0-9A-Fa-f]{2})", "%25", text)  # a lone % is not an escape: escape it
    encoded = quote(text, safe=":/?#[]@!$&'()*+,;=%~-._")
    return encoded if re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", encoded, re.IGNORECASE) else None


def check_record(record: Study | Article) -> tuple[Study | Article, list[str]]:
    """The record as the KB can store it, and a warning per field dropped; RecordRejected when nothing can be."""
    if not SAFE_ID.fullmatch(record.id or ""):
        raise RecordRejected(f"id {record.id[:60]!r}: expected letters, digits, '.', '_', '~' or '-' (200 at most)")
    if not clean_text(record.title or "").strip():
        raise RecordRejected("title: expected a title")
    warnings: list[str] = []
    checked = _check(record, "", warnings)
    if isinstance(checked, Study) and checked.year is not None and not _YEAR[0] <= checked.year <= _YEAR[1]:
        warnings.append(f"year {checked.year}: expected a year from {_YEAR[0]} to {_YEAR[1]}; dropped")
        checked = replace(checked, year=None)
    return checked, warnings


def _check(value: Any, where: str, warnings: list[str]) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for f in fields(value):
            old = getattr(value, f.name)
            new = _field(f.name, old, f"{where}.{f.name}" if where else f.name, warnings)
            if new is not old:
                changes[f.name] = new
        return replace(value, **changes) if changes else value
    return value


def _field(name: str, value: Any, where: str, warnings: list[str]) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if not 0 <= value <= MAX_INT:
            warnings.append(f"{where} {_short(value)}: expected a whole number from 0 to {MAX_INT:,}; dropped")
            return None
        return value
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) > MAX_NUMBER:
            warnings.append(f"{where} {_short(value)}: expected a finite number; dropped")
            return None
        return value
    if isinstance(value, str):
        if name == "url":
            iri = safe_iri(value)
            if iri is None:
                warnings.append(f"{where} {_short(value)}: expected an http(s) URL; dropped")
            return iri
        return clean_text(value)
    if isinstance(value, tuple):
        return _items(name, value, where, warnings)
    return _check(value, where, warnings)


def _items(name: str, items: tuple, where: str, warnings: list[str]) -> tuple:
    out = []
    changed = False
    for i, item in enumerate(items):
        at = f"{where}[{i}]"
        if name in _URL_FIELDS or (name == "fact_sources" and isinstance(item, tuple)):
            url = item[1] if name == "fact_sources" else item
            iri = safe_iri(url)
            if iri is None:
                warnings.append(f"{at} {_short(url)}: expected an http(s) URL; dropped")
                changed = True
                continue
            new = (item[0], iri) if name == "fact_sources" else iri
        elif isinstance(item, tuple):
            new = tuple(_field(name, x, at, warnings) for x in item)
        else:
            new = _field(name, item, at, warnings)
        if new is None:
            changed = True
            continue
        changed = changed or new is not item
        out.append(new)
    return tuple(out) if changed else items


def finite(value: Any) -> Any:
    """`value` with every NaN or infinity replaced by None, for JSON that strict parsers read."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
