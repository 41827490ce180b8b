"""Search over the bundled KB: matching, hierarchy, ranking, facets, nearest evidence, CLI and API."""

from __future__ import annotations

import json

from kapkb.cli import cli
from kb.search import search


def ids(doc):
    return [r["id"] for r in doc["results"]]


def test_a_concept_matches_its_narrower_concepts(kb):
    depression = search(kb, "depression", limit=100)
    trd = search(kb, "treatment-resistant depression", limit=100)
    assert set(ids(trd)) < set(ids(depression))


def test_primary_studies_come_before_reviews_each_by_evidence_then_size_then_recency(kb):
    doc = search(kb, "PTSD", limit=100, explain=True)
    bands = [r["band"] for r in doc["results"]]
    assert bands == sorted(bands, key=["known item", "primary", "review"].index)
    assert doc["bands"]["primary"] > 0 and doc["bands"]["review"] > 0
    assert sum(doc["bands"].values()) == doc["total"]
    for band in ("primary", "review"):
        rows = [r for r in doc["results"] if r["band"] == band]
        keys = [(r["explain"]["evidence_rank"], -(r["n"] or 0), -(r["year"] or 0)) for r in rows]
        assert keys == sorted(keys), band
    reviews = {r["id"] for r in doc["results"] if r["band"] == "review"}
    designs = {r["design"] for r in doc["results"] if r["id"] in reviews}
    assert designs <= {"systematic review", "meta-analysis", "narrative review", "consensus statement", "regulatory decision"}
    assert doc["results"][0]["explain"]["why"].startswith("a primary study")


def test_result_cards_have_the_documented_fields(kb):
    doc = search(kb, "cocaine + MBRP outcomes")
    card = doc["results"][0]
    assert card["id"] == "dakwar2019"
    for field in ("id", "iri", "kind", "title", "year", "journal", "authors", "doi", "pmid", "design",
                  "evidence_level", "n", "conditions", "routes", "therapies", "outcomes", "findings", "links"):  # fmt: skip
        assert field in card
    assert card["doi"] == card["doi"].lower()
    assert {"outcome", "measure", "value", "text"} <= set(card["findings"][0])
    assert any(link["url"].startswith("https://doi.org/10.1176/") for link in card["links"])


def test_nothing_matching_every_term_returns_the_nearest_evidence(kb):
    doc = search(kb, "PTSD + IM + CBT outcomes")
    assert doc["relaxed"]["message"].startswith("No study combines post-traumatic stress disorder + intramuscular + cognitive behavioral therapy;")
    assert doc["total"] == 0 and doc["relaxed"]["total"] == len(doc["results"]) > 0
    assert all(r["lacks"] for r in doc["results"])
    group = doc["relaxed"]["groups"][0]
    assert group["count"] > 0 and len(group["terms"]) == 2


def test_facets_count_every_scheme_and_the_protocol_facets(kb):
    doc = search(kb, "depression", limit=0)
    assert doc["results"] == [] and doc["total"] > 20
    conditions = {f["label"]: f["count"] for f in doc["facets"]["condition"]}
    assert conditions["depressive disorders"] == doc["total"]
    assert conditions["treatment-resistant depression"] < doc["total"]
    assert sum(f["count"] for f in doc["facets"]["design"]) >= doc["total"]
    for protocol in ("dose_band", "sessions_band", "followup_band", "n_band"):
        assert protocol in doc["facets"]
    assert doc["facets"]["n_band"]


def test_negation_excludes(kb):
    with_esk = search(kb, "depression", limit=100)
    without = search(kb, "depression -esketamine", limit=100)
    assert 0 < without["total"] < with_esk["total"]
    assert without["relaxed"] is None
    assert all("esketamine" not in r["title"].lower() for r in without["results"])
    assert "daly2018" in ids(with_esk) and "daly2018" not in ids(without)


def test_year_and_sample_size_ranges(kb):
    doc = search(kb, "depression year:2018-2020 n>=100", limit=100)
    assert doc["results"]
    assert all(2018 <= r["year"] <= 2020 and r["n"] >= 100 for r in doc["results"])


def test_free_text_alone_searches_titles_and_abstracts(kb):
    doc = search(kb, "reconsolidation")
    assert doc["results"] and doc["interpretation"]["free_text"] == ["reconsolidation"]


def test_cli_search_json_matches_the_api(runner, kb_settings, client):
    result = runner.invoke(cli, ["--data", str(kb_settings.data), "search", "OCD", "--json"])
    assert result.exit_code == 0
    cli_doc = json.loads(result.stdout)
    api_doc = client.get("/api/search?q=OCD").get_json()
    assert cli_doc == api_doc


