"""The query language: concepts by label, fields, ranges, phrases, negation, intent, and clean errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.errors import QueryError
from kb.query import interpretation, parse
from kb.vocab import load

VOCAB = load()


def labels(q):
    return [(t.scheme, t.label, t.negated) for t in q.concepts]


def test_plus_separated_terms_become_concepts_and_the_intent_word_is_read():
    q = parse("PTSD + IM + CBT outcomes", VOCAB)
    assert labels(q) == [
        ("condition", "post-traumatic stress disorder", False),
        ("route", "intramuscular", False),
        ("therapy", "cognitive behavioral therapy", False),
    ]
    assert q.intent == "outcomes" and q.words == []


def test_longest_label_wins_over_its_parts():
    q = parse("treatment resistant depression nasal spray", VOCAB)
    assert labels(q) == [("condition", "treatment-resistant depression", False), ("route", "intranasal", False)]


def test_joining_words_are_not_concepts():
    q = parse("ketamine in alcohol use disorder", VOCAB)  # "in" is not the intranasal abbreviation here
    assert [t.label for t in q.concepts] == ["ketamine", "alcohol use disorder"]
    assert q.words == []


def test_fields_ranges_phrases_and_negation():
    q = parse('condition:OCD design:randomized controlled trial year:2015-2023 n>=20 -esketamine "fear memory"', VOCAB)
    assert labels(q) == [
        ("condition", "obsessive-compulsive disorder", False),
        ("design", "randomized controlled trial", False),
        ("drug", "esketamine", True),
    ]
    assert [(r.field, r.low, r.high) for r in q.ranges] == [("year", 2015, 2023), ("n", 20, None)]
    assert q.phrases == ["fear memory"]
    assert labels(parse("anxiety NOT IV", VOCAB))[1] == ("route", "intravenous", True)


def test_shared_label_prefers_the_condition():
    q = parse("anxiety", VOCAB)
    assert labels(q) == [("condition", "anxiety disorders", False)]


def test_interpretation_shows_synonyms_and_narrower_concepts():
    doc = interpretation(parse("IM + depression", VOCAB), VOCAB)
    im, dep = doc["terms"]
    assert im["label"] == "intramuscular" and "intramuscular injection" in im["also_searched"]
    assert "treatment-resistant depression" in dep["also_searched"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("x" * 10_000, "10,000 characters"),
        ('"unbalanced', "unbalanced quotes"),
        ("colour:blue", "unknown field 'colour'"),
        ("year:abc", "year needs a whole number"),
        ("n>=x", "n needs a whole number"),
        ("year:2023-2015", "runs backwards"),
        ("route:elbow", "not a known route"),
        ("+ , +", "no search terms"),
    ],
)
def test_bad_queries_get_a_clear_message(query, message):
    with pytest.raises(QueryError, match=message):
        parse(query, VOCAB)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_parses_or_fails_cleanly(text):
    try:
        parse(text, VOCAB)
    except QueryError:
        pass
