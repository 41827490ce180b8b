"""Forest plots drawn on the server as SVG, one per synthesis group (kb.synthesis).

Plain SVG, no script: it prints, downloads and embeds as it is. It is an image with a name
(`role="img"`, `<title>`, `<desc>` stating every number) and the page gives the same numbers as a
table. Primary studies first, squares sized by their weight in the pooled estimate; the pooled
diamond and its prediction interval below; reviews' pooled results in their own section, hollow.
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

from kb.text import number

WIDTH = 760
ROW = 22
LEFT = 10  # study label
N_X = 200  # n column (right-aligned)
PLOT_X0, PLOT_X1 = 230, 520
TEXT_X = 530  # effect and CI
WEIGHT_X = WIDTH - 10  # weight (right-aligned)
INK, MUTED, ACCENT, REVIEW = "#1b1f24", "#5b6470", "#0b5cad", "#7a3e9d"


def effect_text(e: dict) -> str:
    ci = f" [{number(e['ci_low'])}, {number(e['ci_high'])}]" if e.get("ci_low") is not None and e.get("ci_high") is not None else " (no CI)"
    return f"{number(e['value'])}{ci}"


def describe(group: dict) -> str:
    """The text alternative: what the plot shows, every number in it, in reading order."""
    head = f"Forest plot of {group['measure']} for {group['outcome'] or 'an unclassified outcome'}"
    if group.get("instrument"):
        head += f" on {group['instrument']}"
    parts = [head + f", {group['timepoint']}."]
    for e in group["effects"]:
        kind = "review's pooled result" if e["review"] else (e["design"] or "study")
        n = f", n = {e['n']}" if e.get("n") else ""
        weight = f", weight {e['weight']}%" if e.get("weight") else ""
        parts.append(f"{e['label']} ({kind}{n}): {effect_text(e)}{weight}.")
    pooled = group.get("pooled")
    if pooled:
        parts.append(
            f"Pooled (random effects, {pooled['k']} studies): {number(pooled['value'])} [{number(pooled['ci_low'])}, {number(pooled['ci_high'])}], "
            f"I² {pooled['i2']:.0%}, prediction interval {number(pooled['prediction_low'])} to {number(pooled['prediction_high'])}."
        )
    elif group.get("pooling_note"):
        parts.append(group["pooling_note"])
    parts.append(f"Certainty: {group['certainty']['level']}.")
    return " ".join(parts)


class _Axis:
    """Data value to x, linear or logarithmic, with a few round ticks."""

    def __init__(self, values: list[float], null: float | None, log: bool) -> None:
        self.log = log
        vals = [v for v in values if v is not None and (not log or v > 0)]
        if null is not None:
            vals.append(null)
        lo, hi = (min(vals), max(vals)) if vals else (0.0, 1.0)
        if log:
            lo, hi = math.log10(lo), math.log10(hi)
        if hi - lo < 1e-9:
            lo, hi = lo - 1, hi + 1
        pad = (hi - lo) * 0.05
        self.lo, self.hi = lo - pad, hi + pad

    def x(self, value: float) -> float:
        v = math.log10(value) if self.log else value
        return PLOT_X0 + (v - self.lo) / (self.hi - self.lo) * (PLOT_X1 - PLOT_X0)

    def ticks(self) -> list[float]:
        if self.log:
            candidates = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100]
            return [t for t in candidates if self.lo <= math.log10(t) <= self.hi]
        span = self.hi - self.lo
        step = 10 ** math.floor(math.log10(span / 4))
        for mult in (1, 2, 5, 10):
            if span / (step * mult) <= 6:
                step *= mult
                break
        first = math.ceil(self.lo / step) * step
        return [round(first + i * step, 10) for i in range(int((self.hi - first) / step) + 1)]


def forest_svg(group: dict, ident: str = "forest") -> str:
    effects = group["effects"]
    primary = [e for e in effects if not e["review"]]
    reviews = [e for e in effects if e["review"]]
    pooled = group.get("pooled")
    log = group["scale"] == "log"
    values = [v for e in effects for v in (e["value"], e["ci_low"], e["ci_high"])]
    if pooled:
        values += [pooled["ci_low"], pooled["ci_high"], pooled["prediction_low"], pooled["prediction_high"]]
    axis = _Axis(values, group.get("null"), log)
    rows = len(primary) + (2 if pooled else 0) + (len(reviews) + 1 if reviews else 0)
    top = 58
    height = top + rows * ROW + 58
    title = f"{group['outcome'] or 'Outcome not classified'}: {group['measure']}" + (f" ({group['instrument']})" if group.get("instrument") else "")
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="{ident}-title {ident}-desc" font-family="system-ui, sans-serif" font-size="12">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(describe(group))}</desc>',
        f'<rect width="{WIDTH}" height="{height}" fill="#fff"/>',
        f'<text x="{LEFT}" y="18" font-size="14" font-weight="600" fill="{INK}">{escape(title)}</text>',
        f'<text x="{LEFT}" y="34" fill="{MUTED}">{escape(group["timepoint"])}; {escape(_unit_note(group))}</text>',
        f'<g fill="{MUTED}" font-weight="600"><text x="{LEFT}" y="{top - 6}">Study</text>'
        f'<text x="{N_X}" y="{top - 6}" text-anchor="end">n</text>'
        f'<text x="{TEXT_X}" y="{top - 6}">Effect [95% CI]</text>'
        f'<text x="{WEIGHT_X}" y="{top - 6}" text-anchor="end">Weight</text></g>',
    ]
    plot_top, plot_bottom = top, top + rows * ROW
    null = group.get("null")
    if null is not None:
        out.append(f'<line x1="{axis.x(null):.1f}" y1="{plot_top}" x2="{axis.x(null):.1f}" y2="{plot_bottom}" stroke="{MUTED}" stroke-width="1"/>')
    y = top
    max_w = max((e["weight"] or 0 for e in primary), default=0) or 1
    for e in primary:
        out.append(_effect_row(e, y, axis, ACCENT, max_w, bool(pooled)))
        y += ROW
    if pooled:
        cy = y + ROW / 2
        xs = [axis.x(pooled["ci_low"]), axis.x(pooled["value"]), axis.x(pooled["ci_high"])]
        out.append(
            f'<line x1="{axis.x(pooled["prediction_low"]):.1f}" y1="{cy:.1f}" x2="{axis.x(pooled["prediction_high"]):.1f}" y2="{cy:.1f}" '
            f'stroke="{INK}" stroke-dasharray="4 3"/>'
            f'<polygon points="{xs[0]:.1f},{cy:.1f} {xs[1]:.1f},{cy - 7:.1f} {xs[2]:.1f},{cy:.1f} {xs[1]:.1f},{cy + 7:.1f}" fill="{INK}"/>'
            f'<text x="{LEFT}" y="{cy + 4:.1f}" font-weight="600" fill="{INK}">Pooled ({pooled["k"]} studies)</text>'
            f'<text x="{N_X}" y="{cy + 4:.1f}" text-anchor="end" fill="{INK}">{pooled["n"] or ""}</text>'
            f'<text x="{TEXT_X}" y="{cy + 4:.1f}" font-weight="600" fill="{INK}">{number(pooled["value"])} [{number(pooled["ci_low"])}, {number(pooled["ci_high"])}]</text>'
            f'<text x="{LEFT}" y="{cy + ROW + 4:.1f}" fill="{MUTED}">I² {pooled["i2"]:.0%}, τ² {number(pooled["tau2"], 3)}; dashed: prediction interval</text>'
            f'<text x="{TEXT_X}" y="{cy + ROW + 4:.1f}" fill="{MUTED}">{number(pooled["prediction_low"])} to {number(pooled["prediction_high"])}</text>'
        )
        y += 2 * ROW
    if reviews:
        out.append(f'<text x="{LEFT}" y="{y + 15}" fill="{REVIEW}" font-style="italic">Reviews\' pooled results (shown as reported, not pooled again)</text>')
        y += ROW
        for e in reviews:
            out.append(_effect_row(e, y, axis, REVIEW, max_w))
            y += ROW
    out.append(_axis_svg(axis, plot_bottom, group))
    out.append("</svg>")
    return "".join(out)


def _unit_note(group: dict) -> str:
    unit = group.get("unit")
    scale = "log scale" if group["scale"] == "log" else "rates within one arm" if group["scale"] == "rate" else "linear scale"
    return f"{scale}" + (f", unit: {unit}" if unit else "")


def _effect_row(e: dict, y: float, axis: _Axis, colour: str, max_w: float, pooled: bool = False) -> str:
    cy = y + ROW / 2
    label = e["label"] + (" *" if e.get("derived") else "")
    weight = f"{e['weight']:.0f}%" if e.get("weight") else "not pooled" if pooled and not e["review"] else ""
    size = e["n"] or (f"k={e['k']}" if e.get("k") else "")
    parts = [
        f'<g><title>{escape(e.get("text") or e["label"])}</title>',
        f'<text x="{LEFT}" y="{cy + 4:.1f}" fill="{INK}">{escape(label[:28])}</text>',
        f'<text x="{N_X}" y="{cy + 4:.1f}" text-anchor="end" fill="{MUTED}">{size}</text>',
        f'<text x="{TEXT_X}" y="{cy + 4:.1f}" fill="{INK}">{escape(effect_text(e))}</text>',
        f'<text x="{WEIGHT_X}" y="{cy + 4:.1f}" text-anchor="end" fill="{MUTED}">{weight}</text>',
    ]
    if e["ci_low"] is not None and e["ci_high"] is not None and (not axis.log or e["ci_low"] > 0):
        parts.append(f'<line x1="{axis.x(e["ci_low"]):.1f}" y1="{cy:.1f}" x2="{axis.x(e["ci_high"]):.1f}" y2="{cy:.1f}" stroke="{colour}" stroke-width="1.5"/>')
    if not axis.log or e["value"] > 0:
        x = axis.x(e["value"])
        if e["review"]:
            parts.append(f'<polygon points="{x - 6:.1f},{cy:.1f} {x:.1f},{cy - 6:.1f} {x + 6:.1f},{cy:.1f} {x:.1f},{cy + 6:.1f}" fill="#fff" stroke="{colour}" stroke-width="1.5"/>')
        elif e.get("weight"):
            half = 3 + 5 * math.sqrt(e["weight"] / max_w)
            parts.append(f'<rect x="{x - half:.1f}" y="{cy - half:.1f}" width="{2 * half:.1f}" height="{2 * half:.1f}" fill="{colour}"/>')
        else:
            hollow = e["ci_low"] is None
            parts.append(f'<circle cx="{x:.1f}" cy="{cy:.1f}" r="4" fill="{"#fff" if hollow else colour}" stroke="{colour}" stroke-width="1.5"/>')
    parts.append("</g>")
    return "".join(parts)


def _axis_svg(axis: _Axis, y: float, group: dict) -> str:
    out = [f'<line x1="{PLOT_X0}" y1="{y}" x2="{PLOT_X1}" y2="{y}" stroke="{INK}"/>']
    for t in axis.ticks():
        x = axis.x(t)
        out.append(f'<line x1="{x:.1f}" y1="{y}" x2="{x:.1f}" y2="{y + 4}" stroke="{INK}"/>'
                   f'<text x="{x:.1f}" y="{y + 16}" text-anchor="middle" fill="{MUTED}">{number(t)}</text>')  # fmt: skip
    side = group.get("favours")
    if side:
        null_x = axis.x(group["null"])
        if side == "above":
            out.append(f'<text x="{min(null_x + 6, PLOT_X1):.1f}" y="{y + 32}" fill="{MUTED}">favours ketamine →</text>')
        else:
            out.append(f'<text x="{max(null_x - 6, PLOT_X0):.1f}" y="{y + 32}" text-anchor="end" fill="{MUTED}">← favours ketamine</text>')
    out.append(f'<text x="{LEFT}" y="{y + 48}" fill="{MUTED}" font-size="11">* sign turned to match the group or value computed; '
               "hollow circle: no CI reported</text>")  # fmt: skip
    return "".join(out)
