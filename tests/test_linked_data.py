"""Linked data over real HTTP: `/id/…` by content negotiation, `/ontology`, `/void`, `/download/`."""

from __future__ import annotations

import gzip
import hashlib
import json
import re

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from kb.namespaces import KAP
from tests.test_sparql_endpoint import parse_graph

VOID = "http://rdfs.org/ns/void#"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
FORMATS = (("text/turtle", "turtle"), ("application/n-triples", "nt"), ("application/ld+json", "json-ld"), ("application/rdf+xml", "xml"))


# -- /id/… ------------------------------------------------------------------------------


def test_study_iri_gives_the_same_graph_in_every_format(client, kb):
    iri = URIRef(kb.res.study("dakwar2019"))
    graphs = []
    for media, parser in FORMATS:
        r = client.get("/id/study/dakwar2019", headers={"Accept": media})
        assert r.status_code == 200 and r.mimetype == media
        assert "Accept" in r.headers["Vary"] and r.headers["Access-Control-Allow-Origin"] == "*"
        graphs.append(parse_graph(r.data, parser))
    g = graphs[0]
    assert all(isomorphic(g, other) for other in graphs[1:])
    assert (iri, RDF.type, KAP.Study) in g
    assert str(g.value(iri, DCTERMS.title)).startswith("A Single Ketamine Infusion")
    findings = list(g.objects(iri, KAP.hasFinding))
    assert len(findings) == 5 and all((f, KAP.statement, None) in g for f in findings)  # parts come along
    authors = list(g.objects(iri, DCTERMS.creator))
    assert len(authors) == 10


def test_format_parameter_overrides_accept(client):
    r = client.get("/id/study/dakwar2019?format=ntriples", headers={"Accept": BROWSER})
    assert r.mimetype == "application/n-triples" and r.get_data(as_text=True).count(" .\n") > 50


def test_study_iri_sends_browsers_to_the_study_page(client):
    r = client.get("/id/study/dakwar2019", headers={"Accept": BROWSER})
    assert r.status_code == 303 and r.headers["Location"].endswith("/studies/dakwar2019")


def test_generic_html_page_lists_properties_with_labels_and_links(client, kb):
    r = client.get("/id/study/dakwar2019?format=html")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and r.mimetype == "text/html"
    assert "A Single Ketamine Infusion" in html
    assert "condition (kap:condition)" in html  # the ontology's label beside the compact name
    assert 'href="/ontology#condition/cocaine-use-disorder"' in html and "cocaine use disorder" in html
    assert 'href="/id/study/dakwar2019/finding/1"' in html
    assert re.search(r'<ol class="inline-list"><li><span class="literal">Dakwar E</span></li><li>', html)  # author list in order
    assert "<script>" not in html


def test_finding_and_source_iris_dereference(client, kb):
    finding = client.get("/id/study/dakwar2019/finding/1", headers={"Accept": "text/html"})
    html = finding.get_data(as_text=True)
    assert finding.status_code == 200 and "48.2" in html and 'href="/ontology#outcome/abstinence"' in html
    assert "Referenced by" in html and 'href="/id/study/dakwar2019"' in html
    source = client.get("/id/source/corpus-dakwar2019", headers={"Accept": "text/turtle"})
    g = Graph().parse(data=source.get_data(as_text=True), format="turtle")
    assert (URIRef(kb.res.source("corpus-dakwar2019")), RDF.type, KAP.Source) in g


@pytest.mark.parametrize("path", ["/id/study/no-such-study", "/id/study/dakwar2019/finding/99", "/id/nothing",
                                  "/id/study/x%3E%20%3Fp%20%3Fo%20%7D%20%23", "/id/study/a%20b"])  # fmt: skip
def test_unknown_iris_are_404(client, path):
    for accept in ("text/turtle", "text/html"):
        r = client.get(path, headers={"Accept": accept})
        assert r.status_code == 404, (path, r.status_code)


def test_concept_paths_lead_to_their_documentation(client):
    r = client.get("/concept/route/intramuscular", headers={"Accept": BROWSER})
    assert r.status_code == 303 and r.headers["Location"].endswith("/ontology#route/intramuscular")
    data = client.get("/concept/route/intramuscular", headers={"Accept": "text/turtle"})
    g = Graph().parse(data=data.get_data(as_text=True), format="turtle")
    assert (URIRef("https://w3id.org/kapkb/concept/route/intramuscular"), SKOS.prefLabel, Literal("intramuscular", lang="en")) in g
    assert client.get("/concept/route/nowhere").status_code == 404


# -- /ontology ------------------------------------------------------------------------------


def test_ontology_is_served_as_the_shipped_turtle_and_in_other_formats(client):
    from ontology import KAP_TTL

    r = client.get("/ontology", headers={"Accept": "text/turtle"})
    assert r.mimetype == "text/turtle" and r.data == KAP_TTL.read_bytes()
    reference = Graph().parse(data=r.get_data(as_text=True), format="turtle")
    for media, parser in FORMATS[1:]:
        other = client.get("/ontology", headers={"Accept": media})
        assert isomorphic(reference, parse_graph(other.data, parser)), media


