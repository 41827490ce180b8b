"""The ontology files: they parse, the SKOS schemes are well formed, and the SHACL
shapes accept good data and reject bad data, naming the node at fault.

Real files through rdflib and pyshacl; nothing is mocked. The module defines its
own namespace constants instead of importing ``kb`` so that it tests the files,
not the code that reads them.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict

import pytest
from pyshacl import validate
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD

from ontology import KAP_TTL, SHAPES_TTL

KAP = Namespace("https://w3id.org/kapkb/ontology#")
SH = Namespace("http://www.w3.org/ns/shacl#")
CONCEPT = "https://w3id.org/kapkb/concept/"
ONTOLOGY = URIRef("https://w3id.org/kapkb/ontology")

# Concept counts per scheme, as in the binding inventory (plan/concepts.md).
SCHEME_SIZES = {
    "condition": 24,
    "route": 6,
    "therapy": 31,
    "outcome": 12,
    "instrument": 33,
    "adverse_effect": 28,
    "design": 17,
    "evidence_level": 6,
    "drug": 8,
    "timing": 4,
    "population": 13,
    "measure": 18,
    "verdict": 6,
}

# Every kap: term the shared context binds; kb.namespaces.KAP mirrors this list.
BINDING_TERMS = """
Study Finding Article Claim Source
journal year nctId summary publicationType trialStatus trialPhase hasResultsPublication
resultsReference publicationGap verified design evidenceLevel drug condition route therapy
outcome instrument adverseEffect therapyTiming sampleSize studiesIncluded ketamineSessions
dose doseMgPerKg sessions timingNote comparator followUpWeeks hasFinding statement value unit
comparison timepoint direction quote startOffset endOffset section sourceType mentions
hasClaim citationText citedDoi citedPmid citedAuthor citedYear citedJournal resolved
unresolvedReason location format checksum abbreviation defaultEvidenceLevel rank
Arm Verdict FactSource authorsComplete factSource field population measure ciLow ciHigh pValue hasArm events sd
timepointWeeks phase populationNote primaryOutcome pooled derivation hasVerdict verdictClass reason pageFigure
studyFigure comparedWith candidateStudy
""".split()

DECLARATION_TYPES = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty}

ABBREVIATION = re.compile(r"^[A-Z][A-Z0-9]*(?:[-/][A-Z0-9]+)*$")


def concept(scheme: str, slug: str) -> URIRef:
    return URIRef(f"{CONCEPT}{scheme}/{slug}")


def scheme_iri(scheme: str) -> URIRef:
    return URIRef(CONCEPT + scheme)


def label_key(label: str) -> str:
    """Case-, accent- and punctuation-insensitive form, the way label matching sees a label."""
    folded = unicodedata.normalize("NFKD", label.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"[\W_]+", " ", folded).strip()


@pytest.fixture(scope="module")
def kap() -> Graph:
    return Graph().parse(data=KAP_TTL.read_text(encoding="utf-8"), format="turtle")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(data=SHAPES_TTL.read_text(encoding="utf-8"), format="turtle")


@pytest.fixture(scope="module")
def concepts(kap: Graph) -> list[URIRef]:
    return sorted(c for c in kap.subjects(RDF.type, SKOS.Concept) if isinstance(c, URIRef))


# --- the ontology document ---------------------------------------------------


def test_ontology_header_has_title_version_and_license(kap: Graph) -> None:
    assert (ONTOLOGY, RDF.type, OWL.Ontology) in kap
    assert kap.value(ONTOLOGY, URIRef("http://purl.org/dc/terms/title")) is not None
    assert kap.value(ONTOLOGY, URIRef("http://purl.org/dc/terms/description")) is not None
    assert str(kap.value(ONTOLOGY, OWL.versionInfo)) == "0.1"
    assert kap.value(ONTOLOGY, URIRef("http://purl.org/dc/terms/license")) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )


def test_classes_and_their_external_superclasses(kap: Graph) -> None:
    for name in ("Study", "Finding", "Article", "Claim", "Source"):
        assert (KAP[name], RDF.type, OWL.Class) in kap
    assert (KAP.Study, RDFS.subClassOf, URIRef("https://schema.org/ScholarlyArticle")) in kap
    assert (KAP.Article, RDFS.subClassOf, URIRef("https://schema.org/Article")) in kap
    assert (KAP.Source, RDFS.subClassOf, URIRef("http://www.w3.org/ns/prov#Entity")) in kap


def test_every_binding_term_is_declared_with_label_and_comment(kap: Graph) -> None:
    for name in BINDING_TERMS:
        term = KAP[name]
        assert set(kap.objects(term, RDF.type)) & DECLARATION_TYPES, f"kap:{name} is not declared"
        assert kap.value(term, RDFS.label) is not None, f"kap:{name} has no rdfs:label"
        assert kap.value(term, RDFS.comment) is not None, f"kap:{name} has no rdfs:comment"


def test_every_kap_term_used_in_either_file_is_declared(kap: Graph, shapes: Graph) -> None:
    used = {
        node
        for graph in (kap, shapes)
        for triple in graph
        for node in triple
        if isinstance(node, URIRef) and str(node).startswith(str(KAP))
    }
    undeclared = {str(t) for t in used if not set(kap.objects(t, RDF.type)) & DECLARATION_TYPES}
    assert not undeclared
    assert used >= {KAP[name] for name in BINDING_TERMS}


def test_reused_external_properties_are_not_redeclared(kap: Graph) -> None:
    declared = {s for t in DECLARATION_TYPES for s in kap.subjects(RDF.type, t)}
    assert all(str(s).startswith(str(KAP)) for s in declared)


def test_abbreviation_is_an_altlabel(kap: Graph) -> None:
    assert (KAP.abbreviation, RDFS.subPropertyOf, SKOS.altLabel) in kap


# --- SKOS schemes --------------------------------------------------------------


def test_every_concept_has_one_english_preflabel_and_one_scheme(kap: Graph, concepts: list[URIRef]) -> None:
    for c in concepts:
        labels = list(kap.objects(c, SKOS.prefLabel))
        assert len(labels) == 1 and labels[0].language == "en", c
        assert len(list(kap.objects(c, SKOS.inScheme))) == 1, c
        assert kap.value(c, SKOS.definition) is not None, c


def test_every_scheme_exists_with_its_concept_count(kap: Graph, concepts: list[URIRef]) -> None:
    for scheme, size in SCHEME_SIZES.items():
        s = scheme_iri(scheme)
        assert (s, RDF.type, SKOS.ConceptScheme) in kap, scheme
        assert kap.value(s, SKOS.prefLabel) is not None, scheme
        members = set(kap.subjects(SKOS.inScheme, s))
        assert len(members) == size, scheme
        assert all(str(m).startswith(f"{s}/") for m in members), scheme
    assert len(concepts) == sum(SCHEME_SIZES.values())


def test_roots_are_exactly_the_top_concepts(kap: Graph) -> None:
    for scheme in SCHEME_SIZES:
        s = scheme_iri(scheme)
        members = set(kap.subjects(SKOS.inScheme, s))
        roots = {m for m in members if kap.value(m, SKOS.broader) is None}
        assert set(kap.objects(s, SKOS.hasTopConcept)) == roots, scheme
        assert set(kap.subjects(SKOS.topConceptOf, s)) == roots, scheme


def test_broader_and_narrower_are_symmetric_and_stay_in_scheme(kap: Graph) -> None:
    for child, parent in kap.subject_objects(SKOS.broader):
        assert (parent, SKOS.narrower, child) in kap
        assert kap.value(child, SKOS.inScheme) == kap.value(parent, SKOS.inScheme)
    for parent, child in kap.subject_objects(SKOS.narrower):
        assert (child, SKOS.broader, parent) in kap


def test_broader_has_no_cycle(kap: Graph, concepts: list[URIRef]) -> None:
    for c in concepts:
        seen, todo = set(), list(kap.objects(c, SKOS.broader))
        while todo:
            b = todo.pop()
            assert b != c, f"{c} is its own ancestor"
            if b not in seen:
                seen.add(b)
                todo.extend(kap.objects(b, SKOS.broader))


@pytest.mark.parametrize(
    ("scheme", "child", "ancestor"),
    [
        ("condition", "trd", "depressive-disorders"),
        ("condition", "aud", "substance-use-disorders"),
        ("therapy", "kpt", "psychotherapy"),
        ("drug", "esketamine", "ketamine"),
    ],
)
def test_hierarchy_reaches_ancestor(kap: Graph, scheme: str, child: str, ancestor: str) -> None:
    closure = set(kap.transitive_objects(concept(scheme, child), SKOS.broader))
    assert concept(scheme, ancestor) in closure


def test_no_label_names_two_concepts_in_one_scheme(kap: Graph, concepts: list[URIRef]) -> None:
    owners: dict[tuple[str, str], set[URIRef]] = defaultdict(set)
    for c in concepts:
        scheme = str(kap.value(c, SKOS.inScheme))
        pref = kap.value(c, SKOS.prefLabel)
        alts = list(kap.objects(c, SKOS.altLabel)) + list(kap.objects(c, KAP.abbreviation))
        assert pref not in alts, f"{c} repeats its prefLabel"
        for label in [pref, *alts]:
            owners[(scheme, label_key(str(label)))].add(c)
    clashes = {key: sorted(map(str, cs)) for key, cs in owners.items() if len(cs) > 1}
    assert not clashes


def test_short_all_caps_forms_are_abbreviations_not_altlabels(kap: Graph) -> None:
    for c, label in kap.subject_objects(KAP.abbreviation):
        assert ABBREVIATION.match(str(label)) and len(label) <= 8, (c, label)
        assert label.language == "en"
    for c, label in kap.subject_objects(SKOS.altLabel):
        assert label.language == "en", (c, label)
        assert not (ABBREVIATION.match(str(label)) and len(label) <= 8), (c, label)
    assert (concept("route", "intramuscular"), KAP.abbreviation, Literal("IM", lang="en")) in kap
    assert (concept("therapy", "erp"), KAP.abbreviation, Literal("EX/RP", lang="en")) in kap


def test_designs_default_to_an_evidence_level(kap: Graph) -> None:
    levels = set(kap.subjects(SKOS.inScheme, scheme_iri("evidence_level")))
    for d in kap.subjects(SKOS.inScheme, scheme_iri("design")):
        assert kap.value(d, KAP.defaultEvidenceLevel) in levels, d
    assert kap.value(concept("design", "rct"), KAP.defaultEvidenceLevel) == concept("evidence_level", "level-2")


def test_evidence_levels_have_notation_and_rank(kap: Graph) -> None:
    for n in range(1, 6):
        level = concept("evidence_level", f"level-{n}")
        assert str(kap.value(level, SKOS.notation)) == str(n)
        assert kap.value(level, KAP.rank) == Literal(n)
    not_graded = concept("evidence_level", "not-graded")
    assert kap.value(not_graded, KAP.rank) == Literal(6)
    assert kap.value(not_graded, SKOS.notation) is None
    assert all(r.datatype == XSD.integer for r in kap.objects(None, KAP.rank))


def test_exact_matches_are_mesh_descriptor_iris(kap: Graph) -> None:
    matches = list(kap.subject_objects(SKOS.exactMatch))
    assert matches
    for _, target in matches:
        assert re.fullmatch(r"http://id\.nlm\.nih\.gov/mesh/D\d{6,9}", str(target)), target


# --- SHACL -----------------------------------------------------------------------

BASE = "http://127.0.0.1:8000/id"
STUDY = URIRef(f"{BASE}/study/s1")
FINDING = URIRef(f"{BASE}/study/s1/finding/1")
ARTICLE = URIRef(f"{BASE}/article/a1")
RESOLVED_CLAIM = URIRef(f"{BASE}/article/a1/claim/1")

GOOD_DATA = f"""
@prefix kap: <https://w3id.org/kapkb/ontology#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix cito: <http://purl.org/spar/cito/> .
@prefix schema: <https://schema.org/> .
@prefix c: <{CONCEPT}> .

