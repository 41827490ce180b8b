"""The README documents every setting and every CLI command (datasette's docs-drift test)."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

from kapkb.cli import cli
from kb.config import HELP, Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented_with_its_default():
    for f in fields(Settings):
        name = f"KAPKB_{f.name.upper()}"
        assert name in README, f"{name} is not in README.md"
        assert f.name in HELP, f"{f.name} has no help text in kb/config.py"
        row = next(line for line in README.splitlines() if line.startswith(f"| `{name}`"))
        assert HELP[f.name] in row, f"README's row for {name} differs from kb/config.py's help"


def test_every_cli_command_is_documented():
    for name in cli.commands:
        assert f"`kapkb {name}" in README, f"kapkb {name} is not in README.md"


def test_the_readme_states_the_coverage_and_record_figures_of_the_bundled_kb(runner, kb_settings):
    from kapkb.cli import cli as kapkb

    stats = json.loads(runner.invoke(kapkb, ["--data", str(kb_settings.data), "stats", "--json"]).stdout)
    text = " ".join(README.split())
    assert f"{stats['review_studies_in_kb']} of the {stats['review_studies']} primary studies" in text
    assert f"{stats['with_pmid']} of the {stats['studies']} records carry a PMID" in text
    assert f"{stats['with_doi']} a DOI; {stats['authors_incomplete']} author lists are still cut short" in text