def test_bad_queries_are_400_on_the_web_and_exit_2_on_the_cli(runner, kb_settings, client):
    for q in ("", "year:abc", "n>=x", '"open', "colour:blue", "x" * 10_000):
        r = client.get("/api/search", query_string={"q": q})
        assert r.status_code == 400, q
        assert "Traceback" not in r.get_data(as_text=True)
        assert r.get_json()["error"]["message"]
    result = runner.invoke(cli, ["--data", str(kb_settings.data), "search", "year:abc"])
    assert result.exit_code == 2 and "year needs a whole number" in result.output


def test_page_size_is_capped(client):
    assert client.get("/api/search?q=depression&limit=1000").status_code == 400
    assert client.get("/api/search?q=depression&limit=abc").status_code == 400
    assert len(client.get("/api/search?q=depression&limit=5").get_json()["results"]) == 5


def test_concept_lookup_for_autocomplete(client):
    r = client.get("/api/concepts?prefix=intram")
    assert r.get_json()[0]["label"] == "intramuscular"
    assert client.get("/api/concepts").status_code == 400


def test_index_record_equals_the_store_record_for_every_study(kb):
    from kb.records import study_from_dict

    rows = kb.store.select("PREFIX kap: <https://w3id.org/kapkb/ontology#> SELECT ?s WHERE { ?s a kap:Study }")
    for row in rows:
        id = kb.res.kind_and_id(row["s"])[1]
        assert study_from_dict(kb.stored_record("study", id)) == kb.study(id)


# -- every word accounted for (issue 13) ----------------------------------------------------------


def test_a_word_no_study_uses_gives_zero_results_and_is_named(kb):
    doc = search(kb, "ketamine xyzzyq")
    assert doc["total"] == 0 and doc["results"] == []
    assert doc["interpretation"]["unmatched"] == ["xyzzyq"]
    assert doc["relaxed"]["message"].startswith("No study in the KB mentions “xyzzyq”.")
    assert doc["relaxed"]["without"] == {"terms": ["ketamine"], "count": search(kb, "ketamine", limit=0)["total"]}


def test_a_concept_no_study_is_about_is_said_plainly_never_the_whole_kb(kb):
    doc = search(kb, "ketamine pregnancy", limit=100)
    assert [t["label"] for t in doc["interpretation"]["terms"]] == ["ketamine", "pregnancy and perinatal"]
    tagged = search(kb, "population:pregnancy", limit=0)["total"]
    if tagged == 0:  # the corpus has no study of pregnancy: say so, list only records that use the word
        assert doc["total"] == 0 and doc["interpretation"]["unmatched"] == ["pregnancy and perinatal"]
        assert "No study in the KB is about pregnancy and perinatal" in doc["relaxed"]["message"]
        assert all("named in the text" in r["lacks"][0] or "mentioned in the text" in r["lacks"][0] for r in doc["results"])
        assert len(doc["results"]) < search(kb, "ketamine", limit=0)["total"]
    else:
        assert 0 < doc["total"] <= tagged


def test_free_words_combine_with_and(kb):
    one = {r["id"] for r in search(kb, "placebo", limit=100)["results"]}
    other = {r["id"] for r in search(kb, "saline", limit=100)["results"]}
    both = search(kb, "placebo saline", limit=100)
    assert {r["id"] for r in both["results"]} == one & other and 0 < both["total"] < min(len(one), len(other))
    assert set(both["interpretation"]["free_text"]) == {"placebo", "saline"}
    none = search(kb, "reconsolidation craving")  # a word and a concept no study has together: 0, and why
    assert none["total"] == 0 and none["relaxed"]["message"].startswith("No study combines craving + reconsolidation;")


def test_joining_question_and_general_words_are_listed_as_ignored(kb):
    doc = search(kb, "does ketamine help veterans with PTSD?")
    assert {"does", "help", "with"} <= set(doc["interpretation"]["ignored"])
    assert "veterans and service members" in [t["label"] for t in doc["interpretation"]["terms"]]
    general = search(kb, "alcoholism treatment studies", limit=0)
    assert "treatment" in general["interpretation"]["ignored"]
    assert general["total"] == search(kb, "alcoholism", limit=0)["total"]


