"""Claim sentences, their citations, and links to known studies: two agreeing signals or no link."""

from __future__ import annotations

import pytest

from ingest.extract.claims import cite, extract_claims
from ingest.known import KnownStudies, KnownStudy, acronyms, family_name
from kb.namespaces import concept_iri
from kb.vocab import load

C = concept_iri


def known() -> KnownStudies:
    """A small made-up KB: the names, journals and figures are fictional."""
    return KnownStudies(
        [
            KnownStudy(
                id="okafor2021", first_author="Okafor C", year=2021, journal="Journal of Fictional Psychiatry",
                doi="10.5555/kapkb.claims.1", pmid="99999911", design=C("design", "rct"), n=40,
                concepts={C("condition", "aud"), C("route", "intramuscular"), C("therapy", "mbrp"), C("drug", "ketamine")},
                percents={62.0, 38.0},
            ),
            KnownStudy(
                id="muller2019", first_author="Müller AL", year=2019, journal="Journal of Fictional Psychiatry",
                design=C("design", "systematic-review"), n=812, n_studies=14,
                concepts={C("condition", "ptsd"), C("therapy", "cbt"), C("therapy", "prolonged-exposure")},
            ),
            KnownStudy(
                id="muller2020", first_author="Müller AL", year=2020, journal="Fictional Psychopharmacology",
                design=C("design", "open-label"), n=16,
                concepts={C("condition", "trd"), C("route", "intravenous"), C("therapy", "cbt")},
                percents={50.0, 43.8},
            ),
            KnownStudy(
                id="haddad2018", first_author="Haddad N", year=2018, journal="Fictional Psychiatry Letters",
                design=C("design", "rct"), n=67,
                concepts={C("condition", "trd"), C("route", "intranasal"), C("drug", "esketamine")},
            ),
            KnownStudy(
                id="agency2019", first_author="National Drug Evaluation Agency", year=2019,
                design=C("design", "regulatory"), concepts={C("condition", "trd"), C("drug", "esketamine")},
            ),
        ]
    )  # fmt: skip


@pytest.fixture(scope="module")
def vocab():
    return load()


def one(text, vocab, kb=None):
    claims = extract_claims(text, vocab, kb if kb is not None else known())
    assert len(claims) == 1, [c.text for c in claims]
    return claims[0]


def test_doi_links_outright(vocab):
    c = one("Ketamine with MBRP improved abstinence (doi:10.5555/KAPKB.CLAIMS.1).", vocab)
    assert (c.cites, c.citation.doi) == ("okafor2021", "10.5555/kapkb.claims.1")


def test_unknown_doi_stays_unresolved(vocab):
    c = one("A trial found ketamine reduced drinking (https://doi.org/10.5555/not.in.kb).", vocab)
    assert c.cites is None and c.unresolved_reason == "no study in the KB with DOI 10.5555/not.in.kb"


def test_pmid_links_outright(vocab):
    assert one("Ketamine helped in alcohol use disorder, a trial reported (PMID: 99999911).", vocab).cites == "okafor2021"


def test_author_year_and_topic_link(vocab):
    c = one("Ketamine with CBT sustained the response in treatment-resistant depression (Müller et al., 2020).", vocab)
    assert c.cites == "muller2020"
    assert c.citation.authors == ("Müller",) and c.citation.year == 2020
    assert c.citation.text == "Müller et al., 2020"


def test_author_year_alone_is_not_enough(vocab):
    c = one("This was shown convincingly in a trial (Müller et al., 2020).", vocab)
    assert c.cites is None
    assert c.unresolved_reason == "not enough evidence: muller2020 matches only by author and year"


def test_author_without_a_study_that_year(vocab):
    c = one("Smith and colleagues (2019) found that IV ketamine reduced PTSD symptoms.", vocab)
    assert c.cites is None and c.unresolved_reason == "no study in the KB by Smith 2019"


def test_journal_year_and_topic_link(vocab):
    c = one("A study published in Fictional Psychiatry Letters in 2018 found esketamine nasal spray helped TRD.", vocab)
    assert c.cites == "haddad2018"
    assert c.citation.journal == "Fictional Psychiatry Letters"
    assert c.citation.text == "A study published in Fictional Psychiatry Letters in 2018"


def test_a_conflicting_therapy_blocks_the_link(vocab):
    c = one("A study published in Fictional Psychiatry Letters in 2018 found ketamine-assisted psychotherapy helped TRD.", vocab)
    assert c.cites is None
    assert c.unresolved_reason.startswith("haddad2018 matches by journal and year, topic, but the claim names")


