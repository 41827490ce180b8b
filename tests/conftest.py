"""Shared fixtures: a KB initialised once per session from the bundled corpus, an app, a client, a CLI runner.

Everything is real: the on-disk Oxigraph store, the Whoosh index, the Flask app.
Tests that change the KB get their own data directory (`fresh_data`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.config import Settings

# The shared parser property-test helpers assert; rewrite them so failures show values, as in a test module.
pytest.register_assert_rewrite("tests.fuzzing")

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEEDS = SHARED / "seeds"
REFERENCES = SHARED / "references"
DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def kb_settings(tmp_path_factory) -> Settings:
    from kapkb.cli import initialize

    settings = Settings(data=tmp_path_factory.mktemp("kb") / "var")
    initialize(settings)
    return settings


@pytest.fixture(scope="session")
def kb(kb_settings):
    from kb.reader import KB

    return KB(kb_settings)


@pytest.fixture
def fresh_data(tmp_path) -> Settings:
    return Settings(data=tmp_path / "var")


@pytest.fixture(scope="session")
def app(kb_settings):
    from dataclasses import replace

    from webapp import create_app

    app = create_app(replace(kb_settings, sparql_rate_per_minute=0))  # tests/test_limits.py covers the limit
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def needs_seeds():
    return pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed articles not found at {SEEDS}")
