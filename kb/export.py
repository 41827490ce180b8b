"""Citation export: a query's studies as BibTeX, RIS, CSL-JSON, CSV and formatted reading lists.

Educators take an evidence set into reference managers (BibTeX, RIS, CSL-JSON),
spreadsheets (CSV), and syllabi or slides (APA 7, Vancouver, AMA as text or HTML,
and a Markdown reading list). Every format is a pure function of `kb.model.Study`
records and an `ExportContext`; the CLI and the web only pick a format from
`FORMATS` and write the string out under `filename()`.

Decisions a reader would otherwise have to rediscover:

- Authors arrive in MEDLINE display form ("Kew BM", "Zarate CA Jr"). `_parse_name`
  splits them once; a name it cannot split (an organisation) stays a literal. A
  trailing "et al." marks a truncated list: BibTeX writes "and others", Vancouver
  and AMA print "et al."; RIS, CSL-JSON and APA have no way to say it and list the
  named authors only.
- CSL items are built in one place (`csl_item`); the CSL-JSON export and the
  formatted styles share them. The styles are the CSL repository's, rendered by
  kb.citations (the same styles compiled to Python, 50-100x faster) and by
  citeproc-py for the items kb.citations does not cover; the tests hold the two
  to byte equality.
- The query, permalink and KB version go where a format has room for them: a
  BibTeX `@comment`, a Markdown header, a footer in plain text and HTML. RIS,
  CSL-JSON and CSV carry none of them: RIS has no file-level comment (an extra
  record would be imported as a reference), a wrapper object would break CSL-JSON
  readers, and a comment row breaks spreadsheets.
- A missing field is left out, never written as "None", "null" or an empty value.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import quote

import citeproc.model
import rispy
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON

from kb import citations, errors
from kb.model import Study

__all__ = [
    "CSV_COLUMNS",
    "FORMATS",
    "ExportContext",
    "Format",
    "UnknownFormat",
    "csl_item",
    "export",
    "filename",
    "format_references",
]


class UnknownFormat(errors.UnknownFormat, ValueError):
    """An export format that is not in `FORMATS`: a 400 on the web, a usage error on the CLI."""

    def __init__(self, name: str) -> None:
        choices = sorted(FORMATS)
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


@dataclass(frozen=True)
class Format:
    name: str
    media_type: str
    extension: str
    render: Callable[[Sequence[Study], ExportContext], str]
    description: str


# --- names and small text helpers -------------------------------------------------


@dataclass(frozen=True)
class _Name:
    family: str | None = None
    initials: str = ""  # "BM"
    suffix: str | None = None  # "Jr"
    literal: str | None = None  # an organisation, or anything we cannot split

    @property
    def given(self) -> str:
        return " ".join(f"{letter}." for letter in self.initials)


_ET_AL = re.compile(r"et\.?\s*al\.?", re.IGNORECASE)
_SUFFIXES = {"Jr": "Jr", "Jr.": "Jr", "Sr": "Sr", "Sr.": "Sr", "II": "II", "III": "III", "IV": "IV"}


def _is_initials(token: str) -> bool:
    letters = token.replace(".", "").replace("-", "")
    return 1 <= len(letters) <= 4 and letters.isalpha() and letters.isupper()


def _parse_name(text: str) -> _Name:
    """"Kew BM" -> family Kew, initials BM; "Zarate CA Jr" keeps the suffix; anything else is a literal."""
    tokens = text.split()
    suffix = None
    if len(tokens) >= 3 and tokens[-1] in _SUFFIXES and _is_initials(tokens[-2]):
        suffix = _SUFFIXES[tokens.pop()]
    if len(tokens) >= 2 and _is_initials(tokens[-1]):
        initials = tokens[-1].replace(".", "").replace("-", "")
        return _Name(family=" ".join(tokens[:-1]), initials=initials, suffix=suffix)
    return _Name(literal=text)


def _names(study: Study) -> tuple[list[_Name], bool]:
    """The study's authors in order, and whether the list ended in "et al."."""
    names, truncated = [], False
    for author in study.authors:
        author = _clean(author)
        if not author:
            continue
        if _ET_AL.fullmatch(author):
            truncated = True
        else:
            names.append(_parse_name(author))
    return names, truncated


def _clean(text: object) -> str:
    """One line, single spaces: every format here is line-oriented somewhere."""
    return " ".join(str(text).split()) if text is not None else ""