<{STUDY}> a kap:Study ;
    dcterms:title "A hand-made study for the shape tests" ;
    kap:year 2020 ;
    schema:url <https://example.org/s1> ;
    kap:design <{CONCEPT}design/rct> ;
    kap:evidenceLevel <{CONCEPT}evidence_level/level-2> ;
    kap:condition <{CONCEPT}condition/ptsd> ;
    kap:route <{CONCEPT}route/intramuscular> ;
    kap:therapy <{CONCEPT}therapy/cbt> ;
    kap:drug <{CONCEPT}drug/ketamine> ;
    kap:therapyTiming <{CONCEPT}timing/before> ;
    kap:outcome <{CONCEPT}outcome/response> ;
    kap:instrument <{CONCEPT}instrument/pcl-5> ;
    kap:adverseEffect <{CONCEPT}adverse_effect/dissociation> ;
    kap:sampleSize 12 ;
    kap:hasFinding <{FINDING}> .

<{FINDING}> a kap:Finding ;
    kap:statement "Symptoms fell more with the test treatment." ;
    kap:outcome <{CONCEPT}outcome/symptom-reduction> .

<{ARTICLE}> a kap:Article ;
    dcterms:title "A hand-made article" ;
    kap:sourceType <{CONCEPT}design/clinic-article> ;
    kap:mentions <{CONCEPT}condition/ptsd>, <{CONCEPT}route/intranasal> ;
    kap:hasClaim <{RESOLVED_CLAIM}>, <{BASE}/article/a1/claim/2> .

