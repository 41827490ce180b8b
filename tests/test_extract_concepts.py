"""Concept mentions through the ontology's labels: longest match, word boundaries, abbreviations in context, negation."""

from __future__ import annotations

import pytest

from ingest.extract.concepts import ConceptMatcher, matcher, negated_spans
from kb.namespaces import concept_iri
from kb.vocab import Vocabulary, load

TRD = concept_iri("condition", "trd")
DEPRESSION = concept_iri("condition", "depressive-disorders")
PTSD = concept_iri("condition", "ptsd")
IM = concept_iri("route", "intramuscular")
IV = concept_iri("route", "intravenous")
IN = concept_iri("route", "intranasal")
SL = concept_iri("route", "sublingual")
KETAMINE = concept_iri("drug", "ketamine")


@pytest.fixture(scope="module")
def m():
    return matcher(load())


def found(m, text, scheme=None):
    return [(x.iri, x.text, x.negated) for x in m.find(text, [scheme] if scheme else None)]


def test_longest_label_wins_within_a_scheme(m):
    assert m.concepts("Adults with treatment-resistant depression.", ["condition"]) == (TRD,)
    assert m.concepts("treatment resistant depression", ["condition"]) == (TRD,)


def test_offsets_point_at_the_text_as_written(m):
    text = "We treat Treatment-Resistant Depression here."
    (mention,) = m.find(text, ["condition"])
    assert text[mention.start : mention.end] == "Treatment-Resistant Depression" == mention.text


def test_labels_match_whole_words_only(m):
    assert m.concepts("The imagination of a mimic is impressive.", ["route", "therapy"]) == ()
    assert m.concepts("oralist traditions", ["route"]) == ()


def test_plural_of_the_last_word_counts(m):
    assert m.concepts("a series of six infusions", ["route"]) == (IV,)
    assert m.concepts("nasal sprays and troches", ["route"]) == (IN, SL)
    assert concept_iri("drug", "antidepressant") in m.concepts("patients on SSRIs")


def test_abbreviations_are_case_sensitive(m):
    assert m.concepts("Ketamine was given IM at 0.5 mg/kg.", ["route"]) == (IM,)
    assert m.concepts("Ketamine in the clinic: im not sure", ["route"]) == ()
    assert m.concepts("symptoms of ptsd", ["condition"]) == ()  # abbreviations only in capitals
    assert m.concepts("symptoms of PTSD", ["condition"]) == (PTSD,)


def test_two_letter_route_forms_need_context(m):
    assert m.concepts("Esketamine IN was given twice weekly.", ["route"]) == (IN,)
    assert m.concepts("Patients received 0.5 mg/kg SL.", ["route"]) == (SL,)
    assert m.concepts("We met them IN person last year.", ["route"]) == ()
    # the long form anywhere in the text makes the short form unambiguous
    assert m.concepts("Intramuscular (IM) dosing is common. Many prefer IM.", ["route"]) == (IM,)


def test_short_forms_do_not_count_in_all_caps_text(m):
    assert m.concepts("KETAMINE IN DEPRESSION: WHAT WE KNOW", ["route"]) == ()
    assert m.concepts("KETAMINE IN DEPRESSION: WHAT WE KNOW", ["condition"]) == (DEPRESSION,)


def test_mentions_nested_in_a_longer_label_of_another_scheme_are_dropped(m):
    text = "Mindfulness-based relapse prevention was offered."
    assert m.concepts(text, ["outcome"]) == ()
    assert m.concepts(text, ["therapy"]) == (concept_iri("therapy", "mbrp"),)
    assert m.concepts("scores on the Hospital Anxiety and Depression Scale", ["condition"]) == ()


def test_drugs_stay_mentioned_inside_route_labels(m):
    assert set(m.concepts("a ketamine infusion")) == {IV, KETAMINE}
    assert set(m.concepts("esketamine nasal spray")) == {concept_iri("drug", "esketamine"), IN}


def test_shared_label_is_an_adverse_effect_only_in_a_side_effect_sentence(m):
    assert m.concepts("It helps with depression and anxiety.", ["condition", "adverse_effect"]) == (
        DEPRESSION,
        concept_iri("condition", "anxiety-disorders"),
    )
    side = m.concepts("Side effects included nausea and anxiety.", ["condition", "adverse_effect"])
    assert concept_iri("adverse_effect", "anxiety-ae") in side
    assert concept_iri("condition", "anxiety-disorders") not in side


@pytest.mark.parametrize(
    "text, negated",
    [
        ("We offer IM ketamine rather than ketamine infusions for PTSD.", ["ketamine infusions", "ketamine"]),
        ("KAP is not suitable for people with bipolar disorder or uncontrolled hypertension.", ["bipolar disorder", "hypertension"]),
        ("Ketamine was given without psychotherapy in alcohol use disorder.", ["psychotherapy"]),
        ("There was no nausea and no vomiting after IM ketamine.", ["nausea", "vomiting"]),
        ("The clinic does not offer KAP.", ["KAP"]),
        ("Patients who do not respond to SSRIs may benefit from IV ketamine.", []),  # SSRIs were given
        ("We never combine ketamine with ECT.", ["ketamine", "ECT"]),
    ],
)
def test_negated_mentions_are_flagged_and_left_out_of_concepts(m, text, negated):
    flagged = [x.text for x in m.find(text) if x.negated]
    assert flagged == negated
    for x in m.find(text):
        if x.negated and all(y.iri != x.iri or y.negated for y in m.find(text)):
            assert x.iri not in m.concepts(text)


def test_null_results_are_not_negations(m):
    text = "There was no significant difference in remission between groups."
    assert m.concepts(text, ["outcome"]) == (concept_iri("outcome", "remission"),)
    assert m.concepts("Another study did not show significant differences in depression scores.", ["condition"]) == (
        DEPRESSION,
    )
    assert negated_spans("not only for depression but also for PTSD") == []


def test_a_new_altlabel_is_all_it_takes(m):
    """Adding a synonym to the ontology is the only change ingest needs (architecture rule)."""
    base = load()
    graph = base.graph.__class__()
    for triple in base.graph:
        graph.add(triple)
    from rdflib import Literal, URIRef
    from rdflib.namespace import SKOS

    graph.add((URIRef(IV), SKOS.altLabel, Literal("drip into the vein", lang="en")))
    extended = ConceptMatcher(Vocabulary(graph))
    assert extended.concepts("Ketamine by drip into the vein.", ["route"]) == (IV,)
    assert m.concepts("Ketamine by drip into the vein.", ["route"]) == ()