def _present(pairs: Iterable[tuple[str, object]]) -> list[tuple[str, str]]:
    """Drop missing and empty values, so no format ever prints "None" or an empty field."""
    out = []
    for key, value in pairs:
        text = _clean(value)
        if text:
            out.append((key, text))
    return out


def _labels(ctx: ExportContext, iris: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for iri in iris:
        if iri:
            seen.setdefault(_clean(ctx.label(iri) or iri), None)
    return list(seen)


def _keywords(study: Study, ctx: ExportContext) -> list[str]:
    return _labels(ctx, (*study.conditions, *study.routes, *study.therapies))


def _page_range(pages: str | None) -> tuple[str, str] | None:
    """("893", "903") for "893-903" or "893–903"; None when pages is not a simple range."""
    match = re.fullmatch(r"\s*(\w+)\s*[-\u2010-\u2015]+\s*(\w+)\s*", pages or "")
    return (match[1], match[2]) if match else None


_FOLD = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss", "æ": "ae",
                       "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "Th", "ı": "i"})  # fmt: skip


def _ascii(text: str) -> str:
    """ASCII letters for keys and file names: accents dropped, "Cubała" -> "Cubala"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return decomposed.encode("ascii", "ignore").decode()


def _provenance(ctx: ExportContext) -> list[tuple[str, str]]:
    return _present([("Query", ctx.query), ("Permalink", ctx.permalink), ("KB version", ctx.kb_version)])


def _is_http(url: str | None) -> bool:
    return url is not None and re.fullmatch(r"https?://[^\s<>\"']+", url) is not None


def _own_urls(study: Study) -> set[str]:
    """The URLs a style prints from the study's own DOI and URL fields: the only ones made links."""
    urls = {_clean(study.url)} if _is_http(study.url) else set()
    if study.doi:
        urls.add("https://doi.org/" + _clean(study.doi))
    return urls


# --- BibTeX ----------------------------------------------------------------------

_LATEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
          "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}  # fmt: skip
_BALANCED_BRACES = str.maketrans({**_LATEX, "{": r"\{", "}": r"\}"})
# BibTeX counts braces even after a backslash, so a lone "{" escaped as "\{" would
# swallow the rest of the file; brace-free commands keep such a value balanced.
_LONE_BRACES = str.maketrans({**_LATEX, "{": r"\textbraceleft{}", "}": r"\textbraceright{}"})
_STOPWORDS = frozenset("a an the of on in and or for to with from by at as is are vs versus toward towards into".split())


def _brace_table(text: str) -> dict[int, str]:
    if "{" not in text and "}" not in text:
        return _BALANCED_BRACES
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return _LONE_BRACES
    return _BALANCED_BRACES if depth == 0 else _LONE_BRACES


def _latex(text: str) -> str:
    """Escape LaTeX's special characters; letters stay UTF-8, which biblatex and Zotero read."""
    text = _clean(text)
    return text.translate(_brace_table(text))


def _latex_title(text: str) -> str:
    """Like `_latex`, and braces around acronyms ("{PTSD}") so a style's sentence case keeps them."""
    text = _clean(text)
    table = _brace_table(text)
    words = []
    for word in text.split(" "):
        escaped = word.translate(table)
        protect = re.fullmatch(r"[\w'’\-]+", word) and any(c.isupper() for c in word[1:])
        words.append("{" + escaped + "}" if protect else escaped)
    return " ".join(words)


def _verbatim(text: str) -> str:
    """URL and DOI fields are verbatim in biblatex: no LaTeX escapes, only what would break the .bib."""
    return re.sub(r'[{}\\\s"]', lambda m: f"%{ord(m[0]):02X}", text.strip())


def _bib_name(name: _Name) -> str:
    if name.literal:
        return "{" + _latex(name.literal) + "}"
    family = _latex(name.family or "")
    if " " in family:  # "aan het Rot", "Lacerda da Silva": one family name, not von/first parts
        family = "{" + family + "}"
    return ", ".join(part for part in (family, name.suffix, name.given) if part)


def _key_base(study: Study, names: list[_Name]) -> str:
    """Family name of the first author (else the registration number, else "anon") + year + first
    significant title word, lowercase ASCII: "dakwar2019single"."""
    if names:
        who = names[0].family or names[0].literal or ""
        who = who.split()[0] if names[0].literal else who
    else:
        who = study.nct or "anon"
    who = re.sub(r"[^a-z0-9]", "", _ascii(who).lower()) or "anon"
    words = re.split(r"[^a-z0-9]+", _ascii(study.title or "").lower())
    word = next((w for w in words if w and w not in _STOPWORDS), "")
    return f"{who}{study.year or ''}{word}"


def _suffix(n: int) -> str:
    """0 -> a, 25 -> z, 26 -> aa: as many letters as collisions need."""
    letters = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def _unique_keys(bases: list[str]) -> list[str]:
    """First holder keeps the plain key; later ones get a, b, ... in input order, never another's key."""
    taken = set(bases)
    seen: set[str] = set()
    keys = []
    for base in bases:
        key, n = base, 0
        if base in seen:
            while (key := base + _suffix(n)) in taken:
                n += 1
            taken.add(key)
        seen.add(base)
        keys.append(key)
    return keys


def _bibtex(studies: Sequence[Study], ctx: ExportContext) -> str:
    """BibTeX for biblatex, natbib and Zotero: @article with a journal, else @misc (trial registrations)."""
    parsed = [_names(s) for s in studies]
    keys = _unique_keys([_key_base(s, names) for s, (names, _) in zip(studies, parsed, strict=True)])
    chunks = []
    if prov := _provenance(ctx):
        text = "; ".join(f"{label}: {value}" for label, value in prov)
        chunks.append("@comment{Exported from kapkb. " + text.replace("{", "(").replace("}", ")") + "}")
    for study, (names, truncated), key in zip(studies, parsed, keys, strict=True):
        authors = [_bib_name(n) for n in names] + (["others"] if truncated and names else [])
        pages = _page_range(study.pages)
        fields = [
            ("author", " and ".join(authors)),
            ("title", _latex_title(study.title)),
            ("journal", _latex(study.journal or "")),
            ("year", study.year),
            ("volume", _latex(study.volume or "")),
            ("number", _latex(study.issue or "")),
            ("pages", "--".join(pages) if pages else _latex(study.pages or "")),
            ("doi", _verbatim(study.doi or "")),
            ("pmid", _latex(study.pmid or "")),
            ("pmcid", _latex(study.pmcid or "")),
            ("url", _verbatim(study.url or "")),
            ("note", _latex(f"Trial registration: {study.nct}") if study.nct else ""),
            ("abstract", _latex(study.abstract or "")),
            ("keywords", _latex(", ".join(_keywords(study, ctx)))),
        ]
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in _present(fields))
        kind = "article" if study.journal else "misc"
        chunks.append(f"@{kind}{{{key},\n{body}\n}}")
    return "\n\n".join(chunks) + "\n" if chunks else ""


