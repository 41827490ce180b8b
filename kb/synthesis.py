"""Outcomes at a glance: the effects of a query's studies grouped by outcome, instrument, measure and time,
pooled where pooling means something, with a certainty signal that says why.

Effects come from the structured findings (`kb.model.Finding`), the same data the claim check reads.
A group holds one outcome measured one way at one time band; reviews' pooled results are rows of
their own and are never pooled again. Pooling uses statsmodels' random-effects `combine_effects`
(Paule-Mandel τ²) on standard errors recovered from the reported 95% CIs; the prediction interval
is Higgins, Thompson & Spiegelhalter's (2009) μ ± t(k−2)·√(τ² + SE²). docs/synthesis.md states every rule.
"""

from __future__ import annotations

import math
from collections import defaultdict

from kb.model import REVIEW_DESIGNS
from kb.names import short_citation
from kb.namespaces import slug_of

Z95 = 1.959963984540054  # the normal quantile of a two-sided 95% CI

# Measures that compare arms, by family; a family is pooled on one scale ("log" for ratios).
COMPARATIVE = {
    "mean-difference": ("mean-difference", "linear"),
    "smd": ("smd", "linear"),
    "hedges-g": ("smd", "linear"),
    "cohens-d": ("smd", "linear"),
    "odds-ratio": ("odds-ratio", "log"),
    "risk-ratio": ("risk-ratio", "log"),
    "hazard-ratio": ("hazard-ratio", "log"),
    "risk-difference": ("risk-difference", "linear"),
}
# Rates of one arm: shown side by side, never pooled (they are not comparisons).
ARM_RATES = ("response-rate", "remission-rate", "relapse-rate", "abstinence-rate")
FAMILY_LABELS = {
    "smd": "standardized mean difference (Cohen's d, Hedges' g, SMD)",
}
RANDOMIZED = ("rct", "secondary-analysis")
NON_RANDOMIZED = ("nrct", "open-label", "cohort", "case-series", "case-report", "chart-review")

# Time bands, in weeks from the first dose: effects are compared within a band only.
TIME_BANDS = ((0.15, "within 24 hours"), (1.0, "2 days to 1 week"), (6.0, "1 to 6 weeks"), (26.0, "6 weeks to 6 months"))
LATER = "after 6 months"
UNSTATED = "time not stated"
MIN_POOLED = 3  # distinct primary studies with a CI
OPTIMAL_N = 400  # GRADE's rule of thumb for an optimal information size (continuous outcomes)


def time_band(weeks: float | None) -> str:
    if weeks is None:
        return UNSTATED
    return next((label for limit, label in TIME_BANDS if weeks <= limit), LATER)


def synthesize(records: list[dict], label) -> dict:
    """The synthesis document of `kapkb synthesis --json` and /api/synthesis (shape in docs/synthesis.md)."""
    rows: dict[tuple, list[dict]] = defaultdict(list)
    for record in records:
        if record.get("kind", "study") != "study":
            continue
        for finding in record.get("findings") or ():
            key = _group_key(finding)
            if key is not None:
                rows[key].append(_effect(record, finding, label))
    groups = [_group(key, effects, label) for key, effects in rows.items()]
    groups.sort(key=lambda g: (g["pooled"] is None, -g["studies"], -g["reviews"], g["outcome"] or "~", g["measure"]))
    return {
        "studies": sum(1 for r in records if r.get("kind", "study") == "study"),
        "groups": groups,
        "method": METHOD,
    }


METHOD = (
    "Effects are the studies' reported findings for the whole sample (subgroups left out), grouped by outcome, "
    "instrument, measure and time band. Standard errors come from the 95% CI: (upper - lower) / 3.92, on the log "
    "scale for ratios. Three or more randomized studies of one measure are pooled with a random-effects model "
    "(statsmodels combine_effects, Paule-Mandel tau2); one effect per study (its primary, else its largest). "
    "Reviews' pooled results are shown as such and never pooled again."
)


def _group_key(finding: dict) -> tuple | None:
    measure = slug_of(finding.get("measure") or "")
    if finding.get("value") is None or finding.get("population"):
        return None  # no figure, or a subgroup: the whole sample's result is what is compared
    if measure in COMPARATIVE:
        family = COMPARATIVE[measure][0]
    elif measure in ARM_RATES:
        family = measure
    else:
        return None
    instrument = finding.get("instrument") if family in ("mean-difference", *ARM_RATES) else None
    unit = finding.get("unit") if family == "mean-difference" else None  # points, days and % never share an axis
    return (finding.get("outcome"), instrument, family, time_band(finding.get("timepoint_weeks")), unit)


