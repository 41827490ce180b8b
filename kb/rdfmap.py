"""Model records → RDF triples, one function per class: the only code that names predicates for writing.

Each source becomes one named graph holding its own description and every record
derived from it, so dropping the graph removes the source whole.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from kb.model import Arm, Article, Claim, Finding, Provenance, Source, Study, Verdict
from kb.namespaces import AGENT_BASE, BIBO, CITO, FABIO, KAP, SCHEMA, Resources, concept_iri


class NTriples:
    """A write-only triple sink that keeps N-Triples lines (a set, like a graph).

    Ingest only ever serialises a source's triples for the store, so building an
    indexed rdflib Graph first cost more than parsing and extracting the records;
    `add` has the same signature, so every `add_*` function below writes to either.
    """

    def __init__(self) -> None:
        self._lines: dict[str, None] = {}

    def add(self, triple: tuple) -> NTriples:
        s, p, o = triple
        self._lines[f"{_term(s)} <{p}> {_term(o)} .\n"] = None
        return self

    def add_plain(self, s, p, value: str | int) -> None:
        """A string or integer literal, written as rdflib writes `Literal(value)`."""
        if type(value) is int:
            o = f'"{value}"^^<http://www.w3.org/2001/XMLSchema#integer>'
        else:
            o = '"' + value.translate(_ESCAPES) + '"'
        self._lines[f"{_term(s)} <{p}> {o} .\n"] = None

    def __len__(self) -> int:
        return len(self._lines)

    def serialize(self) -> bytes:
        return "".join(self._lines).encode("utf-8")


_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", '"': '\\"', "\r": "\\r"})  # as rdflib's N-Triples writer


def _term(t) -> str:
    if isinstance(t, URIRef):
        return f"<{t}>"
    if isinstance(t, BNode):
        return f"_:{t}"
    lexical = '"' + str(t).translate(_ESCAPES) + '"'
    if t.language:
        return f"{lexical}@{t.language}"
    return f"{lexical}^^<{t.datatype}>" if t.datatype else lexical


def source_graph(source: Source, res: Resources, generated: datetime | None = None) -> Graph:
    """The named graph of one source: its description plus all its records."""
    return _fill(Graph(), source, res, generated)


def source_ntriples(source: Source, res: Resources, generated: datetime | None = None) -> NTriples:
    """The same triples as `source_graph`, straight to N-Triples (what the writer stores)."""
    return _fill(NTriples(), source, res, generated)


def _fill(g, source: Source, res: Resources, generated: datetime | None):
    node = URIRef(res.source(source.id))
    g.add((node, RDF.type, KAP.Source))
    g.add((node, KAP.location, Literal(source.location)))  # a file name or URL, never a local path
    g.add((node, KAP.format, Literal(source.format)))
    g.add((node, KAP.checksum, Literal(source.checksum)))
    when = generated or datetime.now(UTC).replace(microsecond=0)
    g.add((node, PROV.generatedAtTime, Literal(when.isoformat(), datatype=XSD.dateTime)))
    for record in source.records:
        if isinstance(record, Study):
            add_study(g, record, res, node)
        else:
            add_article(g, record, res, node)
    return g


def add_study(g: Graph, s: Study, res: Resources, source: URIRef) -> URIRef:
    node = URIRef(res.study(s.id))
    g.add((node, RDF.type, KAP.Study))
    g.add((node, PROV.wasDerivedFrom, source))
    _lit(g, node, DCTERMS.title, s.title)
    for author in s.authors:
        g.add((node, DCTERMS.creator, Literal(author)))
    if s.authors:
        cells = f"{node}/authors/{str(source).rsplit('/', 1)[-1]}"  # one list per source that names the authors
        g.add((node, BIBO.authorList, _rdf_list(g, [Literal(a) for a in s.authors], cells)))
    g.add((node, KAP.authorsComplete, Literal(bool(s.authors) and s.authors_complete)))
    _lit(g, node, KAP.journal, s.journal)
    _lit(g, node, FABIO.hasNLMJournalTitleAbbreviation, s.journal_abbrev)
    _lit(g, node, KAP.year, s.year)
    _lit(g, node, BIBO.volume, s.volume)
    _lit(g, node, BIBO.issue, s.issue)
    _lit(g, node, BIBO.pages, s.pages)
    _lit(g, node, BIBO.doi, s.doi.lower() if s.doi else None)
    _lit(g, node, FABIO.hasPubMedId, s.pmid)
    _lit(g, node, FABIO.hasPubMedCentralId, s.pmcid)
    _lit(g, node, KAP.nctId, s.nct)
    if s.url:
        g.add((node, SCHEMA.url, URIRef(s.url)))
    _lit(g, node, DCTERMS.abstract, s.abstract)
    _lit(g, node, KAP.summary, s.summary)
    _concept(g, node, KAP.design, s.design)
    _concept(g, node, KAP.evidenceLevel, s.evidence_level)
    for pred, iris in (
        (KAP.drug, s.drugs),
        (KAP.condition, s.conditions),
        (KAP.route, s.routes),
        (KAP.therapy, s.therapies),
        (KAP.outcome, s.outcomes),
        (KAP.instrument, s.instruments),
        (KAP.adverseEffect, s.adverse_effects),
        (KAP.therapyTiming, s.timing),
        (KAP.population, s.populations),
    ):
        for iri in iris:
            _concept(g, node, pred, iri)
    _lit(g, node, KAP.sampleSize, s.n)
    _lit(g, node, KAP.participantsRandomized, s.n_randomized)
    _lit(g, node, KAP.participantsAnalysed, s.n_analysed)
    _lit(g, node, KAP.studiesIncluded, s.n_studies)
    _lit(g, node, KAP.ketamineSessions, s.ketamine_sessions)
    _lit(g, node, KAP.dose, s.dose)
    for mg in s.dose_mg_per_kg:
        _decimal(g, node, KAP.doseMgPerKg, mg)
    _lit(g, node, KAP.sessions, s.sessions)
    _lit(g, node, KAP.timingNote, s.timing_note)
    _lit(g, node, KAP.comparator, s.comparator)
    _decimal(g, node, KAP.followUpWeeks, s.followup_weeks)
    _lit(g, node, KAP.trialStatus, s.status)
    _lit(g, node, KAP.trialPhase, s.phase)
    for kw in s.keywords:
        g.add((node, SCHEMA.keywords, Literal(kw)))
    for pt in s.publication_types:
        g.add((node, KAP.publicationType, Literal(pt)))
    for ref in s.results_publications:
        g.add((node, KAP.resultsReference, Literal(ref)))
    for url in s.primary_urls:
        g.add((node, PROV.hadPrimarySource, URIRef(url)))
    for url in s.secondary_urls:
        g.add((node, RDFS.seeAlso, URIRef(url)))
    for field_name, url in s.fact_sources:
        fact = URIRef(f"{node}/fact/{field_name}")
        g.add((node, KAP.factSource, fact))
        g.add((fact, RDF.type, KAP.FactSource))
        g.add((fact, KAP.field, Literal(field_name)))
        g.add((fact, PROV.hadPrimarySource, URIRef(url)))
    g.add((node, KAP.verified, Literal(s.verified)))
    _lit(g, node, SKOS.editorialNote, s.note)
    _provenance(g, node, s.provenance)
    for n, finding in enumerate(s.findings, 1):
        f = add_finding(g, finding, URIRef(res.finding(s.id, n)))
        g.add((node, KAP.hasFinding, f))
    return node


def add_finding(g: Graph, f: Finding, node: URIRef) -> URIRef:
    g.add((node, RDF.type, KAP.Finding))
    _lit(g, node, KAP.statement, f.text)
    _concept(g, node, KAP.outcome, f.outcome)
    _concept(g, node, KAP.instrument, f.instrument)
    _concept(g, node, KAP.measure, f.measure)
    _decimal(g, node, KAP.value, f.value)
    _lit(g, node, KAP.unit, f.unit)
    _decimal(g, node, KAP.ciLow, f.ci_low)
    _decimal(g, node, KAP.ciHigh, f.ci_high)
    _lit(g, node, KAP.pValue, f.p)
    _lit(g, node, KAP.sampleSize, f.n)
    for i, arm in enumerate(f.arms, 1):
        g.add((node, KAP.hasArm, add_arm(g, arm, URIRef(f"{node}/arm/{i}"))))
    _lit(g, node, KAP.comparison, f.comparison)
    _lit(g, node, KAP.timepoint, f.timepoint)
    _decimal(g, node, KAP.timepointWeeks, f.timepoint_weeks)
    _lit(g, node, KAP.phase, f.phase)
    _lit(g, node, KAP.populationNote, f.population)
    _lit(g, node, KAP.direction, f.direction)
    if f.primary:
        g.add((node, KAP.primaryOutcome, Literal(True)))
    if f.pooled:
        g.add((node, KAP.pooled, Literal(True)))
    _lit(g, node, KAP.studiesIncluded, f.k)
    _lit(g, node, KAP.derivation, f.derived)
    _provenance(g, node, f.provenance)
    return node


def add_arm(g: Graph, a: Arm, node: URIRef) -> URIRef:
    g.add((node, RDF.type, KAP.Arm))
    _lit(g, node, RDFS.label, a.label)
    _lit(g, node, KAP.sampleSize, a.n)
    _lit(g, node, KAP.events, a.events)
    _decimal(g, node, KAP.value, a.value)
    _lit(g, node, KAP.unit, a.unit)
    _decimal(g, node, KAP.sd, a.sd)
    return node


def add_article(g: Graph, a: Article, res: Resources, source: URIRef) -> URIRef:
    node = URIRef(res.article(a.id))
    g.add((node, RDF.type, KAP.Article))
    g.add((node, PROV.wasDerivedFrom, source))
    _lit(g, node, DCTERMS.title, a.title)
    if a.url:
        g.add((node, SCHEMA.url, URIRef(a.url)))
    _lit(g, node, DCTERMS.publisher, a.publisher)
    _lit(g, node, SCHEMA.author, a.author)
    _lit(g, node, DCTERMS.date, a.date)
    _lit(g, node, SCHEMA.text, a.text)
    _concept(g, node, KAP.sourceType, a.source_type)
    _concept(g, node, KAP.evidenceLevel, a.evidence_level)
    for iri in a.concepts:
        _concept(g, node, KAP.mentions, iri)
    for n, claim in enumerate(a.claims, 1):
        c = add_claim(g, claim, URIRef(res.claim(a.id, n)), res)
        g.add((node, KAP.hasClaim, c))
    return node


def add_claim(g: Graph, c: Claim, node: URIRef, res: Resources) -> URIRef:
    g.add((node, RDF.type, KAP.Claim))
    _lit(g, node, KAP.statement, c.text)
    for iri in c.concepts:
        _concept(g, node, KAP.mentions, iri)
    if c.citation:
        _lit(g, node, KAP.citationText, c.citation.text or None)
        _lit(g, node, KAP.citedDoi, c.citation.doi)
        _lit(g, node, KAP.citedPmid, c.citation.pmid)
        for name in c.citation.authors:
            g.add((node, KAP.citedAuthor, Literal(name)))
        _lit(g, node, KAP.citedYear, c.citation.year)
        _lit(g, node, KAP.citedJournal, c.citation.journal)
    g.add((node, KAP.resolved, Literal(c.cites is not None)))
    if c.cites:
        g.add((node, CITO.cites, URIRef(res.study(c.cites))))
    _lit(g, node, KAP.unresolvedReason, c.unresolved_reason)
    if c.verdict:
        g.add((node, KAP.hasVerdict, add_verdict(g, c.verdict, URIRef(f"{node}/verdict"), c.cites, res)))
    _provenance(g, node, c.provenance)
    return node


def add_verdict(g: Graph, v: Verdict, node: URIRef, study: str | None, res: Resources) -> URIRef:
    g.add((node, RDF.type, KAP.Verdict))
    g.add((node, KAP.verdictClass, URIRef(verdict_iri(v.label))))
    _lit(g, node, KAP.reason, v.reason)
    for text in v.page_figures:
        g.add((node, KAP.pageFigure, Literal(text)))
    for text in v.study_figures:
        g.add((node, KAP.studyFigure, Literal(text)))
    for n in v.findings:
        if study:
            g.add((node, KAP.comparedWith, URIRef(res.finding(study, n))))
    for sid in v.candidates:
        g.add((node, KAP.candidateStudy, URIRef(res.study(sid))))
    g.add((node, PROV.wasAttributedTo, URIRef(AGENT_BASE + v.checker)))
    return node


def verdict_iri(label: str) -> str:
    """ "not checkable" → …/concept/verdict/not-checkable."""
    return concept_iri("verdict", label.replace(" ", "-"))


def _rdf_list(g: Graph, items: list, base: str) -> URIRef:
    """An rdf:List of `items` whose cells are IRIs under `base` (`base/1`, `base/2`, ...), not blank nodes: some
    servers (Virtuoso) refuse blank nodes in INSERT DATA, and named cells survive merging and renaming."""
    head = cell = URIRef(f"{base}/1")
    for i, item in enumerate(items):
        g.add((cell, RDF.first, item))
        rest = URIRef(f"{base}/{i + 2}") if i + 1 < len(items) else RDF.nil
        g.add((cell, RDF.rest, rest))
        cell = rest
    return head


def _provenance(g: Graph, node: URIRef, p: Provenance) -> None:
    _lit(g, node, KAP.quote, p.quote or None)
    _lit(g, node, KAP.startOffset, p.start)
    _lit(g, node, KAP.endOffset, p.end)
    _lit(g, node, KAP.section, p.section)
    g.add((node, PROV.wasAttributedTo, URIRef(AGENT_BASE + p.agent)))


def _lit(g: Graph, node: URIRef, pred: URIRef, value: object) -> None:
    if value is None or value == "":
        return
    if isinstance(g, NTriples) and type(value) in (str, int):
        g.add_plain(node, pred, value)  # skips building an rdflib Literal: most of a record's triples
        return
    g.add((node, pred, Literal(value)))


def _decimal(g: Graph, node: URIRef, pred: URIRef, value: float | None) -> None:
    if value is not None:
        g.add((node, pred, decimal_literal(value)))


def decimal_literal(value: float) -> Literal:
    """An xsd:decimal in plain notation ("0.00001", never "1E-5"); ValueError for NaN and infinities."""
    if not math.isfinite(value):
        raise ValueError(f"{value!r} is not a finite number")
    text = format(Decimal(repr(float(value))), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".") or "0"
    return Literal(text, datatype=XSD.decimal)


def _concept(g: Graph, node: URIRef, pred: URIRef, iri: str | None) -> None:
    if iri:
        g.add((node, pred, URIRef(iri)))
