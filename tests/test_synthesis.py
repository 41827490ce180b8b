"""Outcomes at a glance (kb.synthesis): grouping rules, pooling checked against statsmodels called here
directly, the certainty signal, and the same document through the CLI, the JSON API, the page, the SVG and the CSV."""

from __future__ import annotations

import csv
import io
import json
import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects

from kapkb.cli import cli
from kb.synthesis import synthesize

MEASURE = "https://w3id.org/kapkb/concept/measure/"
OUTCOME = "https://w3id.org/kapkb/concept/outcome/"
DESIGN = "https://w3id.org/kapkb/concept/design/"
MADRS = "https://w3id.org/kapkb/concept/instrument/madrs"
SPEC_GROUP_KEYS = {"outcome", "instrument", "measure", "effects", "pooled", "certainty"}
SPEC_EFFECT_KEYS = {"study", "n", "design", "value", "ci_low", "ci_high", "p", "timepoint", "review", "derived", "formula"}
SPEC_POOLED_KEYS = {"value", "ci_low", "ci_high", "i2", "tau2", "prediction_low", "prediction_high", "method"}


def _label(iri: str) -> str:
    return iri.rsplit("/", 1)[-1].replace("-", " ")


def _study(id, design="rct", n=100, **finding):
    base = {"outcome": OUTCOME + "symptom-reduction", "instrument": MADRS, "measure": MEASURE + "mean-difference",
            "unit": "points", "timepoint": "day 28", "timepoint_weeks": 4.0, "direction": "benefit"}  # fmt: skip
    return {"kind": "study", "id": id, "authors": [f"{id.title()} A"], "year": 2020, "design": DESIGN + design, "n": n,
            "findings": [{**base, **finding}]}  # fmt: skip


def _expected(values, lows, highs, log=False):
    """The pooled result statsmodels gives for the same inputs, with the standard prediction interval."""
    f = np.log if log else np.asarray
    est, lo, hi = f(np.array(values, float)), f(np.array(lows, float)), f(np.array(highs, float))
    se = (hi - lo) / (2 * 1.959963984540054)
    res = combine_effects(est, se**2, method_re="iterated")
    mu, ci = res.mean_effect_re, res.conf_int()[1]
    half = stats.t.ppf(0.975, len(values) - 2) * math.sqrt(res.tau2 + res.sd_eff_w_re**2)
    back = np.exp if log else float
    return {"value": back(mu), "ci_low": back(ci[0]), "ci_high": back(ci[1]), "tau2": res.tau2, "i2": max(0.0, res.i2),
            "prediction_low": back(mu - half), "prediction_high": back(mu + half)}  # fmt: skip


def _assert_pooled(pooled, expected):
    for key, value in expected.items():
        assert pooled[key] == pytest.approx(float(value), rel=1e-9, abs=1e-12), key


# -- rules, on records written for each rule --------------------------------------------------------------


def test_three_randomized_mean_differences_pool_as_statsmodels_pools_them():
    records = [_study("a", value=-3.0, ci_low=-6.0, ci_high=0.0), _study("b", value=-5.0, ci_low=-7.0, ci_high=-3.0),
               _study("c", value=-1.0, ci_low=-4.5, ci_high=2.5)]  # fmt: skip
    [group] = synthesize(records, _label)["groups"]
    _assert_pooled(group["pooled"], _expected([-3, -5, -1], [-6, -7, -4.5], [0, -3, 2.5]))
    assert group["pooled"]["k"] == 3 and group["pooled"]["n"] == 300
    assert sum(e["weight"] for e in group["effects"]) == pytest.approx(100, abs=0.2)
    assert group["pooled"]["tau2"] > 0 and 0 < group["pooled"]["i2"] < 1  # heterogeneous inputs: both non-trivial


def test_ratios_pool_on_the_log_scale():
    odds = dict(outcome=OUTCOME + "remission", instrument=None, measure=MEASURE + "odds-ratio", unit="OR")
    records = [_study("a", value=2.0, ci_low=1.1, ci_high=3.6, **odds), _study("b", value=3.5, ci_low=1.4, ci_high=8.7, **odds),
               _study("c", value=1.2, ci_low=0.6, ci_high=2.4, **odds)]  # fmt: skip
    [group] = synthesize(records, _label)["groups"]
    assert group["scale"] == "log" and group["null"] == 1.0
    _assert_pooled(group["pooled"], _expected([2.0, 3.5, 1.2], [1.1, 1.4, 0.6], [3.6, 8.7, 2.4], log=True))


