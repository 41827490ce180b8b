"""The reading list as an educator uses it, in a real browser against the app under gunicorn.

Search, add every result at once, put the studies in teaching order, write notes, remove
and undo, clear and undo, then export through real downloads and read the files: the
order is the list's, the notes are in, and a cut author list is marked. Screenshots of
the list at 1280 and 390 px go to tests/artifacts/.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_browser import ARTIFACTS, CHECKS, Tab, base_url, browser, kapkb, results_total  # noqa: F401

pytestmark = pytest.mark.browser

INCOMPLETE = "dakwar2020"  # its author list is cut short (authors_complete: false); not a PTSD study
KEY = "kapkb:reading-list"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    """The corpus as `kapkb init` stores it: studies only, which is all a reading list holds."""
    data = tmp_path_factory.mktemp("reading-list") / "var"
    kapkb(data, "init")
    return data


def stored(page) -> list[dict]:
    return page.evaluate(f"JSON.parse(localStorage.getItem('{KEY}') || '[]')")


def listed_ids(page) -> list[str]:
    hrefs = page.locator("[data-rl-items] > li a.rl-title").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    return [h.removeprefix("/studies/") for h in hrefs]


def focused_label(page) -> str | None:
    return page.evaluate("document.activeElement.getAttribute('aria-label') || document.activeElement.textContent")


def download(page, name: str) -> tuple[str, str]:
    """Press an export button; the file's suggested name and its text."""
    with page.expect_download() as info:
        page.get_by_role("button", name=name, exact=True).click()
    return info.value.suggested_filename, Path(info.value.path()).read_text(encoding="utf-8")


def check_page(page, width: int, name: str) -> None:
    found = page.evaluate(CHECKS)
    assert found["unlabelled"] == [], found["unlabelled"]
    assert found["lowContrast"] == [], found["lowContrast"][:10]
    assert found["scrollWidth"] <= width, f"{name} scrolls sideways at {width}px ({found['scrollWidth']}px)"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)


@pytest.fixture
def tab(browser, base_url):  # noqa: F811
    t = Tab(browser, base_url, 1280)
    t.page.clock.install()  # real time flows; the test can jump over the undo bar's ten seconds
    yield t
    t.close()


