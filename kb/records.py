"""RDF → model records: the reading mirror of `kb.rdfmap`.

The index, the pages, the API and the exports all see a study through the `Study`
this module rebuilds from the store's triples, so what is shown is what is stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from decimal import Decimal

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS

from kb.merge import merge
from kb.model import Arm, Article, Citation, Claim, Finding, Provenance, Study, Verdict
from kb.namespaces import AGENT_BASE, BIBO, CITO, FABIO, KAP, SCHEMA, Resources


def describe_query(iri: str) -> str:
    """Every quad of a resource, of the nodes it owns (findings and their arms, claims and their verdicts,
    fact sources: IRIs under its own) and of its author list, with the graph (source) each comes from."""
    return f"""
    SELECT ?g ?s ?p ?o WHERE {{
      GRAPH ?g {{
        {{ BIND(<{iri}> AS ?s) ?s ?p ?o }}
        UNION {{ <{iri}> ?link ?s . FILTER(STRSTARTS(STR(?s), "{iri}/")) ?s ?p ?o }}
        UNION {{ <{iri}> ?link ?c . FILTER(STRSTARTS(STR(?c), "{iri}/")) ?c ?link2 ?s .
                 FILTER(STRSTARTS(STR(?s), "{iri}/")) ?s ?p ?o }}
        UNION {{ <{iri}> <http://purl.org/ontology/bibo/authorList>/<http://www.w3.org/1999/02/22-rdf-syntax-ns#rest>* ?s . ?s ?p ?o }}
      }}
    }}"""


def graphs_of(store, iri: str) -> dict[str, Graph]:
    """The triples describing `iri`, one rdflib graph per named graph (source) that says something about it."""
    quads: dict[str, list[ox.Triple]] = {}
    for row in store.results(describe_query(iri)):
        quads.setdefault(row["g"].value, []).append(ox.Triple(row["s"], row["p"], row["o"]))
    return {g: to_rdflib(triples) for g, triples in quads.items()}


def read_study(store, iri: str, res: Resources) -> Study | None:
    """The study as the KB knows it: one record merged from every source that describes it (kb.merge)."""
    graphs = graphs_of(store, iri)
    if not graphs:
        return None
    formats = source_formats(store, list(graphs))
    node = URIRef(iri)
    parts = [
        (_source_id(g, res), formats.get(g), study_from(graph, node, res))
        for g, graph in graphs.items()
        if (node, RDF.type, KAP.Study) in graph
    ]
    if not parts:
        return None
    study = merge(parts)
    derived = graphs.get(res.derived_graph)
    if derived is not None:
        one, many = _readers(derived, node)
        gap = one(KAP.publicationGap)
        study = replace(
            study,
            results_studies=tuple(sorted(k[1] for k in map(res.kind_and_id, many(KAP.hasResultsPublication)) if k)),
            publication_gap=None if gap is None else gap == "true",
        )
    return study


def read_article(store, iri: str, res: Resources) -> Article | None:
    graphs = graphs_of(store, iri)
    node = URIRef(iri)
    for graph in graphs.values():
        if (node, RDF.type, KAP.Article) in graph:
            return article_from(graph, node, res)
    return None


def source_formats(store, graphs: list[str]) -> dict[str, str]:
    """Format of each source graph (`kap:format` of its source node), for ranking sources."""
    if not graphs:
        return {}
    values = " ".join(f"<{g}>" for g in graphs)
    rows = store.select(
        f"SELECT ?g ?f WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?g <{KAP.format}> ?f }} }}"
    )
    return {r["g"]: r["f"] for r in rows}


def _source_id(graph: str, res: Resources) -> str:
    kind_id = res.kind_and_id(graph)
    return kind_id[1] if kind_id else graph


def to_rdflib(triples: Iterable[ox.Triple | ox.Quad]) -> Graph:
    """Oxigraph triples into an rdflib graph (via N-Triples: exact and fast enough)."""
    g = Graph()
    data = ox.serialize([ox.Triple(t.subject, t.predicate, t.object) for t in triples], format=ox.RdfFormat.N_TRIPLES)
    if data:
        g.parse(data=data.decode("utf-8"), format="nt")
    return g


def studies_in(g: Graph, res: Resources) -> Iterator[Study]:
    for node in sorted(g.subjects(RDF.type, KAP.Study)):
        yield study_from(g, node, res)


def articles_in(g: Graph, res: Resources) -> Iterator[Article]:
    for node in sorted(g.subjects(RDF.type, KAP.Article)):
        yield article_from(g, node, res)


def study_from(g: Graph, node: URIRef, res: Resources) -> Study:
    one, many = _readers(g, node)
    head = g.value(node, BIBO.authorList)
    authors = tuple(str(a) for a in Collection(g, head)) if head is not None else tuple(sorted(many(DCTERMS.creator)))
    kind_id = res.kind_and_id(str(node))
    findings = sorted(g.objects(node, KAP.hasFinding), key=lambda f: _ordinal(str(f)))
    facts = []
    for fact in g.objects(node, KAP.factSource):
        name, url = g.value(fact, KAP.field), g.value(fact, PROV.hadPrimarySource)
        if name is not None and url is not None:
            facts.append((str(name), str(url)))
    return Study(
        id=kind_id[1] if kind_id else str(node),
        title=one(DCTERMS.title) or "",
        authors=authors,
        authors_complete=bool(authors) and one(KAP.authorsComplete) != "false",
        journal=one(KAP.journal),
        journal_abbrev=one(FABIO.hasNLMJournalTitleAbbreviation),
        year=_int(one(KAP.year)),
        volume=one(BIBO.volume),
        issue=one(BIBO.issue),
        pages=one(BIBO.pages),
        doi=one(BIBO.doi),
        pmid=one(FABIO.hasPubMedId),
        pmcid=one(FABIO.hasPubMedCentralId),
        nct=one(KAP.nctId),
        url=one(SCHEMA.url),
        abstract=one(DCTERMS.abstract),
        summary=one(KAP.summary),
        design=one(KAP.design),
        evidence_level=one(KAP.evidenceLevel),
        n=_int(one(KAP.sampleSize)),
        n_randomized=_int(one(KAP.participantsRandomized)),
        n_analysed=_int(one(KAP.participantsAnalysed)),
        n_studies=_int(one(KAP.studiesIncluded)),
        drugs=tuple(sorted(many(KAP.drug))),
        conditions=tuple(sorted(many(KAP.condition))),
        routes=tuple(sorted(many(KAP.route))),
        therapies=tuple(sorted(many(KAP.therapy))),
        outcomes=tuple(sorted(many(KAP.outcome))),
        instruments=tuple(sorted(many(KAP.instrument))),
        adverse_effects=tuple(sorted(many(KAP.adverseEffect))),
        timing=tuple(sorted(many(KAP.therapyTiming))),
        populations=tuple(sorted(many(KAP.population))),
        dose=one(KAP.dose),
        dose_mg_per_kg=tuple(sorted(float(v) for v in many(KAP.doseMgPerKg))),
        sessions=one(KAP.sessions),
        ketamine_sessions=_int(one(KAP.ketamineSessions)),
        timing_note=one(KAP.timingNote),
        comparator=one(KAP.comparator),
        followup_weeks=_float(one(KAP.followUpWeeks)),
        status=one(KAP.trialStatus),
        phase=one(KAP.trialPhase),
        keywords=tuple(sorted(many(SCHEMA.keywords))),
        publication_types=tuple(sorted(many(KAP.publicationType))),
        results_publications=tuple(sorted(many(KAP.resultsReference))),
        findings=tuple(finding_from(g, f) for f in findings),
        primary_urls=tuple(sorted(many(PROV.hadPrimarySource))),
        secondary_urls=tuple(sorted(many(RDFS.seeAlso))),
        fact_sources=tuple(sorted(facts)),
        verified=one(KAP.verified) != "false",
        note=one(SKOS.editorialNote),
        provenance=_provenance(g, node),
    )


def finding_from(g: Graph, node) -> Finding:
    one, _ = _readers(g, node)
    arms = sorted(g.objects(node, KAP.hasArm), key=lambda a: _ordinal(str(a)))
    return Finding(
        text=one(KAP.statement) or "",
        outcome=one(KAP.outcome),
        instrument=one(KAP.instrument),
        measure=one(KAP.measure),
        value=_float(one(KAP.value)),
        unit=one(KAP.unit),
        ci_low=_float(one(KAP.ciLow)),
        ci_high=_float(one(KAP.ciHigh)),
        p=one(KAP.pValue),
        n=_int(one(KAP.sampleSize)),
        arms=tuple(arm_from(g, a) for a in arms),
        comparison=one(KAP.comparison),
        timepoint=one(KAP.timepoint),
        timepoint_weeks=_float(one(KAP.timepointWeeks)),
        phase=one(KAP.phase),
        population=one(KAP.populationNote),
        direction=one(KAP.direction),
        primary=one(KAP.primaryOutcome) == "true",
        pooled=one(KAP.pooled) == "true",
        k=_int(one(KAP.studiesIncluded)),
        derived=one(KAP.derivation),
        provenance=_provenance(g, node),
    )


def arm_from(g: Graph, node) -> Arm:
    one, _ = _readers(g, node)
    return Arm(
        label=one(RDFS.label) or "",
        n=_int(one(KAP.sampleSize)),
        events=_int(one(KAP.events)),
        value=_float(one(KAP.value)),
        unit=one(KAP.unit),
        sd=_float(one(KAP.sd)),
    )


def article_from(g: Graph, node: URIRef, res: Resources) -> Article:
    one, many = _readers(g, node)
    kind_id = res.kind_and_id(str(node))
    claims = sorted(g.objects(node, KAP.hasClaim), key=lambda c: _ordinal(str(c)))
    return Article(
        id=kind_id[1] if kind_id else str(node),
        title=one(DCTERMS.title) or "",
        url=one(SCHEMA.url),
        publisher=one(DCTERMS.publisher),
        author=one(SCHEMA.author),
        date=one(DCTERMS.date),
        text=one(SCHEMA.text) or "",
        source_type=one(KAP.sourceType),
        evidence_level=one(KAP.evidenceLevel),
        concepts=tuple(sorted(many(KAP.mentions))),
        claims=tuple(claim_from(g, c, res) for c in claims),
    )


def claim_from(g: Graph, node, res: Resources) -> Claim:
    one, many = _readers(g, node)
    cited = one(CITO.cites)
    kind_id = res.kind_and_id(cited) if cited else None
    citation = Citation(
        doi=one(KAP.citedDoi),
        pmid=one(KAP.citedPmid),
        authors=tuple(sorted(many(KAP.citedAuthor))),
        year=_int(one(KAP.citedYear)),
        journal=one(KAP.citedJournal),
        text=one(KAP.citationText) or "",
    )
    verdict_node = g.value(node, KAP.hasVerdict)
    return Claim(
        text=one(KAP.statement) or "",
        concepts=tuple(sorted(many(KAP.mentions))),
        citation=citation if citation != Citation() else None,
        cites=kind_id[1] if kind_id else cited,
        unresolved_reason=one(KAP.unresolvedReason),
        verdict=verdict_from(g, verdict_node, res) if verdict_node is not None else None,
        provenance=_provenance(g, node),
    )


def verdict_from(g: Graph, node, res: Resources) -> Verdict:
    one, many = _readers(g, node)
    agent = one(PROV.wasAttributedTo) or ""
    candidates = [res.kind_and_id(i) for i in many(KAP.candidateStudy)]
    return Verdict(
        label=(one(KAP.verdictClass) or "").rsplit("/", 1)[-1].replace("-", " "),
        reason=one(KAP.reason) or "",
        page_figures=tuple(sorted(many(KAP.pageFigure))),
        study_figures=tuple(sorted(many(KAP.studyFigure))),
        findings=tuple(sorted(_ordinal(i) for i in many(KAP.comparedWith))),
        candidates=tuple(sorted(k[1] for k in candidates if k)),
        checker=agent[len(AGENT_BASE) :] if agent.startswith(AGENT_BASE) else agent,
    )


UNORDERED = (
    "drugs", "conditions", "routes", "therapies", "outcomes", "instruments", "adverse_effects", "timing",
    "populations", "keywords", "publication_types", "results_publications", "primary_urls", "secondary_urls",
    "fact_sources", "dose_mg_per_kg",
)  # fmt: skip


def canonical(record: Study | Article) -> Study | Article:
    """Sort the fields RDF holds as sets, so a record reads back from the store exactly as it was written."""
    if isinstance(record, Article):
        claims = tuple(
            replace(
                c,
                concepts=tuple(sorted(set(c.concepts))),
                citation=replace(c.citation, authors=tuple(sorted(set(c.citation.authors)))) if c.citation else None,
                verdict=_canonical_verdict(c.verdict, c.cites) if c.verdict else None,
            )
            for c in record.claims
        )
        return replace(record, concepts=tuple(sorted(set(record.concepts))), claims=claims)
    return replace(
        record,
        authors_complete=bool(record.authors) and record.authors_complete,
        **{name: tuple(sorted(set(getattr(record, name)))) for name in UNORDERED},
    )


def _canonical_verdict(v: Verdict, cites: str | None) -> Verdict:
    return replace(
        v,
        page_figures=tuple(sorted(set(v.page_figures))),
        study_figures=tuple(sorted(set(v.study_figures))),
        findings=tuple(sorted(set(v.findings))) if cites else (),
        candidates=tuple(sorted(set(v.candidates))),
    )


def study_from_dict(d: dict) -> Study:
    """A Study from its JSON form (`dataclasses.asdict`), as the index stores it."""
    fields = {k: v for k, v in d.items() if k in Study.__dataclass_fields__}
    fields["findings"] = tuple(
        Finding(
            **{
                **f,
                "arms": tuple(Arm(**a) for a in f.get("arms", [])),
                "provenance": Provenance(**f.get("provenance", {})),
            }
        )
        for f in d.get("findings", [])
    )
    fields["fact_sources"] = tuple(tuple(pair) for pair in d.get("fact_sources", []))
    fields["sources"] = tuple(tuple(pair) for pair in d.get("sources", []))
    fields["results_studies"] = tuple(d.get("results_studies", []))
    fields["provenance"] = Provenance(**d.get("provenance", {}))
    for name, spec in Study.__dataclass_fields__.items():
        if name in fields and isinstance(fields[name], list):
            fields[name] = tuple(fields[name])
    return Study(**fields)


def _provenance(g: Graph, node) -> Provenance:
    one, _ = _readers(g, node)
    agent = one(PROV.wasAttributedTo) or AGENT_BASE + "curator"
    return Provenance(
        quote=one(KAP.quote) or "",
        start=_int(one(KAP.startOffset)),
        end=_int(one(KAP.endOffset)),
        section=one(KAP.section),
        agent=agent[len(AGENT_BASE) :] if agent.startswith(AGENT_BASE) else agent,
    )


def _readers(g: Graph, node):
    def one(pred) -> str | None:
        v = g.value(node, pred)
        return None if v is None else _text(v)

    def many(pred) -> list[str]:
        return [_text(v) for v in g.objects(node, pred)]

    return one, many


def _text(v) -> str:
    if isinstance(v, Literal):
        py = v.toPython()
        if isinstance(py, bool):
            return "true" if py else "false"
        if isinstance(py, Decimal):
            return str(py)
        return str(v)
    return str(v)


def _int(v: str | None) -> int | None:
    return int(v) if v not in (None, "") else None


def _float(v: str | None) -> float | None:
    return float(v) if v not in (None, "") else None


def _ordinal(iri: str) -> int:
    tail = iri.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else 0
