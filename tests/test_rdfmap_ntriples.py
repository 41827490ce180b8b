"""The writer's fast path (records straight to N-Triples) says exactly what the rdflib path says."""

from __future__ import annotations

from datetime import UTC, datetime

from rdflib import Graph
from rdflib.compare import isomorphic

from kb.model import Article, Citation, Claim, Finding, Provenance, Source, Study
from kb.namespaces import Resources, concept_iri
from kb.rdfmap import source_graph, source_ntriples


def test_ntriples_sink_is_isomorphic_to_the_rdflib_graph():
    study = Study(
        id="doe2020", title='A "quoted" title\nwith a line break and a \\ backslash', authors=("Doe J", "Roe R", "Doe J"),
        year=2020, doi="10.5555/kapkb.nt.1", n=40, verified=False, dose_mg_per_kg=(0.5, 1.0), followup_weeks=26.1,
        conditions=(concept_iri("condition", "trd"),), url="https://example.org/a?b=1",
        findings=(Finding(text="Remission 44%.", value=43.8, unit="%", outcome=concept_iri("outcome", "remission"),
                          provenance=Provenance(quote="Remission 44%.", start=3, end=17, section="abstract/RESULTS",
                                                agent="kapkb-extract/0.1")),),
    )  # fmt: skip
    article = Article(
        id="clinic-page", title="Ketamine café ☕", text="…", concepts=(concept_iri("route", "intramuscular"),),
        claims=(Claim(text="A study (Doe et al., 2020) found…", cites="doe2020",
                      citation=Citation(authors=("Doe",), year=2020, text="Doe et al., 2020")),
                Claim(text="Research says so.", unresolved_reason="mentions research without naming it")),
    )  # fmt: skip
    source = Source(id="src", location="/tmp/x.txt", format="text", checksum="abc", records=(study, article))
    res = Resources("http://127.0.0.1:8000")
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    expected = source_graph(source, res, when)
    sink = source_ntriples(source, res, when)
    got = Graph().parse(data=sink.serialize().decode("utf-8"), format="nt")
    assert len(sink) == len(expected) == len(got)
    assert isomorphic(got, expected)
