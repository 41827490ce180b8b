"""Counts of studies by concept and the evidence map's matrices (condition × therapy, adverse effect × route).

Counted from the search index's per-concept bitmaps (`kb.docsets`), which hold each concept and
its ancestors, so a cell counts exactly the studies its search link finds: the row
"depressive disorders" includes the treatment-resistant depression trials, as a search
for "depressive disorders" does. A cell counts the primary studies that tested the
combination and, apart, the reviews that pooled it (`kb.model.REVIEW_DESIGNS`): a review
never fills a gap no study has tested, as the search's bands say.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

from kb.docsets import members
from kb.index import stored_record
from kb.names import short_citation
from kb.namespaces import slug_of
from kb.search import docsets
from kb.synthesis import LEVELS, OPTIMAL_N, RANDOMIZED, evidence_signal
from kb.vocab import Concept


@dataclass(frozen=True)
class Node:
    concept: Concept
    depth: int  # 0 for a top-level concept among those shown
    count: int


@dataclass(frozen=True)
class Cell:
    count: int  # primary studies
    best_level: Concept | None  # the strongest evidence level among the cell's primary studies
    reviews: int = 0  # reviews that pooled or covered the combination
    certainty: str | None = None  # the certainty signal of its primary studies (kb.synthesis.evidence_signal)
    reasons: tuple[str, ...] = ()
    studies: tuple[str, ...] = ()  # the first primary studies, strongest evidence first ("Feder 2014, RCT, n = 41")
    review_names: tuple[str, ...] = ()  # the first reviews


@dataclass
class Matrix:
    rows: list[Node]
    cols: list[Node]
    cells: list[list[Cell]] = field(default_factory=list)  # cells[row][col]
    row_cells: list[Cell] = field(default_factory=list)  # each row's studies, whatever the column
    total: int = 0  # primary studies under the filters
    reviews: int = 0  # reviews under the filters

    @property
    def max_count(self) -> int:
        return max((c.count for row in self.cells for c in row), default=0)


def study_docs(kb) -> int:
    """Bitmap of the index documents that are studies (articles share the concept fields)."""
    return docsets(kb).term("kind", "study")


def _bits(kb, scheme: str, iri_or_slug: str) -> int:
    return docsets(kb).term(scheme, slug_of(iri_or_slug))


def filtered(kb, filters: dict[str, str] | None = None) -> int:
    """Studies tagged with every concept in `filters` (scheme → concept IRI), as a bitmap."""
    docs = study_docs(kb)
    for scheme, iri in (filters or {}).items():
        docs &= _bits(kb, scheme, iri)
    return docs


def concept_tree(kb, scheme: str, docs: int | None = None) -> list[Node]:
    """Concepts of `scheme` with at least one study, broader before narrower, larger groups first."""
    docs = study_docs(kb) if docs is None else docs
    counts = {c.iri: (docs & _bits(kb, scheme, c.slug)).bit_count() for c in kb.vocab.in_scheme(scheme)}
    shown = {iri for iri, n in counts.items() if n}
    children: dict[str | None, list[str]] = {}
    for iri in shown:
        parents = sorted(b for b in kb.vocab[iri].broader if b in shown)  # several: nest under the largest
        children.setdefault(max(parents, key=lambda p: counts[p]) if parents else None, []).append(iri)
    out: list[Node] = []

    def walk(parent: str | None, depth: int) -> None:
        for iri in sorted(children.get(parent, []), key=lambda i: (-counts[i], kb.vocab[i].pref_label.casefold())):
            out.append(Node(kb.vocab[iri], depth, counts[iri]))
            walk(iri, depth + 1)

    walk(None, 0)
    return out


def matrix(kb, row_scheme: str, col_scheme: str, filters: dict[str, str] | None = None) -> Matrix:
    """Studies per (row concept, column concept) under `filters`, with each cell's best evidence level.

    Rows and columns are the concepts that have studies in the whole KB, so a filter
    turns cells into gaps ("no studies") instead of making them disappear.
    """
    every = filtered(kb, filters)
    reviews = every & docsets(kb).reviews
    docs = every & ~reviews
    rows = [Node(n.concept, n.depth, (docs & _bits(kb, row_scheme, n.concept.slug)).bit_count()) for n in concept_tree(kb, row_scheme)]
    cols = [Node(n.concept, n.depth, (docs & _bits(kb, col_scheme, n.concept.slug)).bit_count()) for n in concept_tree(kb, col_scheme)]
    levels = sorted(kb.vocab.in_scheme("evidence_level"), key=lambda c: kb.vocab.rank(c.iri))
    level_bits = [(c, _bits(kb, "evidence_level", c.slug)) for c in levels]
    col_bits = [_bits(kb, col_scheme, c.concept.slug) for c in cols]

    ds = docsets(kb)
    randomized_bits = 0
    for design in RANDOMIZED:
        randomized_bits |= ds.term("design", design)
    names = _Names(kb)

    def cell(bits: int) -> Cell:
        primary = bits & ~reviews
        count = primary.bit_count()
        best = next((level for level, in_level in level_bits if primary & in_level), None)
        certainty, reasons = None, ()
        if count:
            n_total, n_unknown = _sizes(ds, primary)
            level, said = evidence_signal(count, (primary & randomized_bits).bit_count(), n_total, n_unknown)
            certainty, reasons = LEVELS[max(0, level)], tuple(said)
        return Cell(count, best, (bits & reviews).bit_count(), certainty, reasons,
                    names.first(primary), names.first(bits & reviews))  # fmt: skip

    cells, row_cells = [], []
    for r in rows:
        in_row = every & _bits(kb, row_scheme, r.concept.slug)
        row_cells.append(cell(in_row))
        cells.append([cell(in_row & bits) for bits in col_bits])
    return Matrix(rows, cols, cells, row_cells, docs.bit_count(), reviews.bit_count())


SHOWN_NAMES = 8  # studies a map cell lists on hover or focus


def _sizes(ds, bits: int) -> tuple[int, int]:
    """Participants in the studies of `bits` (known sizes) and how many sizes are unknown. Stops counting
    once the total is past what the certainty rule asks, so a cell of thousands costs no more than one of ten."""
    total = 0
    known = bits & ds.n_known
    unknown = (bits & ~ds.n_known).bit_count()
    for d in members(known):
        total += ds.n[d]
        if total >= OPTIMAL_N:
            break
    return total, unknown


_NAMES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # DocSets (one per KB version) → {docnum: name}


class _Names:
    """Short names of studies ("Feder 2014, randomized controlled trial, n = 41"), read once per document and
    KB version: every map request asks for the same few hundred."""

    def __init__(self, kb) -> None:
        self.kb = kb
        self.ds = docsets(kb)
        self.searcher = kb.searcher()
        self.cache: dict[int, str] = _NAMES.setdefault(self.ds, {})

    def first(self, bits: int) -> tuple[str, ...]:
        return tuple(self.name(d) for d in self.ds.ranked(bits, "evidence", SHOWN_NAMES))

    def name(self, d: int) -> str:
        if d not in self.cache:
            r = stored_record(self.searcher, d)
            parts = [short_citation(r.get("authors"), r.get("year"), r["id"])]
            if r.get("design"):
                parts.append(self.kb.vocab.label(r["design"]))
            if r.get("n"):
                parts.append(f"n = {r['n']}")
            self.cache[d] = ", ".join(parts)
        return self.cache[d]
