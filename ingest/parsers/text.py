"""Plain text → ParsedArticle.

Pasted articles usually start with their title on the first line and often carry
a "Source: https://…" line; both are lifted out as metadata. Hard-wrapped lines
are joined, and blank lines separate paragraphs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from . import fields
from .decoding import decode
from .record import Parsed, ParsedArticle

MAX_TITLE = 200
_URL_LINE = re.compile(r"^\s*(?:source|url)\s*:\s*(https?://\S+)\s*$", re.IGNORECASE)
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_BARE_URL = re.compile(r"https?://[^\s<>\"'\[\]]+")
_HEADER_LINE = re.compile(r"^\s*(author|by|date|published)\s*:\s*(.+?)\s*$", re.IGNORECASE)
# Page furniture copied along with an article, never its title.
_BOILERPLATE = re.compile(r"^(?:estimated read time|\d*\s*min(?:ute)?s?(?: read)?|table of contents|menu|skip to (?:main )?content|share|home)$", re.I)
# Who published a page that does not say so in a header: "At Options MD, we …", or a site name after " | " in
# its related-article titles ("Ketamine Therapy in NYC | Integrative Psych").
_AT_US = re.compile(r"\bAt ((?:[A-Z][\w&'.-]*)(?:\s+[A-Z][\w&'.-]*){0,4}),\s+(?:we|our)\b")
_SITE_SUFFIX = re.compile(r"\|\s*([A-Z][^|\n]{2,40}?)\s*$", re.M)


def parse(path: Path, data: bytes) -> Iterator[Parsed]:
    """Yield one ParsedArticle: the first line is its title, unless it is a paragraph (then its first sentence)."""
    name = str(path)
    decoded = decode(name, data)
    lines = decoded.split("\n")
    first = next(i for i, line in enumerate(lines) if line.strip())  # decode refuses blank files
    while first + 1 < len(lines) and _BOILERPLATE.match(lines[first].strip()):
        first = next((i for i in range(first + 1, len(lines)) if lines[i].strip()), first)
    title = fields.clean(lines[first]) or ""
    title_line = len(title) <= MAX_TITLE
    if not title_line:  # no title line: the text opens with its first paragraph, which stays in the body
        title = headline(title)
        first -= 1
    url = author = date = None
    kept: list[str] = []
    in_header = True  # author/date lines count only right under the title
    for line in lines[first + 1 :]:
        if (match := _URL_LINE.match(line)) and not url:
            url = match.group(1)
            continue
        if in_header and (match := _HEADER_LINE.match(line)):
            key, value = match.group(1).lower(), match.group(2)
            if key in ("author", "by"):
                author = author or value
            else:
                date = date or value
            continue
        if line.strip():
            in_header = False
        kept.append(line)
    body = [fields.clean(block) for block in _PARAGRAPH_BREAK.split("\n".join(kept))]
    text = "\n\n".join([title] * title_line + [*filter(None, body)])
    yield ParsedArticle(
        title=title, url=url, author=author, date=date, publisher=publisher_in(decoded), text=text, links=bare_links(text)
    )


def publisher_in(text: str) -> str | None:
    """The site or practice a page speaks for, when its text says it: "At Options MD, we…", or the name after
    " | " that closes two or more of its link titles."""
    if m := _AT_US.search(text):
        return m.group(1)
    names: dict[str, int] = {}
    for m in _SITE_SUFFIX.finditer(text):
        names[m.group(1).strip()] = names.get(m.group(1).strip(), 0) + 1
    best = max(names.items(), key=lambda kv: kv[1], default=(None, 0))
    return best[0] if best[1] >= 2 else None


def headline(paragraph: str, limit: int = 120) -> str:
    """A title for a text that has none: its first sentence, cut at a word and marked "…" when long."""
    sentence = re.split(r"(?<=[.!?])\s+", paragraph, maxsplit=1)[0]
    if len(sentence) <= limit:
        return sentence.rstrip(".")
    return sentence[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def bare_links(text: str, known: tuple[tuple[str, str], ...] = ()) -> tuple[tuple[str, str], ...]:
    """URLs written out in running text, as (url, url) pairs, after the `known` links."""
    links = dict.fromkeys(known)
    hrefs = {href for _, href in known}
    for match in _BARE_URL.finditer(text):
        href = match.group(0).rstrip(".,;:")
        while href.endswith(")") and href.count(")") > href.count("("):  # "(see https://x.org/a)"
            href = href[:-1].rstrip(".,;:")
        if href not in hrefs:
            hrefs.add(href)
            links[(href, href)] = None
    return tuple(links)
