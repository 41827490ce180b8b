"""`kapkb ingest` on a batch of bad input beside good input: clear errors, the rest stored, exit 1, nothing lost."""

from __future__ import annotations

import json
import shutil

from kapkb.cli import cli, initialize
from kb.reader import KB
from tests.conftest import DATA


def make_batch(folder):
    folder.mkdir()
    shutil.copy(DATA / "sample.ris", folder / "good.ris")
    shutil.copy(DATA / "pubmed_truncated.xml", folder / "truncated.xml")
    shutil.copy(DATA / "pubmed_entity_bomb.xml", folder / "entities.xml")
    shutil.copy(DATA / "binary.bin", folder / "binary.bin")
    shutil.copy(DATA / "empty.txt", folder / "empty.txt")
    shutil.copy(DATA / "pubmed_missing_title.xml", folder / "missing-title.xml")
    (folder / "utf16.txt").write_bytes("Ketamine notes".encode("utf-16"))
    (folder / "notes.xyz").write_bytes(b"just some words, in no format at all\n")
    with open(folder / "huge.xml", "wb") as fh:  # 50 MB: refused before it is read
        fh.truncate(50 * 1024 * 1024)


def test_a_bad_batch_stores_the_good_files_and_names_every_problem(runner, fresh_data, tmp_path):
    initialize(fresh_data)
    before = KB(fresh_data).stats()
    batch = tmp_path / "batch"
    make_batch(batch)
    result = runner.invoke(cli, ["--data", str(fresh_data.data), "ingest", "--json", str(batch)])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    by_name = {s["source"].rsplit("/", 1)[-1]: s for s in report["sources"]}
    assert by_name["good.ris"]["status"] == "stored"
    expected_errors = {
        "truncated.xml": "truncated.xml",
        "entities.xml": "ENTITY",
        "binary.bin": "binary",
        "empty.txt": "empty",
        "notes.xyz": "known format",
        "huge.xml": "MiB",
    }
    for name, needle in expected_errors.items():
        entry = by_name[name]
        assert entry["status"] == "rejected", name
        assert name in entry["error"] and needle.lower() in entry["error"].lower(), entry["error"]
    assert by_name["utf16.txt"]["status"] == "stored"  # UTF-16 with a BOM, as Windows tools write it, is decoded
    missing = by_name["missing-title.xml"]  # one record without a title is skipped, the other stored
    assert missing["status"] == "stored" and any("title" in p for p in missing["problems"])
    assert "line" in missing["problems"][0]
    after = KB(fresh_data).stats()
    # good.ris holds mollaahmetoglu2021, already a curated study: its record joins that node (tests/test_merge.py)
    assert after["studies"] == before["studies"] + by_name["good.ris"]["records"] - 1 + missing["records"]
    assert dict(KB(fresh_data).study("mollaahmetoglu2021").sources).keys() >= {"corpus-mollaahmetoglu2021"}
    assert len(KB(fresh_data).study("mollaahmetoglu2021").sources) == 2
    assert after["sources"] == before["sources"] + 3  # good.ris, missing-title.xml and utf16.txt


def test_ingesting_the_same_input_twice_is_unchanged_and_a_changed_file_replaces_its_graph(runner, fresh_data, tmp_path):
    initialize(fresh_data)
    src = tmp_path / "refs.ris"
    shutil.copy(DATA / "sample.ris", src)
    args = ["--data", str(fresh_data.data), "ingest", "--json", str(src)]
    first = json.loads(runner.invoke(cli, args).stdout)
    triples = KB(fresh_data).stats()["triples"]
    second = json.loads(runner.invoke(cli, args).stdout)
    assert first["stored"] == 1 and second["unchanged"] == 1 and second["stored"] == 0
    assert KB(fresh_data).stats()["triples"] == triples
    text = src.read_text(encoding="utf-8")
    end = text.index("ER  -") + len("ER  -")
    src.write_text(text[:end] + "\n", encoding="utf-8")  # keep only the first record
    third = json.loads(runner.invoke(cli, args).stdout)
    assert third["stored"] == 1 and third["sources"][0]["records"] == 1
    kb = KB(fresh_data)
    rows = kb.store.select(
        f"SELECT (COUNT(?s) AS ?n) WHERE {{ GRAPH <{kb.res.source(third['sources'][0]['id'])}> {{ ?s a <https://w3id.org/kapkb/ontology#Study> }} }}"
    )
    assert rows[0]["n"] == 1  # the graph was replaced whole, not added to