def test_journal_year_without_a_study(vocab):
    c = one("Another study in Fictional Psychopharmacology in 2017 showed ketamine reduced PTSD symptoms.", vocab)
    assert c.unresolved_reason == "no study in the KB in Fictional Psychopharmacology 2017"


def test_reported_figures_and_topic_link_an_unnamed_study(vocab):
    text = "In one study of treatment-resistant depression, 50% of participants on CBT improved and nearly 44% remitted."
    assert one(text, vocab).cites == "muller2020"


def test_figures_in_a_sentence_that_is_not_about_research_do_not_link(vocab):
    c = one("Our fourteen clinicians and 812 patients praise CBT with ketamine for PTSD.", vocab)
    assert c.cites is None  # muller2019 pooled 14 studies with 812 patients, but nothing here points to research


def test_figures_alone_do_not_link(vocab):
    c = one("In one study of ketamine, 50% of people improved and 44% were well at the end.", vocab)
    assert c.cites is None


def test_systematic_review_by_its_counts(vocab):
    c = one("A systematic review of 14 studies with 812 patients found CBT plus ketamine eased PTSD.", vocab)
    assert c.cites == "muller2019"


def test_two_equal_candidates_are_ambiguous(vocab):
    kb = known()
    kb._put(KnownStudy(id="muller2020b", first_author="Muller B", year=2020, concepts={C("condition", "trd"), C("therapy", "cbt")}))
    c = one("CBT after ketamine helped treatment-resistant depression (Muller et al., 2020).", vocab, kb)
    assert c.cites is None and c.unresolved_reason == "ambiguous: 2 candidate studies (muller2020, muller2020b)"


def test_corporate_author_by_its_acronym(vocab):
    c = one("In 2019 the NDEA approved esketamine for treatment-resistant depression.", vocab)
    assert c.cites == "agency2019"


def test_research_without_a_name(vocab):
    c = one("Researchers at a large university found that ketamine reduced suicidal thoughts within hours.", vocab)
    assert c.cites is None and c.unresolved_reason == "mentions research without naming it"
    assert c.citation.text == "Researchers"


def test_effect_claims_without_research(vocab):
    c = one("Ketamine can reduce depressive symptoms within hours of a single infusion.", vocab)
    assert c.citation is None and c.unresolved_reason == "no research cited"


def test_headings_and_plain_sentences_are_not_claims(vocab):
    text = "Benefits of Ketamine for Depression\n\nOur office is open on weekdays and parking is free for all clients."
    assert extract_claims(text, vocab, known()) == ()


def test_future_research_is_not_a_claim(vocab):
    assert extract_claims("Future studies need to establish standardized protocols for ketamine.", vocab, known()) == ()


def test_claim_provenance_points_at_the_quote(vocab):
    text = "Intro line here.\n\nFor PTSD, a review (Müller et al., 2019) found CBT with ketamine helped."
    (c,) = extract_claims(text, vocab, known())
    assert text[c.provenance.start : c.provenance.end] == c.text == c.provenance.quote
    assert c.provenance.agent == "kapkb-extract/0.1"
    assert c.cites == "muller2019"
    assert C("condition", "ptsd") in c.concepts and C("therapy", "cbt") in c.concepts


def test_negated_concepts_stay_out_of_a_claim(vocab):
    c = one("A trial showed IM ketamine rather than ketamine infusions reduced PTSD symptoms.", vocab)
    assert C("route", "intramuscular") in c.concepts and C("route", "intravenous") not in c.concepts


def test_citation_parsing():
    kb = known()
    assert cite("as shown before (Okafor & Haddad, 2021; Müller et al., 2019)", kb).authors == ("Okafor", "Müller")
    assert cite("Okafor et al. (2021) reported", kb).year == 2021
    assert cite("a 2019 study by Haddad and colleagues", kb).authors == ("Haddad",)
    assert cite("in March 2019 the clinic opened", kb) is None
    assert cite("since the 1960s", kb) is None


def test_name_helpers():
    assert family_name("Zarate CA Jr") == "Zarate"
    assert family_name("van der Berg JP") == "van der Berg"
    assert acronyms("US Food and Drug Administration") == {"USFDA", "FDA"}


def test_known_studies_from_the_store(kb):
    studies = KnownStudies.from_store(kb.store)
    assert len(studies) >= 80
    daly = studies.get("daly2018")
    assert (daly.journal, daly.year, daly.family, daly.n) == ("JAMA Psychiatry", 2018, "daly", 67)
    assert C("condition", "trd") in daly.concepts
    assert studies.by_doi("10.1001/JAMAPSYCHIATRY.2017.3739")[0].id == "daly2018"
    assert 43.8 in studies.get("wilkinson2017").percents
    assert "FDA" in studies.acronyms()
