"""The clinician's pages in a real browser: Debian's chromium driven by Playwright, the app under gunicorn.

Walks what a clinician does (type a query with autocomplete, read the results, refine
with a facet, open a study and its source, open the map and a cell, keep a reading
list and export it), and checks every page at 1280 and 390 px: screenshots into
tests/artifacts/, labels, alt texts, no sideways scrolling, no JavaScript error.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from kb.config import Settings
from tests.page_fixtures import CITED_STUDY, CLINIC_MD, add_article_with_claims
from tests.live import ROOT, running_server

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium")
if CHROMIUM is None:
    pytest.skip("Debian's chromium is not installed (scripts/install-system-deps.sh installs it)", allow_module_level=True)
playwright_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip
WIDTHS = (1280, 390)
BASE_IRI = "http://127.0.0.1:8000"  # the IRIs the KB was built with, whatever port the server listens on


def kapkb(data: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "kapkb", "--data", str(data), *args], cwd=ROOT,
                          capture_output=True, text=True, env={**os.environ, "KAPKB_PUBLIC_URL": BASE_IRI})  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    """`kapkb init`, a clinic page through `kapkb ingest`, and an article whose claims cite corpus studies."""
    data = tmp_path_factory.mktemp("browser") / "var"
    kapkb(data, "init")
    kapkb(data, "ingest", str(CLINIC_MD))
    add_article_with_claims(Settings(data=data, base=BASE_IRI))
    return data


@pytest.fixture(scope="module")
def base_url(data_dir) -> str:
    with running_server(data_dir, workers=2, env={"KAPKB_PUBLIC_URL": BASE_IRI}) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Tab:
    """A browser page that records console errors and uncaught exceptions, with the server's base URL."""

    def __init__(self, browser, base: str, width: int) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
        self.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        self.page = self.context.new_page()
        self.base = base
        self.width = width
        self.errors: list[str] = []
        self.expected_failures: set[str] = set()  # URLs that are meant to answer 4xx (the error page)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))

    def _console(self, msg) -> None:
        if msg.type != "error":
            return
        url = (msg.location or {}).get("url", "")
        if url in self.expected_failures and "Failed to load resource" in msg.text:
            return
        self.errors.append(f"console: {msg.text} ({url})")

    def goto(self, path: str, status: int = 200):
        response = self.page.goto(self.base + path)
        assert response.status == status, (path, response.status)
        self.page.wait_for_load_state("networkidle")
        return response

    def close(self) -> None:
        self.context.close()
        assert not self.errors, "\n".join(self.errors)


@pytest.fixture
def tab(browser, base_url):
    t = Tab(browser, base_url, 1280)
    yield t
    t.close()


def query_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["q"][0]


def results_total(page) -> int:
    """The count the results heading states: matches, or the nearest evidence listed when nothing matches."""
    text = page.locator(".results-count").inner_text()
    m = re.search(r"of (\d+)( results?)?$", text.strip())
    return int(m.group(1)) if m else 0


# --- what a clinician does --------------------------------------------------------------


def test_type_a_query_with_autocomplete_and_read_the_results(tab):
    page = tab.page
    tab.goto("/")
    box = page.get_by_label("Condition, route, therapy, outcome")
    box.click()
    box.press_sequentially("posttr", delay=40)
    option = page.get_by_role("option", name=re.compile("post-traumatic stress disorder"))
    option.wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    box.press("ArrowDown")
    assert page.locator("#q-suggestions [aria-selected=true]").count() == 1
    box.press("Enter")
    assert box.input_value() == "post-traumatic stress disorder"
    assert box.get_attribute("aria-expanded") == "false"
    box.press_sequentially(" + IM + CBT outcomes")
    box.press("Enter")  # no option chosen: Enter submits the form
    page.wait_for_url("**/search?**")
    assert query_of(page.url) == "post-traumatic stress disorder + IM + CBT outcomes"
    chips = page.locator(".chip").all_inner_texts()
    assert any("Condition:" in c and "post-traumatic stress disorder" in c for c in chips)
    assert any("Route:" in c and "IM" in c for c in chips)
    assert "No study matches every term" in page.locator(".notice.relaxed").inner_text()
    assert page.locator(".results-count").inner_text().startswith("No results")
    cards = page.locator("ol.cards .card")
    assert cards.count() == results_total(page) > 0
    assert "lacks " in cards.first.locator(".lacks").inner_text()
    remove = page.get_by_role("link", name="Remove route IM")
    remove.click()
    page.wait_for_url("**/search?**")
    assert query_of(page.url) == "post-traumatic stress disorder + CBT outcomes"
    assert page.locator(".notice.relaxed").count() == 0


