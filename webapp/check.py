"""Check a page: the claim check for text a user pastes or uploads, as a form (/check) and as JSON (/api/check).

Nothing is fetched and nothing is stored. The page is read and judged by `kapkb check --json`
in a child process, as the SPARQL executor runs queries: the web app never imports the
ingest parsers (imports flow webapp → kb ← ingest), and a hostile upload costs a process
with its own time and memory limit, never a web worker.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys

from flask import Blueprint, render_template, request

from kb.errors import BadRequest, KBError, Unavailable
from kb.text import VERDICT_MARKS

from .context import get_kb

bp = Blueprint("check", __name__)

MAX_PAGE_BYTES = 512 * 1024
TIMEOUT_S = 60
MEMORY_MB = 1024
FORMATS = ("text", "markdown", "html")


def run_check(data: bytes, fmt: str, settings) -> dict:
    """The check of one page, from `kapkb check --json --format FMT -` with the KB at `settings.data`."""
    if not data.strip():
        raise BadRequest("the page is empty: paste its text or choose a file")
    if len(data) > MAX_PAGE_BYTES:
        raise BadRequest(f"the page is {len(data):,} bytes; the limit is {MAX_PAGE_BYTES:,} (512 KiB)")
    if fmt not in FORMATS:
        raise BadRequest(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")

    def limits() -> None:
        cap = MEMORY_MB * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    command = [sys.executable, "-m", "kapkb", "--data", str(settings.data), "check", "--json", "--format", fmt, "-"]
    env = {**os.environ, "MALLOC_ARENA_MAX": "2"}
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=TIMEOUT_S, env=env, preexec_fn=limits)
    except subprocess.TimeoutExpired:
        raise Unavailable(f"checking the page took longer than {TIMEOUT_S} s and was stopped") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise BadRequest(message[-1].removeprefix("error: ") if message else "the page could not be read")
    doc = json.loads(done.stdout)
    doc["source"] = "pasted page" if doc.get("source") in ("-", "stdin", "<stdin>") else doc.get("source")
    return doc


def _submitted() -> tuple[bytes, str]:
    """The page from a form or a JSON body: pasted `text`, or an uploaded `file`; and its `format`."""
    if request.is_json:
        body = request.get_json(silent=True) or {}
        if not isinstance(body, dict) or not isinstance(body.get("text"), str):
            raise BadRequest('send {"text": "...", "format": "text|markdown|html"}')
        return body["text"].encode("utf-8"), str(body.get("format") or "text")
    upload = request.files.get("file")
    fmt = request.form.get("format") or "text"
    if upload and upload.filename:
        data = upload.read(MAX_PAGE_BYTES + 1)
        if fmt == "auto" or not request.form.get("format"):
            fmt = "html" if upload.filename.lower().endswith((".html", ".htm")) else "markdown" if upload.filename.lower().endswith(".md") else "text"
        return data, fmt
    return (request.form.get("text") or "").encode("utf-8"), fmt


@bp.post("/api/check")
def api_check():
    data, fmt = _submitted()
    return run_check(data, fmt, get_kb().settings)


@bp.route("/check", methods=["GET", "POST"])
def check_page():
    result, error, text, fmt = None, None, "", "text"
    if request.method == "POST":
        try:
            data, fmt = _submitted()
            text = request.form.get("text") or ""
            result = run_check(data, fmt, get_kb().settings)
        except KBError as e:
            error = e.message
    status = 400 if error else 200
    return render_template(
        "pages/check.html", result=result, error=error, text=text, fmt=fmt, verdict_order=list(VERDICT_MARKS),
        max_kib=MAX_PAGE_BYTES // 1024,
    ), status