# --- RIS -------------------------------------------------------------------------


class _RisWriter(rispy.RisWriter):
    """rispy's writer without its "1." line before each record, which is not RIS."""

    def set_header(self, count: int) -> str:
        return ""


def _ris_name(name: _Name) -> str:
    return name.literal or ", ".join(p for p in (name.family, name.given, name.suffix) if p)


def _ris(studies: Sequence[Study], ctx: ExportContext) -> str:
    """RIS: one "XX  - value" per line, JOUR for journal papers, GEN for registrations and the rest.

    The query, permalink and KB version are left out: RIS has no comment line, and
    an extra record would be imported as one more reference.
    """
    records = []
    for study in studies:
        names, _ = _names(study)
        pages = _page_range(study.pages)
        start, end = pages if pages else (study.pages, None)
        record: dict[str, object] = {"type_of_reference": "JOUR" if study.journal else "GEN"}
        if names:
            record["authors"] = [_ris_name(n) for n in names]
        record.update(_present([
            ("title", study.title), ("secondary_title", study.journal), ("journal_name", study.journal),
            ("year", study.year), ("volume", study.volume), ("number", study.issue),
            ("start_page", start), ("end_page", end), ("doi", study.doi),
        ]))  # fmt: skip
        if url := _clean(study.url):
            record["urls"] = [url]
        record.update(_present([("abstract", study.abstract)]))
        if keywords := _keywords(study, ctx):
            record["keywords"] = keywords
        if study.nct:
            record["notes"] = [f"Trial registration: {_clean(study.nct)}"]
        record.update(_present([("accession_number", study.pmid)]))
        records.append(record)
    return rispy.dumps(records, implementation=_RisWriter) if records else ""


