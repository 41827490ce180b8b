"""schemathesis against /api/openapi.json: generated requests never get a server error, and responses match the schema."""

from __future__ import annotations

from dataclasses import replace

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from kapkb.cli import initialize
from kb.config import Settings

OPERATIONS = ["GET /api/search", "GET /api/studies/{id}", "GET /api/concepts", "POST /api/check", "GET /api/synthesis"]
EXAMPLES = {"POST /api/check": 12}  # each runs the checker in a child process (about a second); the rest 80


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    from webapp import create_app

    data = Settings(data=tmp_path_factory.mktemp("schema") / "var")
    initialize(data)
    app = create_app(replace(data, sparql_rate_per_minute=0))
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


def test_the_schema_lists_every_api_operation(api_schema):
    found = sorted(f"{op.ok().method.upper()} {op.ok().path}" for op in api_schema.get_all_operations())
    assert found == sorted(OPERATIONS)


@pytest.mark.parametrize("label", OPERATIONS)
def test_api_never_fails_with_a_server_error(api_schema, label):
    method, path = label.split(" ")
    operation = api_schema[path][method]

    @given(operation.as_strategy())
    @settings(max_examples=EXAMPLES.get(label, 80), deadline=None, suppress_health_check=list(HealthCheck))
    def run(case):
        response = case.call()
        case.validate_response(response, checks=[not_a_server_error, status_code_conformance, response_schema_conformance])

    run()
