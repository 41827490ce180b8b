"""One study is one node, whatever the route in: curated YAML, PubMed, RIS … sharing a DOI, PMID or NCT id.

Real files through the real CLI, store and index: a PubMed record of a curated study joins its node
(curated facts win, PubMed adds the abstract and MeSH), removing a source takes away only what it said,
and a curated record that arrives after an export re-keys the export's study to the curated id.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.merge import merge
from kb.model import Study
from kb.reader import KB
from tests.conftest import DATA
from tests.test_cli_init import run

CORPUS = Path(__file__).resolve().parents[1] / "kb" / "corpus"
BERMAN = "https://w3id.org/kapkb/id/study/berman2000"


def _search_ids(runner, settings, query: str) -> list[str]:
    doc = json.loads(run(runner, settings, "search", query, "--json").stdout)
    return [r["id"] for r in doc["results"]]


def test_pubmed_record_of_a_curated_study_joins_its_node(runner, fresh_data):
    assert run(runner, fresh_data, "ingest", str(CORPUS / "berman2000.yaml")).exit_code == 0
    assert run(runner, fresh_data, "ingest", str(DATA / "pubmed_two_records.xml")).exit_code == 0
    kb = KB(fresh_data)
    assert kb.stats()["studies"] == 2  # berman2000 (merged) and the fictional second record
    s = kb.study("berman2000")
    assert s.title == "Antidepressant effects of ketamine in depressed patients"  # the curated title, no final stop
    assert s.n == 7 and s.verified  # curated facts win
    assert s.abstract.startswith("Placeholder abstract")  # PubMed adds what the curator did not record
    assert "Ketamine" in s.keywords
    sources = dict(s.sources)
    assert sources["corpus-berman2000"] == "*"
    pubmed = next(k for k in sources if k.startswith("pubmed-two-records"))
    assert "abstract" in sources[pubmed] and "keywords" in sources[pubmed]
    # one node: one IRI with that DOI, facts from both graphs, one search result
    rows = kb.store.select(
        'SELECT DISTINCT ?s ?g WHERE { GRAPH ?g { ?s <http://purl.org/ontology/bibo/doi> "10.1016/s0006-3223(99)00230-9" } }'
    )
    assert {r["s"] for r in rows} == {BERMAN} and len({r["g"] for r in rows}) == 2
    assert _search_ids(runner, fresh_data, "antidepressant effects of ketamine depressed").count("berman2000") == 1
    api = json.loads(run(runner, fresh_data, "search", "berman", "--json").stdout)["results"][0]
    assert api["id"] == "berman2000"

    # removing the PubMed source removes only what it said
    assert run(runner, fresh_data, "remove", pubmed).exit_code == 0
    kb = KB(fresh_data)
    s = kb.study("berman2000")
    assert s.abstract is None and s.keywords == () and dict(s.sources) == {"corpus-berman2000": "*"}
    assert kb.stats()["studies"] == 1
    assert _search_ids(runner, fresh_data, "antidepressant effects of ketamine depressed") == ["berman2000"]


def test_curated_record_after_an_export_takes_over_its_study(runner, fresh_data, tmp_path):
    ris = tmp_path / "kads.ris"
    ris.write_text(
        "TY  - JOUR\nAU  - Loo, C.\nTI  - Efficacy and safety of a 4-week course of repeated subcutaneous ketamine "
        "injections for treatment-resistant depression (KADS study)\nPY  - 2023\nDO  - 10.1192/bjp.2023.79\nER  - \n",
        encoding="utf-8",
    )
    assert run(runner, fresh_data, "ingest", str(ris)).exit_code == 0
    assert [r["id"] for r in json.loads(run(runner, fresh_data, "search", "KADS", "--json").stdout)["results"]] == ["loo2023"]
    assert run(runner, fresh_data, "ingest", str(CORPUS / "loo2023_kads.yaml")).exit_code == 0
    kb = KB(fresh_data)
    assert kb.stats()["studies"] == 1
    assert kb.study("loo2023_kads").authors[0] == "Loo C"
    with pytest.raises(Exception, match="no study 'loo2023'"):
        kb.study("loo2023")
    assert _search_ids(runner, fresh_data, "KADS") == ["loo2023_kads"]
    rows = kb.store.select('SELECT DISTINCT ?s WHERE { ?s <http://purl.org/ontology/bibo/doi> "10.1192/bjp.2023.79" }')
    assert [r["s"] for r in rows] == ["https://w3id.org/kapkb/id/study/loo2023_kads"]


def test_the_same_export_twice_from_two_files_is_one_study(runner, fresh_data, tmp_path):
    data = (DATA / "pubmed_two_records.xml").read_bytes()
    for name in ("a.xml", "b.xml"):
        (tmp_path / name).write_bytes(data)
    assert run(runner, fresh_data, "ingest", str(tmp_path / "a.xml"), str(tmp_path / "b.xml")).exit_code == 0
    kb = KB(fresh_data)
    assert kb.stats()["studies"] == 2 and kb.stats()["sources"] == 2
    assert len(dict(kb.study("berman2000").sources)) == 2


def _study(source_authors, complete, **kw) -> Study:
    return Study(id="x", title="T", authors=source_authors, authors_complete=complete, **kw)


def test_merge_takes_each_field_from_the_best_source_and_a_complete_author_list():
    curated = _study(("Wilkinson ST",), False, n=16, summary="ours", primary_urls=("https://doi.org/10.1/x",))
    pubmed = _study(("Wilkinson ST", "Wright D", "Fasula MK"), True, n=99, abstract="from PubMed", keywords=("Ketamine",))
    ris = _study(("Wilkinson, S. T.",), False, abstract="from RIS", volume="86")
    s = merge([("ris-1", "ris", ris), ("pubmed-1", "pubmed-xml", pubmed), ("corpus-x", "curated", curated)])
    assert s.n == 16 and s.summary == "ours"  # curated wins
    assert s.abstract == "from PubMed" and s.keywords == ("Ketamine",) and s.volume == "86"
    assert s.authors == ("Wilkinson ST", "Wright D", "Fasula MK") and s.authors_complete  # complete beats cut
    assert s.sources[0] == ("corpus-x", "*")
    assert dict(s.sources)["pubmed-1"] == "authors, abstract, keywords" and dict(s.sources)["ris-1"] == "volume"


def test_a_registration_links_to_its_results_publication_whichever_comes_first(runner, fresh_data, tmp_path):
    paper = tmp_path / "results.ris"
    paper.write_text(
        "TY  - JOUR\nAU  - Okafor, C.\nTI  - Ketamine with psychotherapy for depression: fictional results\n"
        "PY  - 2022\nDO  - 10.5555/kapkb.test.5\nER  - \n",
        encoding="utf-8",
    )
    trial = tmp_path / "trial.json"
    trial.write_bytes((DATA / "ctgov_study.json").read_bytes())
    assert run(runner, fresh_data, "ingest", str(trial)).exit_code == 0
    registration = KB(fresh_data).study("nct99999901")
    assert registration.results_studies == () and registration.publication_gap is False  # it cites results, not in the KB
    assert run(runner, fresh_data, "ingest", str(paper)).exit_code == 0  # the paper arrives later
    kb = KB(fresh_data)
    assert kb.study("nct99999901").results_studies == ("okafor2022",)
    rows = kb.store.select(
        "PREFIX kap: <https://w3id.org/kapkb/ontology#> SELECT ?pub WHERE { "
        "<https://w3id.org/kapkb/id/study/nct99999901> kap:hasResultsPublication ?pub }"
    )
    assert [r["pub"] for r in rows] == ["https://w3id.org/kapkb/id/study/okafor2022"]


def test_a_completed_registration_with_no_results_is_a_publication_gap(runner, fresh_data, tmp_path):
    doc = json.loads((DATA / "ctgov_study.json").read_text(encoding="utf-8"))
    doc["protocolSection"]["referencesModule"] = {"references": []}
    trial = tmp_path / "trial.json"
    trial.write_text(json.dumps(doc), encoding="utf-8")
    assert run(runner, fresh_data, "ingest", str(trial)).exit_code == 0
    assert KB(fresh_data).study("nct99999901").publication_gap is True
