"""Counts of studies by concept and the evidence map's matrices (condition × therapy, adverse effect × route).

Counted from the search index's per-concept posting sets, which hold each concept and
its ancestors, so a cell counts exactly the studies its search link finds: the row
"depressive disorders" includes the treatment-resistant depression trials, as a search
for "depressive disorders" does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kb.namespaces import slug_of
from kb.search import _postings
from kb.vocab import Concept


@dataclass(frozen=True)
class Node:
    concept: Concept
    depth: int  # 0 for a top-level concept among those shown
    count: int


@dataclass(frozen=True)
class Cell:
    count: int
    best_level: Concept | None  # the strongest evidence level among the cell's studies


@dataclass
class Matrix:
    rows: list[Node]
    cols: list[Node]
    cells: list[list[Cell]] = field(default_factory=list)  # cells[row][col]
    row_cells: list[Cell] = field(default_factory=list)  # each row's studies, whatever the column
    total: int = 0  # studies under the filters

    @property
    def max_count(self) -> int:
        return max((c.count for row in self.cells for c in row), default=0)


def study_docs(kb) -> set[int]:
    """Index documents that are studies (articles share the concept fields), per searcher."""
    cache = kb.searcher_cache()
    if "study_docs" not in cache:
        searcher = kb.searcher()
        cache["study_docs"] = set(searcher.reader().postings("kind", "study").all_ids()) if searcher.doc_count() else set()
    return cache["study_docs"]


def _sets(kb, scheme: str) -> dict[str, set[int]]:
    return _postings(kb, kb.searcher()).get(scheme, {})


def filtered(kb, filters: dict[str, str] | None = None) -> set[int]:
    """Study documents tagged with every concept in `filters` (scheme → concept IRI)."""
    docs = set(study_docs(kb))
    for scheme, iri in (filters or {}).items():
        docs &= _sets(kb, scheme).get(slug_of(iri), set())
    return docs


def concept_tree(kb, scheme: str, docs: set[int] | None = None) -> list[Node]:
    """Concepts of `scheme` with at least one study, broader before narrower, larger groups first."""
    docs = study_docs(kb) if docs is None else docs
    sets = _sets(kb, scheme)
    counts = {c.iri: len(docs & sets.get(c.slug, set())) for c in kb.vocab.in_scheme(scheme)}
    shown = {iri for iri, n in counts.items() if n}
    children: dict[str | None, list[str]] = {}
    for iri in shown:
        parents = sorted(b for b in kb.vocab[iri].broader if b in shown)
        children.setdefault(parents[0] if parents else None, []).append(iri)
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
    docs = filtered(kb, filters)
    rows = [Node(n.concept, n.depth, len(docs & _sets(kb, row_scheme).get(n.concept.slug, set()))) for n in concept_tree(kb, row_scheme)]
    cols = [Node(n.concept, n.depth, len(docs & _sets(kb, col_scheme).get(n.concept.slug, set()))) for n in concept_tree(kb, col_scheme)]
    levels = sorted(kb.vocab.in_scheme("evidence_level"), key=lambda c: kb.vocab.rank(c.iri))
    level_sets = [(c, _sets(kb, "evidence_level").get(c.slug, set())) for c in levels]
    row_sets = _sets(kb, row_scheme)
    col_sets = _sets(kb, col_scheme)

    def cell(ids: set[int]) -> Cell:
        return Cell(len(ids), next((level for level, in_level in level_sets if ids & in_level), None))

    cells, row_cells = [], []
    for r in rows:
        in_row = docs & row_sets.get(r.concept.slug, set())
        row_cells.append(cell(in_row))
        cells.append([cell(in_row & col_sets.get(c.concept.slug, set())) for c in cols])
    return Matrix(rows, cols, cells, row_cells, len(docs))