def test_click_a_facet_then_open_a_study_and_its_source(tab):
    page = tab.page
    tab.goto("/search?q=depression")
    before = results_total(page)
    facet = page.locator("#facet-route").locator("xpath=..").locator("a.facet-value").first
    label = facet.locator(".facet-label").inner_text().strip()
    count = int(facet.locator(".facet-count").inner_text())
    facet.click()
    page.wait_for_url("**/search?**")
    assert query_of(page.url) == f"depression + {label}"
    assert results_total(page) == count < before
    assert page.locator("#facet-route").locator("xpath=..").locator("a.facet-value.selected").count() == 1

    first = page.locator("ol.cards .card h3 a").first
    title = first.inner_text()
    first.click()
    page.wait_for_url("**/studies/**")
    assert page.locator("h1").inner_text() == title
    doi = page.locator("a.source", has_text="DOI").first
    href = doi.get_attribute("href")
    assert re.fullmatch(r"https://doi\.org/10\.\d{4,}/\S+", href) and doi.get_attribute("target") == "_blank"
    # Follow the link without leaving the machine: the browser asks doi.org for exactly that URL.
    asked: list[str] = []
    tab.context.route("https://doi.org/**", lambda route: (asked.append(route.request.url), route.fulfill(body="ok")))
    with tab.context.expect_page() as opened:
        doi.click()
    opened.value.wait_for_load_state()
    assert asked == [href] and opened.value.url == href
    opened.value.close()