<{RESOLVED_CLAIM}> a kap:Claim ;
    kap:statement "The test study found a benefit." ;
    kap:resolved true ;
    cito:cites <{STUDY}> .

<{BASE}/article/a1/claim/2> a kap:Claim ;
    kap:statement "A claim whose citation is not in the KB." ;
    kap:resolved false .
"""


@pytest.fixture()
def good() -> Graph:
    return Graph().parse(data=GOOD_DATA, format="turtle")


def run_shapes(data: Graph, kap: Graph, shapes: Graph) -> tuple[bool, set[tuple[str, str]], str]:
    """Validate `data` with the ontology merged in, as `kapkb validate` does.

    Returns whether it conforms, the set of (focus node, message) pairs, and the report text.
    """
    conforms, report, text = validate(data + kap, shacl_graph=shapes, inference="none")
    results = {
        (str(report.value(r, SH.focusNode)), str(report.value(r, SH.resultMessage)))
        for r in report.subjects(RDF.type, SH.ValidationResult)
    }
    return conforms, results, text


def names_focus(text: str, node: URIRef, kap: Graph) -> bool:
    """The report text shows a focus node either as <iri> or, when a prefix is bound, as a CURIE."""
    forms = {node.n3(), node.n3(kap.namespace_manager)}
    return any(f"Focus Node: {form}" in text for form in forms)


def test_shapes_file_is_valid_shacl(kap: Graph, shapes: Graph, good: Graph) -> None:
    conforms, _, text = validate(good + kap, shacl_graph=shapes, inference="none", meta_shacl=True)
    assert conforms, text


def test_hand_made_data_conforms(kap: Graph, shapes: Graph, good: Graph) -> None:
    conforms, results, text = run_shapes(good, kap, shapes)
    assert conforms, text
    assert not results


ORPHAN = URIRef(f"{BASE}/study/s9/finding/1")
CITES = URIRef("http://purl.org/spar/cito/cites")
TITLE = URIRef("http://purl.org/dc/terms/title")
URL = URIRef("https://schema.org/url")


def set_impossible_year(g: Graph) -> None:
    g.set((STUDY, KAP.year, Literal(20201)))


def drop_design(g: Graph) -> None:
    g.remove((STUDY, KAP.design, None))


def set_script_url(g: Graph) -> None:
    g.set((STUDY, URL, URIRef("javascript:alert(1)")))


def set_nan_value(g: Graph) -> None:
    finding = next(g.objects(STUDY, KAP.hasFinding))
    g.set((finding, KAP.value, Literal("NaN", datatype=XSD.decimal)))


def make_sample_size_negative(g: Graph) -> None:
    g.set((STUDY, KAP.sampleSize, Literal(-1)))


def add_orphan_finding(g: Graph) -> None:
    g.add((ORPHAN, RDF.type, KAP.Finding))
    g.add((ORPHAN, KAP.statement, Literal("A finding no study owns.")))


def add_unknown_condition(g: Graph) -> None:
    g.add((STUDY, KAP.condition, concept("condition", "no-such-condition")))


def add_condition_as_route(g: Graph) -> None:
    g.add((STUDY, KAP.route, concept("condition", "ptsd")))


def drop_citation_of_resolved_claim(g: Graph) -> None:
    g.remove((RESOLVED_CLAIM, CITES, None))


def drop_article_title(g: Graph) -> None:
    g.remove((ARTICLE, TITLE, None))


# defect: (how to damage the good graph, focus node to report, part of the message)
DEFECTS = {
    "impossible year": (set_impossible_year, STUDY, "from 1000 to 2100"),
    "study without design": (drop_design, STUDY, "needs a kap:design"),
    "script URL": (set_script_url, STUDY, "http(s) IRI"),
    "NaN value": (set_nan_value, FINDING, "finite number"),
    "negative sample size": (make_sample_size_negative, STUDY, "non-negative"),
    "finding without a study": (add_orphan_finding, ORPHAN, "exactly one kap:Study"),
    "unknown concept": (
        add_unknown_condition,
        concept("condition", "no-such-condition"),
        "skos:Concepts defined in the ontology",
    ),
    "concept from the wrong scheme": (
        add_condition_as_route,
        concept("condition", "ptsd"),
        "concepts of the route scheme",
    ),
    "resolved claim without citation": (
        drop_citation_of_resolved_claim,
        RESOLVED_CLAIM,
        "kap:resolved true must have exactly one cito:cites",
    ),
    "article without title": (drop_article_title, ARTICLE, "An article needs a dcterms:title"),
}


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_each_defect_is_reported_on_its_focus_node(kap: Graph, shapes: Graph, good: Graph, defect: str) -> None:
    damage, focus, message = DEFECTS[defect]
    damage(good)
    conforms, results, text = run_shapes(good, kap, shapes)
    assert not conforms
    assert any(f == str(focus) and message in m for f, m in results), results
    assert names_focus(text, focus, kap), text


def test_broken_graph_report_names_every_bad_node(kap: Graph, shapes: Graph, good: Graph) -> None:
    unknown = concept("route", "no-such-route")
    set_impossible_year(good)
    add_orphan_finding(good)
    good.add((STUDY, KAP.route, unknown))
    conforms, results, text = run_shapes(good, kap, shapes)
    assert not conforms
    assert {str(STUDY), str(ORPHAN), str(unknown)} <= {f for f, _ in results}
    for node in (STUDY, ORPHAN, unknown):
        assert names_focus(text, node, kap), text
