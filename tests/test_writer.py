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


def test_a_source_that_fails_at_store_time_is_rolled_back_alone(fresh_data, monkeypatch):
    """A fault injected into the store for one source: that source goes back to what it was (graph and index
    documents), the others of the batch are stored and published."""
    from kb.store import EmbeddedStore
    from kb.writer import SourceNotStored

    with Writer(fresh_data) as w:
        w.replace_source(source([study("a1", title="The first version of A")], id="a"))
    real = EmbeddedStore.replace_graph

    def failing(self, graph, ntriples):  # fails on the new data, not on the rollback's restore of the old
        if b"A second version of A" in ntriples or b"never gets in" in ntriples:
            raise OSError("injected: disk full")
        return real(self, graph, ntriples)

    monkeypatch.setattr(EmbeddedStore, "replace_graph", failing)
    with Writer(fresh_data) as w:
        with pytest.raises(SourceNotStored, match="injected: disk full"):
            w.replace_source(source([study("a1", title="A second version of A")], checksum="c2", id="a"))
        with pytest.raises(SourceNotStored):
            w.replace_source(source([study("b1", title="A source that never gets in")], id="b"))
        assert w.replace_source(source([study("c1", title="A source stored beside the failures")], id="c")).status == "stored"
    monkeypatch.undo()
    kb = KB(fresh_data)
    assert kb.study("a1").title == "The first version of A"  # rolled back, not half-replaced
    assert kb.study("c1").title.startswith("A source stored")
    with pytest.raises(NotFound):
        kb.study("b1")
    hits = [h["iri"] for h in kb.searcher().documents()]
    assert sorted(h.rsplit("/", 1)[-1] for h in hits) == ["a1", "c1"]  # one document each, the old A's
    assert kb.searcher().document(iri=kb.res.study("a1"))["source"] == "a"


def test_a_record_the_store_cannot_hold_costs_that_record_or_field_only(fresh_data):
    from kb.model import Article

    bad_id = Article(id="a b>c", title="An article whose id is not an IRI segment")
    with Writer(fresh_data) as w:
        result = w.replace_source(source([study("ok1", n=2**40, url="https://example.org/x y"), bad_id], id="mixed"))
    assert result.status == "stored"
    assert any("n 1099511627776" in x for x in result.warnings)
    assert result.rejected and "id 'a b>c'" in result.rejected[0]
    s = KB(fresh_data).study("ok1")
    assert s.n is None and s.url == "https://example.org/x%20y"