def test_study_page_copies_its_apa_citation(tab):
    page = tab.page
    tab.goto(f"/studies/{CITED_STUDY}")
    citation = page.locator("#apa-citation").inner_text()
    page.get_by_role("button", name="Copy citation").click()
    page.get_by_text("Copied to the clipboard.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == citation
    citing = page.locator("#citing-title").locator("xpath=..")
    assert citing.get_by_role("link", name=re.compile("fictional clinic", re.I)).count() >= 1
    assert page.locator("a[href='/id/study/dakwar2019?format=turtle']").count() == 1


def test_open_the_map_and_a_cell(tab):
    page = tab.page
    tab.goto("/map")
    assert page.locator("#efficacy a.cell").count() > 100
    assert page.locator("#efficacy a.cell.heat-0").first.inner_text().startswith("no studies")
    cell = page.locator("#efficacy a.cell[aria-label^='post-traumatic stress disorder with psychotherapy:']")
    n = int(cell.locator(".bubble").inner_text())
    assert re.search(r": %d primary studies, best evidence Level \d, certainty signal (high|moderate|low|very low)" % n, cell.get_attribute("aria-label"))
    # the studies behind a bubble, on focus from the keyboard and on hover; the same text is its description
    tip = cell.locator(".cell-tip")
    assert tip.is_hidden()
    cell.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    assert tip.is_visible() and "Studies: Duek 2023, randomized controlled trial, n = 27;" in tip.inner_text() and "Certainty signal" in tip.inner_text()
    assert cell.get_attribute("aria-describedby") == tip.get_attribute("id")
    page.screenshot(path=str(ARTIFACTS / "map-focus-1280.png"))
    page.mouse.move(1, 1)
    page.locator("#efficacy a.cell.filled").first.hover()
    assert page.locator("#efficacy a.cell.filled").first.locator(".cell-tip").is_visible()
    # the reviews layer: bubbles count reviews, the gaps say so
    page.get_by_role("link", name="Efficacy: reviews").click()
    page.wait_for_url("**/map?layer=reviews*")
    reviews_cell = page.locator("#efficacy a.cell[aria-label^='post-traumatic stress disorder with psychotherapy:']")
    assert re.search(r": \d+ reviews?$", reviews_cell.get_attribute("aria-label"))
    assert "Reviews:" in reviews_cell.locator(".cell-tip").text_content()
    page.go_back()
    cell.click()
    page.wait_for_url("**/search?**")
    assert page.locator("#results .band-title").first.inner_text() == f"Primary studies ({n})"
    page.go_back()
    page.select_option("#route", "intravenous")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/map?**")
    assert "route=intravenous" in page.url
    safety = page.locator("#safety a.cell[aria-label^='dissociation with intravenous:']")
    safety.click()
    page.wait_for_url("**/search?**")
    assert query_of(page.url).endswith("side effects") and results_total(page) > 0


def test_keep_a_reading_list_and_export_it(tab):
    page = tab.page
    tab.goto("/search?q=cocaine")
    buttons = page.locator("ol.cards button.rl-toggle")
    ids = [buttons.nth(i).get_attribute("data-rl-id") for i in range(2)]
    buttons.nth(0).click()
    buttons.nth(1).click()
    assert buttons.nth(0).get_attribute("aria-pressed") == "true"
    assert page.locator("[data-rl-count]").inner_text() == "2"
    page.get_by_role("link", name=re.compile("^Reading list")).click()
    page.wait_for_url("**/reading-list")
    items = page.locator("[data-rl-items] li")
    assert items.count() == 2
    assert [a.get_attribute("href") for a in items.locator("a.rl-title").all()] == [f"/studies/{i}" for i in ids]
    bibtex = page.locator("button[data-rl-format=bibtex]")
    with page.expect_download() as download:
        bibtex.click()
    assert download.value.suggested_filename == "kapkb-reading-list-2-studies.bib"
    body = Path(download.value.path()).read_text(encoding="utf-8")
    entries = [line for line in body.splitlines() if line.startswith("@") and not line.lower().startswith("@comment")]
    assert len(entries) == 2
    with page.expect_download() as download:
        page.locator("button[data-rl-format=ris]").click()
    assert Path(download.value.path()).read_text(encoding="utf-8").count("ER  -") == 2
    items.first.get_by_role("button", name=re.compile("^Remove")).click()
    assert items.count() == 1 and page.locator("[data-rl-count]").inner_text() == "1"
    tab.goto("/")  # the list survives navigation: it lives in localStorage
    assert page.locator("[data-rl-count]").inner_text() == "1"


def test_keyboard_users_can_skip_to_content_and_see_focus(tab):
    page = tab.page
    tab.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    assert page.evaluate("getComputedStyle(document.activeElement).left") != "-999px"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


def test_keyboard_users_reach_the_first_result_in_two_tabs(tab):
    page = tab.page
    tab.goto("/search?q=PTSD")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to results"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    first = page.locator("#results .card h3 a").first
    assert page.evaluate("document.activeElement.getAttribute('href')") == first.get_attribute("href")
    page.keyboard.press("Enter")
    page.wait_for_url("**/studies/**")


def test_a_misspelling_is_corrected_on_the_page_and_can_be_undone(tab):
    page = tab.page
    tab.goto("/")
    page.locator("#q").fill("postraumatic stress")
    page.locator("#q").press("Enter")
    page.wait_for_url("**/search?**")
    line = page.locator(".did-you-mean")
    assert "Showing results for posttraumatic stress" in line.inner_text()
    assert page.locator("#results .band-title").first.inner_text().startswith("Primary studies")
    line.get_by_role("link").click()
    page.wait_for_url("**correct=0**")
    assert page.locator(".results-count").inner_text() == "No results"
    assert "no study has it" in page.locator(".chip.unmatched").first.inner_text()


def test_check_a_page_in_the_browser(tab):
    page = tab.page
    tab.goto("/check")
    page.get_by_label("Page text").fill(
        "Our clinic offers infusions. In 2019, ketamine became the first FDA-approved medicine for "
        "treatment-resistant depression, and it works for everyone who tries it."
    )
    page.get_by_role("button", name="Check the claims").click()
    page.wait_for_selector(".check-results")
    claim = page.locator(".check-results li.claim").filter(has_text="first FDA-approved")
    assert " ".join(claim.locator(".verdict").inner_text().split()) == "✗ MISSTATED"  # icon and word, not colour alone
    assert "esketamine" in claim.locator(".claim-reason").inner_text()
    page.screenshot(path=str(ARTIFACTS / "check-1280.png"), full_page=True)


def test_outcomes_at_a_glance_plots_tables_and_downloads(tab):
    page = tab.page
    tab.goto("/search?q=esketamine+depression")
    glance = page.get_by_role("region", name="Outcomes at a glance")
    plot = glance.get_by_role("img").first
    assert "symptom reduction: mean difference (MADRS)" in plot.get_attribute("aria-labelledby") or plot.is_visible()
    assert page.locator("#forest-0-desc").text_content().count("Pooled (random effects, 3 studies)") == 1
    page.screenshot(path=str(ARTIFACTS / "glance-1280.png"), full_page=False)
    glance.get_by_role("link", name=re.compile(r"^All \d+, with their tables")).click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Outcomes at a glance: esketamine depression"
    first = page.locator("figure.forest").first
    table = first.locator("details.forest-table")
    summary = table.locator("summary")
    summary.focus()
    page.keyboard.press("Enter")  # the table view opens from the keyboard
    assert table.locator("table").is_visible()
    rows = table.locator("tbody tr")
    api = page.request.get(f"{tab.base}/api/synthesis?q=esketamine+depression").json()
    assert rows.count() == len(api["groups"][0]["effects"])
    assert "Popova 2019" in table.inner_text() and "-7.31 to -0.64" in table.inner_text()
    with page.expect_download() as png:
        first.get_by_role("button", name="PNG").click()
    data = Path(png.value.path()).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and png.value.suggested_filename == "forest-0.png"
    width = int.from_bytes(data[16:20], "big")
    assert width == 2 * 760  # drawn at twice the SVG's size
    with page.expect_download() as svg:
        first.get_by_role("link", name="SVG").click()
    assert svg.value.suggested_filename == "esketamine-depression-forest-0.svg"
    assert b'role="img"' in Path(svg.value.path()).read_bytes()
    page.screenshot(path=str(ARTIFACTS / "synthesis-1280.png"), full_page=True)


# --- every page, at both widths ---------------------------------------------------------------

PAGES = {
    "home": "/",
    "results": "/search?q=PTSD+%2B+IM+%2B+CBT+outcomes",
    "results-depression": "/search?q=depression+%2B+intranasal",
    "results-corrected": "/search?q=postraumatic+stress+side+effects",
    "results-unmatched": "/search?q=ketamine+pregnancy",
    "results-known-item": "/search?q=feder+ketamine+PTSD+2014",
    "study": f"/studies/{CITED_STUDY}",
    "article": None,  # the clinic page ingested by the CLI; its id is read from the search
    "map": "/map",
    "check": "/check",
    "synthesis": "/synthesis?q=esketamine+depression",
    "reading-list": "/reading-list",
    "error": "/studies/no-such-study",
}

CHECKS = r"""() => {
  const unlabelled = [...document.querySelectorAll("input, select, textarea")]
    .filter(el => el.type !== "hidden")
    .filter(el => !(el.labels && el.labels.length) && !el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby"))
    .map(el => el.outerHTML);
  const noAlt = [...document.querySelectorAll("img")].filter(img => !img.hasAttribute("alt")).map(img => img.outerHTML);
  // WCAG 2.1 contrast of every element that holds text: 4.5:1, or 3:1 for large text.
  const rgb = c => (c.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
                                      .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = el => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const lowContrast = [];
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const style = getComputedStyle(el);
    if (!own || style.visibility === "hidden" || !el.getClientRects().length || el.closest(".visually-hidden, [hidden]")) continue;
    const [a, b] = [lum(rgb(style.color).slice(0, 3)), lum(background(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < needed) lowContrast.push(`${el.tagName}.${el.className}: ${ratio.toFixed(2)} "${el.textContent.trim().slice(0, 30)}"`);
  }
  return {unlabelled, noAlt, lowContrast, scrollWidth: document.documentElement.scrollWidth, main: !!document.querySelector("main"),
          h1: document.querySelectorAll("h1").length};
}"""


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_screenshot_labels_and_no_sideways_scroll(browser, base_url, width):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab = Tab(browser, base_url, width)
    page = tab.page
    try:
        tab.goto("/search?q=fictional+clinic+claims")
        article = page.locator("ol.cards .card h3 a", has_text="questions and answers").get_attribute("href")
        for study in (CITED_STUDY, "kew2023"):  # a reading list to show
            tab.goto(f"/studies/{study}")
            page.locator("button.rl-toggle").click()
        for name, path in PAGES.items():
            path = path or article
            status = 404 if name == "error" else 200
            if status != 200:
                tab.expected_failures.add(tab.base + path)
            tab.goto(path, status=status)
            found = page.evaluate(CHECKS)
            assert found["main"] and found["h1"] == 1, name
            assert found["unlabelled"] == [], (name, found["unlabelled"])
            assert found["noAlt"] == [], (name, found["noAlt"])
            assert found["lowContrast"] == [], (name, found["lowContrast"][:10])
            assert found["scrollWidth"] <= width, f"{name} scrolls sideways at {width}px ({found['scrollWidth']}px)"
            page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
        assert page.locator(".error-page").count() == 1
    finally:
        tab.close()