def _effect(record: dict, finding: dict, label) -> dict:
    design = slug_of(record.get("design") or "")
    review = design in REVIEW_DESIGNS or bool(finding.get("pooled"))
    return {
        "study": record["id"],
        "label": short_citation(record.get("authors"), record.get("year"), record["id"]),
        "title": record.get("title"),
        "n": finding.get("n") or (record.get("n") if not review else None),
        "k": finding.get("k") or (record.get("n_studies") if review else None),
        "design": label(record["design"]) if record.get("design") else None,
        "design_slug": design,
        "value": finding["value"],
        "ci_low": finding.get("ci_low"),
        "ci_high": finding.get("ci_high"),
        "p": finding.get("p"),
        "unit": finding.get("unit"),
        "measure": label(finding["measure"]),
        "timepoint": finding.get("timepoint"),
        "timepoint_weeks": finding.get("timepoint_weeks"),
        "direction": finding.get("direction"),
        "primary": bool(finding.get("primary")),
        "review": review,
        "derived": bool(finding.get("derived")),
        "formula": finding.get("derived"),
        "text": finding.get("text"),
        "weight": None,
        "in_pool": False,
    }


def _group(key: tuple, effects: list[dict], label) -> dict:
    outcome, instrument, family, band, _unit = key
    scale = COMPARATIVE[family][1] if family in COMPARATIVE else "rate"
    if scale == "linear":
        _orient(effects)
    effects.sort(key=lambda e: (e["review"], e["label"], e["timepoint_weeks"] or 0))
    _tell_apart(effects)
    pool, note = _poolable(family, effects)
    pooled = _pool(pool, scale) if pool else None
    for e in effects:  # say why a primary result beside a pooled estimate is not in it
        if pooled and not e["review"] and not e["in_pool"]:
            e["not_pooled"] = "no confidence interval" if e["ci_low"] is None or e["ci_high"] is None else "another result of this study is pooled"
    group = {
        "outcome": label(outcome) if outcome else None,
        "outcome_iri": outcome,
        "instrument": label(instrument) if instrument else None,
        "measure": FAMILY_LABELS.get(family) or label(f"https://w3id.org/kapkb/concept/measure/{family}"),
        "family": family,
        "scale": scale,
        "timepoint": band,
        "unit": next((e["unit"] for e in effects if e["unit"]), None),
        "null": 1.0 if scale == "log" else 0.0 if scale == "linear" else None,
        "studies": len({e["study"] for e in effects if not e["review"]}),
        "reviews": len({e["study"] for e in effects if e["review"]}),
        "effects": effects,
        "pooled": pooled,
        "pooling_note": note,
    }
    group["favours"] = _favoured_side(effects, group["null"])
    group["certainty"] = certainty(group)
    for e in effects:
        del e["design_slug"]  # used by the rules above; the document names designs by label
    return group


def _favoured_side(effects: list[dict], null: float | None) -> str | None:
    """"above" or "below" the line of no effect, where the group's benefit results lie; None when unknown."""
    if null is None:
        return None
    sides = [e["value"] > null for e in effects if e["direction"] == "benefit" and e["value"] != null]
    if not sides or (any(sides) and not all(sides)):
        return None
    return "above" if sides[0] else "below"


def _tell_apart(effects: list[dict]) -> None:
    """Several results of one study in a group (doses, times): their labels say which is which."""
    seen: dict[tuple, list[dict]] = defaultdict(list)
    for e in effects:
        seen[(e["study"], e["review"])].append(e)
    for same in seen.values():
        if len(same) > 1:
            distinct = len({e["timepoint"] for e in same}) == len(same)
            for i, e in enumerate(same, 1):
                e["label"] += f", {e['timepoint']}" if distinct and e["timepoint"] else f" ({i})"


def _orient(effects: list[dict]) -> None:
    """Put a group's linear effects on one side: benefit on the side most of its benefit results report.
    A benefit reported the other way round (comparator minus ketamine) is negated, and says so."""
    signs = [math.copysign(1, e["value"]) for e in effects if e["direction"] == "benefit" and e["value"]]
    side = -1.0 if signs.count(-1.0) >= signs.count(1.0) else 1.0
    for e in effects:
        if e["direction"] == "benefit" and e["value"] and math.copysign(1, e["value"]) != side:
            e["value"] = -e["value"]
            if e["ci_low"] is not None and e["ci_high"] is not None:
                e["ci_low"], e["ci_high"] = -e["ci_high"], -e["ci_low"]
            e["derived"] = True
            e["formula"] = "-1 x the reported value: the source subtracts the other way, so its sign is turned to match the group"


