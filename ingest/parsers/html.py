"""HTML pages (clinic sites, news, blogs) → ParsedArticle, read with BeautifulSoup over lxml.

The main text is what a reader of the article sees: the <article>, <main> or
role="main" element (else the body), without navigation, headers, footers,
asides, forms, related-article lists, comments and calls to action ("Book a
consultation"). Those would otherwise feed marketing copy and other stories'
headlines to claim extraction as if they were content.

The title is the article's: the <h1> inside the article element first, because
og:title is sometimes the site's or a service page's (WordPress themes hard-code it)
and the first <h1> or the <title> of a news page is often the section ("Health").

Every pass below is linear in the size of the page: pages come from anywhere, and
a deeply nested one must not stall a batch.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urljoin

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning
from bs4.element import CData, PreformattedString, Tag

from . import fields
from .decoding import decode
from .record import Parsed, ParsedArticle, Problem

_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?([A-Za-z0-9_.:\-]{1,40})""", re.IGNORECASE)
_ALWAYS_DROP = {"script", "style", "noscript", "template", "svg", "iframe", "object", "embed", "canvas"}
_DROP_IN_MAIN = {"nav", "footer", "aside", "form", "button", "dialog", "select", "input", "textarea"}
_JUNK_WORDS = (
    "newsletter", "subscribe", "subscription", "cookie", "share", "sharing", "social",
    "breadcrumb", "sidebar", "banner", "popup", "modal", "consent", "promo", "related", "comment",
)  # fmt: skip
_JUNK_TOKENS = {"cta", "ctas", "menu", "menus", "byline"}  # the byline is metadata, read before pruning
_NAV = re.compile(r"^(?:left|right|side|top|sub|main|primary|secondary)?nav(?:bar|igation)?$")  # 'leftnav' columns
_NOT_A_TITLE = re.compile(r"site|section|brand|logo|masthead", re.IGNORECASE)  # <h1 class="site-title">
_TITLE_SEPARATOR = re.compile(r"\s+(?:[|\u2013\u2014·•:»-]|::)\s+")  # "Post title – Site name"
_ARTICLE_TYPES = re.compile(r"Article|Posting|Report", re.IGNORECASE)  # schema.org NewsArticle, BlogPosting, ...
_CTA = r"""(?:(?:book|schedule)(?:\ (?:a|an|your|now|online|today|free)\b|\W*$)|call\ (?:us|now|today|\d|\+|\()|
    contact\ us\b|get\ started\b|sign\ up\b|subscribe\b|join\ (?:us|our|now)\b|request\ (?:an?|your)\b|
    make\ an\ appointment\b|free\ consultation\b|apply\ now\b|start\ your\b|take\ (?:the|our)\ (?:quiz|assessment)\b|
    see\ if\ you\ (?:qualify|are\ a\ candidate)\b)"""
_CTA_TEXT = re.compile(r"^" + _CTA, re.IGNORECASE | re.VERBOSE)
_CTA_STRING = re.compile(r"^\s*" + _CTA, re.IGNORECASE | re.VERBOSE)
_CTA_HOLDERS = {"a", "button", "p", "li", "div", "span"}
_INLINE = {"a", "button", "span"}
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
    headline = _json_ld_headline(soup)  # before scripts are dropped
    for tag in _prune(soup, lambda tag: tag.name in _ALWAYS_DROP):
        tag.extract()
    meta = _meta_index(soup)
    root = _main(soup)
    title = _title(soup, meta, root, headline)
    if not title:
        yield Problem(name, None, "title", "a title (og:title, <h1> or <title>)", "nothing")
        return
    url = _canonical(soup, meta)
    author, date = _author(soup, meta), _date(soup, meta)  # before the byline is pruned
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
        publisher=meta.get("og:site_name") or meta.get("application-name"),
        text="\n\n".join(paragraphs),
        headings=fields.unique(_text(h) for h in root.find_all(_HEADINGS)),
        links=_links(root, url),
    )


def _text(tag: object) -> str | None:
    return fields.clean(tag.get_text(" ")) if isinstance(tag, Tag) else None


