"""Search over the bundled KB: matching, hierarchy, ranking, facets, nearest evidence, CLI and API."""

from __future__ import annotations

import json

from kb.cli import cli
from kb.search import search


def ids(doc):
    return [r["id"] for r in doc["results"]]


def test_a_concept_matches_its_narrower_concepts(kb):
    depression = search(kb, "depression", limit=100)
    trd = search(kb, "treatment-resistant depression", limit=100)
    assert set(ids(trd)) < set(ids(depression))


def test_results_rank_by_evidence_level_then_recency(kb):
    doc = search(kb, "PTSD", limit=100, explain=True)
    ranks = [r["explain"]["evidence_rank"] for r in doc["results"]]
    assert ranks == sorted(ranks)
    first_level = [r for r in doc["results"] if r["explain"]["evidence_rank"] == ranks[0]]
    years = [r["year"] for r in first_level]
    assert years == sorted(years, reverse=True)
    assert "meets 1 of 1" in doc["results"][0]["explain"]["why"]


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
    assert doc["total"] > 0
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