def test_every_doi_pmid_and_nct_finds_its_study_first(kb):
    rows = kb.store.select(
        "PREFIX kap: <https://w3id.org/kapkb/ontology#> PREFIX bibo: <http://purl.org/ontology/bibo/> "
        "PREFIX fabio: <http://purl.org/spar/fabio/> SELECT ?s ?doi ?pmid ?nct WHERE { ?s a kap:Study "
        "OPTIONAL { ?s bibo:doi ?doi } OPTIONAL { ?s fabio:hasPubMedId ?pmid } OPTIONAL { ?s kap:nctId ?nct } }"
    )
    checked = 0
    for row in rows:
        id = kb.res.kind_and_id(row["s"])[1]
        for query in filter(None, [row["doi"], row["doi"] and f"https://doi.org/{row['doi'].upper()}",
                                   row["pmid"] and f"PMID {row['pmid']}", row["nct"]]):  # fmt: skip
            doc = search(kb, query, limit=5)
            assert id in [r["id"] for r in doc["results"]][:5], query
            assert doc["results"][0]["band"] == "known item", query
            checked += 1
    assert checked > 100


def test_author_and_year_put_the_named_paper_first(kb):
    doc = search(kb, "feder ketamine PTSD 2014")
    assert doc["results"][0]["id"] == "feder2014" and doc["results"][0]["band"] == "known item"
    assert search(kb, "author:feder", limit=0)["total"] >= 2  # Feder 2014 and 2021
    assert search(kb, "author:zzzzfeder")["interpretation"]["unmatched"] == ["zzzzfeder"]


def test_a_misspelling_is_corrected_and_said(kb, client):
    doc = search(kb, "postraumatic stress")
    assert doc["did_you_mean"] == {
        "query": "posttraumatic stress", "applied": True, "original": "postraumatic stress",
        "corrections": [{"from": "postraumatic", "to": "posttraumatic"}],
    }  # fmt: skip
    assert doc["total"] == search(kb, "PTSD", limit=0)["total"] > 0
    as_typed = search(kb, "postraumatic stress", correct=False)
    assert as_typed["total"] == 0 and "postraumatic" in as_typed["interpretation"]["unmatched"]
    assert client.get("/api/search?q=postraumatic+stress&correct=0").get_json()["total"] == 0
    for typo, concept in (("PTDS", "post-traumatic stress disorder"), ("spravto", "esketamine"),
                          ("depresion", "depressive disorders"), ("ketamin", "ketamine")):  # fmt: skip
        doc = search(kb, typo, limit=0)
        assert doc["did_you_mean"]["applied"] and [t["label"] for t in doc["interpretation"]["terms"]] == [concept], typo


def test_a_short_unknown_word_is_not_silently_replaced(kb):
    doc = search(kb, "ketamine rats")
    assert not (doc["did_you_mean"] or {}).get("applied")


def test_synonyms_and_plurals_of_labels_are_concepts(kb):
    for query, label in (("troches", "sublingual"), ("lozenges", "sublingual"), ("EMDR", "eye movement desensitization and reprocessing"),
                         ("veterans", "veterans and service members"), ("older adults", "older adults")):  # fmt: skip
        assert [t["label"] for t in search(kb, query, limit=0)["interpretation"]["terms"]] == [label], query


def test_kap_means_ketamine_with_any_psychotherapy(kb):
    doc = search(kb, "KAP for alcohol", limit=50)
    ids_ = [r["id"] for r in doc["results"]]
    assert {"dakwar2020", "grabski2022"} <= set(ids_)  # ketamine + MET, ketamine + relapse-prevention therapy
    for r in doc["results"]:
        record = kb.stored_record("study", r["id"])
        assert "alcohol use disorder" in r["conditions"] or any("alcohol" in c for c in r["conditions"])
        assert record["therapies"], r["id"]


def test_safety_questions_rank_by_harms_data_and_cards_give_rates_with_denominators(kb):
    doc = search(kb, "ketamine side effects", limit=100, explain=True)
    assert doc["interpretation"]["intent"] == "side effects"
    primary = [r for r in doc["results"] if r["band"] == "primary"]
    scores = [r["explain"]["harms_score"] for r in primary]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0
    assert "harms reported" in primary[0]["explain"]["why"]
    rates = [rate for r in doc["results"] for rate in r["adverse_effect_rates"]]
    assert rates and all(rate["value"] is not None for rate in rates)
    assert search(kb, "side effects of ketamine lozenges", limit=0)["interpretation"]["intent"] == "side effects"


def test_the_card_leads_with_the_primary_result(kb):
    for r in search(kb, "ketamine", limit=100)["results"]:
        record = kb.stored_record("study", r["id"])
        marked = [f for f in record["findings"] if f.get("primary")]
        if marked:
            assert r["primary_result"]["text"] == marked[0]["text"] == r["findings"][0]["text"], r["id"]
        elif r["primary_result"]:
            assert r["primary_result"]["value"] is not None
