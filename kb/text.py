"""Plain-text renderings for the terminal: what `kapkb search` prints without --json."""

from __future__ import annotations

from kb.search import BANDS


def figure_value(f: dict) -> str:
    """A finding's number as read aloud: "62%", "−6.2 points", "OR 2.1", "d = 0.75"."""
    value, unit = f.get("value"), f.get("unit")
    if value is None:
        return ""
    text = f"{value:g}".replace("-", "−")
    if not unit:
        return text
    if unit == "%":
        return f"{text}%"
    if unit.isupper() and len(unit) <= 4:  # OR, RR, HR, SMD: the name of the statistic goes first
        return f"{unit} {text}"
    if unit in ("d", "g"):  # Cohen's d, Hedges' g, as abstracts write them
        return f"{unit} = {text}"
    return f"{text} {unit}"


def figure_detail(f: dict) -> str:
    """How sure and in whom: "95% CI 48 to 75; p = 0.01; n = 40" (what the source gives)."""
    extra = []
    if f.get("ci_low") is not None and f.get("ci_high") is not None:
        extra.append(f"95% CI {f['ci_low']:g} to {f['ci_high']:g}".replace("-", "−"))
    if f.get("p"):
        p = str(f["p"])
        extra.append(f"p {p}" if p[0] in "<>=≤≥" else f"p = {p}")
    if f.get("n"):
        extra.append(f"n = {f['n']:,}")
    return "; ".join(extra)


def figure(f: dict) -> str:
    """A finding's figure as a line reads it: "62% (95% CI 48 to 75; p = 0.01; n = 40)"."""
    value, detail = figure_value(f), figure_detail(f)
    return value + (f" ({detail})" if value and detail else "")


def search_summary(doc: dict) -> str:
    lines = []
    reading = doc["interpretation"]
    dym = doc.get("did_you_mean")
    if dym and dym["applied"]:
        lines.append(f"Showing results for: {dym['query']}  (searched instead of: {dym['original']}; --no-correct keeps it)")
    terms = reading["terms"]
    if terms:
        lines.append(
            "Searched: "
            + "; ".join(f"{'NOT ' if t['negated'] else ''}{t['scheme'].replace('_', ' ')}: {t['label']}" for t in terms)
        )
    for key, title in (("known_items", "Identifiers"), ("authors", "Authors")):
        if reading.get(key):
            lines.append(f"{title}: " + ", ".join(k["value"] if isinstance(k, dict) else k for k in reading[key]))
    if reading.get("intent"):
        lines.append(f"Showing: {reading['intent']}" + (" (studies reporting harms first)" if reading["intent"] == "side effects" else ""))
    if reading["ranges"]:
        lines.append("Ranges: " + ", ".join(r["text"] for r in reading["ranges"]))
    if reading["free_text"]:
        lines.append("Words (all must match): " + " ".join(reading["free_text"]))
    if reading.get("ignored"):
        lines.append("Ignored (joining or too general): " + ", ".join(reading["ignored"]))
    if reading.get("unmatched"):
        lines.append("Matched nothing in the KB: " + ", ".join(reading["unmatched"]))
    if dym and not dym["applied"]:
        lines.append(f"Did you mean: {dym['query']}")
    if doc["relaxed"]:
        lines.append(doc["relaxed"]["message"])
    lines.append(f"{doc['total']} result{'s' if doc['total'] != 1 else ''}" + (" (nearest evidence below)" if doc["relaxed"] and doc["results"] else ""))
    band = None
    for i, r in enumerate(doc["results"], doc["offset"] + 1):
        if r.get("band") != band and not r.get("lacks"):
            band = r.get("band")
            lines.append(f"-- {BANDS.get(band, band)} --")
        lines.append(f"{i:>3}. {r['title']}")
        meta = ", ".join(str(x) for x in (r.get("design"), r.get("evidence_level"), r.get("n") and f"N={r['n']}", r.get("year")) if x)
        lines.append(f"     {meta}")
        if r.get("lacks"):
            lines.append(f"     lacks: {', '.join(r['lacks'])}")
        main = r.get("primary_result")
        if main:
            lines.append(f"     main result: {main['text']}" + (f" [{figure(main)}]" if figure(main) else ""))
        for f in r.get("adverse_effect_rates", [])[:3]:
            counts = "; ".join(f["denominators"])
            lines.append(f"     harms: {f['text']} [{figure(f)}{'; ' + counts if counts else ''}]")
        for f in [f for f in r.get("findings", []) if f != main][: 2 if main else 3]:
            lines.append(f"     - {f['text']}")
        if r.get("links"):
            lines.append(f"     {r['links'][0]['url']}")
        if r.get("explain"):
            lines.append(f"     why: {r['explain']['why']}")
    return "\n".join(lines)


# The claim check's verdicts as people see them: an icon and a word, never a colour alone (pages add the colour).
VERDICT_MARKS = {
    "supported": "✓",
    "overstated": "▲",
    "misstated": "✗",
    "contradicted": "⊘",
    "unsupported": "?",
    "not checkable": "–",
}


