"""Markdown (with optional YAML front matter) → ParsedArticle, read with markdown-it-py.

The text keeps what a reader sees — headings, paragraphs, list items, table rows,
code — without markup; links are kept separately as (text, href). Front matter
gives title, url, date and author; without it the first "# " heading is the title.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from . import fields
from .decoding import decode
from .record import Parsed, ParsedArticle, Problem
from .text import bare_links

_FENCE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
_TAG = re.compile(r"<[^>]*>")
_YAML_ERRORS = (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError)  # bad dates raise ValueError


def parse(path: Path, data: bytes) -> Iterator[Parsed]:
    """Yield one ParsedArticle, or a Problem for broken front matter or a missing title."""
    name = str(path)
    text = decode(name, data)
    meta, body = _split_front_matter(text)
    if meta is not None:
        try:
            loaded = yaml.safe_load(meta) if meta.strip() else {}
        except _YAML_ERRORS as err:
            mark = getattr(err, "problem_mark", None)
            line = mark.line + 2 if mark is not None else 2  # +1 for the opening '---', +1 to count from 1
            yield Problem(name, line, "front matter", "valid YAML", fields.clean(str(err).split("\n")[0]) or "an error")
            return
        if not isinstance(loaded, dict):
            yield Problem(name, 2, "front matter", "a YAML mapping (key: value)", f"a {type(loaded).__name__}")
            return
    else:
        loaded = {}
    paragraphs, headings, links = _walk(MarkdownIt("commonmark", {"html": True}).enable("table").parse(body))
    first_h1 = next((h for level, h in headings if level == 1), None)
    title = _scalar(loaded.get("title")) or first_h1
    if not title:
        yield Problem(name, None, "title", "a title (front matter 'title:' or a '# ' heading)", "nothing")
        return
    joined = "\n\n".join(paragraphs)
    yield ParsedArticle(
        title=title,
        url=_scalar(loaded.get("url")) or _scalar(loaded.get("canonical_url")) or _scalar(loaded.get("source")),
        author=_scalar(loaded.get("author")) or _scalar(loaded.get("authors")),
        date=_scalar(loaded.get("date")) or _scalar(loaded.get("published")),
        publisher=_scalar(loaded.get("publisher")) or _scalar(loaded.get("site")),
        text=joined,
        headings=tuple(h for _, h in headings),
        links=bare_links(joined, tuple(links)),
    )


def _split_front_matter(text: str) -> tuple[str | None, str]:
    """('key: value…', body) when the text opens with a '---' block, else (None, text)."""
    if not text.startswith("---"):
        return None, text
    first_newline = text.find("\n")
    if first_newline < 0 or text[:first_newline].strip() != "---":
        return None, text
    end = _FENCE.search(text, first_newline + 1)
    if not end:
        return None, text
    # keep the line count of the body unchanged so token line numbers stay true
    meta = text[first_newline + 1 : end.start()]
    return meta, "\n" * text.count("\n", 0, end.end()) + text[end.end() :]


def _scalar(value: Any) -> str | None:
    """A front-matter value as text: dates in ISO form, lists of names joined with ', '."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return fields.clean(", ".join(str(v) for v in value if isinstance(v, str | int | float)))
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return fields.clean(str(value))
    return None


def _inline(children: list[Token]) -> tuple[str, list[tuple[str, str]]]:
    """Plain text of an inline token, and the (text, href) of its links."""
    parts: list[str] = []
    links: list[tuple[str, str]] = []
    link: tuple[str, int] | None = None  # href, index in parts where its text starts
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "link_open":
            link = (str(child.attrGet("href") or ""), len(parts))
        elif child.type == "link_close" and link:
            href, start = link
            if href:
                links.append((fields.clean("".join(parts[start:])) or "", href))
            link = None
    return fields.clean("".join(parts)) or "", links


def _walk(tokens: list[Token]) -> tuple[list[str], list[tuple[int, str]], list[tuple[str, str]]]:
    paragraphs: list[str] = []
    headings: list[tuple[int, str]] = []
    links: list[tuple[str, str]] = []
    row: list[str] | None = None
    for i, token in enumerate(tokens):
        if token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            if any(row):
                paragraphs.append(" | ".join(row))
            row = None
        elif token.type == "inline":
            text, found = _inline(token.children or [])
            links.extend(found)
            if row is not None:
                row.append(text)
                continue
            if text:
                paragraphs.append(text)
            if i and tokens[i - 1].type == "heading_open" and text:
                headings.append((int(tokens[i - 1].tag[1:]), text))
        elif token.type in ("fence", "code_block"):
            if text := fields.clean(token.content):
                paragraphs.append(text)
        elif token.type == "html_block":
            if text := fields.clean(html.unescape(_TAG.sub(" ", token.content))):
                paragraphs.append(text)
    return paragraphs, headings, links
