"""What every export format shares: the context, author names, and small text helpers.

Authors arrive as sources give them: MEDLINE display form ("Kew BM", "Zarate CA Jr"),
"Family, Given" with the given names spelled out ("Dakwar, Elias"), or an organisation.
`parse_name` splits them once and keeps given names as written; a name it cannot split
stays a literal. A cut list is a fact about the study (`Study.authors_complete`, or an
"et al." left by an older source), and each format marks it as its convention does.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from kb import errors
from kb.model import Study


class UnknownFormat(errors.UnknownFormat, ValueError):
    """An export format that is not in `FORMATS`: a 400 on the web, a usage error on the CLI."""

    def __init__(self, name: str, choices: Iterable[str] | None = None) -> None:
        if choices is None:
            from kb.export import FORMATS

            choices = FORMATS
        choices = sorted(choices)
        message = f"unknown export format {name!r}; choose one of: {', '.join(choices)}"
        super().__init__(message, format=name, choices=choices)


@dataclass(frozen=True)
class ExportContext:
    """What an export needs besides the studies: concept labels and where the set came from."""

    label: Callable[[str], str]  # concept IRI -> preferred label (kb.vocab's lookup)
    permalink: str | None = None  # URL that re-runs the query ("cite this evidence set")
    kb_version: str | None = None
    query: str | None = None
    study_url: Callable[[Study], str] | None = None  # a study's landing page in kapkb
    release: str | None = None  # the numbered release the KB version belongs to, if any
    notes: Mapping[str, str] = field(default_factory=dict)  # study id -> the reader's note (a reading list)

    def note(self, study: Study) -> str:
        return clean(self.notes.get(study.id, ""))[:2000]


# --- names -----------------------------------------------------------------------


@dataclass(frozen=True)
class Name:
    family: str | None = None
    initials: str = ""  # "BM"
    suffix: str | None = None  # "Jr"
    literal: str | None = None  # an organisation, or anything we cannot split
    given_names: str | None = None  # "Elias", "R.", "O. M.": as the source wrote them

    @property
    def given(self) -> str:
        if self.given_names:
            return self.given_names
        return " ".join(f"{letter}." for letter in self.initials)


_ET_AL = re.compile(r"et\.?\s*al\.?|others", re.IGNORECASE)
_SUFFIXES = {"Jr": "Jr", "Jr.": "Jr", "Sr": "Sr", "Sr.": "Sr", "II": "II", "III": "III", "IV": "IV"}


def _is_initials(token: str) -> bool:
    letters = token.replace(".", "").replace("-", "")
    return 1 <= len(letters) <= 4 and letters.isalpha() and letters.isupper()


def parse_name(text: str) -> Name:
    """ "Kew BM" -> family Kew, initials BM; "Dakwar, Elias" -> family Dakwar, given Elias; "Zarate CA Jr" keeps
    the suffix; anything else (an organisation) is a literal."""
    if "," in text:
        family, _, rest = text.partition(",")
        parts = [p.strip() for p in rest.split(",") if p.strip()]
        suffix = next((_SUFFIXES[p] for p in parts if p in _SUFFIXES), None)
        given = " ".join(p for p in parts if p not in _SUFFIXES)
        if family.strip() and given:
            return Name(family=family.strip(), given_names=given, suffix=suffix)
    tokens = text.split()
    suffix = None
    if len(tokens) >= 3 and tokens[-1] in _SUFFIXES and _is_initials(tokens[-2]):
        suffix = _SUFFIXES[tokens.pop()]
    if len(tokens) >= 2 and _is_initials(tokens[-1]):
        initials = tokens[-1].replace(".", "").replace("-", "")
        family = tokens[:-1]
        if len(family) >= 2 and family[-1] in _SUFFIXES and suffix is None:  # Embase: "Zarate Jr. C.A."
            suffix = _SUFFIXES[family.pop()]
        return Name(family=" ".join(family), initials=initials, suffix=suffix)
    return Name(literal=text)


def names(study: Study) -> tuple[list[Name], bool]:
    """The study's authors in order, and whether the list is complete (False: the source gave only the first)."""
    out, cut = [], not study.authors_complete
    for author in study.authors:
        author = clean(author)
        if not author:
            continue
        if _ET_AL.fullmatch(author):
            cut = True
        else:
            out.append(parse_name(author))
    return out, bool(out) and not cut


