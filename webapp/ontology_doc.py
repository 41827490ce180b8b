"""The ontology as data for its documentation page: classes, properties, and each concept scheme.

Read from the shipped `ontology/kap.ttl` (the graph `kb.vocab` already parsed), so
the page documents exactly what the store holds. Anchors mirror the IRIs: the
class `kap:Study` is `/ontology#Study`, the concept
`https://w3id.org/kapkb/concept/route/intramuscular` is `/ontology#route/intramuscular`;
the scheme itself is `/ontology#scheme-route` (`#route` is the property kap:route).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from rdflib import OWL, RDF, RDFS, SKOS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from kb.namespaces import CONCEPT_BASE, KAP, ONTOLOGY_IRI, SCHEMES, VALUE_SCHEMES, scheme_iri
from kb.vocab import Concept, Vocabulary

# Terms kapkb reuses from public vocabularies, with how it uses them (the ontology declares only kap: terms).
REUSED = (
    ("dcterms:title", "title of a study or article"),
    ("dcterms:creator", "one author of a study, as printed (one literal per author)"),
    ("bibo:authorList", "the same authors as an ordered rdf:List"),
    ("bibo:volume", "journal volume"),
    ("bibo:issue", "journal issue"),
    ("bibo:pages", "page range"),
    ("bibo:doi", "DOI, lower case, without a resolver prefix"),
    ("fabio:hasPubMedId", "PubMed identifier (PMID)"),
    ("fabio:hasPubMedCentralId", "PubMed Central identifier (PMCID)"),
    ("schema:url", "the web page of a study or article (an IRI)"),
    ("schema:keywords", "MeSH headings and author keywords, as given"),
    ("schema:author", "author of an article, as printed"),
    ("dcterms:abstract", "abstract of a study"),
    ("dcterms:publisher", "publisher or site of an article"),
    ("dcterms:date", "publication date of an article, ISO 8601 as given"),
    ("rdfs:seeAlso", "pages that back a curated record (evidence URLs)"),
    ("skos:editorialNote", "a curator's note on a record"),
    ("cito:cites", "a claim cites a study in the KB"),
    ("prov:wasDerivedFrom", "the kap:Source a record was read from"),
    ("prov:wasAttributedTo", "who produced a record, finding or claim (curator or extractor agent)"),
    ("prov:generatedAtTime", "when a source was ingested"),
)


@dataclass
class Term:
    iri: str
    anchor: str
    label: str
    comment: str | None = None
    kind: str = ""
    domain: list[str] = field(default_factory=list)
    range: list[str] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)  # rdfs:subClassOf / rdfs:subPropertyOf
    properties: list[str] = field(default_factory=list)  # for a class: anchors of the properties whose domain it is


@dataclass
class Scheme:
    name: str  # "route"
    iri: str
    label: str
    definition: str | None
    tree: list[tuple[Concept, list]]  # (concept, children) from the top concepts down
    concepts: list[Concept]  # every concept once, in label order


@dataclass
class OntologyDoc:
    title: str
    description: str | None
    version: str | None
    license: str | None
    classes: list[Term]
    properties: list[Term]
    schemes: list[Scheme]
    reused: tuple[tuple[str, str], ...] = REUSED


@cache
def build(vocab: Vocabulary) -> OntologyDoc:
    g = vocab.graph
    onto = URIRef(ONTOLOGY_IRI)
    classes = [_term(g, s, "class") for s in _own(g, OWL.Class)]
    properties = [
        _term(g, s, kind)
        for kind, cls in (("object property", OWL.ObjectProperty), ("datatype property", OWL.DatatypeProperty),
                          ("annotation property", OWL.AnnotationProperty))  # fmt: skip
        for s in _own(g, cls)
    ]
    for c in classes:
        c.properties = [p.anchor for p in properties if c.iri in p.domain]
    return OntologyDoc(
        title=_text(g, onto, DCTERMS.title) or "kapkb ontology",
        description=_text(g, onto, DCTERMS.description),
        version=_text(g, onto, OWL.versionInfo),
        license=str(g.value(onto, DCTERMS.license) or "") or None,
        classes=classes,
        properties=properties,
        schemes=[_scheme(g, vocab, name) for name in (*SCHEMES, *VALUE_SCHEMES)],
    )


def concept_anchor(iri: str) -> str:
    return iri[len(CONCEPT_BASE) :]


def _own(g: Graph, cls: URIRef) -> list[URIRef]:
    ns = str(KAP._NS)
    return sorted((s for s in g.subjects(RDF.type, cls) if isinstance(s, URIRef) and str(s).startswith(ns)), key=str)


def _term(g: Graph, s: URIRef, kind: str) -> Term:
    parents = [*g.objects(s, RDFS.subClassOf), *g.objects(s, RDFS.subPropertyOf)]
    return Term(
        iri=str(s),
        anchor=str(s).split("#", 1)[1],
        label=_text(g, s, RDFS.label) or str(s).split("#", 1)[1],
        comment=_text(g, s, RDFS.comment),
        kind=kind,
        domain=[str(o) for o in g.objects(s, RDFS.domain)],
        range=[str(o) for o in g.objects(s, RDFS.range)],
        parents=[str(o) for o in parents],
    )


def _scheme(g: Graph, vocab: Vocabulary, name: str) -> Scheme:
    iri = URIRef(scheme_iri(name))
    concepts = sorted(vocab.in_scheme(name), key=lambda c: c.pref_label.casefold())
    by_iri = {c.iri: c for c in concepts}
    tops = [c for c in concepts if not any(b in by_iri for b in c.broader)]

    def subtree(c: Concept, seen: frozenset[str]) -> tuple[Concept, list]:
        children = sorted((by_iri[n] for n in c.narrower if n in by_iri and n not in seen), key=lambda x: x.pref_label.casefold())
        return c, [subtree(child, seen | {child.iri}) for child in children]

    return Scheme(
        name=name,
        iri=str(iri),
        label=_text(g, iri, SKOS.prefLabel) or name,
        definition=_text(g, iri, SKOS.definition),
        tree=[subtree(c, frozenset({c.iri})) for c in tops],
        concepts=concepts,
    )


def _text(g: Graph, s: URIRef, p: URIRef) -> str | None:
    values = [o for o in g.objects(s, p) if isinstance(o, Literal)]
    english = [o for o in values if o.language in (None, "en")]
    return str((english or values)[0]) if values else None
