"""One read-only KB per worker process, refreshed when ingest publishes a new version."""

from __future__ import annotations

from flask import Flask, current_app

from kb.reader import KB


def get_kb() -> KB:
    kb = current_app.extensions.get("kapkb")
    if kb is None:
        kb = KB(current_app.config["KAPKB"], warm=current_app.config.get("KAPKB_WARM", False))
        current_app.extensions["kapkb"] = kb
    else:
        kb.refresh()
    return kb


def init_app(app: Flask) -> None:
    @app.context_processor
    def inject() -> dict:
        kb = app.extensions.get("kapkb")
        return {"kb_version": kb.version if kb else None, "kb_release": kb.release_label() if kb else None}
