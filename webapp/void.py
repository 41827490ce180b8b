"""The VoID description of the dataset: what it holds, how many, where to query it and download it."""

from __future__ import annotations

import pyoxigraph as ox

from kb.coverage import coverage
from kb.namespaces import KAP, PREFIXES, SCHEMES, VALUE_SCHEMES, scheme_iri
from kb.releases import LICENSE_URL, listing

VOID = "http://rdfs.org/ns/void#"
DCTERMS = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
CLASS_COUNTS = (("Study", "studies"), ("Finding", "findings"), ("Article", "articles"), ("Claim", "claims"), ("Source", "sources"))
VOCABULARIES = ("kap", "skos", "dcterms", "bibo", "fabio", "cito", "prov", "schema")


def void_graph(kb, counts: dict, files: list[dict]) -> list[ox.Triple]:
    base = kb.settings.public
    doc = ox.NamedNode(f"{base}/void")
    ds = ox.NamedNode(f"{base}/void#kapkb")
    out: list[ox.Triple] = []

    def add(s, p: str, o) -> None:
        out.append(ox.Triple(s, ox.NamedNode(p), o))

    def count(n: int) -> ox.Literal:
        return ox.Literal(str(n), datatype=XSD_INTEGER)

    add(doc, RDF_TYPE.value, ox.NamedNode(VOID + "DatasetDescription"))
    add(doc, FOAF + "primaryTopic", ds)
    add(ds, RDF_TYPE.value, ox.NamedNode(VOID + "Dataset"))
    add(ds, DCTERMS + "title", ox.Literal("kapkb: evidence on ketamine-assisted psychotherapy", language="en"))
    add(ds, DCTERMS + "description", ox.Literal(
        "Studies (with their findings, designs, evidence levels, conditions, routes, therapies and outcomes), "
        "articles and the claims they make, each in one named graph per source document, with the SKOS "
        "vocabularies they use.", language="en"))  # fmt: skip
    add(ds, DCTERMS + "hasVersion", ox.Literal(kb.version))
    cov = coverage(kb.store)
    add(ds, DCTERMS + "coverage", ox.Literal(f"{cov.scope} Literature search closed {cov.search_date}. {cov.summary()}.",
                                              language="en"))  # fmt: skip
    add(ds, DCTERMS + "license", ox.NamedNode(LICENSE_URL))
    found = listing(kb.settings.data)
    if found:
        add(ds, DCTERMS + "issued", ox.Literal(found[-1].date, datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")))
        add(ds, "http://www.w3.org/2002/07/owl#versionInfo", ox.Literal(f"release {kb.release_label()}"))
    if kb.meta.get("created"):
        add(ds, DCTERMS + "modified", ox.Literal(kb.meta["created"], datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")))
    add(ds, VOID + "sparqlEndpoint", ox.NamedNode(f"{base}/sparql"))
    add(ds, VOID + "uriSpace", ox.Literal(f"{kb.res.base}/id/"))
    add(ds, VOID + "triples", count(counts.get("triples", 0)))
    add(ds, VOID + "entities", count(sum(counts.get(key, 0) for _, key in CLASS_COUNTS)))
    for prefix in VOCABULARIES:
        add(ds, VOID + "vocabulary", ox.NamedNode(str(PREFIXES[prefix])))
    for scheme in (*SCHEMES, *VALUE_SCHEMES):
        add(ds, VOID + "vocabulary", ox.NamedNode(scheme_iri(scheme) + "/"))
    for f in files:
        add(ds, VOID + "dataDump", ox.NamedNode(f"{base}/download/{f['name']}"))
    for cls, key in CLASS_COUNTS:
        part = ox.BlankNode()
        add(ds, VOID + "classPartition", part)
        add(part, VOID + "class", ox.NamedNode(str(getattr(KAP, cls))))
        add(part, VOID + "entities", count(counts.get(key, 0)))
    example = kb.store.select("PREFIX kap: <https://w3id.org/kapkb/ontology#> SELECT ?s WHERE { ?s a kap:Study } LIMIT 1")
    if example:
        add(ds, VOID + "exampleResource", ox.NamedNode(example[0]["s"]))
    return out