def _poolable(family: str, effects: list[dict]) -> tuple[list[dict], str | None]:
    """The effects to pool (one per primary study, each with a CI), or none and why not, in words."""
    if family in ARM_RATES:
        return [], "Not pooled: these are rates within one arm, not comparisons between arms."
    primary = [e for e in effects if not e["review"]]
    if not primary:
        return [], "Only reviews' pooled results: they are shown as reported and never pooled again."
    by_study: dict[str, dict] = {}
    for e in primary:
        if e["ci_low"] is None or e["ci_high"] is None:
            continue
        kept = by_study.get(e["study"])
        if kept is None or (e["primary"], e["n"] or 0) > (kept["primary"], kept["n"] or 0):
            by_study[e["study"]] = e
    chosen = list(by_study.values())
    studies = {e["study"] for e in primary}
    if len(studies) == 1:
        return [], "Not pooled: one study."
    if len(chosen) < MIN_POOLED:
        return [], f"Not pooled: {len(chosen)} of {len(studies)} studies report a confidence interval; pooling needs {MIN_POOLED}."
    designs = {"randomized" if e["design_slug"] in RANDOMIZED else "non-randomized" for e in chosen}
    if len(designs) > 1:
        return [], "Not pooled: randomized and non-randomized designs are mixed."
    return chosen, None


def _pool(chosen: list[dict], scale: str) -> dict | None:
    import numpy as np
    from scipy import stats
    from statsmodels.stats.meta_analysis import combine_effects

    log = scale == "log"
    if log and any(e["value"] <= 0 or e["ci_low"] <= 0 for e in chosen):
        return None
    est = np.array([math.log(e["value"]) if log else e["value"] for e in chosen])
    lo = np.array([math.log(e["ci_low"]) if log else e["ci_low"] for e in chosen])
    hi = np.array([math.log(e["ci_high"]) if log else e["ci_high"] for e in chosen])
    se = (hi - lo) / (2 * Z95)
    if np.any(se <= 0):
        return None
    res = combine_effects(est, se**2, method_re="iterated")
    mu, se_mu = float(res.mean_effect_re), float(res.sd_eff_w_re)
    ci = res.conf_int()[1]
    k = len(chosen)
    half = float(stats.t.ppf(0.975, k - 2)) * math.sqrt(float(res.tau2) + se_mu**2)
    back = math.exp if log else float
    for e, w in zip(chosen, res.weights_rel_re, strict=True):
        e["in_pool"] = True
        e["weight"] = round(float(w) * 100, 1)
    return {
        "value": back(mu),
        "ci_low": back(float(ci[0])),
        "ci_high": back(float(ci[1])),
        "i2": max(0.0, float(res.i2)),
        "tau2": float(res.tau2),
        "prediction_low": back(mu - half),
        "prediction_high": back(mu + half),
        "k": k,
        "n": sum(e["n"] for e in chosen) if all(e["n"] for e in chosen) else None,  # None when a size is unknown
        "method": "random effects, Paule-Mandel tau2 (statsmodels combine_effects, method_re='iterated')"
        + (", on the log scale" if log else "")
        + "; standard errors from 95% CIs; prediction interval mu +/- t(k-2) sqrt(tau2 + SE^2)",
    }


LEVELS = ("very low", "low", "moderate", "high")


def evidence_signal(studies: int, randomized: int, n_total: int, n_unknown: int) -> tuple[int, list[str]]:
    """The part of the certainty signal a set of studies gives by itself (the synthesis and the evidence map
    share it): randomized evidence starts high, other designs low; one study or few participants lower it.
    Returns (index into LEVELS, reasons in words)."""
    if studies == 1:
        reasons = ["The study is randomized." if randomized else "The study is not randomized (open-label, cohort or case series)."]
    elif randomized == studies:
        reasons = [f"All {studies} studies are randomized."]
    else:
        reasons = [f"{studies - randomized} of {studies} studies are not randomized (open-label, cohort or case series)."]
    level = 3 if randomized == studies else 1
    if studies == 1:
        level -= 1
        reasons.append("One study: the result has not been replicated.")
    if n_unknown:
        reasons.append(f"The size of {n_unknown} {'study is' if n_unknown == 1 else 'studies is'} not recorded, so precision is judged from the intervals only.")
    elif n_total < OPTIMAL_N:
        level -= 1
        reasons.append(f"Imprecision: {n_total} participants in all, fewer than the {OPTIMAL_N} a reliable estimate usually needs.")
    return level, reasons