# --- CSL-JSON ----------------------------------------------------------------------


def _csl_name(name: _Name) -> dict[str, str]:
    if name.literal:
        return {"literal": name.literal}
    parts = (("family", name.family), ("given", name.given), ("suffix", name.suffix))
    return {key: value for key, value in parts if value}


def csl_item(study: Study, ctx: ExportContext) -> dict[str, object]:
    """The one CSL item of a study: the CSL-JSON export and every formatted style start here."""
    names, _ = _names(study)
    item: dict[str, object] = {"id": study.id, "type": "article-journal" if study.journal else "report"}
    item.update(_present([("title", study.title)]))
    if names:
        item["author"] = [_csl_name(n) for n in names]
    item.update(_present([("container-title", study.journal)]))
    if study.year:
        item["issued"] = {"date-parts": [[study.year]]}
    pages = _page_range(study.pages)
    item.update(_present([
        ("volume", study.volume), ("issue", study.issue), ("page", "-".join(pages) if pages else study.pages),
        ("number", study.nct if not study.journal else None),
        ("DOI", study.doi), ("PMID", study.pmid), ("PMCID", study.pmcid), ("URL", study.url),
        ("abstract", study.abstract), ("keyword", ", ".join(_keywords(study, ctx))),
    ]))  # fmt: skip
    return item


def _csljson(studies: Sequence[Study], ctx: ExportContext) -> str:
    """A plain list of CSL items (no wrapper, so Zotero, pandoc and citeproc-js read it as is)."""
    return json.dumps([csl_item(s, ctx) for s in studies], ensure_ascii=False, indent=2) + "\n"


# --- CSV -------------------------------------------------------------------------

