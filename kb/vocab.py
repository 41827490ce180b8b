"""The SKOS vocabulary, loaded once: label → concept, and the broader/narrower closure.

Everything that recognises a term (the curated loader, ingest extraction, the query
parser, the UI's facets and autocomplete) asks this module, so adding an altLabel to
`ontology/kap.ttl` is the only change needed for all of them to learn it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SKOS

from kb.errors import UnknownTerm
from kb.namespaces import KAP, SCHEMES, scheme_of
from ontology import KAP_TTL

_NON_WORD = re.compile(r"[^\w]+")


def normalize(label: str) -> str:
    """Case-, accent-, hyphen- and punctuation-insensitive key: "Montgomery-Åsberg" → "montgomery asberg"."""
    folded = unicodedata.normalize("NFKD", label.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", folded).replace("_", " ").strip()


@dataclass
class Concept:
    iri: str
    scheme: str
    pref_label: str
    alt_labels: tuple[str, ...] = ()
    abbreviations: tuple[str, ...] = ()
    definition: str | None = None
    broader: set[str] = field(default_factory=set)
    narrower: set[str] = field(default_factory=set)
    exact_match: tuple[str, ...] = ()
    default_evidence_level: str | None = None
    rank: int | None = None
    notation: str | None = None

    @property
    def slug(self) -> str:
        return self.iri.rsplit("/", 1)[-1]


class Vocabulary:
    """Concepts of every scheme, indexed by IRI and by normalised label."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.concepts: dict[str, Concept] = {}
        for iri in graph.subjects(SKOS.inScheme, None):
            if not isinstance(iri, URIRef) or str(iri) in self.concepts:
                continue
            self.concepts[str(iri)] = self._concept(graph, iri)
        for c in self.concepts.values():
            for b in c.broader:
                if b in self.concepts:
                    self.concepts[b].narrower.add(c.iri)
        # label key → {scheme: [iri, …]}; preferred labels listed before alternatives
        self._by_label: dict[str, dict[str, list[str]]] = {}
        for c in self.concepts.values():
            for label in (c.pref_label, *c.alt_labels, *c.abbreviations):
                bucket = self._by_label.setdefault(normalize(label), {}).setdefault(c.scheme, [])
                if c.iri not in bucket:
                    bucket.append(c.iri)

    @staticmethod
    def _concept(graph: Graph, iri: URIRef) -> Concept:
        def texts(pred: URIRef) -> tuple[str, ...]:
            return tuple(sorted(str(o) for o in graph.objects(iri, pred) if isinstance(o, Literal)))

        pref = texts(SKOS.prefLabel)
        level = graph.value(iri, KAP.defaultEvidenceLevel)
        rank = graph.value(iri, KAP.rank)
        notation = graph.value(iri, SKOS.notation)
        definition = graph.value(iri, SKOS.definition)
        return Concept(
            iri=str(iri),
            scheme=scheme_of(str(iri)),
            pref_label=pref[0] if pref else str(iri).rsplit("/", 1)[-1],
            alt_labels=texts(SKOS.altLabel),
            abbreviations=texts(KAP.abbreviation),
            definition=str(definition) if definition else None,
            broader={str(b) for b in graph.objects(iri, SKOS.broader)},
            exact_match=tuple(sorted(str(m) for m in graph.objects(iri, SKOS.exactMatch))),
            default_evidence_level=str(level) if level else None,
            rank=int(rank) if rank is not None else None,
            notation=str(notation) if notation else None,
        )

    def __contains__(self, iri: object) -> bool:
        return iri in self.concepts

    def __getitem__(self, iri: str) -> Concept:
        return self.concepts[iri]

    def label(self, iri: str) -> str:
        """Preferred label of a concept; the IRI itself when unknown (never raises: used in rendering)."""
        c = self.concepts.get(iri)
        return c.pref_label if c else iri

    def in_scheme(self, scheme: str) -> list[Concept]:
        return sorted(
            (c for c in self.concepts.values() if c.scheme == scheme), key=lambda c: c.pref_label.casefold()
        )

    def lookup(self, label: str, scheme: str | None = None) -> list[str]:
        """Every concept whose label (any case, hyphenation or accents) is `label`, in scheme order."""
        hits = self._by_label.get(normalize(label), {})
        if scheme is not None:
            return list(hits.get(scheme, []))
        return [iri for s in SCHEMES for iri in hits.get(s, [])]

    def resolve(self, label: str, scheme: str, where: str = "") -> str:
        """The one concept of `scheme` that `label` names, or UnknownTerm naming `where` and the choices."""
        hits = self.lookup(label, scheme)
        if len(hits) == 1:
            return hits[0]
        known = ", ".join(c.pref_label for c in self.in_scheme(scheme))
        problem = "is ambiguous" if hits else "is not a known"
        raise UnknownTerm(
            f"{where + ': ' if where else ''}{label!r} {problem} {scheme.replace('_', ' ')} term; expected one of: {known}",
            field=where,
            label=label,
            scheme=scheme,
        )

    def ancestors(self, iri: str) -> set[str]:
        """Strictly broader concepts, transitively."""
        return _closure(iri, lambda i: self.concepts[i].broader if i in self.concepts else set())

    def descendants(self, iri: str) -> set[str]:
        """Strictly narrower concepts, transitively."""
        return _closure(iri, lambda i: self.concepts[i].narrower if i in self.concepts else set())

    def with_ancestors(self, iris: tuple[str, ...] | list[str]) -> list[str]:
        out: list[str] = []
        for iri in iris:
            for i in (iri, *sorted(self.ancestors(iri))):
                if i not in out:
                    out.append(i)
        return out

    def evidence_level_for(self, design: str | None) -> str | None:
        return self.concepts[design].default_evidence_level if design in self.concepts else None

    def rank(self, evidence_level: str | None) -> int:
        """1 (strongest) … 6 (not graded); unknown or missing ranks last."""
        c = self.concepts.get(evidence_level or "")
        return c.rank if c and c.rank is not None else 7

    def labels(self):
        """(concept, label, is_abbreviation) for every label, longest first: what extractors match."""
        rows = [
            (c, label, label in c.abbreviations)
            for c in self.concepts.values()
            if c.scheme in SCHEMES  # measure and verdict labels ("rate", "supported") describe values, not topics
            for label in (c.pref_label, *c.alt_labels, *c.abbreviations)
        ]
        return sorted(rows, key=lambda r: (-len(r[1]), r[1]))


def _closure(start: str, step) -> set[str]:
    seen: set[str] = set()
    todo = list(step(start))
    while todo:
        i = todo.pop()
        if i not in seen:
            seen.add(i)
            todo.extend(step(i))
    return seen


@cache
def load() -> Vocabulary:
    """The vocabulary of the shipped ontology, parsed once per process."""
    graph = Graph()
    graph.parse(data=KAP_TTL.read_text(encoding="utf-8"), format="turtle")
    return Vocabulary(graph)

