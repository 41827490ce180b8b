"""Citation export: a query's studies as BibTeX, RIS, CSL-JSON, CSV and formatted reading lists.

Educators take an evidence set into reference managers (BibTeX, RIS, CSL-JSON — `managers`),
spreadsheets (CSV — `tabular`), and syllabi or slides (APA 7, Vancouver, AMA as text or HTML,
and a Markdown reading list — `styles`). Every format is a pure function of `kb.model.Study`
records and an `ExportContext`; the CLI and the web only pick a format from `FORMATS` and write
the string out under `filename()`.

Decisions a reader would otherwise have to rediscover:

- Authors keep their order and their names as the source gave them; a list the source gave only
  in part is marked as each format can (`common.names`), never presented as complete.
- The query, permalink (from KAPKB_PUBLIC_URL), KB version and release go where a format has room
  for them: a BibTeX `@comment`, a Markdown header, a footer in plain text and HTML. RIS, CSL-JSON
  and CSV carry none of them: RIS has no file-level comment (an extra record would be imported as
  a reference), a wrapper object would break CSL-JSON readers, and a comment row breaks spreadsheets.
- A missing field is left out, never written as "None", "null" or an empty value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from kb.model import Study

from .common import ExportContext, UnknownFormat, ascii_only
from .managers import bibtex, csl_item, csljson, ris
from .styles import STYLES, format_references, html_page, markdown, plain
from .tabular import CSV_COLUMNS, csv_rows

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


@dataclass(frozen=True)
class Format:
    name: str
    media_type: str
    extension: str
    render: Callable[[Sequence[Study], ExportContext], str]
    description: str


_UTF8 = "; charset=utf-8"
FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("bibtex", "application/x-bibtex" + _UTF8, "bib", bibtex, "BibTeX for LaTeX, biblatex and Zotero"),
        Format("ris", "application/x-research-info-systems" + _UTF8, "ris", ris,
               "RIS for EndNote, Zotero and Mendeley"),
        Format("csljson", "application/vnd.citationstyles.csl+json" + _UTF8, "csl.json", csljson,
               "CSL-JSON for Zotero, pandoc and citeproc"),
        Format("csv", "text/csv" + _UTF8, "csv", csv_rows, "CSV spreadsheet, one row per study, concept labels"),
        *(
            Format(style, "text/plain" + _UTF8, "txt", plain(style), f"{title} reference list, plain text")
            for style, (_, title) in STYLES.items()
        ),
        *(
            Format(f"{style}-html", "text/html" + _UTF8, "html", html_page(style), f"{title} reference list, HTML page")
            for style, (_, title) in STYLES.items()
        ),
        Format("markdown", "text/markdown" + _UTF8, "md", markdown,
               "Markdown reading list with DOI, PubMed and PMC links"),
    )
}  # fmt: skip


def _format(name: str) -> Format:
    try:
        return FORMATS[name.strip().lower()]
    except (KeyError, AttributeError):
        raise UnknownFormat(str(name), FORMATS) from None


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
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_only(words).lower()).strip("-")
    if len(slug) > 60:
        slug = slug[:61].rsplit("-", 1)[0] if "-" in slug[:61] else slug[:60]
    parts = ["kapkb", slug, f"{count}-{'study' if count == 1 else 'studies'}"]
    style = f.name.removesuffix("-html")
    if style in STYLES:
        parts.append(style)
    return "-".join(p for p in parts if p) + "." + f.extension