def certainty(group: dict) -> dict:
    """A signal of how sure the KB's own evidence lets one be, with its reasons in words (GRADE-inspired:
    randomized evidence starts high, other designs low; each concern lowers it by one). Not a GRADE rating."""
    primary = [e for e in group["effects"] if not e["review"]]
    if not primary:
        return {"level": "not assessed", "reasons": ["Only reviews' pooled results: see each review's own assessment."]}
    studies = {e["study"]: e for e in primary}
    randomized = sum(1 for e in studies.values() if e["design_slug"] in RANDOMIZED)
    sizes = [e["n"] for e in studies.values()]
    level, reasons = evidence_signal(len(studies), randomized, sum(n for n in sizes if n), sum(1 for n in sizes if not n))
    pooled, null = group["pooled"], group["null"]
    if pooled and null is not None and pooled["ci_low"] <= null <= pooled["ci_high"]:
        level -= 1
        reasons.append("Imprecision: the pooled confidence interval includes no effect.")
    elif not pooled and null is not None and len(studies) == 1:
        crossing = [e["ci_low"] <= null <= e["ci_high"] for e in primary if e["ci_low"] is not None and e["ci_high"] is not None]
        if crossing and all(crossing):
            reasons.append("Its confidence interval includes no effect." if len(crossing) == 1 else "Each of its confidence intervals includes no effect.")
        elif any(crossing):
            reasons.append(f"{sum(crossing)} of its {len(crossing)} confidence intervals {'includes' if sum(crossing) == 1 else 'include'} no effect.")
    if pooled and pooled["i2"] >= 0.5:
        level -= 1
        reasons.append(f"Inconsistency: I² = {pooled['i2']:.0%}, the studies disagree more than chance explains.")
    if group["family"] in ARM_RATES:
        level -= 1
        reasons.append("Rates within one arm: without a comparator they cannot separate the treatment from placebo or time.")
    return {"level": LEVELS[max(0, level)], "reasons": reasons}


def comparison_rows(doc: dict) -> list[dict]:
    """The comparison table (one row per effect), as the CSV export and the table view give it."""
    out = []
    for g in doc["groups"]:
        for e in g["effects"]:
            out.append(
                {
                    "study": e["study"],
                    "label": e["label"],
                    "design": e["design"],
                    "n": e["n"],
                    "outcome": g["outcome"],
                    "instrument": g["instrument"],
                    "measure": e["measure"],
                    "timepoint": e["timepoint"] or g["timepoint"],
                    "value": e["value"],
                    "ci_low": e["ci_low"],
                    "ci_high": e["ci_high"],
                    "p": e["p"],
                    "review": "true" if e["review"] else "false",
                    "derived": e["formula"] if e["derived"] else "",
                    "weight_percent": e["weight"],
                }
            )
    return out


MAX_STUDIES = 1000  # the first studies in rank order; a broader query is told it was cut


_CACHE: dict[tuple, dict] = {}  # (KB version, query) → document: the page, its plots and its CSV ask in turn
_CACHED = 256


def for_query(kb, raw: str) -> dict:
    """The synthesis of the studies a search returns (its exact matches; never the nearest evidence).
    The document is shared between callers of the same KB version and query: read it, do not change it."""
    key = (str(kb.settings.data), kb.version, raw)
    doc = _CACHE.get(key)
    if doc is None:
        doc = _for_query(kb, raw)
        if len(_CACHE) >= _CACHED:
            _CACHE.pop(next(iter(_CACHE)), None)
        _CACHE[key] = doc
    return doc


def _for_query(kb, raw: str) -> dict:
    from kb.search import find

    found = find(kb, raw)
    records = found.records(MAX_STUDIES)
    doc = synthesize(records, kb.vocab.label)
    doc = {"query": found.query.raw, "kb_version": kb.version, "exact": found.exact, "matched": found.total, **doc}
    if found.total > MAX_STUDIES:
        doc["note"] = f"Based on the first {MAX_STUDIES:,} of {found.total:,} matching studies in rank order; narrow the query to see them all."
    if not found.exact:
        doc["note"] = "No study matches every part of this query, so there is nothing to synthesize; the search page shows the nearest evidence."
    elif not doc["groups"]:
        doc["note"] = f"None of the {doc['studies']} matching studies reports a comparative effect or rate as data."
    return doc
