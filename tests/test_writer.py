"""The one writer: idempotent replace, whole-graph replacement, removal, reindex, atomic publishing."""

from __future__ import annotations

import json

import pytest

from kb.errors import NotFound, SparqlSyntaxError
from kb.model import Finding, Source, Study
from kb.namespaces import concept_iri
from kb.reader import KB
from kb.writer import Writer


def study(id="s1", title="A trial of ketamine with CBT", **kw) -> Study:
    base = dict(
        id=id, title=title, year=2020, doi=f"10.5555/kapkb.test.{id}", authors=("Doe J", "Roe R"),
        design=concept_iri("design", "rct"), evidence_level=concept_iri("evidence_level", "level-2"),
        conditions=(concept_iri("condition", "trd"),), routes=(concept_iri("route", "intramuscular"),),
        findings=(Finding(text="Remission was more common with ketamine.", outcome=concept_iri("outcome", "remission")),),
    )  # fmt: skip
    base.update(kw)
    return Study(**base)


def source(records, checksum="c1", id="src") -> Source:
    return Source(id=id, location=f"/tmp/{id}.yaml", format="curated", checksum=checksum, records=tuple(records))


def test_unchanged_source_is_a_noop_and_changed_source_replaces_its_graph(fresh_data):
    with Writer(fresh_data) as w:
        assert w.replace_source(source([study()])).status == "stored"
    kb = KB(fresh_data)
    v1 = kb.version
    with Writer(fresh_data) as w:
        assert w.replace_source(source([study()])).status == "unchanged"
    assert not kb.refresh() and kb.version == v1
    with Writer(fresh_data) as w:
        assert w.replace_source(source([study(title="Renamed trial", routes=())], checksum="c2")).status == "stored"
    assert kb.refresh()
    titles = kb.store.select("SELECT ?t WHERE { ?s <http://purl.org/dc/terms/title> ?t }")
    assert [r["t"] for r in titles] == ["Renamed trial"]
    assert kb.study("s1").routes == ()
    doc = kb.searcher().document(iri=kb.res.study("s1"))
    assert json.loads(doc["record"])["title"] == "Renamed trial"
    assert kb.searcher().doc_count() == 1


def test_remove_source_drops_graph_and_index_documents(fresh_data):
    with Writer(fresh_data) as w:
        w.replace_source(source([study("a")], id="one"))
        w.replace_source(source([study("b")], id="two"))
    with Writer(fresh_data) as w:
        w.remove_source("one")
        with pytest.raises(NotFound, match="kapkb sources"):
            w.remove_source("nope")
    kb = KB(fresh_data)
    assert kb.stats()["studies"] == 1
    assert kb.searcher().document(iri=kb.res.study("a")) is None
    assert kb.searcher().document(iri=kb.res.study("b")) is not None


def test_reindex_rebuilds_the_same_documents(fresh_data):
    with Writer(fresh_data) as w:
        w.load_ontology()
        w.replace_source(source([study("a"), study("b", conditions=(concept_iri("condition", "ptsd"),))]))
    before = {d["iri"]: d for d in KB(fresh_data).searcher().all_stored_fields()}
    with Writer(fresh_data) as w:
        assert w.reindex() == 2
    after = {d["iri"]: d for d in KB(fresh_data).searcher().all_stored_fields()}
    assert before == after


def test_failed_update_leaves_the_graph_whole(fresh_data):
    """One SPARQL Update is one transaction: a failure halfway keeps the old graph."""
    with Writer(fresh_data) as w:
        w.replace_source(source([study()]))
        graph = w.res.source("src")
        before = len(w.store)
        with pytest.raises(Exception, match="urn:kapkb:missing"):  # the second operation fails when run
            w.store.update(f"DROP GRAPH <{graph}> ; DROP GRAPH <urn:kapkb:missing>")
        assert len(w.store) == before
        with pytest.raises(SparqlSyntaxError):  # and a syntax error fails before anything runs
            w.store.update(f"DROP GRAPH <{graph}> ; INSERT DATA {{ GRAPH <{graph}> {{ <urn:a> <urn:b> }} }}")
        assert len(w.store) == before


def test_exception_inside_writer_publishes_nothing(fresh_data):
    with Writer(fresh_data) as w:
        w.replace_source(source([study("keep")], id="keep"))
    kb = KB(fresh_data)
    with pytest.raises(RuntimeError):
        with Writer(fresh_data) as w:
            w.replace_source(source([study("lost")], id="lost"))
            raise RuntimeError("ingest died")
    assert not kb.refresh()
    assert KB(fresh_data).stats()["studies"] == 1
    assert not list((fresh_data.data / "versions").glob("*.tmp"))


def test_reader_keeps_its_version_until_refresh(fresh_data):
    with Writer(fresh_data) as w:
        w.replace_source(source([study("a")], id="one"))
    reader = KB(fresh_data)
    with Writer(fresh_data) as w:
        w.replace_source(source([study("b")], id="two"))
    assert reader.stats()["studies"] == 1  # still the version it opened
    assert reader.refresh()
    assert reader.stats()["studies"] == 2