def test_pooling_is_refused_with_a_reason_in_words():
    two = [_study("a", value=-3, ci_low=-6, ci_high=0), _study("b", value=-5, ci_low=-7, ci_high=-3)]
    [group] = synthesize(two, _label)["groups"]
    assert group["pooled"] is None and "pooling needs 3" in group["pooling_note"]

    mixed = two + [_study("c", design="open-label", value=-9, ci_low=-12, ci_high=-6)]
    [group] = synthesize(mixed, _label)["groups"]
    assert group["pooled"] is None and "randomized and non-randomized designs are mixed" in group["pooling_note"]

    no_ci = two + [_study("c", value=-4)]
    [group] = synthesize(no_ci, _label)["groups"]
    assert group["pooled"] is None and "2 of 3 studies report a confidence interval" in group["pooling_note"]

    rates = [_study(x, measure=MEASURE + "response-rate", unit="%", value=v) for x, v in (("a", 40), ("b", 55), ("c", 61))]
    [group] = synthesize(rates, _label)["groups"]
    assert group["pooled"] is None and "rates within one arm" in group["pooling_note"]
    assert group["certainty"]["level"] in ("low", "very low")
    assert any("without a comparator" in r for r in group["certainty"]["reasons"])


def test_reviews_are_rows_of_their_own_and_never_pooled_again():
    records = [_study(x, value=v, ci_low=v - 3, ci_high=v + 3) for x, v in (("a", -3), ("b", -4), ("c", -2))]
    records.append(_study("review", design="meta-analysis", n=None, value=-3.5, ci_low=-5.0, ci_high=-2.0, pooled=True, k=3))
    [group] = synthesize(records, _label)["groups"]
    review = next(e for e in group["effects"] if e["study"] == "review")
    assert review["review"] and not review["in_pool"] and review["weight"] is None
    assert group["effects"][-1] is review  # after the primary studies
    _assert_pooled(group["pooled"], _expected([-3, -4, -2], [-6, -7, -5], [0, -1, 1]))


def test_one_effect_per_study_is_pooled_and_subgroups_stay_out():
    records = [_study(x, value=v, ci_low=v - 3, ci_high=v + 3) for x, v in (("a", -3), ("b", -4), ("c", -2))]
    records[0]["findings"].append({**records[0]["findings"][0], "value": -8.0, "ci_low": -11.0, "ci_high": -5.0, "primary": True})
    records[1]["findings"].append({**records[1]["findings"][0], "value": -20.0, "population": "participants over 65"})
    [group] = synthesize(records, _label)["groups"]
    assert [e["value"] for e in group["effects"] if e["study"] == "b"] == [-4]  # the subgroup is not there
    pooled = [e for e in group["effects"] if e["in_pool"]]
    assert sorted(e["value"] for e in pooled) == [-8.0, -4, -2]  # study a's primary result, once
    assert {e["label"] for e in group["effects"] if e["study"] == "a"} == {"A 2020 (1)", "A 2020 (2)"}


def test_a_benefit_reported_the_other_way_round_is_turned_and_says_so():
    records = [_study("a", value=-3, ci_low=-6, ci_high=0), _study("b", value=-4, ci_low=-7, ci_high=-1),
               _study("c", value=7.6, ci_low=3.9, ci_high=11.3)]  # fmt: skip
    [group] = synthesize(records, _label)["groups"]
    turned = next(e for e in group["effects"] if e["study"] == "c")
    assert (turned["value"], turned["ci_low"], turned["ci_high"]) == (-7.6, -11.3, -3.9)
    assert turned["derived"] and "-1 x the reported value" in turned["formula"]
    assert group["favours"] == "below"


def test_times_and_instruments_are_not_mixed():
    records = [_study("a", value=-3, ci_low=-6, ci_high=0), _study("b", value=-4, ci_low=-7, ci_high=-1, timepoint="24 h", timepoint_weeks=0.14),
               _study("c", value=-4, ci_low=-7, ci_high=-1, instrument="https://w3id.org/kapkb/concept/instrument/hamd")]  # fmt: skip
    groups = synthesize(records, _label)["groups"]
    assert len(groups) == 3 and all(g["pooled"] is None for g in groups)
    assert {g["timepoint"] for g in groups} == {"1 to 6 weeks", "within 24 hours"}


def test_certainty_says_why_it_drops():
    small = [_study(x, n=30, value=v, ci_low=v - 6, ci_high=v + 6, direction=d)
             for x, v, d in (("a", -3, "no difference"), ("b", -9, "benefit"), ("c", 4, "no difference"))]
    [group] = synthesize(small, _label)["groups"]
    reasons = " ".join(group["certainty"]["reasons"])
    assert "All 3 studies are randomized" in reasons and "90 participants in all" in reasons
    assert "pooled confidence interval includes no effect" in reasons
    assert group["certainty"]["level"] in ("low", "very low")
    one = synthesize([_study("a", design="open-label", value=-3, ci_low=-6, ci_high=-1)], _label)["groups"][0]
    assert one["certainty"]["level"] == "very low"
    assert "not randomized" in one["certainty"]["reasons"][0] and "not been replicated" in one["certainty"]["reasons"][1]


# -- the bundled KB through every door --------------------------------------------------------------------


@pytest.fixture(scope="module")
def esketamine(app):
    resp = app.test_client().get("/api/synthesis", query_string={"q": "esketamine depression"})
    assert resp.status_code == 200
    return resp.get_json()


