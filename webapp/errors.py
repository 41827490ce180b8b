"""One error handler: KBError and HTTPException → JSON for API clients, a page for browsers.

The JSON shape is fixed by tests: {"error": {"status", "title", "message"}}.
"""

from __future__ import annotations

import logging

from urllib.parse import urlsplit

from flask import Flask, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException

from kb.errors import KBError

log = logging.getLogger("kapkb.web")


def wants_json() -> bool:
    if request.path.startswith(("/api/", "/sparql", "/healthz")):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def render_error(status: int, title: str, message: str, headers: dict | None = None):
    if wants_json():
        resp = jsonify({"error": {"status": status, "title": title, "message": message}})
        resp.status_code = status
    else:
        resp = make_response(render_template("error.html", status=status, title=title, message=message), status)
    resp.headers.update(headers or {})
    return resp


def init_app(app: Flask) -> None:
    @app.errorhandler(KBError)
    def kb_error(e: KBError):
        if e.status >= 500:
            log.error("KB error on %s: %s", request.path, e.message)
        headers = {"Retry-After": str(e.detail["retry_after"])} if "retry_after" in e.detail else None
        return render_error(e.status, e.title, e.message, headers)

    @app.after_request
    def relative_location(resp):
        """Redirects point within this site by path (/download -> /download/), never at a URL built from the
        request's Host header, which a client chooses (Flask's slash redirects are built that way)."""
        location = resp.headers.get("Location", "")
        if location.startswith(request.host_url):
            parts = urlsplit(location)
            resp.headers["Location"] = parts.path + (f"?{parts.query}" if parts.query else "")
        return resp

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        return render_error(e.code or 500, e.name, e.description or e.name)

    @app.errorhandler(Exception)
    def unexpected(e: Exception):
        log.exception("unhandled error on %s", request.path)
        return render_error(500, "Internal error", "Something went wrong on our side; the error has been logged.")