def check_table(doc: dict, width: int = 100) -> str:
    """`kapkb check` on a terminal: each claim's verdict, the study, the quote, the figures side by side, why."""
    import textwrap
    from collections import Counter

    claims = doc["claims"]
    counts = Counter(c["verdict"] for c in claims)
    lines = [f"{doc.get('title') or doc['source']}  ({doc['source']})"]
    summary = ", ".join(f"{counts[v]} {v}" for v in VERDICT_MARKS if counts[v])
    lines.append(f"{len(claims)} claim{'s' if len(claims) != 1 else ''}" + (f": {summary}" if summary else " — no research claims found"))
    wrap = max(40, width - 11)
    for i, c in enumerate(claims, 1):
        lines.append("")
        study = c["study"] or (f"candidates: {', '.join(c['candidates'])}" if c["candidates"] else "no study in the KB")
        lines.append(f"{i:>3}. {VERDICT_MARKS[c['verdict']]} {c['verdict'].upper():14} {study}")
        lines += textwrap.wrap(f"“{c['quote']}”", wrap, initial_indent="     ", subsequent_indent="      ")
        for label, values in (("page", c["page_figures"]), ("study", c["study_figures"])):
            if values:
                lines += textwrap.wrap("; ".join(values), wrap, initial_indent=f"     {label + ':':7}", subsequent_indent=" " * 12)
        lines += textwrap.wrap(c["reason"], wrap, initial_indent="     why:   ", subsequent_indent=" " * 12)
    return "\n".join(lines)


def number(value: float | None, digits: int = 2) -> str:
    """A figure as the synthesis prints and draws it: -3.6257 → "-3.63", -4.0 → "-4", 676.4 → "676", None → "–"."""
    if value is None:
        return "–"
    if abs(value) >= 100 or digits == 0:
        return f"{value:.0f}"
    return f"{value:.{digits}f}".rstrip("0").rstrip(".")


def synthesis_text(doc: dict) -> str:
    """`kapkb synthesis QUERY`: each outcome group with its effects, pooled result and certainty, as text."""
    k = len(doc["groups"])
    lines = [f"{doc['query']}: {doc['studies']} matching {'study' if doc['studies'] == 1 else 'studies'}, {k} outcome {'group' if k == 1 else 'groups'}"]
    if doc.get("note"):
        lines.append(doc["note"])
    for g in doc["groups"]:
        head = f"{g['outcome'] or 'outcome not classified'}: {g['measure']}" + (f" ({g['instrument']})" if g["instrument"] else "")
        lines += ["", f"{head} · {g['timepoint']}", f"  certainty {g['certainty']['level']}: {' '.join(g['certainty']['reasons'])}"]
        for e in g["effects"]:
            ci = f"[{number(e['ci_low'])}, {number(e['ci_high'])}]" if e["ci_low"] is not None else "(no CI)"
            size = f"n={e['n']}" if e["n"] else f"k={e['k']}" if e["k"] else ""
            tags = " ".join(t for t in ("review" if e["review"] else "", f"weight {e['weight']}%" if e["weight"] else "",
                                        "derived" if e["derived"] else "") if t)  # fmt: skip
            lines.append(f"  {e['label'][:30]:<30} {size:>7}  {number(e['value']):>7} {ci:<18} {e['timepoint'] or ''}  {tags}".rstrip())
        p = g["pooled"]
        if p:
            lines.append(f"  pooled ({p['k']} studies): {number(p['value'])} [{number(p['ci_low'])}, {number(p['ci_high'])}], "
                         f"I2 {p['i2']:.0%}, tau2 {p['tau2']:.3g}, prediction {number(p['prediction_low'])} to {number(p['prediction_high'])}")  # fmt: skip
        else:
            lines.append(f"  {g['pooling_note']}")
    return "\n".join(lines)


SHOW_FIELDS = (
    ("design", "design"), ("evidence level", "evidence_level"), ("n", "n"), ("randomized", "n_randomized"),
    ("analysed", "n_analysed"), ("studies pooled", "n_studies"), ("conditions", "conditions"), ("population", "population"),
    ("drugs", "drugs"), ("routes", "routes"), ("dose", "dose"), ("dose mg/kg", "dose_mg_per_kg"), ("therapies", "therapies"),
    ("comparator", "comparator"), ("instruments", "instruments"), ("outcomes", "outcomes"), ("adverse effects", "adverse_effects"),
)  # fmt: skip


def study_text(doc: dict) -> str:
    """`kapkb show ID`: one study's identifiers, extracted fields and findings, as text."""
    ids = " · ".join(f"{k.upper()} {doc[k]}" for k in ("doi", "pmid", "pmcid", "nct") if doc.get(k))
    authors = ", ".join(doc["authors"]) + ("" if doc["authors_complete"] else ", et al.")
    lines = [doc["title"], f"{authors} ({doc['year'] or 'n.d.'}) {doc.get('journal') or ''}".rstrip(), ids, f"id: {doc['id']}", ""]
    for name, key in SHOW_FIELDS:
        value = doc.get(key)
        if value in (None, [], ""):
            continue
        lines.append(f"{name + ':':<17} {', '.join(map(str, value)) if isinstance(value, list) else value}")
    sessions = doc["sessions"]
    if sessions["count"] or sessions["schedule"]:
        said = f"{sessions['count']} ({sessions['schedule']})" if sessions["count"] and sessions["schedule"] else sessions["count"] or sessions["schedule"]
        lines.append(f"{'sessions:':<17} {said}")
    if doc["therapy_timing"]["timing"] or doc["therapy_timing"]["note"]:
        lines.append(f"{'therapy timing:':<17} {', '.join(doc['therapy_timing']['timing'])} {doc['therapy_timing']['note'] or ''}".rstrip())
    if doc["follow_up"]:
        lines.append(f"{'follow-up:':<17} {doc['follow_up']['weeks']:g} weeks")
    if doc["findings"]:
        lines += ["", "findings:"]
        lines += [f"  {'* ' if f['primary'] else '- '}{f['text']}" for f in doc["findings"]]
    return "\n".join(line for line in lines if line is not None)
