"""HTML pages (clinic sites, news, blogs) → ParsedArticle, read with BeautifulSoup over lxml.

The main text is what a reader of the article sees: the <article>, <main> or
role="main" element (else the body), without navigation, headers, footers,
asides, forms and calls to action ("Book a consultation"). Those would otherwise
feed marketing copy to claim extraction as if it were content.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning
from bs4.element import CData, NavigableString, PreformattedString, Tag

from . import fields
from .decoding import decode
from .record import Parsed, ParsedArticle, Problem

_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?([A-Za-z0-9_.:\-]{1,40})""", re.IGNORECASE)
_ALWAYS_DROP = ["script", "style", "noscript", "template", "svg", "iframe", "object", "embed", "canvas"]
_DROP_IN_MAIN = ["nav", "footer", "aside", "form", "button", "dialog", "select", "input", "textarea"]
_JUNK_WORDS = (
    "newsletter", "subscribe", "subscription", "cookie", "share", "sharing", "social",
    "breadcrumb", "sidebar", "banner", "popup", "modal", "consent", "promo",
)  # fmt: skip
_JUNK_TOKENS = {"cta", "ctas", "menu", "menus", "byline"}  # the byline is metadata, read before stripping
_CTA = re.compile(
    r"^(?:(?:book|schedule)(?: (?:a|an|your|now|online|today|free)\b|\W*$)|call (?:us|now|today|\d|\+|\()|"
    r"contact us\b|get started\b|sign up\b|subscribe\b|join (?:us|our|now)\b|"
    r"request (?:an?|your)\b|make an appointment\b|free consultation\b|apply now\b|start your\b|"
    r"take (?:the|our) (?:quiz|assessment)\b|see if you (?:qualify|are a candidate)\b)",
    re.IGNORECASE,
)
_BLOCKS = {
    "address", "article", "aside", "blockquote", "dd", "details", "div", "dl", "dt", "figcaption", "figure",
    "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "ol", "p", "pre", "section",
    "summary", "table", "td", "th", "tr", "ul", "body", "html",
}  # fmt: skip
_HEADINGS = ["h1", "h2", "h3", "h4", "h5", "h6"]
_SKIP_LINKS = ("#", "javascript:", "mailto:", "tel:", "data:")


def parse(path: Path, data: bytes) -> Iterator[Parsed]:
    """Yield one ParsedArticle for the page, or a Problem when it has no title or no main text."""
    name = str(path)
    declared = _CHARSET.search(data[:4096])
    text = decode(name, data, declared.group(1).decode("ascii") if declared else None)
    with warnings.catch_warnings():  # bs4 warns about input that looks like a file name or XML; we take it as HTML
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(text, "lxml")
    for tag in soup.find_all(_ALWAYS_DROP):
        tag.decompose()
    title = _meta(soup, "og:title", "twitter:title") or _text(soup.find("h1")) or _text(soup.find("title"))
    if not title:
        yield Problem(name, None, "title", "a title (og:title, <h1> or <title>)", "nothing")
        return
    url, author, date = _canonical(soup), _author(soup), _date(soup)  # before the byline is stripped
    root = _main(soup)
    _strip(root)
    paragraphs = _paragraphs(root)
    if not paragraphs:
        yield Problem(name, None, "text", "some main text", "nothing once navigation and boilerplate were removed")
        return
    yield ParsedArticle(
        title=title,
        url=url,
        author=author,
        date=date,
        publisher=_meta(soup, "og:site_name", "application-name"),
        text="\n\n".join(paragraphs),
        headings=fields.unique(_text(h) for h in root.find_all(_HEADINGS)),
        links=_links(root, url),
    )


def _text(tag: object) -> str | None:
    return fields.clean(tag.get_text(" ")) if isinstance(tag, Tag) else None


def _attr(tag: object, name: str) -> str | None:
    value = tag.get(name) if isinstance(tag, Tag) else None
    return fields.clean(" ".join(value) if isinstance(value, list) else value)


def _meta(soup: BeautifulSoup, *keys: str) -> str | None:
    """<meta property=…> or <meta name=…> or <meta itemprop=…> content, first key that has one."""
    for key in keys:
        for attr in ("property", "name", "itemprop"):
            if value := _attr(soup.find("meta", attrs={attr: key}), "content"):
                return value
    return None


def _canonical(soup: BeautifulSoup) -> str | None:
    og_url = _meta(soup, "og:url")
    canonical = _attr(soup.find("link", rel="canonical"), "href")
    if canonical and og_url and not canonical.startswith(("http://", "https://")):
        canonical = _join(og_url, canonical)
    return canonical or og_url