def test_api_shape_and_the_pooled_transform_trials(esketamine):
    assert esketamine["exact"] and esketamine["studies"] > 10
    for g in esketamine["groups"]:
        assert SPEC_GROUP_KEYS <= g.keys() and {"level", "reasons"} <= g["certainty"].keys()
        for e in g["effects"]:
            assert SPEC_EFFECT_KEYS <= e.keys()
        if g["pooled"]:
            assert SPEC_POOLED_KEYS <= g["pooled"].keys()
    pooled = [g for g in esketamine["groups"] if g["pooled"]]
    assert pooled, "the TRANSFORM trials report day-28 MADRS differences with CIs: they pool"
    group = pooled[0]
    assert (group["outcome"], group["instrument"], group["measure"]) == ("symptom reduction", "MADRS", "mean difference")
    chosen = [e for e in group["effects"] if e["in_pool"]]
    assert {e["study"] for e in chosen} == {"fedgchin2019", "ochsross2020", "popova2019"}
    _assert_pooled(group["pooled"], _expected([e["value"] for e in chosen], [e["ci_low"] for e in chosen], [e["ci_high"] for e in chosen]))
    assert group["pooled"]["ci_high"] < 0  # the three day-28 differences favour esketamine together
    assert all(not e["in_pool"] for e in group["effects"] if e["review"])


def test_the_cli_gives_the_api_document_and_a_readable_table(runner, kb_settings, esketamine):
    result = runner.invoke(cli, ["--data", str(kb_settings.data), "synthesis", "esketamine depression", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == esketamine
    text = runner.invoke(cli, ["--data", str(kb_settings.data), "synthesis", "esketamine depression"]).stdout
    assert "symptom reduction: mean difference (MADRS) · 1 to 6 weeks" in text
    assert "pooled (3 studies): -3.63 [-5.67, -1.58]" in text and "certainty" in text


def test_a_query_nothing_answers_says_so(client):
    doc = client.get("/api/synthesis", query_string={"q": "ketamine gardening"}).get_json()
    assert doc["groups"] == [] and not doc["exact"] and "nothing to synthesize" in doc["note"]
    assert client.get("/api/synthesis").status_code == 400
    page = client.get("/synthesis", query_string={"q": "ketamine gardening"}).get_data(as_text=True)
    assert "nothing to synthesize" in page and "<svg" not in page


def test_the_svg_is_an_accessible_image_with_every_number(client, esketamine):
    resp = client.get("/synthesis/forest-0.svg", query_string={"q": "esketamine depression"})
    assert resp.status_code == 200 and resp.mimetype == "image/svg+xml"
    assert "attachment" in resp.headers["Content-Disposition"]
    root = ET.fromstring(resp.data)
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert root.get("role") == "img" and root.get("aria-labelledby") == "forest-title forest-desc"
    desc = root.find("s:desc", ns).text
    group = esketamine["groups"][0]
    for e in group["effects"]:
        assert e["label"] in desc
    assert "Pooled (random effects, 3 studies): -3.63 [-5.67, -1.58]" in desc
    assert client.get("/synthesis/forest-99.svg", query_string={"q": "esketamine depression"}).status_code == 404


def test_the_comparison_csv_has_a_row_per_effect(client, esketamine):
    resp = client.get("/synthesis.csv", query_string={"q": "esketamine depression"})
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert len(rows) == sum(len(g["effects"]) for g in esketamine["groups"])
    popova = next(r for r in rows if r["study"] == "popova2019" and r["weight_percent"])
    assert (popova["value"], popova["ci_low"], popova["ci_high"], popova["timepoint"]) == ("-4.0", "-7.31", "-0.64", "day 28")
    assert {r["review"] for r in rows} == {"true", "false"}


def test_the_search_page_shows_outcomes_at_a_glance(client):
    page = client.get("/search", query_string={"q": "esketamine depression"}).get_data(as_text=True)
    assert "Outcomes at a glance" in page and 'role="img"' in page and "Certainty: high." in page
    assert "/synthesis?q=esketamine%20depression" in page and "/synthesis.csv?q=esketamine%20depression" in page
    assert "Table view of these numbers" in page
    full = client.get("/synthesis", query_string={"q": "esketamine depression"}).get_data(as_text=True)
    assert full.count('<figure class="forest"') == len(client.get("/api/synthesis?q=esketamine+depression").get_json()["groups"])


def test_the_page_without_a_question_asks_for_one(client):
    """Reached from a bookmark or the address bar: a form and examples, not a 400 that names the API."""
    from bs4 import BeautifulSoup

    r = client.get("/synthesis")
    assert r.status_code == 200
    page = BeautifulSoup(r.get_data(as_text=True), "html.parser")
    form = page.select_one("form[action='/synthesis']")
    assert form is not None and form.select_one("input[name=q]") is not None and page.find("label", attrs={"for": "synthesis-q"})
    example = page.select_one("a[href^='/synthesis?q=']")["href"]
    assert client.get(example).status_code == 200
    assert client.get("/api/synthesis").status_code == 400  # the API still says what it needs
