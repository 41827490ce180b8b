"""`kapkb init`, `stats`, `validate`, `sparql`, `sources`, `reindex`, `remove` through the real CLI, store and index."""

from __future__ import annotations

import csv
import io
import json

from kapkb.cli import cli
from tests.conftest import REFERENCES

STUDIES_PER_CONDITION = """
PREFIX kap: <https://w3id.org/kapkb/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?condition (COUNT(DISTINCT ?study) AS ?studies) WHERE {
  ?study a kap:Study ; kap:condition ?c .
  ?c skos:prefLabel ?condition .
} GROUP BY ?condition ORDER BY DESC(?studies) ?condition
"""


def verified_reference_ids() -> set[str]:
    ids = set()
    for path in REFERENCES.glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if record.get("verified") is True:
                ids.add(record["id"])
    return ids


def run(runner, settings, *args):
    return runner.invoke(cli, ["--data", str(settings.data), *args], catch_exceptions=False)


def test_init_stores_every_verified_reference_as_a_study(runner, kb_settings):
    result = run(runner, kb_settings, "stats", "--json")
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)
    expected = verified_reference_ids()
    assert len(expected) >= 80
    assert counts["studies"] == len(expected)
    assert counts["findings"] > counts["studies"]
    assert counts["concepts"] > 100
    assert counts["sources"] == len(expected)


def test_every_verified_reference_id_is_a_study_iri(kb):
    rows = kb.store.select("PREFIX kap: <https://w3id.org/kapkb/ontology#> SELECT ?s WHERE { ?s a kap:Study }")
    ids = {kb.res.kind_and_id(r["s"])[1] for r in rows}
    assert ids == verified_reference_ids()


def test_second_init_changes_nothing(runner, fresh_data):
    first = run(runner, fresh_data, "init", "--json")
    assert first.exit_code == 0, first.output
    doc = json.loads(first.stdout)
    assert doc["rejected"] == 0 and doc["stored"] == len(verified_reference_ids())
    before = json.loads(run(runner, fresh_data, "stats", "--json").stdout)
    second = run(runner, fresh_data, "init", "--json")
    doc2 = json.loads(second.stdout)
    assert doc2["stored"] == 0 and doc2["unchanged"] == doc["stored"] and doc2["ontology"] == "unchanged"
    after = json.loads(run(runner, fresh_data, "stats", "--json").stdout)
    assert after == before  # same version, same counts: nothing was republished


def test_validate_conforms_on_the_bundled_kb(runner, kb_settings):
    result = run(runner, kb_settings, "validate", "--json")
    report = json.loads(result.stdout)
    assert report["results"] == [] and report["conforms"] is True
    assert result.exit_code == 0


def test_sparql_studies_per_condition_as_json_and_csv(runner, kb_settings):
    as_json = run(runner, kb_settings, "sparql", STUDIES_PER_CONDITION, "--format", "json")
    assert as_json.exit_code == 0, as_json.output
    rows = json.loads(as_json.stdout)["results"]["bindings"]
    counts = {r["condition"]["value"]: int(r["studies"]["value"]) for r in rows}
    assert counts["treatment-resistant depression"] >= 20
    assert counts["post-traumatic stress disorder"] >= 5
    as_csv = run(runner, kb_settings, "sparql", STUDIES_PER_CONDITION, "--format", "csv")
    table = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert {r["condition"]: int(r["studies"]) for r in table} == counts


def test_sparql_refuses_updates_and_service(runner, kb_settings):
    update = run(runner, kb_settings, "sparql", "INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    assert update.exit_code == 2 and "read-only" in update.output
    service = run(runner, kb_settings, "sparql", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
    assert service.exit_code == 2 and "SERVICE" in service.output
    bad = run(runner, kb_settings, "sparql", "SELECT ?s WHERE { ?s ")
    assert bad.exit_code == 2 and "line 1" in bad.output


def test_sources_lists_each_corpus_file(runner, kb_settings):
    out = json.loads(run(runner, kb_settings, "sources", "--json").stdout)
    assert len(out) == len(verified_reference_ids())
    assert {s["format"] for s in out} == {"curated"}
    assert all(s["records"] == 1 for s in out)


def test_commands_without_a_kb_say_to_run_init(runner, fresh_data):
    result = run(runner, fresh_data, "stats")
    assert result.exit_code == 2
    assert "kapkb init" in result.output


def test_manual_dumps_wait_for_kapkb_dumps(runner, tmp_path):
    from dataclasses import replace

    from kb import dumps, versions
    from kapkb.cli import initialize
    from kb.config import Settings

    settings = replace(Settings(data=tmp_path / "var"), dumps="manual")
    initialize(settings)
    current = versions.current_dir(settings.data)
    assert dumps.listing(current) == []  # published without dumps: readers were not kept waiting
    result = runner.invoke(cli, ["--data", str(settings.data), "dumps", "--json"], env={"KAPKB_DUMPS": "manual"})
    assert result.exit_code == 0, result.output
    names = [e["name"] for e in json.loads(result.stdout)]
    assert names == [e["name"] for e in dumps.listing(current)] == ["kapkb.ttl.gz", "kapkb.nq.gz", "kapkb.jsonld.gz"]