def test_educator_builds_orders_annotates_and_exports_a_reading_list(tab):
    page = tab.page

    # --- add every result of a search, from a page that shows only five of them ---
    api = page.request.get(f"{tab.base}/api/search?q=PTSD&limit=100").json()
    assert api["total"] > 5
    search_ids = [r["id"] for r in api["results"]]
    titles = {r["id"]: r["title"] for r in api["results"]}
    tab.goto("/search?q=PTSD&limit=5")
    assert page.locator("ol.cards .card").count() == 5 and results_total(page) == api["total"]
    add_all = page.get_by_role("button", name=f"Add all {api['total']} results to reading list")
    add_all.click()
    status = page.locator("[data-rl-add-all-status]")
    assert status.get_attribute("role") == "status"
    expect(status).to_have_text(re.compile("^Added"))
    assert status.inner_text() == f"Added {api['total']} studies to the reading list. The list now holds {api['total']} studies."
    assert page.locator("[data-rl-count]").inner_text() == str(api["total"])
    assert [i["id"] for i in stored(page)] == search_ids  # in the search's order
    assert page.locator("ol.cards button.rl-toggle").first.get_attribute("aria-pressed") == "true"
    add_all.press("Enter")  # again, from the keyboard: nothing new
    expect(status).to_have_text(re.compile("^Nothing"))
    assert status.inner_text().startswith(f"Nothing added; {api['total']} were already in it.")
    check_page(page, 1280, "search-add-all")

    # --- one more study, from its own page: the one with a cut author list ---
    tab.goto(f"/studies/{INCOMPLETE}")
    page.locator("button.rl-toggle").click()
    wilkinson = page.locator("h1").inner_text()
    titles[INCOMPLETE] = wilkinson
    order = search_ids + [INCOMPLETE]

    tab.goto("/reading-list")
    assert listed_ids(page) == order
    assert page.locator("[data-rl-count]").inner_text() == str(len(order))

    # --- reorder from the keyboard: focus stays on the moved study's button ---
    up = page.get_by_role("button", name=f"Move {wilkinson} up", exact=True)
    assert page.get_by_role("button", name=f"Move {wilkinson} down", exact=True).get_attribute("aria-disabled") == "true"
    up.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    assert focused_label(page) == f"Move {wilkinson} up"
    order.remove(INCOMPLETE)
    order.insert(len(order) - 2, INCOMPLETE)
    assert listed_ids(page) == order
    assert "position " + str(len(order) - 2) in page.locator("[data-rl-status]").inner_text()
    first, second = order[0], order[1]
    assert page.get_by_role("button", name=f"Move {titles[first]} up", exact=True).get_attribute("aria-disabled") == "true"
    page.get_by_role("button", name=f"Move {titles[first]} down", exact=True).click()
    order[0], order[1] = second, first
    assert listed_ids(page) == order
    assert focused_label(page) == f"Move {titles[first]} down"

    # --- notes, saved as you type ---
    note = "Week 3: CBT after ketamine; ask what sustained the effect."
    page.get_by_label(f"Note for {wilkinson}", exact=True).fill(note)
    removed = order[3]
    removed_note = "Discuss the sample size."
    page.get_by_label(f"Note for {titles[removed]}", exact=True).press_sequentially(removed_note, delay=5)
    page.locator(f'[data-rl-saved="{removed}"]', has_text="Saved").wait_for()
    page.reload()
    assert listed_ids(page) == order  # the order is kept in storage
    assert page.get_by_label(f"Note for {wilkinson}", exact=True).input_value() == note
    assert page.get_by_label(f"Note for {titles[removed]}", exact=True).input_value() == removed_note

    # --- remove, then undo: the study comes back in its place, with its note ---
    page.get_by_role("button", name=f"Remove {titles[removed]} from the reading list", exact=True).click()
    bar = page.locator("[data-rl-undo]")
    assert bar.is_visible() and bar.inner_text().startswith(f"Removed {titles[removed]}.")
    assert focused_label(page) == "Undo"
    assert removed not in listed_ids(page) and page.locator("[data-rl-count]").inner_text() == str(len(order) - 1)
    page.keyboard.press("Enter")
    assert bar.is_hidden()
    assert listed_ids(page) == order
    assert page.get_by_label(f"Note for {titles[removed]}", exact=True).input_value() == removed_note
    assert focused_label(page) == f"Remove {titles[removed]} from the reading list"

    # --- after a click the undo bar goes in ten seconds; for a keyboard user it waits while it has focus ---
    page.get_by_role("button", name=f"Remove {titles[order[-1]]} from the reading list", exact=True).click()
    page.mouse.move(5, 5)  # the pointer over the bar would hold it too
    page.clock.fast_forward(11_000)
    assert bar.is_hidden()
    order.pop()
    page.get_by_role("button", name=f"Remove {titles[order[-1]]} from the reading list", exact=True).focus()
    page.keyboard.press("Enter")
    assert focused_label(page) == "Undo"
    page.clock.fast_forward(15_000)
    assert bar.is_visible()
    page.keyboard.press("Shift+Tab")
    page.clock.fast_forward(11_000)
    assert bar.is_hidden()
    order.pop()
    assert listed_ids(page) == order

    # --- clear everything, then undo ---
    page.get_by_role("button", name="Clear the reading list").click()
    assert page.locator("[data-rl-empty]").is_visible() and page.locator("[data-rl-items] > li").count() == 0
    assert bar.inner_text().startswith(f"Cleared the reading list ({len(order)} studies).")
    page.screenshot(path=str(ARTIFACTS / "reading-list-undo-1280.png"))
    page.get_by_role("button", name="Undo").click()
    assert listed_ids(page) == order
    assert page.get_by_label(f"Note for {wilkinson}", exact=True).input_value() == note

    # --- export through a POST form: every format is offered, and the downloads follow the list ---
    formats = page.locator("form[data-rl-export-form] button[data-rl-format]")
    assert formats.evaluate_all("bs => bs.map(b => b.value)") == [
        "bibtex", "ris", "csljson", "csv", "markdown", "apa", "vancouver", "ama", "apa-html", "vancouver-html", "ama-html",
    ]  # fmt: skip
    assert page.locator("form[data-rl-export-form]").get_attribute("method") == "post"
    assert page.locator("a[href^='/export']").count() == 0
    for words in ("BibTeX", "RIS", "CSL-JSON", "CSV", "Markdown", "et al.", "and others", "Author list incomplete"):
        assert words in page.locator(".rl-export").inner_text()

    name, bib = download(page, "BibTeX")
    assert name == f"kapkb-reading-list-{len(order)}-studies.bib"
    keys = re.findall(r"^@(?!comment)\w+\{([^,]+),", bib, re.M | re.I)
    # keys run family name, year (when known) and a title word: the family name leads, in the list's order
    assert len(keys) == len(order) and all(k.startswith(re.sub(r"\d.*", "", i)) for k, i in zip(keys, order)), (keys, order)
    entry = bib[bib.index("{" + keys[order.index(INCOMPLETE)] + ",") :].split("\n}\n")[0]
    assert re.search(r"author = \{[^}]* and others\}", entry)
    assert f"annote = {{{note}}}" in entry

    name, ris = download(page, "RIS")
    assert name.endswith(".ris")
    records = [r for r in ris.split("ER  -") if r.strip()]
    assert [re.search(r"^TI  - (.*)$", r, re.M).group(1) for r in records] == [titles[i] for i in order]
    assert f"N1  - {note}" in records[order.index(INCOMPLETE)]
    assert f"N1  - {removed_note}" in records[order.index(removed)]

    name, csl = download(page, "CSL-JSON")
    assert name.endswith(".csl.json")
    items = json.loads(csl)
    assert [i["id"] for i in items] == order
    entry = items[order.index(INCOMPLETE)]
    assert "Author list incomplete" in entry["note"] and note in entry["note"]
    assert items[order.index(removed)]["note"] == removed_note

    name, md = download(page, "Markdown")
    assert name.endswith(".md")
    bullets = re.findall(r"^- .*?/id/study/([\w-]+)\)", md, re.M)
    assert bullets == order
    assert f"  - Note: {note}" in md and f"  - Note: {removed_note}" in md

    name, csv = download(page, "CSV")
    assert name.endswith(".csv") and note in csv

    # --- the page at both widths: labels, contrast, no sideways scrolling ---
    check_page(page, 1280, "reading-list-educator")
    page.set_viewport_size({"width": 390, "height": 900})
    check_page(page, 390, "reading-list-educator")
    page.get_by_role("button", name=f"Remove {titles[removed]} from the reading list", exact=True).click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "reading-list-undo-390.png"))
    page.keyboard.press("Enter")
    tab.goto("/search?q=PTSD&limit=5")
    page.get_by_role("button", name=re.compile(r"^Add all \d+ results")).click()
    # the two studies whose undo ran out are back
    again = re.compile(r"^Added 2 studies to the reading list; \d+ were already in it")
    expect(page.locator("[data-rl-add-all-status]")).to_have_text(again)
    check_page(page, 390, "search-add-all")
