"""Namespaces: the ontology's own terms as a closed `DefinedNamespace`, so a typo fails at import.

`tests/test_namespaces.py` checks that this list and `ontology/kap.ttl` declare the same terms.
"""

from __future__ import annotations

import re

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD, DefinedNamespace

ONTOLOGY_IRI = "https://w3id.org/kapkb/ontology"
INSTANCE_BASE = "https://w3id.org/kapkb"  # every resource IRI, whatever host serves it
CONCEPT_BASE = "https://w3id.org/kapkb/concept/"
AGENT_BASE = "https://w3id.org/kapkb/agent/"


class KAP(DefinedNamespace):
    """kapkb ontology terms (`https://w3id.org/kapkb/ontology#`)."""

    _fail = True
    _NS = Namespace(ONTOLOGY_IRI + "#")

    # classes
    Study: URIRef
    Finding: URIRef
    Article: URIRef
    Claim: URIRef
    Source: URIRef
    # bibliographic and trial facts
    journal: URIRef
    year: URIRef
    nctId: URIRef
    summary: URIRef
    publicationType: URIRef
    trialStatus: URIRef
    trialPhase: URIRef
    hasResultsPublication: URIRef
    resultsReference: URIRef
    publicationGap: URIRef
    verified: URIRef
    # PICO and protocol
    design: URIRef
    evidenceLevel: URIRef
    drug: URIRef
    condition: URIRef
    route: URIRef
    therapy: URIRef
    outcome: URIRef
    instrument: URIRef
    adverseEffect: URIRef
    therapyTiming: URIRef
    sampleSize: URIRef
    studiesIncluded: URIRef
    ketamineSessions: URIRef
    participantsRandomized: URIRef
    participantsAnalysed: URIRef
    dose: URIRef
    doseMgPerKg: URIRef
    sessions: URIRef
    timingNote: URIRef
    comparator: URIRef
    followUpWeeks: URIRef
    hasFinding: URIRef
    # findings and claims
    statement: URIRef
    value: URIRef
    unit: URIRef
    comparison: URIRef
    timepoint: URIRef
    direction: URIRef
    quote: URIRef
    startOffset: URIRef
    endOffset: URIRef
    section: URIRef
    sourceType: URIRef
    mentions: URIRef
    hasClaim: URIRef
    citationText: URIRef
    citedDoi: URIRef
    citedPmid: URIRef
    citedAuthor: URIRef
    citedYear: URIRef
    citedJournal: URIRef
    resolved: URIRef
    unresolvedReason: URIRef
    # sources
    location: URIRef
    format: URIRef
    checksum: URIRef
    # completeness, provenance, structured findings, verdicts
    Arm: URIRef
    Verdict: URIRef
    FactSource: URIRef
    authorsComplete: URIRef
    factSource: URIRef
    field: URIRef
    population: URIRef
    measure: URIRef
    ciLow: URIRef
    ciHigh: URIRef
    pValue: URIRef
    hasArm: URIRef
    events: URIRef
    sd: URIRef
    timepointWeeks: URIRef
    phase: URIRef
    populationNote: URIRef
    primaryOutcome: URIRef
    pooled: URIRef
    derivation: URIRef
    hasVerdict: URIRef
    verdictClass: URIRef
    reason: URIRef
    pageFigure: URIRef
    studyFigure: URIRef
    comparedWith: URIRef
    candidateStudy: URIRef
    # vocabulary
    abbreviation: URIRef
    defaultEvidenceLevel: URIRef
    rank: URIRef


BIBO = Namespace("http://purl.org/ontology/bibo/")
FABIO = Namespace("http://purl.org/spar/fabio/")
CITO = Namespace("http://purl.org/spar/cito/")
SCHEMA = Namespace("https://schema.org/")

SCHEMES = (
    "condition",
    "route",
    "therapy",
    "outcome",
    "instrument",
    "adverse_effect",
    "design",
    "evidence_level",
    "drug",
    "timing",
    "population",
)
# Schemes of finding- and claim-level values: in the ontology and the prefixes, not searched as study concepts.
VALUE_SCHEMES = ("measure", "verdict")

PREFIXES = {
    "kap": KAP._NS,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "bibo": BIBO,
    "fabio": FABIO,
    "cito": CITO,
    "prov": PROV,
    "schema": SCHEMA,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    **{scheme: Namespace(f"{CONCEPT_BASE}{scheme}/") for scheme in (*SCHEMES, *VALUE_SCHEMES)},
}


def sparql_prefixes() -> str:
    """The PREFIX lines every query in kapkb (and every example) starts from."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())


def concept_iri(scheme: str, slug: str) -> str:
    return f"{CONCEPT_BASE}{scheme}/{slug}"


def scheme_iri(scheme: str) -> str:
    return f"{CONCEPT_BASE}{scheme}"


def scheme_of(iri: str) -> str:
    """`…/concept/route/intramuscular` → `route`."""
    return iri[len(CONCEPT_BASE) :].split("/", 1)[0]


def slug_of(iri: str) -> str:
    return iri.rsplit("/", 1)[-1]


class Resources:
    """IRIs of the KB's own resources: persistent `https://w3id.org/kapkb/id/...`, whatever host serves them."""

    def __init__(self, base: str = INSTANCE_BASE) -> None:
        self.base = base.rstrip("/")

    def study(self, id: str) -> str:
        return f"{self.base}/id/study/{id}"

    def article(self, id: str) -> str:
        return f"{self.base}/id/article/{id}"

    def source(self, id: str) -> str:
        return f"{self.base}/id/source/{id}"

    def finding(self, study_id: str, n: int) -> str:
        return f"{self.base}/id/study/{study_id}/finding/{n}"

    def claim(self, article_id: str, n: int) -> str:
        return f"{self.base}/id/article/{article_id}/claim/{n}"

    @property
    def derived_graph(self) -> str:
        """The graph of facts the writer derives across sources (registrations ↔ results publications)."""
        return f"{self.base}/id/graph/derived"

    def local_path(self, iri: str) -> str | None:
        """`https://w3id.org/kapkb/id/study/x` → `/id/study/x`: where this server dereferences one of its IRIs."""
        return iri[len(self.base) :] if iri.startswith(self.base + "/id/") else None

    def kind_and_id(self, iri: str) -> tuple[str, str] | None:
        """`{base}/id/study/x` → ("study", "x"); anything else → None."""
        prefix = f"{self.base}/id/"
        if not iri.startswith(prefix):
            return None
        kind, _, rest = iri[len(prefix) :].partition("/")
        return (kind, rest) if rest and "/" not in rest else None


def with_prefixes(body: str) -> str:
    """`body` preceded by a PREFIX line for each kapkb prefix it uses, and no others."""
    bare = re.sub(r'<[^>\s]*>|"(?:[^"\\]|\\.)*"', " ", body)  # prefixes inside IRIs and strings do not count
    used = set(re.findall(r"(?<![\w?$<])([A-Za-z][\w-]*):", bare))
    lines = [f"PREFIX {p}: <{PREFIXES[p]}>" for p in PREFIXES if p in used]
    return "\n".join(lines) + "\n\n" + body.strip() + "\n"