def _attr(tag: object, name: str) -> str | None:
    value = tag.get(name) if isinstance(tag, Tag) else None
    return fields.clean(" ".join(value) if isinstance(value, list) else value)


def _meta_index(soup: BeautifulSoup) -> dict[str, str]:
    """content of <meta property|name|itemprop=KEY>, first occurrence of each key."""
    index: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        content = _attr(tag, "content")
        for attr in ("property", "name", "itemprop"):
            if (key := _attr(tag, attr)) and content:
                index.setdefault(key, content)
    return index


def _title(soup: BeautifulSoup, meta: dict[str, str], root: Tag, headline: str | None) -> str | None:
    """The article's title: its own <h1>, og:title, twitter:title, the JSON-LD headline, a page <h1> that does not
    name the site or section, the <title> without the site name, any <h1>."""
    in_article = root.name in ("article", "main") or root.get("role") == "main"
    candidates = (
        _text(_heading(root)) if in_article else None,
        meta.get("og:title"),
        meta.get("twitter:title"),
        headline,
        _text(_heading(soup)),
        _page_title(soup, meta),
        _text(soup.find("h1")),
    )
    return next((text for text in candidates if text), None)


def _heading(scope: Tag) -> Tag | None:
    """The first <h1> in `scope` that is not the site's or the section's name (<h1 class="site-title">)."""
    for h1 in scope.find_all("h1"):
        names = (_attr(h1, "class"), _attr(h1, "id"), _attr(h1.parent, "class"))
        if not _NOT_A_TITLE.search(" ".join(filter(None, names))):
            return h1
    return None


def _page_title(soup: BeautifulSoup, meta: dict[str, str]) -> str | None:
    """<title> without the site name: 'Post title – Example Clinic' → 'Post title' (also 'Example Clinic | Post')."""
    title = _text(soup.find("title"))
    separators = list(_TITLE_SEPARATOR.finditer(title)) if title else []
    if not title or not separators:
        return title
    site = (meta.get("og:site_name") or "").casefold()
    first, last = separators[0], separators[-1]
    if site and title[: first.start()].casefold() == site:
        return title[first.end() :]
    if not site or title[last.end() :].casefold() == site:
        return title[: last.start()]
    return title


def _json_ld_headline(soup: BeautifulSoup) -> str | None:
    """The headline of a schema.org Article (NewsArticle, BlogPosting, ...) in the page's JSON-LD."""
    for script in soup.find_all("script", type="application/ld+json"):
        try:
            doc = json.loads(script.get_text())
        except (ValueError, RecursionError):
            continue
        graph = doc.get("@graph", [doc]) if isinstance(doc, dict) else doc
        for item in graph if isinstance(graph, list) else []:
            kinds = item.get("@type") if isinstance(item, dict) else None
            kinds = kinds if isinstance(kinds, list) else [kinds]
            if any(isinstance(k, str) and _ARTICLE_TYPES.search(k) for k in kinds):
                if text := fields.clean(item.get("headline")):
                    return text
    return None


def _canonical(soup: BeautifulSoup, meta: dict[str, str]) -> str | None:
    og_url = meta.get("og:url")
    canonical = _attr(soup.find("link", rel="canonical"), "href")
    if canonical and og_url and not canonical.startswith(("http://", "https://")):
        canonical = _join(og_url, canonical)
    return canonical or og_url


def _join(base: str | None, href: str) -> str:
    try:
        return urljoin(base, href) if base else href
    except ValueError:  # e.g. a malformed IPv6 host
        return href


def _author(soup: BeautifulSoup, meta: dict[str, str]) -> str | None:
    author = meta.get("author")
    if not author and (linked := meta.get("article:author")) and not linked.startswith(("http://", "https://")):
        author = linked
    if not author:
        author = _text(soup.find(["a", "link", "span"], rel="author"))
    if not author:
        author = _text(soup.find(class_=re.compile(r"\bbyline\b|\bauthor(?:-name)?\b")))
    return re.sub(r"^by\s+", "", author, flags=re.IGNORECASE) if author else None