# --- text ------------------------------------------------------------------------

def clean(text: object) -> str:
    """One line, single spaces: every format here is line-oriented somewhere."""
    return " ".join(str(text).split()) if text is not None else ""


def present(pairs: Iterable[tuple[str, object]]) -> list[tuple[str, str]]:
    """Drop missing and empty values, so no format ever prints "None" or an empty field."""
    out = []
    for key, value in pairs:
        text = clean(value)
        if text:
            out.append((key, text))
    return out


def labels(ctx: ExportContext, iris: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for iri in iris:
        if iri:
            seen.setdefault(clean(ctx.label(iri) or iri), None)
    return list(seen)


def keywords(study: Study, ctx: ExportContext) -> list[str]:
    return labels(ctx, (*study.conditions, *study.routes, *study.therapies))


def page_range(pages: str | None) -> tuple[str, str] | None:
    """("893", "903") for "893-903" or "893–903"; None when pages is not a simple range."""
    match = re.fullmatch(r"\s*(\w+)\s*[-\u2010-\u2015]+\s*(\w+)\s*", pages or "")
    return (match[1], match[2]) if match else None


_FOLD = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss", "æ": "ae",
                       "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "Th", "ı": "i"})  # fmt: skip


def ascii_only(text: str) -> str:
    """ASCII letters for keys and file names: accents dropped, "Cubała" -> "Cubala"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return decomposed.encode("ascii", "ignore").decode()


def provenance(ctx: ExportContext) -> list[tuple[str, str]]:
    return present([
        ("Query", ctx.query), ("Permalink", ctx.permalink), ("KB version", ctx.kb_version), ("Release", ctx.release),
    ])  # fmt: skip


def is_http(url: str | None) -> bool:
    return url is not None and re.fullmatch(r"https?://[^\s<>\"']+", url) is not None


def own_urls(study: Study) -> set[str]:
    """The URLs a style prints from the study's own DOI and URL fields: the only ones made links."""
    urls = {clean(study.url)} if is_http(study.url) else set()
    if study.doi:
        urls.add("https://doi.org/" + clean(study.doi))
    return urls



# --- sentence case (APA titles) -------------------------------------------------------

# Words APA keeps capitalised inside a title besides acronyms and mixed-case words: places, peoples,
# languages, organisations, brand names and the eponyms of rating scales that appear in this literature.
PROPER_WORDS = frozenset(
    """
    Africa African America American Americans Asia Asian Australia Australian Brazil Brazilian Britain British Canada
    Canadian China Chinese Denmark Danish England English Europe European France French Germany German India Indian
    Iran Iranian Ireland Irish Israel Israeli Italy Italian Japan Japanese Korea Korean Mexico Mexican Netherlands
    Dutch Norway Norwegian Russia Russian Spain Spanish Sweden Swedish Switzerland Swiss Taiwan Taiwanese Zealand
    Hispanic Latino Latina Latinx Indigenous Black Medicare Medicaid
    Spravato Ketalar Janssen Bayesian Montgomery Åsberg Asberg Hamilton Beck Yale
    """.split()
)
_WORD = re.compile(r"[^\W\d_][\w'’]*", re.UNICODE)
_OPENS = re.compile(r"(?:^|[:?!.]\s+|[\"“‘]\s*)$")  # a title's start, after a colon or stop, inside quotes


def sentence_case(title: str, proper: frozenset[str] = PROPER_WORDS) -> str:
    """An APA reference title: first word, first word after a colon and proper nouns capitalised, the rest lower.

    Acronyms and words with capitals inside ("PTSD", "MDMA", "KarXT", "N-Methyl-D-Aspartate"'s "N" and "D") keep
    their case; so do the words of `proper`. A title already in sentence case is unchanged.
    """

    def fix(match: re.Match[str]) -> str:
        word = match[0]
        if _OPENS.search(title[: match.start()]):
            return word[:1].upper() + word[1:]
        if word in proper or any(c.isupper() for c in word[1:]) or (len(word) == 1 and word != "A"):
            return word  # acronyms, mixed case, and single capitals ("N-methyl-D-aspartate", "R&D", "type I")
        return word.lower() if word[:1].isupper() else word

    return _WORD.sub(fix, title)
