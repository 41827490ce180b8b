"""Nothing lost: one bad value, file or link costs itself, never the batch (issue: atomic batches).

Each case reproduces an input that used to lose a whole batch with a traceback, hang ingest while it held
the writer lock, or publish a file from outside the folder. Everything goes through the real CLI, parsers,
writer, store and index, beside good files that must all be stored.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from kb.reader import KB
from kb.validate import validate_kb
from tests.conftest import DATA
from tests.test_cli_init import run

HUGE_N = """<?xml version="1.0"?>
<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">
<PubmedArticleSet><PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">99999931</PMID>
<Article PubModel="Print"><Journal><JournalIssue CitedMedium="Print"><PubDate><Year>2021</Year></PubDate></JournalIssue>
<Title>Journal of Fictional Psychiatry</Title></Journal>
<ArticleTitle>A fictional ketamine trial with an impossible sample</ArticleTitle>
<Abstract><AbstractText>We randomized 2,147,483,648 adults with depression to ketamine or placebo.</AbstractText></Abstract>
<AuthorList><Author><LastName>Okafor</LastName><Initials>C</Initials></Author></AuthorList></Article></MedlineCitation>
<PubmedData><ArticleIdList><ArticleId IdType="pubmed">99999931</ArticleId></ArticleIdList></PubmedData></PubmedArticle>
</PubmedArticleSet>
"""

CURATED_OK = """id: fictional2020
title: "A fictional curated record that is fine"
year: 2020
design: case report
url: "https://doi.org/10.5555/kapkb.hostile.1"
"""


def _curated(body: str) -> str:
    return CURATED_OK.replace("fictional2020", "fictionalbad").replace("is fine", "is not") + body


def make_hostile_batch(folder: Path, outside: Path) -> None:
    folder.mkdir(parents=True)
    shutil.copy(DATA / "sample.ris", folder / "good.ris")
    (folder / "good.yaml").write_text(CURATED_OK, encoding="utf-8")
    (folder / "huge-n.xml").write_text(HUGE_N, encoding="utf-8")
    ctgov = json.loads((DATA / "ctgov_study.json").read_text(encoding="utf-8"))
    ctgov["protocolSection"]["designModule"]["enrollmentInfo"] = {"count": 1}
    text = json.dumps(ctgov).replace('"count": 1', '"count": 1' + "0" * 400)  # 10^400
    (folder / "enrollment.json").write_text(text, encoding="utf-8")
    (folder / "mendeley.bib").write_text(
        "@article{okafor2019,\n  author = {Okafor, Chidi},\n  title = {A fictional paper with a Mendeley URL},\n"
        "  journal = {Journal of Fictional Psychiatry},\n  year = {2019},\n  doi = {10.5555/kapkb.hostile.2},\n"
        "  url = {https://example.org/a{\\%}20b c<d>}\n}\n",
        encoding="utf-8",
    )
    (folder / "javascript.ris").write_text(
        "TY  - JOUR\nAU  - Okafor, C.\nTI  - A fictional paper with a script link\nPY  - 2018\n"
        "DO  - 10.5555/kapkb.hostile.3\nUR  - javascript:alert(1)\nER  - \n",
        encoding="utf-8",
    )
    (folder / "bad-dose.yaml").write_text(_curated("dose_mg_per_kg: [abc]\n"), encoding="utf-8")
    (folder / "big-n.yaml").write_text(_curated("n: 99999999999\n"), encoding="utf-8")
    (folder / "bad-id.yaml").write_text(_curated("").replace("id: fictionalbad", 'id: "a b>c"'), encoding="utf-8")
    (folder / "nan.yaml").write_text(_curated("followup_weeks: .nan\n"), encoding="utf-8")
    (folder / "deep.yaml").write_text("a: " + "[" * 50_000 + "]" * 50_000 + "\n", encoding="utf-8")
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for i in range(1, 10):
        bomb += f"{chr(97 + i)}: &{chr(97 + i)} [" + ",".join([f"*{chr(96 + i)}"] * 9) + "]\n"
    (folder / "alias-bomb.yaml").write_text(bomb, encoding="utf-8")
    os.symlink("/etc/passwd", folder / "passwd.txt")
    os.symlink(folder / "loop-b.txt", folder / "loop-a.txt")
    os.symlink(folder / "loop-a.txt", folder / "loop-b.txt")
    os.mkfifo(folder / "fifo.txt")
    (folder / os.fsdecode(b"caf\xe9-notes.txt")).write_text(
        "Ketamine infusions reduced depressive symptoms in a fictional clinic audit of forty patients.\n",
        encoding="utf-8",
    )
    outside.write_text("secret\n", encoding="utf-8")
    os.symlink(outside, folder / "outside.txt")


def test_a_hostile_batch_stores_every_good_file_and_names_every_problem(runner, fresh_data, tmp_path):
    batch = tmp_path / "batch"
    make_hostile_batch(batch, tmp_path / "not-in-the-batch.txt")
    started = time.monotonic()
    result = run(runner, fresh_data, "ingest", "--json", str(batch))
    assert time.monotonic() - started < 120  # no FIFO hang
    assert result.exit_code == 1, result.output  # partial: some inputs rejected, the rest stored
    report = json.loads(result.stdout)
    by_name = {s["source"].rsplit("/", 1)[-1]: s for s in report["sources"]}
    for name in ("good.ris", "good.yaml", "huge-n.xml", "enrollment.json", "mendeley.bib", "javascript.ris",
                 "caf\ufffd-notes.txt"):  # fmt: skip
        assert by_name[name]["status"] == "stored", (name, by_name[name])
    assert any("2147483648" in w and "dropped" in w for w in by_name["huge-n.xml"].get("warnings", []))
    rejected = {
        "bad-dose.yaml": "dose_mg_per_kg[0]",
        "big-n.yaml": "field n",
        "bad-id.yaml": "field id",
        "nan.yaml": "followup_weeks",
        "deep.yaml": "deep",
        "alias-bomb.yaml": "aliases",
        "fifo.txt": "FIFO",
    }
    for name, needle in rejected.items():
        entry = by_name[name]
        assert entry["status"] == "rejected" and needle in entry["error"], (name, entry)
    skipped = " ".join(report["skipped"])
    assert "passwd.txt: a symbolic link to /etc/passwd, outside the folder; skipped" in skipped
    assert "outside.txt" in skipped and "loop-a.txt" in skipped
    assert not any("Traceback" in s.get("error", "") for s in report["sources"])

    kb = KB(fresh_data)
    assert validate_kb(kb).conforms
    assert kb.stats()["sources"] == 7
    bib = kb.study("okafor2019")
    assert bib.url is None or " " not in bib.url and "{" not in bib.url
    titles = {r["t"] for r in kb.store.select("SELECT ?t WHERE { ?s <http://purl.org/dc/terms/title> ?t }")}
    assert not any("root:" in t for t in titles)  # /etc/passwd was never read
    urls = {r["u"] for r in kb.store.select("SELECT ?u WHERE { ?s <https://schema.org/url> ?u }")}
    assert not any(u.startswith(("javascript:", "data:")) for u in urls)


def test_a_device_is_refused_at_once(runner, fresh_data):
    started = time.monotonic()
    result = run(runner, fresh_data, "ingest", "/dev/zero")
    assert time.monotonic() - started < 30
    assert result.exit_code == 1 and "expected a regular file, got a device" in result.output


def test_a_bug_in_one_source_exits_2_and_keeps_the_rest(runner, fresh_data, tmp_path, monkeypatch):
    """An internal error (here injected into extraction for one file) is reported for that source; the others are
    stored and published; the exit status is 2, never the 1 of an ordinary partial success."""
    import ingest.pipeline as pipeline

    real = pipeline.build_record

    def faulty(item, path, *args, **kwargs):
        if path.endswith("boom.ris"):
            raise ZeroDivisionError("injected fault")
        return real(item, path, *args, **kwargs)

    monkeypatch.setattr(pipeline, "build_record", faulty)
    shutil.copy(DATA / "sample.ris", tmp_path / "boom.ris")
    (tmp_path / "fine.yaml").write_text(CURATED_OK, encoding="utf-8")
    result = run(runner, fresh_data, "ingest", "--json", str(tmp_path / "boom.ris"), str(tmp_path / "fine.yaml"))
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    boom = next(s for s in report["sources"] if s["source"].endswith("boom.ris"))
    assert boom["internal"] and "internal error (ZeroDivisionError: injected fault)" in boom["error"]
    assert KB(fresh_data).study("fictional2020").title.startswith("A fictional curated record")


def test_utf16_with_a_bom_is_read_like_utf8(runner, fresh_data, tmp_path):
    ris = (DATA / "sample.ris").read_text(encoding="utf-8")
    for name, codec in (("le.ris", "utf-16-le"), ("be.ris", "utf-16-be")):
        bom = b"\xff\xfe" if codec.endswith("le") else b"\xfe\xff"
        (tmp_path / name).write_bytes(bom + ris.replace("\n", "\r\n").encode(codec))
    result = run(runner, fresh_data, "ingest", "--json", str(tmp_path / "le.ris"), str(tmp_path / "be.ris"))
    report = json.loads(result.stdout)
    assert [s["status"] for s in report["sources"]] == ["stored", "stored"]
    assert KB(fresh_data).study("mollaahmetoglu2021").authors[0].startswith("Mollaahmetoglu")


@pytest.mark.parametrize("value", ["javascript:alert(1)", "data:text/html,hi", "ftp://example.org/x", "http://"])
def test_only_http_links_are_kept(value):
    from kb.checks import check_record
    from kb.model import Study

    study, warnings = check_record(Study(id="x", title="T", url=value, primary_urls=(value,)))
    assert study.url is None and study.primary_urls == () and len(warnings) == 2


def test_the_data_directory_is_private_and_a_waiting_writer_says_for_whom(fresh_data, tmp_path):
    import stat
    import subprocess
    import sys

    from kb import versions

    with versions.writer_lock(fresh_data.data):
        assert stat.S_IMODE(fresh_data.data.stat().st_mode) == 0o700
        assert stat.S_IMODE((fresh_data.data / "kapkb.lock").stat().st_mode) == 0o600
        (tmp_path / "x.yaml").write_text(CURATED_OK, encoding="utf-8")
        proc = subprocess.Popen([sys.executable, "-m", "kapkb", "--data", str(fresh_data.data), "ingest",
                                 str(tmp_path / "x.yaml")], stderr=subprocess.PIPE, text=True)  # fmt: skip
        line = proc.stderr.readline()
        assert line.startswith("waiting for ") and f"(pid {os.getpid()}" in line and "to finish writing" in line
    assert proc.wait(60) == 0
    proc.stderr.close()


def test_redirects_never_take_their_host_from_the_request(client):
    r = client.get("/download", headers={"Host": "evil.example"})
    assert r.status_code == 308 and r.headers["Location"] == "/download/"


def test_dumps_left_unwritten_by_a_crash_are_written_by_the_next_command(runner, fresh_data, tmp_path):
    from kb import dumps, versions

    (tmp_path / "a.yaml").write_text(CURATED_OK, encoding="utf-8")
    assert run(runner, fresh_data, "ingest", str(tmp_path / "a.yaml")).exit_code == 0
    current = versions.current_dir(fresh_data.data)
    shutil.rmtree(current / dumps.FOLDER)  # as if the writer died between publishing and writing the dumps
    assert run(runner, fresh_data, "ingest", str(tmp_path / "a.yaml")).exit_code == 0  # unchanged, yet ...
    assert (current / dumps.FOLDER / dumps.MANIFEST).exists()  # ... the dumps are back


def test_a_data_directory_made_before_is_made_private_too(fresh_data):
    import stat

    from kb import versions

    fresh_data.data.mkdir(mode=0o755)
    (fresh_data.data / "kapkb.lock").write_text("")
    (fresh_data.data / "kapkb.lock").chmod(0o644)
    with versions.writer_lock(fresh_data.data):
        assert stat.S_IMODE(fresh_data.data.stat().st_mode) == 0o700
        assert stat.S_IMODE((fresh_data.data / "kapkb.lock").stat().st_mode) == 0o600


def test_a_failure_outside_any_source_exits_2_with_one_line_and_publishes_nothing(fresh_data, tmp_path):
    """A damaged data directory (its versions folder is a file) fails before any source is read: exit 2 and one
    line naming what went wrong, never exit 1 (which means "some inputs rejected") and never a traceback."""
    import subprocess
    import sys

    fresh_data.data.mkdir(mode=0o700)
    (fresh_data.data / "versions").write_text("not a folder")
    (tmp_path / "x.yaml").write_text(CURATED_OK, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "kapkb", "--data", str(fresh_data.data), "ingest", str(tmp_path / "x.yaml")],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "internal error" in done.stderr and "nothing was published" in done.stderr
    assert not (fresh_data.data / "current").exists()


def test_infinite_and_nan_values_never_reach_json(runner, fresh_data, tmp_path):
    """`.inf` and `.nan` in a curated record: the record is refused naming the field, the other record of the batch
    is stored, and the CLI's and the API's JSON stay strict (no NaN or Infinity a strict parser would refuse)."""
    import json

    from kapkb.cli import cli
    from webapp import create_app

    def strict(text: str):
        return json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))

    body = "n: 12\ndose_mg_per_kg: [.inf]\nfollowup_weeks: .nan\nfindings:\n  - text: 'a figure'\n    value: .inf\n    unit: '%'\n"
    (tmp_path / "inf.yaml").write_text(_curated(body), encoding="utf-8")
    (tmp_path / "good.yaml").write_text(CURATED_OK, encoding="utf-8")
    data = str(fresh_data.data)
    assert runner.invoke(cli, ["--data", data, "init", "--no-corpus"]).exit_code == 0
    result = runner.invoke(cli, ["--data", data, "ingest", str(tmp_path / "inf.yaml"), str(tmp_path / "good.yaml"), "--json"])
    report = strict(result.stdout)
    assert result.exit_code == 1 and report["stored"] == 1 and report["rejected"] == 1
    refused = next(s for s in report["sources"] if s["status"] == "rejected")
    assert "expected a finite number, got inf" in refused["error"] and "findings[0].value" in refused["error"]
    shown = strict(runner.invoke(cli, ["--data", data, "show", "fictional2020", "--json"]).stdout)
    assert shown["id"] == "fictional2020"
    client = create_app(fresh_data).test_client()
    strict(client.get("/api/studies/fictional2020").get_data(as_text=True))
    strict(client.get("/api/search?q=fictional").get_data(as_text=True))
