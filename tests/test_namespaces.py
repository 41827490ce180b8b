"""The closed KAP namespace and ontology/kap.ttl declare the same terms."""

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from kb.namespaces import KAP
from ontology import KAP_TTL


def test_kap_namespace_matches_the_ontology():
    g = Graph().parse(data=KAP_TTL.read_text(encoding="utf-8"), format="turtle")
    ns = str(KAP._NS)
    declared = {
        str(s)[len(ns):]
        for kind in (OWL.Class, RDFS.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property)
        for s in g.subjects(RDF.type, kind)
        if isinstance(s, URIRef) and str(s).startswith(ns)
    }
    in_code = set(KAP.__annotations__)
    assert in_code - declared == set(), "terms used in code but not declared in kap.ttl"
    assert declared - in_code == set(), "terms declared in kap.ttl but missing from kb/namespaces.py"