CSV_COLUMNS = ("id", "title", "authors", "year", "journal", "volume", "issue", "pages", "doi", "pmid", "pmcid",
               "design", "evidence_level", "n", "conditions", "routes", "therapies", "outcomes",
               "adverse_effects", "url")  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    """A spreadsheet-safe cell: text that a spreadsheet would run as a formula gets a leading quote (OWASP)."""
    if value is None:
        return ""
    if isinstance(value, int):  # numbers are data, "-5" included
        return value
    text = _clean(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv(studies: Sequence[Study], ctx: ExportContext) -> str:
    """One row per study; UTF-8 with a byte-order mark so Excel shows "Cubała", not mojibake."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for s in studies:
        label = ctx.label(s.design) if s.design else None
        level = ctx.label(s.evidence_level) if s.evidence_level else None
        row = (s.id, s.title, "; ".join(_clean(a) for a in s.authors), s.year, s.journal, s.volume, s.issue,
               s.pages, s.doi, s.pmid, s.pmcid, label, level, s.n, "; ".join(_labels(ctx, s.conditions)),
               "; ".join(_labels(ctx, s.routes)), "; ".join(_labels(ctx, s.therapies)),
               "; ".join(_labels(ctx, s.outcomes)), "; ".join(_labels(ctx, s.adverse_effects)), s.url)  # fmt: skip
        writer.writerow([_cell(v) for v in row])
    return "\ufeff" + buffer.getvalue()


# --- formatted references (citeproc-py) ----------------------------------------------

_STYLES = {"apa": ("apa", "APA 7"), "vancouver": ("nlm-citation-sequence", "Vancouver"),
           "ama": ("american-medical-association", "AMA")}  # fmt: skip
_ET_AL_STYLES = {"vancouver", "ama"}  # their convention for a truncated author list is "et al."
_SORTED_STYLES = {"apa"}  # the numbered styles have no cs:sort: citation order is the input order
# citeproc-py's HTML formatter does not escape field values; these private-use
# characters stand in for &, < and > while it renders, then become entities.
_HOLD = {ord("&"): "\ue000", ord("<"): "\ue001", ord(">"): "\ue002", 0xE000: None, 0xE001: None, 0xE002: None}
_RELEASE = str.maketrans({"\ue000": "&amp;", "\ue001": "&lt;", "\ue002": "&gt;"})
_NUMBERED = re.compile(r"^(\d+)\.(?=\S)")
_URL = re.compile(r"https?://[^\s<>\"']+")


def _hold(value: object) -> object:
    if isinstance(value, str):
        return value.translate(_HOLD)
    if isinstance(value, list):
        return [_hold(v) for v in value]
    if isinstance(value, dict):
        return {k: _hold(v) for k, v in value.items()}
    return value


def _linked(text: str, own: set[str]) -> str:
    """Make the study's own URLs links in escaped HTML; a URL in a title stays text."""

    def link(match: re.Match[str]) -> str:
        url = match[0].rstrip(".,;:")
        return f'<a href="{url}">{url}</a>{match[0][len(url):]}' if html.unescape(url) in own else match[0]

    return _URL.sub(link, text)


def format_references(
    studies: Sequence[Study], style: str, ctx: ExportContext, *, as_html: bool = False, sort: bool = True,
    compiled: bool = True,
) -> list[tuple[int, str]]:
    """(index into `studies`, formatted reference) in the style's order, as citeproc-py renders them.

    `style` is "apa", "vancouver" or "ama". With `sort=False` every style keeps
    the input order (the Markdown reading list follows the query's ranking).
    HTML output has field values escaped and URLs as links. Entries come from the
    compiled styles in kb.citations, and from citeproc-py for items outside their
    envelope; `compiled=False` sends every item to citeproc-py, the reference the
    tests hold the compiled styles to.
    """
    if style not in _STYLES:
        raise UnknownFormat(style)
    csl_style, _ = _STYLES[style]
    items = []
    for index, study in enumerate(studies):
        item = csl_item(study, ctx)
        item["id"] = str(index)  # positional: unique even for repeated studies; citeproc lowercases keys
        if style in _ET_AL_STYLES and _names(study)[1]:
            item["author"] = [*item.get("author", []), {"literal": "et al."}]  # type: ignore[list-item]
        items.append(item)
    order = list(range(len(items)))
    if sort and style in _SORTED_STYLES:
        order = _sort_order(items, csl_style, compiled)
    shown = [_hold(item) for item in items] if as_html else items
    texts: dict[int, str | None] = {}
    if compiled:
        for number, i in enumerate(order, 1):
            if (text := citations.entry(shown[i], style, number=number, html=as_html)) is not None:
                texts[i] = text
    if rest := [i for i in order if i not in texts]:
        output = formatter.html if as_html else formatter.plain
        bibliography = _bibliography([shown[i] for i in rest], csl_style, output, numbers=[str(i) for i in order])
        for cited in bibliography.items:
            rendered = bibliography.style.render_bibliography([cited])
            texts[int(cited.key)] = str(rendered[0]) if rendered else None
    out = []
    for i in order:
        if (text := texts[i]) is None:
            continue
        if style != "apa":  # numbered styles: citeproc-py ignores second-field-align, "1.Daly" -> "1. Daly"
            text = _NUMBERED.sub(r"\1. ", text, count=1)
        if as_html:
            text = _linked(text.translate(_RELEASE), _own_urls(studies[i]))
        out.append((i, text))
    return out


def _sort_order(items: list[dict], csl_style: str, compiled: bool) -> list[int]:
    """Positions of `items` in the style's bibliography order, sorted on plain text as citeproc-py sorts
    (HTML's "<i>" would sort first): kb.citations' keys and comparison, with citeproc-py's keys for items
    outside its envelope; without `compiled`, citeproc-py's own sort."""
    if not compiled:
        bibliography = _bibliography(items, csl_style, formatter.plain)
        bibliography.sort()
        return [int(cited.key) for cited in bibliography.items]
    keys = [citations.sort_key(item) for item in items]
    if rest := [i for i, key in enumerate(keys) if key is None]:
        bibliography = _bibliography([items[i] for i in rest], csl_style, formatter.plain)
        bib = bibliography.style.root.bibliography  # what citeproc.model.Sort.sort does, short of sorting
        sort_keys = [key.sort_keys(bibliography.items, bib.layout) for key in bib.findall("cs:sort/cs:key", bib.nsmap)]
        for i, key in zip(rest, zip(*sort_keys, strict=True), strict=True):
            keys[i] = key
    return citations.sorted_positions(keys)  # type: ignore[arg-type]


def _bibliography(items: list, csl_style: str, output: object, numbers: list[str] | None = None
                  ) -> CitationStylesBibliography:  # fmt: skip
    """A citeproc bibliography with `items` registered in order (so numbered in order), or numbered by
    their ids' places in `numbers` when it renders some entries of a longer list."""
    # The styles come from the CSL repository, validated there; validating again costs time only.
    style = CitationStylesStyle(csl_style, validate=False)
    bibliography = CitationStylesBibliography(style, CiteProcJSON(items), output)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    bibliography.keys = _Positions(numbers if numbers is not None else bibliography.keys)
    return bibliography


class _Positions(list):
    """citeproc-py numbers each entry with `keys.index(key)`, a scan: quadratic for a long list."""

    def __init__(self, keys: list[str]) -> None:
        super().__init__(keys)
        self._at = {key: at for at, key in enumerate(keys)}

    def index(self, key, *bounds):  # type: ignore[no-untyped-def, override]
        return super().index(key, *bounds) if bounds else self._at[key]


def _repress_substituted(self: citeproc.model.Substitute, child: object, context: object) -> None:
    """Suppress every variable a `cs:substitute` rendered, through macros too (CSL 1.0.2, "Substitute").

    citeproc-py 0.11 records only the substitute's own variable, so APA and AMA,
    which put the title macro in a missing author's place, printed the title
    twice for registrations and author-less papers (citeproc-py issue #91).
    """
    repressed = context.get_layout().repressed  # type: ignore[attr-defined]

    def walk(element, macros: set[str]) -> Iterator:
        if element.get("variable"):
            yield element
        if (name := element.get("macro")) and name not in macros:
            macros.add(name)
            element = element.get_macro(name)
        for sub in element.iterchildren():
            yield from walk(sub, macros)

    for element in walk(child, set()):
        repressed.setdefault(element.tag, []).append(element.get("variable"))


citeproc.model.Substitute.add_to_repressed_list = _repress_substituted


def _footer_lines(ctx: ExportContext) -> list[str]:
    return [f"{label}: {value}" for label, value in _provenance(ctx)]


def _plain(style: str) -> Callable[[Sequence[Study], ExportContext], str]:
    def render(studies: Sequence[Study], ctx: ExportContext) -> str:
        entries = [text for _, text in format_references(studies, style, ctx)]
        footer = _footer_lines(ctx)
        return "\n\n".join(entries + (["\n".join(footer)] if footer else [])) + "\n"

    render.__doc__ = f"{_STYLES[style][1]} reference list as plain text, query and permalink as a footer."
    return render


def _html(style: str) -> Callable[[Sequence[Study], ExportContext], str]:
    def render(studies: Sequence[Study], ctx: ExportContext) -> str:
        title = f"kapkb reading list ({_STYLES[style][1]})"
        lines = ["<!DOCTYPE html>", '<html lang="en">', '<head><meta charset="utf-8">',
                 f"<title>{html.escape(title)}</title></head>", "<body>", '<div class="csl-bib-body">']  # fmt: skip
        references = format_references(studies, style, ctx, as_html=True)
        lines += [f'  <div class="csl-entry">{text}</div>' for _, text in references]
        lines.append("</div>")
        if prov := _provenance(ctx):
            lines.append('<footer class="kapkb-provenance">')
            for label, value in prov:
                shown = html.escape(value)
                if label == "Permalink" and _is_http(value):
                    shown = f'<a href="{html.escape(value)}">{shown}</a>'
                lines.append(f"  <p>{html.escape(label)}: {shown}</p>")
            lines.append("</footer>")
        lines += ["</body>", "</html>"]
        return "\n".join(lines) + "\n"

    render.__doc__ = f"{_STYLES[style][1]} reference list as an HTML page (UTF-8), provenance in its footer."
    return render


# --- Markdown ----------------------------------------------------------------------


def _md(text: str, own: Collection[str] = ()) -> str:
    """Markdown-escape text; the study's own URLs stay whole, as autolinks."""
    out, last = [], 0
    for match in _URL.finditer(text):
        url = match[0].rstrip(".,;:")
        if url not in own:
            continue
        out.append(_md_text(text[last : match.start()]))
        out.append(f"<{url}>")
        last = match.start() + len(url)
    out.append(_md_text(text[last:]))
    return "".join(out)


def _md_block(text: str, own: Collection[str]) -> str:
    """`_md`, and nothing at the start that would open a heading, a bullet or a numbered list."""
    escaped = re.sub(r"^(\d+)([.)])", r"\1\\\2", _md(text, own))
    return re.sub(r"^([#+\-])", r"\\\1", escaped)


def _md_text(text: str) -> str:
    text = re.sub(r"([\\`*_\[\]<>|])", r"\\\1", text)
    return re.sub(r"&(?=#?\w+;)", r"\\&", text)  # "&amp;" stays literal text


def _md_url(url: str) -> str:
    """A link destination that an unbalanced parenthesis cannot end early."""
    return url.replace("(", "%28").replace(")", "%29")


def _md_links(study: Study, ctx: ExportContext) -> list[str]:
    links = []
    if study.doi:
        links.append(f"[DOI](https://doi.org/{quote(study.doi.strip(), safe='/:;')})")
    if study.pmid:
        links.append(f"[PubMed](https://pubmed.ncbi.nlm.nih.gov/{quote(study.pmid.strip())}/)")
    if study.pmcid:
        pmcid = study.pmcid.strip()
        pmcid = pmcid if pmcid.upper().startswith("PMC") else "PMC" + pmcid
        links.append(f"[PMC](https://pmc.ncbi.nlm.nih.gov/articles/{quote(pmcid)}/)")
    if not study.doi and _is_http(study.url):
        links.append(f"[Source]({_md_url(study.url)})")
    if ctx.study_url and _is_http(url := ctx.study_url(study)):
        links.append(f"[kapkb]({_md_url(url)})")
    return links


def _markdown(studies: Sequence[Study], ctx: ExportContext) -> str:
    """A reading list: APA references in the query's order, each with DOI, PubMed and PMC links."""
    lines = ["# Reading list", ""]
    for label, value in _provenance(ctx):
        shown = f"<{value}>" if label == "Permalink" and _is_http(value) else _md(value)
        lines += [f"{label}: {shown}", ""]
    references = format_references(studies, "apa", ctx, sort=False)
    for index, text in references:
        study = studies[index]
        lines.append(" ".join(["-", _md_block(text, _own_urls(study)), *_md_links(study, ctx)]))
    if not references:
        lines.append("No studies.")
    return "\n".join(lines) + "\n"


# --- the registry -------------------------------------------------------------------

_UTF8 = "; charset=utf-8"
FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("bibtex", "application/x-bibtex" + _UTF8, "bib", _bibtex, "BibTeX for LaTeX, biblatex and Zotero"),
        Format("ris", "application/x-research-info-systems" + _UTF8, "ris", _ris,
               "RIS for EndNote, Zotero and Mendeley"),
        Format("csljson", "application/vnd.citationstyles.csl+json" + _UTF8, "csl.json", _csljson,
               "CSL-JSON for Zotero, pandoc and citeproc"),
        Format("csv", "text/csv" + _UTF8, "csv", _csv, "CSV spreadsheet, one row per study, concept labels"),
        *(
            Format(style, "text/plain" + _UTF8, "txt", _plain(style), f"{title} reference list, plain text")
            for style, (_, title) in _STYLES.items()
        ),
        *(
            Format(f"{style}-html", "text/html" + _UTF8, "html", _html(style), f"{title} reference list, HTML page")
            for style, (_, title) in _STYLES.items()
        ),
        Format("markdown", "text/markdown" + _UTF8, "md", _markdown,
               "Markdown reading list with DOI, PubMed and PMC links"),
    )
}  # fmt: skip


