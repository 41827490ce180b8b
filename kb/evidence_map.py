"""Counts of studies by concept and the evidence map's matrices (condition × therapy, adverse effect × route).

Counted from the search index's per-concept bitmaps (`kb.docsets`), which hold each concept and
its ancestors, so a cell counts exactly the studies its search link finds: the row
"depressive disorders" includes the treatment-resistant depression trials, as a search
for "depressive disorders" does. A cell counts the primary studies that tested the
combination and, apart, the reviews that pooled it (`kb.model.REVIEW_DESIGNS`): a review
never fills a gap no study has tested, as the search's bands say.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kb.namespaces import slug_of
from kb.search import docsets
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

    def cell(bits: int) -> Cell:
        primary = bits & ~reviews
        best = next((level for level, in_level in level_bits if primary & in_level), None)
        return Cell(primary.bit_count(), best, (bits & reviews).bit_count())

    cells, row_cells = [], []
    for r in rows:
        in_row = every & _bits(kb, row_scheme, r.concept.slug)
        row_cells.append(cell(in_row))
        cells.append([cell(in_row & bits) for bits in col_bits])
    return Matrix(rows, cols, cells, row_cells, docs.bit_count(), reviews.bit_count())