def _date(soup: BeautifulSoup, meta: dict[str, str]) -> str | None:
    for key in ("article:published_time", "datePublished", "date", "dc.date", "DC.date"):
        if meta.get(key):
            return meta[key]
    return _attr(soup.find("time", attrs={"itemprop": "datePublished"}), "datetime") or _attr(
        soup.find("time", datetime=True), "datetime"
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


def _prune(root: Tag, drop: Callable[[Tag], bool]) -> list[Tag]:
    """The topmost descendants for which `drop` holds, without looking inside them (document order)."""
    found: list[Tag] = []
    stack = [child for child in reversed(root.contents) if isinstance(child, Tag)]
    while stack:
        tag = stack.pop()
        if drop(tag):
            found.append(tag)
        else:
            stack.extend(child for child in reversed(tag.contents) if isinstance(child, Tag))
    return found


def _is_junk(tag: Tag) -> bool:
    tokens = re.split(r"[^a-z0-9]+", f"{_attr(tag, 'class') or ''} {_attr(tag, 'id') or ''}".lower())
    return any(
        token in _JUNK_TOKENS or _NAV.match(token) or any(token.startswith(w) or token.endswith(w) for w in _JUNK_WORDS)
        for token in tokens
        if token
    )


def _is_wrapper(tag: Tag, total: int) -> bool:
    """A layout wrapper ('content has-sidebar') holds most of the text in several blocks; furniture does not."""
    return len(tag.get_text()) > total / 2 and len(tag.find_all(["p", *_HEADINGS], limit=2)) >= 2


def _strip(root: Tag) -> None:
    """Remove page furniture and calls to action from `root`, in place."""
    total = len(root.get_text())
    keep_headers = root.name == "article"  # an article's own <header> holds its title and byline

    def furniture(tag: Tag) -> bool:
        if tag.name in _DROP_IN_MAIN or (tag.name == "header" and not keep_headers):
            return True
        return _is_junk(tag) and not _is_wrapper(tag, total)

    for tag in _prune(root, furniture):
        tag.extract()
    targets = [tag for tag in root.find_all("a", href=re.compile(r"^\s*tel:", re.IGNORECASE))]
    # Calls to action are found from their strings: measuring every element's text is quadratic on deep pages.
    for string in root.find_all(string=_CTA_STRING):
        holder = string.parent
        while isinstance(holder, Tag) and holder is not root and holder.name not in _CTA_HOLDERS:
            holder = holder.parent
        if not isinstance(holder, Tag) or holder is root:
            continue
        text = _text(holder) or ""
        if not (_CTA_TEXT.match(text) and len(text) <= 120):
            continue
        outer = _outermost_alone(holder, root)
        if outer is holder and holder.name in _INLINE and not _is_button(holder):
            continue  # a link inside a sentence ("patients often book a session…") is content
        targets.append(outer)
    for tag in targets:
        _outermost_alone(tag, root).extract()  # extracting a detached subtree again is harmless


def _is_button(tag: Tag) -> bool:
    classes = (_attr(tag, "class") or "").lower()
    return tag.name == "button" or tag.get("role") == "button" or "btn" in classes or "button" in classes


def _outermost_alone(tag: Tag, root: Tag) -> Tag:
    """The largest block around `tag` that holds nothing else ('<p><a>Book now</a></p>' → the <p>)."""
    own = _text(tag)
    while isinstance(tag.parent, Tag) and tag.parent is not root and _text(tag.parent) == own:
        tag = tag.parent
    return tag


def _paragraphs(root: Tag) -> list[str]:
    """The root's text, one entry per block element (p, li, h2, …), in document order."""
    paragraphs: list[str] = []
    current: list[str] = []
    block: Tag | None = None
    blocks: dict[int, Tag] = {id(root): root}  # element → its nearest block ancestor

    def block_of(tag: Tag) -> Tag:
        path = []
        while id(tag) not in blocks and tag.name not in _BLOCKS and isinstance(tag.parent, Tag):
            path.append(tag)
            tag = tag.parent
        found = blocks.setdefault(id(tag), tag if tag.name in _BLOCKS else root)
        for step in path:
            blocks[id(step)] = found
        return found

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
        owner = block_of(node.parent) if isinstance(node.parent, Tag) else root
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