def _join(base: str | None, href: str) -> str:
    try:
        return urljoin(base, href) if base else href
    except ValueError:  # e.g. a malformed IPv6 host
        return href


def _author(soup: BeautifulSoup) -> str | None:
    author = _meta(soup, "author")
    if not author:
        meta = _meta(soup, "article:author")
        author = meta if meta and not meta.startswith(("http://", "https://")) else None
    if not author:
        author = _text(soup.find(["a", "link", "span"], rel="author"))
    if not author:
        author = _text(soup.find(class_=re.compile(r"\bbyline\b|\bauthor(?:-name)?\b")))
    return re.sub(r"^by\s+", "", author, flags=re.IGNORECASE) if author else None


def _date(soup: BeautifulSoup) -> str | None:
    return (
        _meta(soup, "article:published_time", "datePublished", "date", "dc.date", "DC.date")
        or _attr(soup.find("time", attrs={"itemprop": "datePublished"}), "datetime")
        or _attr(soup.find("time", datetime=True), "datetime")
    )


def _main(soup: BeautifulSoup) -> Tag:
    """The element holding the article: the longest <article>, else <main>/role=main, else the body."""
    articles = soup.find_all("article")
    if articles:
        return max(articles, key=lambda tag: len(tag.get_text()))
    for found in (soup.find("main"), soup.find(attrs={"role": "main"}), soup.body):
        if isinstance(found, Tag):
            return found
    return soup


def _is_junk(tag: Tag) -> bool:
    tokens = re.split(r"[^a-z0-9]+", f"{_attr(tag, 'class') or ''} {_attr(tag, 'id') or ''}".lower())
    return any(
        token in _JUNK_TOKENS or any(token.startswith(word) or token.endswith(word) for word in _JUNK_WORDS)
        for token in tokens
        if token
    )


def _strip(root: Tag) -> None:
    """Remove page furniture and calls to action from `root`, in place."""
    for tag in root.find_all(_DROP_IN_MAIN):
        tag.decompose()
    if root.name != "article":  # an article's own <header> holds its title and byline
        for tag in root.find_all("header"):
            tag.decompose()
    total = len(root.get_text())
    for tag in root.find_all(True):
        if not tag.decomposed and _is_junk(tag) and not _is_wrapper(tag, total):
            tag.decompose()
    for tag in root.find_all(["a", "p", "li", "div", "span"]):
        if tag.decomposed:
            continue
        text = _text(tag) or ""
        href = _attr(tag, "href") or ""
        if href.startswith("tel:") or (_CTA.match(text) and len(text) <= 120):
            _drop_with_empty_parents(tag, root)


def _is_wrapper(tag: Tag, total: int) -> bool:
    """A layout wrapper ('content has-sidebar') holds most of the text in several blocks; furniture does not."""
    return len(tag.get_text()) > total / 2 and len(tag.find_all(["p", *_HEADINGS], limit=2)) >= 2


def _drop_with_empty_parents(tag: Tag, root: Tag) -> None:
    """Remove a call to action and the blocks that held nothing else ('<p><a>Book now</a></p>')."""
    own = _text(tag)
    while isinstance(tag.parent, Tag) and tag.parent is not root and _text(tag.parent) == own:
        tag = tag.parent
    tag.decompose()


def _block_of(node: NavigableString, root: Tag) -> Tag:
    parent = node.parent
    while isinstance(parent, Tag) and parent is not root and parent.name not in _BLOCKS:
        parent = parent.parent
    return parent if isinstance(parent, Tag) else root


def _paragraphs(root: Tag) -> list[str]:
    """The root's text, one entry per block element (p, li, h2, …), in document order."""
    paragraphs: list[str] = []
    current: list[str] = []
    block: Tag | None = None

    def flush() -> None:
        if text := fields.clean("".join(current)):
            paragraphs.append(text)
        current.clear()

    for node in root.descendants:
        if isinstance(node, Tag):
            if node.name in ("br", "hr"):
                flush()
            continue
        if isinstance(node, PreformattedString) and not isinstance(node, CData):
            continue  # comments, doctype, processing instructions
        owner = _block_of(node, root)
        if owner is not block:
            flush()
            block = owner
        current.append(str(node))
    flush()
    return paragraphs


def _links(root: Tag, base: str | None) -> tuple[tuple[str, str], ...]:
    links: dict[tuple[str, str], None] = {}
    for tag in root.find_all("a", href=True):
        href = _attr(tag, "href")
        if not href or href.lower().startswith(_SKIP_LINKS):
            continue
        links[(_text(tag) or "", _join(base, href))] = None
    return tuple(links)
