"""`/releases/`: the numbered, citable releases of the KB and their files; `/feeds/search`: an Atom feed per search.

A clinician follows a question by subscribing to its feed: each entry is a study of the search's
results that a release added or corrected (kb.releases), newest first.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, send_file

from kb import releases
from kb.errors import BadRequest, NotFound
from kb.search import find

from . import negotiate
from .context import get_kb

bp = Blueprint("releases", __name__)
FILES = ("RELEASE_NOTES.md", "CITATION.cff", "LICENSE", "manifest.json", "kapkb.ttl.gz", "kapkb.nq.gz", "kapkb.jsonld.gz")
MEDIA = {".md": "text/markdown", ".cff": "text/yaml", ".json": "application/json", ".gz": "application/gzip"}


@bp.get("/releases/")
def listing():
    kb = get_kb()
    found = list(reversed(releases.listing(kb.settings.data)))
    if negotiate.wants_html((("json", "application/json"),)):
        return render_template("pages/releases.html", releases=found, files=FILES, public=kb.settings.public)
    return {"releases": [{**r.__dict__, "files": [f"{kb.settings.public}/releases/{r.number}/{f}" for f in FILES]}
                         for r in found]}  # fmt: skip


@bp.get("/releases/<int:number>/")
def release_page(number: int):
    kb = get_kb()
    release = _release(kb, number)
    notes = (kb.settings.data / releases.FOLDER / release.name / "RELEASE_NOTES.md").read_text(encoding="utf-8")
    return render_template("pages/release.html", release=release, notes=notes, files=FILES)


@bp.get("/releases/<int:number>/<name>")
def release_file(number: int, name: str):
    kb = get_kb()
    release = _release(kb, number)
    if name not in FILES:  # only the names a release holds: no request path reaches the file system
        raise NotFound(f"release {number} has no file {name!r}; /releases/{number}/ lists them")
    path = kb.settings.data / releases.FOLDER / release.name / name
    media = next((m for suffix, m in MEDIA.items() if name.endswith(suffix)), "text/plain")
    return send_file(path, mimetype=media, as_attachment=name.endswith(".gz"), download_name=name)


@bp.get("/feeds/search")
def search_feed():
    """Atom 1.0 (RFC 4287): the studies of a search added or corrected by each release."""
    from feedgen.feed import FeedGenerator

    kb = get_kb()
    query = request.args.get("q", "").strip()
    if not query:
        raise BadRequest("q is required: the search to follow, e.g. /feeds/search?q=PTSD+%2B+CBT")
    ids = [r["id"] for r in find(kb, query).records() if r["kind"] == "study"]
    public = kb.settings.public
    from urllib.parse import urlencode

    search_url = f"{public}/search?{urlencode({'q': query})}"
    feed = FeedGenerator()
    feed.id(f"{public}/feeds/search?{urlencode({'q': query})}")
    feed.title(f"kapkb: {query}")
    feed.subtitle(f"Studies matching “{query}” added or corrected by each kapkb release.")
    feed.author({"name": "kapkb"})
    feed.link(href=search_url, rel="alternate")
    feed.link(href=feed.id(), rel="self")
    feed.rights("Data: CC BY 4.0")
    events = releases.feed_entries(kb.settings.data, ids)
    feed.updated(f"{events[0]['release'].date}T00:00:00Z" if events else "1970-01-01T00:00:00Z")
    for event in reversed(events):  # feedgen prepends: add oldest first so the newest leads
        release = event["release"]
        entry = feed.add_entry()
        entry.id(f"{kb.res.study(event['study'])}#release-{release.number}")
        word = "Added" if event["kind"] == "added" else "Corrected"
        entry.title(f"{word} in release {release.number}: {event['title']}")
        entry.link(href=kb.res.study(event["study"]))
        entry.updated(f"{release.date}T00:00:00Z")
        entry.summary(f"{word} in kapkb release {release.label()} (KB version {release.kb_version}).")
    return Response(feed.atom_str(pretty=True), mimetype="application/atom+xml")


def _release(kb, number: int) -> releases.Release:
    for release in releases.listing(kb.settings.data):
        if release.number == number:
            return release
    raise NotFound(f"no release {number}; /releases/ lists them")
