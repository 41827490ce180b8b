"""What a parser hands on: neutral records, and the Problems it met on the way.

Parsers turn bytes into these and nothing more. They do not resolve concepts or
build `kb.model` records; extraction does that. A `Problem` names one record that
could not be produced (file, line, field, what was expected, what was found); a
`ParseError` carries the Problem for a file that could not be read at all.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ParsedStudy:
    """A publication or trial registration as its source describes it."""

    title: str
    # In order, as the source gives them: "Family, Given" where it keeps the parts apart (PubMed XML, MEDLINE FAU,
    # BibTeX, WoS AF: "Dakwar, Elias", "aan het Rot, Marije"), else its one string per author verbatim (Embase
    # "Zarate Jr. C.A.", Scopus "Lapidus, K.A.B."); collective names whole. Given names are never cut to initials.
    authors: tuple[str, ...] = ()
    journal: str | None = None
    year: int | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    doi: str | None = None  # lowercase, no resolver prefix
    pmid: str | None = None
    pmcid: str | None = None  # "PMC1234567"
    nct: str | None = None
    url: str | None = None
    abstract: str = ""
    abstract_sections: tuple[tuple[str, str], ...] = ()  # (label, text)
    keywords: tuple[str, ...] = ()  # MeSH headings and author keywords
    publication_types: tuple[str, ...] = ()
    language: str | None = None
    # ClinicalTrials.gov registrations
    conditions: tuple[str, ...] = ()
    interventions: tuple[str, ...] = ()  # "DRUG: Ketamine"
    arms: tuple[str, ...] = ()  # "EXPERIMENTAL: Ketamine plus therapy"
    primary_outcomes: tuple[str, ...] = ()
    secondary_outcomes: tuple[str, ...] = ()
    status: str | None = None  # "COMPLETED", "RECRUITING", ...
    phase: str | None = None  # "PHASE2", "PHASE2/PHASE3", "NA"
    enrollment: int | None = None
    start_date: str | None = None  # as given: "2019-03" or "2019-03-15"
    completion_date: str | None = None
    results_references: tuple[tuple[str | None, str | None, str], ...] = ()  # (doi, pmid, citation)
    line: int | None = None  # where the record starts in its file


@dataclass(frozen=True)
class ParsedArticle:
    """A web page or text document: its metadata and its main text."""

    title: str
    url: str | None = None  # canonical
    author: str | None = None  # byline as written
    date: str | None = None  # ISO 8601 as given
    publisher: str | None = None  # site name
    text: str = ""  # main text, paragraphs separated by "\n\n"
    headings: tuple[str, ...] = ()
    links: tuple[tuple[str, str], ...] = ()  # (link text, href) in the main text


@dataclass(frozen=True)
class Problem:
    """Why one record (or a whole file) was not read, in terms a user can act on."""

    path: str
    line: int | None
    field: str | None
    expected: str
    got: str

    def __str__(self) -> str:
        where = [self.path]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field:
            where.append(f"field {self.field}")
        return f"{', '.join(where)}: expected {self.expected}, got {self.got}"


class ParseError(Exception):
    """A file that cannot be read at all: empty, binary, undecodable, truncated, too large."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


Parsed = ParsedStudy | ParsedArticle | Problem
