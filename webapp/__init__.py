"""The Flask app factory; gunicorn runs `webapp:create_app()`."""

from __future__ import annotations

import orjson
from flask import Flask
from flask.json.provider import DefaultJSONProvider

from kb.checks import finite
from kb.config import Settings


class StrictJSON(DefaultJSONProvider):
    """JSON that strict parsers accept: a non-finite number (which checked data never holds) becomes null.

    Encoded by orjson (keys sorted, as Flask does): the standard library's encoder took a fifth of an
    /api/search request. Pretty-printing (Flask's debug mode) and what orjson refuses (integers past 64 bits, which a
    request may echo) go to the standard library.
    """

    def dumps(self, obj, **kwargs):  # type: ignore[no-untyped-def]
        if kwargs.get("indent") is None:
            try:
                return orjson.dumps(obj, default=self.default, option=_ORJSON).decode("utf-8")
            except orjson.JSONEncodeError:  # what orjson does not take (an integer past 64 bits): the standard library
                pass
        try:
            return super().dumps(obj, allow_nan=False, **kwargs)
        except ValueError:
            return super().dumps(finite(obj), allow_nan=False, **kwargs)


_ORJSON = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME  # NaN/Infinity → null


def create_app(settings: Settings | None = None) -> Flask:
    app = Flask(__name__)
    app.json = StrictJSON(app)
    app.config["KAPKB"] = settings or Settings.from_env()
    app.config["MAX_CONTENT_LENGTH"] = 1 * 1024 * 1024  # request bodies (SPARQL POSTs) up to 1 MiB

    from . import api, check, context, errors, export, health, limits, linked_data, logs, pages, releases, security, sparql, synthesis

    logs.init_app(app)
    context.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    limits.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(check.bp)
    app.register_blueprint(synthesis.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(export.bp)
    app.register_blueprint(sparql.bp)
    app.register_blueprint(linked_data.bp)
    app.register_blueprint(releases.bp)
    return app
