"""Plain-text renderings for the terminal: what `kapkb search` prints without --json."""

from __future__ import annotations


def search_summary(doc: dict) -> str:
    lines = []
    terms = doc["interpretation"]["terms"]
    if terms:
        lines.append(
            "Searched: "
            + "; ".join(f"{'NOT ' if t['negated'] else ''}{t['scheme'].replace('_', ' ')}: {t['label']}" for t in terms)
        )
    if doc["interpretation"]["ranges"]:
        lines.append("Ranges: " + ", ".join(r["text"] for r in doc["interpretation"]["ranges"]))
    if doc["interpretation"]["free_text"]:
        lines.append("Free text: " + " ".join(doc["interpretation"]["free_text"]))
    if doc["relaxed"]:
        lines.append(doc["relaxed"]["message"])
    lines.append(f"{doc['total']} result{'s' if doc['total'] != 1 else ''}")
    for i, r in enumerate(doc["results"], doc["offset"] + 1):
        head = f"{i:>3}. {r['title']}"
        meta = ", ".join(str(x) for x in (r.get("design"), r.get("evidence_level"), r.get("n") and f"N={r['n']}", r.get("year")) if x)
        lines.append(head)
        lines.append(f"     {meta}")
        if r.get("lacks"):
            lines.append(f"     lacks: {', '.join(r['lacks'])}")
        for f in r.get("findings", [])[:3]:
            lines.append(f"     - {f['text']}")
        if r.get("links"):
            lines.append(f"     {r['links'][0]['url']}")
        if r.get("explain"):
            lines.append(f"     why: {r['explain']['why']}")
    return "\n".join(lines)