def _format(name: str) -> Format:
    try:
        return FORMATS[name.strip().lower()]
    except (KeyError, AttributeError):
        raise UnknownFormat(str(name)) from None


def export(studies: Iterable[Study], fmt: str, ctx: ExportContext) -> str:
    """`studies` in format `fmt` (a key of FORMATS); UnknownFormat names the choices."""
    return _format(fmt).render(list(studies), ctx)


def filename(fmt: str, query: str | None, count: int) -> str:
    """A download name that says what it holds: "kapkb-ptsd-im-cbt-outcomes-12-studies.bib".

    ASCII letters, digits and hyphens only, so it is safe in a Content-Disposition
    header and on every file system; the formatted styles add their name.
    """
    f = _format(fmt)
    words = re.sub(r"[\W_]+", " ", query or "")  # dashes and symbols separate words before letters are folded
    slug = re.sub(r"[^a-z0-9]+", "-", _ascii(words).lower()).strip("-")
    if len(slug) > 60:
        slug = slug[:61].rsplit("-", 1)[0] if "-" in slug[:61] else slug[:60]
    parts = ["kapkb", slug, f"{count}-{'study' if count == 1 else 'studies'}"]
    style = f.name.removesuffix("-html")
    if style in _STYLES:
        parts.append(style)
    return "-".join(p for p in parts if p) + "." + f.extension
