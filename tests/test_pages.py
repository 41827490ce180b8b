"""The clinician's pages through the Flask test client: content, links, escaping, errors, the evidence map.

The bundled KB (session `app`) serves most tests; the article and citing-claims tests
use their own KB with a clinic page ingested through `kapkb ingest` and an article
whose claims cite corpus studies (tests/page_fixtures.py).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from kb.export import FORMATS
from kb.search import search
from tests.page_fixtures import CITED_STUDY, CLAIMS_ARTICLE, CLAIMS_ARTICLE_ID, CLINIC_MD, add_article_with_claims


def page(client, url: str, status: int = 200) -> BeautifulSoup:
    r = client.get(url, headers={"Accept": "text/html"})
    assert r.status_code == status, (url, r.status_code, r.get_data(as_text=True)[:500])
    assert r.mimetype == "text/html"
    return BeautifulSoup(r.get_data(as_text=True), "html.parser")


def query_of(href: str) -> str:
    return parse_qs(urlsplit(href).query)["q"][0]


@pytest.fixture(scope="module")
def article_app(tmp_path_factory):
    """A KB with the corpus, a clinic page ingested by the CLI, and an article whose claims cite studies."""
    from kapkb.cli import cli, initialize
    from kb.config import Settings
    from webapp import create_app

    settings = Settings(data=tmp_path_factory.mktemp("pages") / "var")
    initialize(settings)
    result = CliRunner().invoke(cli, ["--data", str(settings.data), "ingest", "--json", str(CLINIC_MD)], obj={})
    assert result.exit_code == 0, result.output
    add_article_with_claims(settings)
    app = create_app(settings)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def article_client(article_app):
    return article_app.test_client()


# --- every page -----------------------------------------------------------------------

PAGES = ["/", "/search?q=PTSD+%2B+IM+%2B+CBT+outcomes", "/search?q=depression", "/studies/dakwar2019", "/map", "/reading-list"]


@pytest.mark.parametrize("url", PAGES)
def test_pages_have_landmarks_labels_and_no_inline_script_or_style(client, url):
    soup = page(client, url)
    assert soup.find("main", id="main") and soup.find("header") and soup.find("footer") and soup.find("nav")
    assert soup.find("h1"), "every page has a heading"
    for script in soup.find_all("script"):
        assert script.get("src", "").startswith("/static/"), "scripts are files the app serves (CSP: no inline script)"
        assert not script.string
    for tag in soup.find_all(True):
        assert "style" not in tag.attrs, f"inline style on <{tag.name}> (CSP: style-src 'self')"
        assert not [a for a in tag.attrs if a.startswith("on")], f"inline handler on <{tag.name}>"
    for field in soup.find_all(["input", "select", "textarea"]):
        if field.get("type") == "hidden":
            continue
        labelled = field.get("aria-label") or (field.get("id") and soup.find("label", attrs={"for": field["id"]}))
        assert labelled, f"unlabelled {field}"
    for img in soup.find_all("img"):
        assert img.has_attr("alt")
    assert not soup.find("link", href=re.compile(r"^(https?:)?//")), "no stylesheet from a CDN: the app works offline"


def test_static_assets_are_served_by_the_app(client):
    for name in ("style.css", "reading-list.js", "ui.js", "autocomplete.js", "favicon.svg"):
        with client.get(f"/static/{name}") as r:
            assert r.status_code == 200 and r.data, name
            assert not re.search(rb"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", r.data.replace(b"http://www.w3.org/2000/svg", b"")), name


# --- home ---------------------------------------------------------------------------------


def test_home_has_search_with_autocomplete_examples_and_holdings(client, kb):
    soup = page(client, "/")
    box = soup.find("input", id="q")
    assert box["role"] == "combobox" and box.has_attr("data-autocomplete")
    assert soup.find(id=box["aria-controls"])["role"] == "listbox"
    assert soup.find("script", src=re.compile("autocomplete.js"))
    examples = [a for a in soup.select("a.example")]
    assert "PTSD + IM + CBT outcomes" in [a.get_text() for a in examples]
    assert query_of(examples[0]["href"]) == examples[0].get_text()
    stats = kb.stats()
    text = soup.get_text(" ")
    assert f"{stats['studies']} studies" in text and f"{stats['articles']} articles" in text
    assert "Last ingest" in text and soup.find("time")["datetime"] == kb.meta["created"]
    tables = {t.caption.get_text(" ").split("(")[0].strip(): t for t in soup.find_all("table")}
    rct = tables["Studies by design"].find("a", string="randomized controlled trial")
    count = int(rct.find_parent("tr").find("td", class_="num").get_text())
    assert count == search(kb, query_of(rct["href"]), limit=0)["total"]
    ptsd = tables["Studies by condition"].find("a", string="post-traumatic stress disorder")
    assert int(ptsd.find_parent("tr").find("td", class_="num").get_text()) == search(kb, "PTSD", limit=0)["total"]


# --- results --------------------------------------------------------------------------------


def test_results_show_the_interpretation_as_removable_chips(client):
    soup = page(client, "/search?q=PTSD+%2B+IM+%2B+CBT+outcomes")
    chips = {c.select_one(".chip-kind").get_text(strip=True): c for c in soup.select(".chip")}
    assert chips["Condition:"].select_one(".chip-label").get_text() == "PTSD"
    assert query_of(chips["Condition:"].select_one("a.chip-remove")["href"]) == "IM + CBT outcomes"
    assert query_of(chips["Route:"].a["href"]) == "PTSD + CBT outcomes"
    assert query_of(chips["Showing:"].a["href"]) == "PTSD + IM + CBT"
    assert chips["Condition:"].a["aria-label"] == "Remove condition PTSD"
    expansions = soup.select_one(".expansions").get_text(" ")
    assert "post-traumatic stress disorder" in expansions and "posttraumatic stress disorder" in expansions
    assert soup.find("input", id="q")["value"] == "PTSD + IM + CBT outcomes"


def test_nearest_evidence_is_explained_when_nothing_matches_every_term(client, kb):
    doc = search(kb, "PTSD + IM + CBT outcomes")
    soup = page(client, "/search?q=PTSD+%2B+IM+%2B+CBT+outcomes")
    notice = soup.select_one(".notice.relaxed")
    assert doc["relaxed"]["message"] in notice.get_text()
    lacks = soup.select_one(".card .lacks").get_text(" ")
    assert "not a match: lacks " + " and ".join(doc["results"][0]["lacks"]) in " ".join(lacks.split())
    assert "No results" in soup.select_one("#results-title").get_text()


def test_the_page_shows_the_correction_and_the_search_as_typed(client, kb):
    soup = page(client, "/search?q=postraumatic+stress")
    line = soup.select_one(".did-you-mean")
    assert " ".join(line.get_text().split()) == "Showing results for posttraumatic stress; search instead for postraumatic stress."
    instead = line.find("a")
    assert parse_qs(urlsplit(instead["href"]).query) == {"q": ["postraumatic stress"], "correct": ["0"]}
    typed = page(client, instead["href"])
    assert typed.select_one(".did-you-mean") is None
    assert "No results" in typed.select_one("#results-title").get_text()
    unmatched = [c.get_text(" ", strip=True) for c in typed.select(".chip.unmatched")]
    assert any("postraumatic" in c and "no study has it" in c for c in unmatched)


def test_the_page_bands_primary_studies_before_reviews(client, kb):
    doc = search(kb, "PTSD", limit=20)
    soup = page(client, "/search?q=PTSD")
    titles = [h.get_text(" ", strip=True) for h in soup.select("#results .band-title")]
    assert titles == [f"Primary studies ({doc['bands']['primary']})", f"Reviews that pooled or covered this ({doc['bands']['review']})"]
    lists = soup.select("#results ol.cards")
    assert [len(ol.select(".card")) for ol in lists] == [doc["bands"]["primary"], min(doc["bands"]["review"], 20 - doc["bands"]["primary"])]
    assert int(lists[1]["start"]) == doc["bands"]["primary"] + 1  # numbering runs on across bands
    known = page(client, "/search?q=10.1001%2Fjamapsychiatry.2014.62")
    assert known.select_one("#results .band-title").get_text(" ", strip=True) == "The study you named (1)"
    assert known.select_one("#results .card h3 a")["href"] == "/studies/feder2014"


def test_the_page_names_ignored_and_unmatched_words(client):
    soup = page(client, "/search?q=does+ketamine+help+xyzzyq")
    assert "Ignored as joining or too general: does, help." in soup.select_one(".ignored").get_text()
    assert "No study in the KB has xyzzyq" in soup.select_one("#relaxed-title").get_text()
    assert soup.select(".card") == []
    skip = soup.select("a.skip")
    assert [a["href"] for a in skip] == ["#main"]  # no results: no skip link to them


def test_the_first_link_of_a_results_page_skips_to_the_results(client):
    soup = page(client, "/search?q=PTSD")
    first = soup.find("a")
    assert first["href"] == "#results" and first.get_text() == "Skip to results"
    target = soup.select_one("#results")
    assert target["tabindex"] == "-1" and target.find("a") == soup.select_one(".card h3 a")


def test_result_cards_show_badges_facts_findings_and_real_source_links(client, kb):
    doc = search(kb, "cocaine + MBRP outcomes")
    card = doc["results"][0]
    soup = page(client, "/search?q=cocaine+%2B+MBRP+outcomes")
    html_card = soup.select_one("ol.cards .card")
    assert html_card.h3.a["href"] == f"/studies/{card['id']}"
    badges = [b.get_text(" ", strip=True) for b in html_card.select(".badge")]
    assert card["design"] in badges and card["evidence_level"] in badges and f"N = {card['n']}" in badges
    assert "level-2" in html_card.select_one(".badge.level")["class"]
    meta = html_card.select_one(".meta").get_text()
    assert str(card["year"]) in meta and card["journal"] in meta
    pico = html_card.select_one(".pico").get_text(" ")
    for label in (*card["conditions"], *card["routes"], *card["therapies"]):
        assert label in pico
    main = html_card.select_one(".main-result")
    assert card["primary_result"]["text"] in main.get_text()  # the card leads with the main comparison
    figures = [f.get_text() for f in html_card.select(".main-result .figure, .findings .figure")]
    assert "48.2%" in figures
    hrefs = {a.get_text(" ", strip=True).split(" (")[0]: a for a in html_card.select("a.source")}
    assert hrefs["DOI"]["href"] == f"https://doi.org/{card['doi']}"
    assert hrefs["PubMed"]["href"] == f"https://pubmed.ncbi.nlm.nih.gov/{card['pmid']}/"
    assert hrefs["DOI"]["rel"] == ["noopener", "noreferrer"] and hrefs["DOI"]["target"] == "_blank"
    button = html_card.select_one("button.rl-toggle")
    assert button["data-rl-id"] == card["id"] and button["data-rl-title"] == card["title"]


def test_facets_add_and_remove_terms_and_their_counts_hold(client, kb):
    soup = page(client, "/search?q=depression")
    route = soup.select_one("#facet-route").find_parent("section")
    link = next(a for a in route.select("a.facet-value") if a.select_one(".facet-label").get_text(strip=True) == "intranasal")
    count = int(link.select_one(".facet-count").get_text())
    assert query_of(link["href"]) == "depression + intranasal"
    refined = page(client, link["href"])
    assert search(kb, "depression + intranasal", limit=0)["total"] == count
    assert f"of {count} results" in refined.select_one(".results-count").get_text()
    selected = refined.select_one("#facet-route").find_parent("section").select_one("a.facet-value.selected")
    assert "intranasal" in selected.get_text() and query_of(selected["href"]) == "depression"
    sizes = soup.select_one("#facet-n_band").find_parent("section")
    band = sizes.select_one("a.facet-value")
    assert re.search(r"n(<|:|>=)\d", query_of(band["href"]))
    assert page(client, band["href"]).select_one(".results-count")


def test_paging_and_sorting(client, kb):
    total = search(kb, "depression", limit=0)["total"]
    first = page(client, "/search?q=depression&limit=5")
    assert f"1–5 of {total} results" in first.select_one(".results-count").get_text()
    next_href = first.find("a", rel="next")["href"]
    assert parse_qs(urlsplit(next_href).query)["offset"] == ["5"]
    second = page(client, next_href)
    assert f"6–10 of {total}" in second.select_one(".results-count").get_text()
    assert second.select_one("ol.cards")["start"] == "6"
    assert second.find("a", rel="prev")
    by_year = page(client, "/search?q=depression&sort=year&limit=10")
    expected = [r["id"] for r in search(kb, "depression", limit=10, sort="year")["results"]]
    assert [a["href"].rsplit("/", 1)[1] for a in by_year.select("ol.cards h3 a")] == expected
    assert by_year.select_one("select#sort option[selected]")["value"] == "year"
    assert page(client, "/search?q=depression&sort=sideways", status=400).select_one(".error-page")


def test_a_query_holding_script_renders_as_text(client):
    payload = '<script>alert("x")</script>'
    r = client.get("/search", query_string={"q": payload}, headers={"Accept": "text/html"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    bad = client.get("/search", query_string={"q": 'condition:"<script>alert(1)</script>"'})
    assert bad.status_code == 400
    assert "<script>alert" not in bad.get_data(as_text=True)


def test_a_bad_query_is_a_page_with_the_message_and_a_way_back(client):
    soup = page(client, "/search?q=year%3Afoo", status=400)
    notice = soup.select_one(".notice.error")
    assert "year needs a whole number" in notice.get_text()
    assert soup.find("input", id="q")["value"] == "year:foo"
    assert notice.find("a", href="/")
    r = client.get("/search?q=")
    assert r.status_code == 302 and r.headers["Location"].endswith("/")


# --- study page --------------------------------------------------------------------------------


def test_study_page_shows_every_fact_findings_citation_and_exports(client, kb):
    study = kb.study("dakwar2019")
    soup = page(client, "/studies/dakwar2019")
    text = soup.get_text(" ")
    assert soup.h1.get_text() == study.title
    for fact in (study.journal, str(study.year), study.dose, study.comparator, study.sessions, *study.authors):
        assert fact in text
    for iri in (*study.conditions, *study.routes, *study.therapies, *study.outcomes, *study.drugs):
        assert kb.vocab.label(iri) in text
    rows = soup.select("table.findings-table tbody tr")
    assert len(rows) == len(study.findings)
    assert rows[0].find("td", attrs={"data-label": "Value"}).get_text() == "48.2%"
    assert rows[1].find("td", attrs={"data-label": "Value"}).get_text() == "HR 0.47"
    apa = soup.select_one("#apa-citation").get_text()
    assert apa.startswith("Dakwar, E., Nunes, E. V.") and "https://doi.org/10.1176/appi.ajp.2019.18101123" in apa
    assert soup.find("button", attrs={"data-copy": "#apa-citation"})
    exports = {a["href"] for a in soup.select(".export-buttons a")}
    for fmt in ("bibtex", "ris", "csljson", "csv", "apa", "vancouver", "ama", "markdown"):
        assert fmt in FORMATS and f"/export?ids=dakwar2019&format={fmt}" in exports
    download = client.get("/export?ids=dakwar2019&format=bibtex")
    assert download.status_code == 200 and b"Dakwar" in download.data
    assert soup.find("a", href="/id/study/dakwar2019?format=turtle")  # the RDF itself, not a redirect back here
    assert soup.find("a", href="https://pubmed.ncbi.nlm.nih.gov/31230464/")
    assert soup.select_one("button.rl-toggle")["data-rl-id"] == "dakwar2019"
    assert "No page in the knowledge base cites this study yet" in text


def test_study_page_lists_the_articles_and_claims_that_cite_it(article_client):
    soup = page(article_client, f"/studies/{CITED_STUDY}")
    section = soup.find(id="citing-title").find_parent("section")
    link = section.find("a", href=f"/articles/{CLAIMS_ARTICLE_ID}")
    assert link.get_text() == CLAIMS_ARTICLE.title
    claims = [q.get_text() for q in link.find_parent("li").select(".claims q")]
    assert claims == [CLAIMS_ARTICLE.claims[0].text]
    other = page(article_client, "/studies/kew2023")
    assert "No page in the knowledge base cites this study yet" in other.get_text(" ")


# --- article page ---------------------------------------------------------------------------------


def test_article_page_shows_source_concepts_and_each_claims_evidence(article_client, kb):
    soup = page(article_client, f"/articles/{CLAIMS_ARTICLE_ID}")
    assert soup.h1.get_text() == CLAIMS_ARTICLE.title
    assert soup.find("a", href=CLAIMS_ARTICLE.url)
    text = soup.get_text(" ")
    assert CLAIMS_ARTICLE.publisher in text and "clinic or practice article" in text
    assert "3 research claims, 2 linked to a study" in soup.select_one(".claim-summary").get_text()
    resolved = soup.select("li.claim.resolved")
    unresolved = soup.select("li.claim.unresolved")
    assert len(resolved) == 2 and len(unresolved) == 1
    cited = resolved[0].select_one(".claim-evidence a")
    assert cited["href"] == f"/studies/{CITED_STUDY}" and cited.get_text() == kb.study(CITED_STUDY).title
    assert "Unresolved" in unresolved[0].get_text() and CLAIMS_ARTICLE.claims[2].unresolved_reason in unresolved[0].get_text()
    concepts = soup.find(id="concepts-title").find_parent("section")
    assert "Condition" in concepts.get_text() and concepts.find("a", string="cocaine use disorder")
    assert soup.find("a", href=f"/id/article/{CLAIMS_ARTICLE_ID}?format=turtle")


def test_an_article_ingested_by_the_cli_has_a_page(article_client, article_app):
    from webapp.context import get_kb

    with article_app.app_context():
        kb = get_kb()
        rows = kb.store.select(
            'SELECT ?a WHERE { GRAPH ?g { ?a a <https://w3id.org/kapkb/ontology#Article> ; '
            '<http://purl.org/dc/terms/title> "Ketamine-assisted therapy at a fictional clinic: questions and answers" } }'
        )
        article_id = kb.res.kind_and_id(rows[0]["a"])[1]
        article = kb.article(article_id)
    soup = page(article_client, f"/articles/{article_id}")
    assert soup.h1.get_text() == article.title
    assert soup.find("a", href="https://clinic.example.org/kap-questions")
    claims = soup.select("li.claim")
    assert len(claims) == len(article.claims)
    if not article.claims:
        assert "No claims have been extracted" in soup.get_text()
    for claim, item in zip(article.claims, claims, strict=True):
        assert ("resolved" if claim.cites else "unresolved") in item["class"]


# --- evidence map ------------------------------------------------------------------------------------


def cell(soup: BeautifulSoup, section: str, label_start: str):
    return soup.select_one(f"#{section}").find("a", attrs={"aria-label": re.compile("^" + re.escape(label_start))})


def test_map_cells_count_the_studies_their_search_finds(client, kb):
    soup = page(client, "/map")
    ptsd = cell(soup, "efficacy", "post-traumatic stress disorder with psychotherapy:")
    bubble = ptsd.select_one(".bubble")
    count = int(bubble.get_text())
    found = search(kb, query_of(ptsd["href"]), limit=0)
    assert count == found["bands"]["primary"] > 0  # the cell counts primary studies; reviews apart
    meta = ptsd.select_one(".cell-meta").get_text().split()
    reviews = next((int(m.strip("+R")) for m in meta if m.endswith("R")), 0)
    assert reviews == found["bands"]["review"]
    assert meta[0].startswith("L")
    assert "size-" + str(4 if count >= 8 else 3 if count >= 4 else 2 if count >= 2 else 1) in bubble["class"]
    # its shade is the certainty signal of its studies, and its description lists them, strongest evidence first
    shade = next(c for c in bubble["class"] if c.startswith("cert-"))
    level = re.search(r"certainty signal (high|moderate|low|very low)", ptsd["aria-label"]).group(1)
    assert shade == "cert-" + level.replace(" ", "-")
    tip = soup.find(id=ptsd["aria-describedby"]).get_text()
    first = found["results"] or search(kb, query_of(ptsd["href"]), limit=1)["results"]
    assert tip.startswith(f"Certainty signal {level}:") and f"Studies: {first[0]['authors'][0].split()[0]} {first[0]['year']}" in tip
    gaps = [a for a in soup.select("#efficacy a.cell.heat-0")]
    assert gaps and all(a.get_text(" ", strip=True).startswith("no studies") for a in gaps)
    gap = next(a for a in gaps if not a.select_one(".cell-reviews"))
    assert search(kb, query_of(gap["href"]), limit=0)["relaxed"] is not None
    for a in soup.select("#efficacy a.cell")[:40]:
        assert client.get(a["href"]).status_code == 200


def test_map_filters_by_route_and_design(client, kb):
    soup = page(client, "/map?route=intravenous&design=rct")
    assert soup.select_one("select#route option[selected]")["value"] == "intravenous"
    assert soup.select_one("select#design option[selected]")["value"] == "rct"
    trd = cell(soup, "efficacy", "treatment-resistant depression, all studies")
    q = query_of(trd["href"])
    assert "intravenous" in q and "randomized controlled trial" in q
    expected = search(kb, "treatment-resistant depression + IV + RCT", limit=0)["total"]
    assert int(trd.select_one(".bubble").get_text()) == expected  # RCTs: no review among them
    assert page(client, "/map?route=teleportation", status=400).select_one(".error-page")
    assert "layer must be primary or reviews" in page(client, "/map?layer=bubbles", status=400).get_text()


def test_map_shows_adverse_effects_by_route(client, kb):
    soup = page(client, "/map")
    heads = [th.get_text(strip=True) for th in soup.select("#safety thead th")]
    assert heads[0] == "Adverse effect" and "intravenous" in heads and "intranasal" in heads
    dissociation = cell(soup, "safety", "dissociation with intravenous:")
    q = query_of(dissociation["href"])
    assert q.endswith("side effects")
    found = search(kb, q, limit=3)
    assert int(dissociation.select_one(".bubble").get_text()) == found["bands"]["primary"]
    harms = [r["explain"]["harms_score"] for r in search(kb, q, limit=50, explain=True)["results"] if r["band"] == "primary"]
    assert harms == sorted(harms, reverse=True)  # the safety layer opens the studies with the most harms data first


# --- reading list and errors --------------------------------------------------------------------------


def test_reading_list_page_offers_every_export_format(client):
    soup = page(client, "/reading-list")
    assert soup.select_one("[data-reading-list]") and soup.find("noscript")
    formats = [b["data-rl-format"] for b in soup.select("button[data-rl-format]")]
    assert formats == ["bibtex", "ris", "csljson", "csv", "markdown", "apa", "vancouver", "ama", "apa-html",
                       "vancouver-html", "ama-html"]  # fmt: skip
    form = soup.select_one("form[data-rl-export-form]")
    assert form["action"] == "/export" and form["method"] == "post"  # the reader's notes go with the ids
    assert soup.find("script", src=re.compile("reading-list.js"))


@pytest.mark.parametrize("url", ["/studies/no-such-study", "/articles/no-such-article", "/no/such/page"])
def test_not_found_pages_share_the_design_and_offer_a_way_back(client, url):
    soup = page(client, url, status=404)
    assert soup.select_one(".error-page") and soup.find("nav", attrs={"aria-label": "Main"})
    assert soup.find("a", string="Back to search")["href"] == "/"
    assert soup.find("input", id="error-q")


def test_results_page_offers_the_search_as_sparql_in_the_editor(client):
    import html as html_mod
    import re

    page = client.get("/search?q=PTSD+%2B+IV").get_data(as_text=True)
    href = html_mod.unescape(re.search(r'href="(/sparql\?query=[^"]+)"', page).group(1))
    editor = client.get(href, headers={"Accept": "text/html"})
    assert editor.status_code == 200
    body = editor.get_data(as_text=True)
    assert "kap:condition/skos:broader* condition:ptsd" in html_mod.unescape(body)
    answer = client.get(href, headers={"Accept": "application/sparql-results+json"}).get_json()
    api = client.get("/api/search?q=PTSD+%2B+IV&limit=100").get_json()
    assert {b["item"]["value"] for b in answer["results"]["bindings"]} == {r["iri"] for r in api["results"]}
