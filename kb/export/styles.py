"""Formatted reference lists: APA 7, Vancouver and AMA as text or HTML, and a Markdown reading list.

The styles are the CSL repository's, rendered by kb.citations (the same styles compiled to
Python, 50-100x faster) and by citeproc-py for the items kb.citations does not cover; the
tests hold the two to byte equality. Both get the same CSL items (kb.export.managers.csl_item),
prepared here for the style: APA titles in sentence case; Vancouver and AMA with the NLM
journal abbreviation (the styles print `container-title-short`); and a cut author list ending
in "et al.", which the numbered styles print as such and APA after the names (APA 7 lists up
to 20 authors, then the first 19, an ellipsis and the last; it has no rule for a list the
source did not give whole, so kapkb says "et al." rather than present it as complete).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Collection, Iterator, Sequence
from urllib.parse import quote

import citeproc.model
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON

from kb import citations
from kb.model import Study

from .common import ExportContext, UnknownFormat, is_http, names, own_urls, provenance, sentence_case
from .managers import csl_item

STYLES = {"apa": ("apa", "APA 7"), "vancouver": ("nlm-citation-sequence", "Vancouver"),
           "ama": ("american-medical-association", "AMA")}  # fmt: skip
_SORTED_STYLES = {"apa"}  # the numbered styles have no cs:sort: citation order is the input order
# citeproc-py's HTML formatter does not escape field values; these private-use
# characters stand in for &, < and > while it renders, then become entities.
_HOLD = {ord("&"): "\ue000", ord("<"): "\ue001", ord(">"): "\ue002", 0xE000: None, 0xE001: None, 0xE002: None}
_RELEASE = str.maketrans({"\ue000": "&amp;", "\ue001": "&lt;", "\ue002": "&gt;"})
_NUMBERED = re.compile(r"^(\d+)\.(?=\S)")
_URL = re.compile(r"https?://[^\s<>\"']+")
_APA_ET_AL = re.compile(r"(?:&amp;|&#38;|&) et al\.")  # APA's "&" before the last name, when that is "et al."


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
    if style not in STYLES:
        raise UnknownFormat(style, STYLES)
    csl_style, _ = STYLES[style]
    items, cut = [], set()
    for index, study in enumerate(studies):
        item = csl_item(study, ctx)
        item["id"] = str(index)  # positional: unique even for repeated studies; citeproc lowercases keys
        if style == "apa" and "title" in item:
            item["title"] = sentence_case(str(item["title"]))
        authors, complete = names(study)
        if authors and not complete:
            item["author"] = [*item.get("author", []), {"literal": "et al."}]  # type: ignore[list-item]
            cut.add(index)
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
        elif i in cut:
            text = _APA_ET_AL.sub("et al.", text, count=1)
        if as_html:
            text = _linked(text.translate(_RELEASE), own_urls(studies[i]))
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
    return [f"{label}: {value}" for label, value in provenance(ctx)]


def plain(style: str) -> Callable[[Sequence[Study], ExportContext], str]:
    def render(studies: Sequence[Study], ctx: ExportContext) -> str:
        entries = [text for _, text in format_references(studies, style, ctx)]
        footer = _footer_lines(ctx)
        return "\n\n".join(entries + (["\n".join(footer)] if footer else [])) + "\n"

    render.__doc__ = f"{STYLES[style][1]} reference list as plain text, query and permalink as a footer."
    return render


def html_page(style: str) -> Callable[[Sequence[Study], ExportContext], str]:
    def render(studies: Sequence[Study], ctx: ExportContext) -> str:
        title = f"kapkb reading list ({STYLES[style][1]})"
        lines = ["<!DOCTYPE html>", '<html lang="en">', '<head><meta charset="utf-8">',
                 f"<title>{html.escape(title)}</title></head>", "<body>", '<div class="csl-bib-body">']  # fmt: skip
        references = format_references(studies, style, ctx, as_html=True)
        lines += [f'  <div class="csl-entry">{text}</div>' for _, text in references]
        lines.append("</div>")
        if prov := provenance(ctx):
            lines.append('<footer class="kapkb-provenance">')
            for label, value in prov:
                shown = html.escape(value)
                if label == "Permalink" and is_http(value):
                    shown = f'<a href="{html.escape(value)}">{shown}</a>'
                lines.append(f"  <p>{html.escape(label)}: {shown}</p>")
            lines.append("</footer>")
        lines += ["</body>", "</html>"]
        return "\n".join(lines) + "\n"

    render.__doc__ = f"{STYLES[style][1]} reference list as an HTML page (UTF-8), provenance in its footer."
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
    if not study.doi and is_http(study.url):
        links.append(f"[Source]({_md_url(study.url)})")
    if ctx.study_url and is_http(url := ctx.study_url(study)):
        links.append(f"[kapkb]({_md_url(url)})")
    return links


def markdown(studies: Sequence[Study], ctx: ExportContext) -> str:
    """A reading list: APA references in the query's order, each with DOI, PubMed and PMC links."""
    lines = ["# Reading list", ""]
    for label, value in provenance(ctx):
        shown = f"<{value}>" if label == "Permalink" and is_http(value) else _md(value)
        lines += [f"{label}: {shown}", ""]
    references = format_references(studies, "apa", ctx, sort=False)
    for index, text in references:
        study = studies[index]
        lines.append(" ".join(["-", _md_block(text, own_urls(study)), *_md_links(study, ctx)]))
        if note := ctx.note(study):
            lines.append(f"  - Note: {_md_block(note, ())}")
    if not references:
        lines.append("No studies.")
    return "\n".join(lines) + "\n"
