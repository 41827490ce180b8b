"""One read-only KB per worker process, refreshed when ingest publishes a new version."""

from __future__ import annotations

from flask import Flask, current_app

from kb.reader import KB


def get_kb() -> KB:
    kb = current_app.extensions.get("kapkb")
    if kb is None:
        kb = KB(current_app.config["KAPKB"])
        current_app.extensions["kapkb"] = kb
    else:
        kb.refresh()
    return kb


def init_app(app: Flask) -> None:
    @app.context_processor
    def inject() -> dict:
        return {"kb_version": (app.extensions.get("kapkb").version if app.extensions.get("kapkb") else None)}