def test_ontology_page_documents_every_class_property_scheme_and_concept(client, kb):
    r = client.get("/ontology", headers={"Accept": BROWSER})
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    g = kb.vocab.graph
    own = str(KAP._NS)
    terms = {str(s) for s in g.subjects(RDFS.label, None) if str(s).startswith(own)}
    assert len(terms) > 50
    for term in terms:
        assert f'id="{term[len(own):]}"' in html, term
    for concept in kb.vocab.concepts.values():
        anchor = concept.iri.split("/concept/", 1)[1]
        assert f'id="{anchor}"' in html, concept.iri
        assert concept.pref_label.replace("'", "&#39;") in html
    for scheme in ("condition", "route", "therapy", "outcome", "design", "evidence_level"):
        assert f'id="scheme-{scheme}"' in html
    ids = re.findall(r' id="([^"]+)"', html)
    assert len(ids) == len(set(ids))  # every anchor names one thing
    assert 'href="http://id.nlm.nih.gov/mesh/D003865"' in html  # a checked MeSH match
    assert "treatment-resistant depression" in html and "TRD" in html
    # hierarchy: TRD is listed under major depressive disorder
    mdd = html.index('<li><a href="#condition/mdd">')
    assert html.index('<a href="#condition/trd">', mdd) < html.index("</ul>", html.index('<a href="#condition/trd">', mdd)) + 1


# -- /void and /download/ ------------------------------------------------------------------------


def test_void_describes_counts_endpoint_dumps_and_vocabularies(client, kb, app):
    r = client.get("/void", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.mimetype == "text/turtle"
    g = Graph().parse(data=r.get_data(as_text=True), format="turtle")
    base = app.config["KAPKB"].public
    ds = URIRef(f"{base}/void#kapkb")
    assert (ds, RDF.type, URIRef(VOID + "Dataset")) in g
    assert g.value(ds, URIRef(VOID + "sparqlEndpoint")) == URIRef(f"{base}/sparql")
    assert int(g.value(ds, URIRef(VOID + "triples"))) == kb.stats()["triples"]
    dumps = {str(o) for o in g.objects(ds, URIRef(VOID + "dataDump"))}
    assert dumps == {f"{base}/download/{name}" for name in ("kapkb.ttl.gz", "kapkb.nq.gz", "kapkb.jsonld.gz")}
    assert URIRef(str(KAP._NS)) in set(g.objects(ds, URIRef(VOID + "vocabulary")))
    studies = next(p for p in g.objects(ds, URIRef(VOID + "classPartition")) if g.value(p, URIRef(VOID + "class")) == KAP.Study)
    assert int(g.value(studies, URIRef(VOID + "entities"))) == kb.stats()["studies"]
    well_known = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert isomorphic(Graph().parse(data=well_known.get_data(as_text=True), format="turtle"), g)


def test_download_listing_for_people_and_programs(client, kb):
    page = client.get("/download/", headers={"Accept": BROWSER}).get_data(as_text=True)
    listing = client.get("/download/", headers={"Accept": "application/json"}).get_json()
    assert listing["version"] == kb.version
    names = [f["name"] for f in listing["files"]]
    assert names == ["kapkb.ttl.gz", "kapkb.nq.gz", "kapkb.jsonld.gz"]
    for name in names:
        assert f'href="/download/{name}"' in page


def test_dumps_hold_the_whole_kb_and_nquads_keep_the_named_graphs(client, kb):
    files = {f["name"]: f for f in client.get("/download/", headers={"Accept": "application/json"}).get_json()["files"]}
    for name, fmt in (("kapkb.nq.gz", ox.RdfFormat.N_QUADS), ("kapkb.ttl.gz", ox.RdfFormat.TURTLE), ("kapkb.jsonld.gz", ox.RdfFormat.JSON_LD)):
        with client.get(f"/download/{name}") as r:
            assert r.status_code == 200 and r.mimetype == "application/gzip"
            assert f"filename={name}" in r.headers["Content-Disposition"]
            assert hashlib.sha256(r.data).hexdigest() == files[name]["sha256"]
            quads = list(ox.parse(gzip.decompress(r.data), format=fmt))
        if fmt == ox.RdfFormat.N_QUADS:
            assert len(quads) == len(kb.store)
            assert {q.graph_name.value for q in quads} == set(kb.store.named_graphs())
        elif fmt == ox.RdfFormat.JSON_LD:
            assert len({q.graph_name.value for q in quads}) == len(kb.store.named_graphs())
        else:
            assert len({(q.subject, q.predicate, q.object) for q in quads}) > 0.9 * len(kb.store)


@pytest.mark.parametrize("path", ["/download/../meta.json", "/download/..%2Fmeta.json", "/download/%2e%2e/%2e%2e/kapkb.lock",
                                  "/download/dumps.json", "/download//etc/passwd", "/download/kapkb.nq"])  # fmt: skip
def test_download_refuses_anything_not_listed(client, path):
    r = client.get(path, follow_redirects=True)
    assert r.status_code == 404


def test_each_published_version_gets_its_own_dumps(fresh_data):
    from kb import dumps, versions
    from kb.model import Source, Study
    from kb.writer import Writer

    with Writer(fresh_data) as w:
        w.load_ontology()
        w.replace_source(Source("one", "test:one", "curated", "c1", (Study(id="one", title="First study"),)))
    first = versions.current_dir(fresh_data.data)
    with Writer(fresh_data) as w:
        w.replace_source(Source("two", "test:two", "curated", "c2", (Study(id="two", title="Second study"),)))
    second = versions.current_dir(fresh_data.data)
    assert first != second
    old, new = dumps.listing(first), dumps.listing(second)
    assert [f["sha256"] for f in old] != [f["sha256"] for f in new]
    path, _ = dumps.find(second, "kapkb.nq.gz")
    text = gzip.decompress(path.read_bytes()).decode()
    assert "First study" in text and "Second study" in text
    assert "Second study" not in gzip.decompress(dumps.find(first, "kapkb.nq.gz")[0].read_bytes()).decode()
    assert json.loads((second / "dumps" / "dumps.json").read_text())[0]["encoding"] == "gzip"
