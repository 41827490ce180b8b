"""Parsed records → `kb.model` records (interim: bibliographic facts only; extraction proper lands next)."""

from __future__ import annotations

import re

from kb.model import Article, Study
from kb.namespaces import concept_iri
from kb.vocab import Vocabulary

from ..parsers.record import ParsedArticle, ParsedStudy, Problem


def build_record(parsed: ParsedStudy | ParsedArticle, path: str, vocab: Vocabulary) -> Study | Article | Problem:
    if isinstance(parsed, ParsedArticle):
        return Article(id=_slug(parsed.title) or "article", title=parsed.title, url=parsed.url, text=parsed.text,
                       source_type=concept_iri("design", "clinic-article"),
                       evidence_level=concept_iri("evidence_level", "not-graded"))
    if parsed.year is None:
        return Problem(path, parsed.line, "year", "a publication year", "nothing")
    return Study(id=_slug(parsed.title), title=parsed.title, authors=parsed.authors, year=parsed.year,
                 doi=parsed.doi, pmid=parsed.pmid, url=parsed.url, journal=parsed.journal)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]
