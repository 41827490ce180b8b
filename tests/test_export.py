"""kb.export: every format read back by an independent reader.

The records are the real bibliographic facts of studies in
/work/shared/references/*.jsonl (title, authors, journal, year, volume, issue,
pages, DOI, PMID, PMCID as recorded there), plus three records marked FICTIONAL:
one trial registration whose title is our own description, one carrying LaTeX,
HTML and Markdown special characters, and one whose title is a spreadsheet formula.
"""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import bibtexparser
import jsonschema
import pybtex.database
import pytest
import rispy
from bibtexparser.middlewares import LatexDecodingMiddleware, SeparateCoAuthors, SplitNameParts
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from markdown_it import MarkdownIt
from pylatexenc.latex2text import LatexNodes2Text

from kb import errors, vocab
from kb.export import CSV_COLUMNS, FORMATS, ExportContext, UnknownFormat, export, filename, format_references
from kb.model import Study
from kb.namespaces import concept_iri

DATA = Path(__file__).parent / "data"
VOCAB = vocab.load()


def c(scheme: str, slug: str) -> str:
    iri = concept_iri(scheme, slug)
    assert iri in VOCAB, iri  # the test data uses real concepts only
    return iri


DAKWAR = Study(
    id="dakwar2019",
    title="A Single Ketamine Infusion Combined With Mindfulness-Based Behavioral Modification to Treat Cocaine "
    "Dependence: A Randomized Clinical Trial",
    authors=("Dakwar E", "Nunes EV", "Hart CL", "Foltin RW", "Mathew SJ", "Carpenter KM", "Choi CJ", "Basaraba CN",
             "Pavlicova M", "Levin FR"),  # fmt: skip
    journal="American Journal of Psychiatry",
    year=2019,
    volume="176",
    issue="11",
    pages="923-930",
    doi="10.1176/appi.ajp.2019.18101123",
    pmid="31230464",
    design=c("design", "rct"),
    evidence_level=c("evidence_level", "level-2"),
    n=55,
    conditions=(c("condition", "cocaine-use-disorder"),),
    routes=(c("route", "intravenous"),),
    therapies=(c("therapy", "mbrp"),),
    outcomes=(c("outcome", "abstinence"), c("outcome", "craving"), c("outcome", "relapse")),
)
KEW = Study(  # a systematic review: still @article, it has a journal
    id="kew2023",
    title="Ketamine and psychotherapy for the treatment of psychiatric disorders: systematic review",
    authors=("Kew BM", "Porter RJ", "Douglas KM", "Glue P", "Mentzel CL", "Beaglehole B"),
    journal="BJPsych Open",
    year=2023,
    volume="9",
    issue="3",
    doi="10.1192/bjo.2023.53",
    design=c("design", "systematic-review"),
    evidence_level=c("evidence_level", "level-1"),
    n=1006,
    n_studies=19,
    conditions=(c("condition", "substance-use-disorders"), c("condition", "ptsd"), c("condition", "trd")),
    therapies=(c("therapy", "mbrp"), c("therapy", "cbt"), c("therapy", "kpt"), c("therapy", "met"),
               c("therapy", "timber"), c("therapy", "supportive")),  # fmt: skip
)
DALY = Study(  # "Cubała WJ": a diacritic the NFKD fold cannot take apart
    id="daly2019",
    title="Efficacy of Esketamine Nasal Spray Plus Oral Antidepressant Treatment for Relapse Prevention in Patients "
    "With Treatment-Resistant Depression: A Randomized Clinical Trial",
    authors=("Daly EJ", "Trivedi MH", "Janik A", "Li H", "Zhang Y", "Li X", "Lane R", "Lim P", "Duca AR", "Hough D",
             "Thase ME", "Zajecka J", "Winokur A", "Divacka I", "Fagiolini A", "Cubała WJ", "Bitter I", "Blier P",
             "Shelton RC", "Molero P", "Manji H", "Drevets WC", "Singh JB"),  # fmt: skip
    journal="JAMA Psychiatry",
    year=2019,
    volume="76",
    issue="9",
    pages="893-903",
    doi="10.1001/jamapsychiatry.2019.1189",
    pmid="31166571",
    pmcid="PMC6551577",
    design=c("design", "rct"),
    n=297,
    conditions=(c("condition", "trd"),),
    routes=(c("route", "intranasal"),),
    outcomes=(c("outcome", "relapse"),),
)
ABDALLAH = Study(  # "López-Roca AL", "D'Souza D"; no volume, issue or pages recorded
    id="abdallah2022",
    title="Dose-related effects of ketamine for antidepressant-resistant symptoms of posttraumatic stress disorder in "
    "veterans and active duty military: a double-blind, randomized, placebo-controlled multi-center clinical trial",
    authors=("Abdallah CG", "Roache JD", "Gueorguieva R", "Averill LA", "Young-McCaughan S", "Shiroma PR",
             "Purohit P", "Brundige A", "Murff W", "Ahn KH", "Sherif MA", "Baltutis EJ", "Ranganathan M",
             "D'Souza D", "Martini B", "Southwick SM", "Petrakis IL", "Burson RR", "Guthmiller KB", "López-Roca AL",
             "Lautenschlager KA", "McCallin JP", "Hoch MB", "Timchenko A", "Souza SE", "Bryant CE", "Mintz J",
             "Litz BT", "Williamson DE", "Keane TM", "Peterson AL", "Krystal JH"),  # fmt: skip
    journal="Neuropsychopharmacology",
    year=2022,
    doi="10.1038/s41386-022-01266-9",
    design=c("design", "rct"),
    n=158,
    conditions=(c("condition", "ptsd"),),
    routes=(c("route", "intravenous"),),
)
ZARATE = Study(  # a suffix and a truncated author list
    id="zarate2006",
    title="A randomized trial of an N-methyl-D-aspartate antagonist in treatment-resistant major depression",
    authors=("Zarate CA Jr", "et al."),
    journal="Archives of General Psychiatry",
    year=2006,
    volume="63",
    issue="8",
    pages="856-864",
    doi="10.1001/archpsyc.63.8.856",
    pmid="16894061",
    conditions=(c("condition", "trd"), c("condition", "mdd")),
    routes=(c("route", "intravenous"),),
)
BERMAN = Study(  # parentheses in the DOI
    id="berman2000",
    title="Antidepressant effects of ketamine in depressed patients",
    authors=("Berman RM", "Cappiello A", "Anand A", "Oren DA", "Heninger GR", "Charney DS", "Krystal JH"),
    journal="Biological Psychiatry",
    year=2000,
    volume="47",
    issue="4",
    pages="351-354",
    doi="10.1016/s0006-3223(99)00230-9",
    pmid="10686270",
    n=7,
)
TAKAHASHI = Study(  # the reference data records no authors for this paper
    id="takahashi2021",
    title="Efficacy and safety of fixed doses of intranasal Esketamine as an add-on therapy to Oral antidepressants "
    "in Japanese patients with treatment-resistant depression: a phase 2b randomized clinical study",
    journal="BMC Psychiatry",
    year=2021,
    doi="10.1186/s12888-021-03538-y",
    n=202,
)
REGISTRATION = Study(  # the NCT number is TRANSFORM-2's (references: popova2019); the title is OUR description
    id="nct02418585",
    title="TRANSFORM-2 trial registration (descriptive title)",
    nct="NCT02418585",
    url="https://clinicaltrials.gov/study/NCT02418585",
    design=c("design", "trial-registration"),
)
SPECIAL = Study(  # FICTIONAL: special characters for LaTeX, HTML and Markdown; 10.5555 is a test DOI prefix
    id="fictional-special",
    title="FICTIONAL R&D costs: 50% ($2M) for {group} #1 with dose_a ~ 3 <b>not bold</b> *nor this* in Ølund",
    authors=("Ølund K", "Nguyễn TT", "aan het Rot M", "Kapkb Test Consortium"),
    journal="Journal of Export Tests & Checks",
    year=2024,
    pages="e79",
    doi="10.5555/kapkb.export.0001",
    abstract="FICTIONAL. Line one\nline two.",
)
FORMULA = Study(  # FICTIONAL: a title a spreadsheet would run
    id="fictional-formula",
    title='=HYPERLINK("https://example.invalid/x","click me")',
    authors=("@Mention A", "Plain B"),
    journal="-Journal",
    year=2020,
    volume="+1",
    n=-5,
)
REAL = [DAKWAR, KEW, DALY, ABDALLAH, ZARATE, BERMAN, TAKAHASHI]
ALL = [*REAL, REGISTRATION, SPECIAL]

CTX = ExportContext(
    label=VOCAB.label,
    permalink="https://kapkb.example/search?q=PTSD+%2B+IM+%2B+CBT+outcomes&sort=level",
    kb_version="2026.11.21-test",
    query="PTSD + IM + CBT outcomes",
    study_url=lambda s: f"https://kapkb.example/id/study/{s.id}",
)
BARE = ExportContext(label=VOCAB.label)
TO_TEXT = LatexNodes2Text()


def latex_text(value: str) -> str:
    return TO_TEXT.latex_to_text(value)


def oneline(text: str) -> str:
    return " ".join(text.split())


def family(author: str) -> str:
    """The family part of a MEDLINE display name, for the simple names of these records."""
    return author.rsplit(" ", 1)[0]


# --- BibTeX -------------------------------------------------------------------------


def test_bibtex_reads_back_with_bibtexparser():
    text = export(ALL, "bibtex", BARE)
    library = bibtexparser.parse_string(
        text, append_middleware=[SeparateCoAuthors(), SplitNameParts(), LatexDecodingMiddleware()]
    )
    assert not library.failed_blocks
    entries = library.entries
    assert len(entries) == len(ALL)
    for study, entry in zip(ALL, entries, strict=True):
        fields = entry.fields_dict
        assert fields["title"].value == oneline(study.title)
        if study.year:
            assert fields["year"].value == str(study.year)
        if study.doi:
            assert fields["doi"].value == study.doi
        if study.pmid:
            assert fields["pmid"].value == study.pmid
        names = fields["author"].value if "author" in fields else []
        families = [latex_text(" ".join(n.von + n.last)) for n in names]
        if study in (DAKWAR, KEW, DALY, ABDALLAH, BERMAN):
            assert families == [family(a) for a in study.authors]
    zarate = entries[ALL.index(ZARATE)].fields_dict["author"].value
    assert [(n.last, n.jr, n.first) for n in zarate] == [(["Zarate"], ["Jr"], ["C.", "A."]), (["others"], [], [])]
    special = entries[ALL.index(SPECIAL)].fields_dict["author"].value
    families = [latex_text(" ".join(n.von + n.last)) for n in special]
    assert families == ["Ølund", "Nguyễn", "aan het Rot", "Kapkb Test Consortium"]


def test_bibtex_reads_back_with_pybtex():
    text = export(ALL, "bibtex", CTX)
    data = pybtex.database.parse_string(text, "bibtex")
    assert len(data.entries) == len(ALL)
    for study, (key, entry) in zip(ALL, data.entries.items(), strict=True):
        assert latex_text(entry.fields["title"]) == oneline(study.title)
        assert entry.fields.get("year") == (str(study.year) if study.year else None)
        assert entry.fields.get("doi") == study.doi
        persons = entry.persons.get("author", [])
        if study in (DAKWAR, KEW, DALY, ABDALLAH, BERMAN):
            assert [latex_text(" ".join(p.last_names)) for p in persons] == [family(a) for a in study.authors]
        if study is ZARATE:
            assert [str(p) for p in persons] == ["Zarate, Jr, C. A.", "others"]


def test_bibtex_entry_types_and_fields():
    text = export([DAKWAR, KEW, REGISTRATION], "bibtex", CTX)
    library = bibtexparser.parse_string(text)
    dakwar, kew, registration = library.entries
    assert (dakwar.entry_type, kew.entry_type, registration.entry_type) == ("article", "article", "misc")
    assert dakwar.key == "dakwar2019single"
    assert dakwar.fields_dict["pages"].value == "923--930"
    assert dakwar.fields_dict["journal"].value == "American Journal of Psychiatry"
    assert (dakwar.fields_dict["volume"].value, dakwar.fields_dict["number"].value) == ("176", "11")
    assert dakwar.fields_dict["pmid"].value == "31230464"
    assert dakwar.fields_dict["keywords"].value == "cocaine use disorder, intravenous, mindfulness-based relapse prevention"
    assert "journal" not in registration.fields_dict
    assert registration.fields_dict["note"].value == "Trial registration: NCT02418585"
    assert registration.fields_dict["url"].value == REGISTRATION.url
    assert registration.key == "nct02418585transform"
    assert kew.fields_dict["author"].value.startswith("Kew, B. M. and Porter, R. J. and")


def test_bibtex_escapes_latex_specials_and_keeps_utf8():
    text = export([SPECIAL], "bibtex", BARE)
    title = re.search(r"^  title = \{(.*)\},$", text, re.M)[1]
    for escaped in (r"R\&D", r"50\%", r"(\$2M)", r"\{group\}", r"\#1", r"dose\_a", r"\textasciitilde{}"):
        assert escaped in title
    assert "Ølund" in text and "Nguyễn" in text  # UTF-8 letters, not {\O}lund
    assert "{FICTIONAL}" in title  # acronyms braced against a style's sentence case
    hat = export([Study(id="x", title="x^2 and C:\\path", journal="J")], "bibtex", BARE)
    assert r"x\textasciicircum{}2 and C:\textbackslash{}path" in hat


def test_bibtex_lone_brace_stays_parseable():
    lone = Study(id="lone", title="An unbalanced { brace", journal="J", year=2001)
    text = export([lone, DAKWAR], "bibtex", BARE)
    assert r"\textbraceleft{}" in text
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks
    assert [e.key for e in library.entries] == ["anon2001unbalanced", "dakwar2019single"]
    assert len(pybtex.database.parse_string(text, "bibtex").entries) == 2


def test_bibtex_keys_are_ascii_unique_and_stable():
    twin = Study(id="dakwar2019b", title="Single session, second report", authors=("Dakwar E",), journal="J", year=2019)
    fold = Study(id="cub", title="The ketamine question", authors=("Cubała WJ",), journal="J", year=2020)
    studies = [DAKWAR, twin, DAKWAR, fold, TAKAHASHI]
    keys = [e.key for e in bibtexparser.parse_string(export(studies, "bibtex", BARE)).entries]
    assert keys == ["dakwar2019single", "dakwar2019singlea", "dakwar2019singleb", "cubala2020ketamine",
                    "anon2021efficacy"]  # fmt: skip
    assert all(re.fullmatch(r"[a-z0-9]+", k) for k in keys)
    assert keys == [e.key for e in bibtexparser.parse_string(export(studies, "bibtex", BARE)).entries]


def test_bibtex_comment_carries_permalink_and_version():
    text = export([DAKWAR], "bibtex", CTX)
    library = bibtexparser.parse_string(text)
    (comment,) = library.comments
    assert CTX.permalink in comment.comment and CTX.kb_version in comment.comment
    assert "@comment" not in export([DAKWAR], "bibtex", BARE)


# --- RIS ----------------------------------------------------------------------------


def test_ris_reads_back_with_rispy():
    text = export(ALL, "ris", CTX)
    records = rispy.loads(text)
    assert len(records) == len(ALL)
    for study, record in zip(ALL, records, strict=True):
        assert record["type_of_reference"] == ("JOUR" if study.journal else "GEN")
        assert record["title"] == oneline(study.title)
        assert record.get("year") == (str(study.year) if study.year else None)
        assert record.get("doi") == study.doi
        assert record.get("accession_number") == study.pmid
        if study.journal:
            assert record["secondary_title"] == record["journal_name"] == study.journal
    dakwar = records[0]
    assert dakwar["authors"][:2] == ["Dakwar, E.", "Nunes, E. V."]
    assert (dakwar["start_page"], dakwar["end_page"]) == ("923", "930")
    assert dakwar["keywords"] == ["cocaine use disorder", "intravenous", "mindfulness-based relapse prevention"]
    assert records[ALL.index(DALY)]["authors"][15] == "Cubała, W. J."
    assert records[ALL.index(ZARATE)]["authors"] == ["Zarate, C. A., Jr"]
    assert records[ALL.index(REGISTRATION)]["urls"] == [REGISTRATION.url]
    assert records[ALL.index(SPECIAL)]["abstract"] == "FICTIONAL. Line one line two."


def test_ris_lines_are_strict():
    text = export(ALL, "ris", CTX)
    assert "\r" not in text
    for line in text.splitlines():
        assert line == "" or re.fullmatch(r"[A-Z][A-Z0-9]  - .+|ER  - ", line), line
    assert text.count("TY  - ") == text.count("ER  - ") == len(ALL)
    assert CTX.permalink not in text  # RIS has no place for it (see the module docstring)


# --- CSL-JSON -----------------------------------------------------------------------


def test_csljson_is_valid_csl_data():
    items = json.loads(export(ALL, "csljson", CTX))
    schema = json.loads((DATA / "csl-data.schema.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.Draft7Validator(schema).validate(items)
    assert isinstance(items, list) and [i["id"] for i in items] == [s.id for s in ALL]
    dakwar = items[0]
    assert dakwar["type"] == "article-journal"
    assert dakwar["author"][0] == {"family": "Dakwar", "given": "E."}
    assert dakwar["issued"] == {"date-parts": [[2019]]}
    assert (dakwar["page"], dakwar["PMID"]) == ("923-930", "31230464")
    assert items[ALL.index(DALY)]["PMCID"] == "PMC6551577"
    assert items[ALL.index(REGISTRATION)]["type"] == "report"
    assert items[ALL.index(ZARATE)]["author"] == [{"family": "Zarate", "given": "C. A.", "suffix": "Jr"}]
    assert {"literal": "Kapkb Test Consortium"} in items[ALL.index(SPECIAL)]["author"]


def test_csljson_schema_rejects_what_csl_rejects():
    schema = json.loads((DATA / "csl-data.schema.json").read_text())
    validator = jsonschema.Draft7Validator(schema)
    for bad in (
        [{"type": "article-journal"}],  # no id
        [{"id": "a", "type": "journal-article"}],  # not a CSL type
        [{"id": "a", "type": "report", "issued": {"date-parts": [2019]}}],  # date-parts is a list of lists
        [{"id": "a", "type": "report", "author": [{"name": "X"}]}],  # not a name object
        [{"id": "a", "type": "report", "containerTitle": "J"}],  # undeclared field
    ):
        assert not validator.is_valid(bad), bad


def test_csljson_renders_with_citeproc():
    items = json.loads(export(ALL, "csljson", CTX))
    bibliography = CitationStylesBibliography(
        CitationStylesStyle("apa", validate=False), CiteProcJSON(items), formatter.plain
    )
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    rendered = "\n".join(str(entry) for entry in bibliography.bibliography())
    for study in ALL:
        assert study.title.split(":")[0] in rendered
    assert "Cubała, W. J." in rendered and "Ølund, K., Nguyễn, T. T." in rendered


# --- CSV ----------------------------------------------------------------------------


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.encode("utf-8").decode("utf-8-sig"), newline="")))


def test_csv_reads_back_with_concept_labels():
    text = export(ALL, "csv", CTX)
    assert text.startswith("\ufeffid,title,")
    rows = read_csv(text)
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert [r["id"] for r in rows] == [s.id for s in ALL]
    dakwar = rows[0]
    assert dakwar["authors"] == "; ".join(DAKWAR.authors)
    assert (dakwar["year"], dakwar["n"], dakwar["pages"]) == ("2019", "55", "923-930")
    assert dakwar["design"] == "randomized controlled trial" and dakwar["evidence_level"] == "Level 2"
    assert dakwar["outcomes"] == "abstinence; craving; relapse"
    assert rows[1]["therapies"] == "; ".join(VOCAB.label(t) for t in KEW.therapies)
    assert "Cubała WJ" in rows[ALL.index(DALY)]["authors"]
    assert rows[ALL.index(SPECIAL)]["title"] == oneline(SPECIAL.title)
    assert rows[ALL.index(REGISTRATION)]["url"] == REGISTRATION.url
    assert CTX.permalink not in text  # a comment row would break spreadsheets


def test_csv_neutralises_formulas():
    (row,) = read_csv(export([FORMULA], "csv", BARE))
    assert row["title"] == "'" + FORMULA.title
    assert row["authors"] == "'@Mention A; Plain B"
    assert (row["journal"], row["volume"]) == ("'-Journal", "'+1")
    assert row["n"] == "-5"  # a number, not a formula
    tab = Study(id="t", title="\t=1+1")
    assert read_csv(export([tab], "csv", BARE))[0]["title"] == "'=1+1"


# --- formatted references -------------------------------------------------------------


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.links += [v for k, v in attrs if k == "href"]

    def handle_data(self, data):
        self.text.append(data)


@pytest.mark.parametrize("style", ["apa", "vancouver", "ama"])
def test_formatted_text_lists_every_study_once(style):
    text = export(ALL, style, CTX)
    for study in ALL:
        head = study.title.split(":")[0].split(" (")[0]
        assert text.lower().count(head.lower()) == 1, (style, head)  # author-less titles too (citeproc-py #91)
    for name in ("Ølund", "Nguyễn"):  # the styles cut long author lists: APA after 19, the others after 6 or 3
        assert name in text
    assert text.rstrip().endswith(f"Permalink: {CTX.permalink}\nKB version: {CTX.kb_version}")


def test_numbered_styles_number_in_query_order_and_mark_truncated_lists():
    for style in ("vancouver", "ama"):
        entries = [t for _, t in format_references([DAKWAR, ZARATE, DALY], style, BARE)]
        assert [e.split(" ", 1)[0] for e in entries] == ["1.", "2.", "3."]
        assert entries[1].startswith("2. Zarate CA Jr, et al.")
        assert "et al." in entries[2]  # the style's own cut of 23 authors
    apa = dict(format_references([DAKWAR, ZARATE], "apa", BARE))
    assert apa[1].startswith("Zarate, C. A., Jr, et al. (2006).")  # the named authors, then "et al.", never as complete
    assert "et al." not in apa[0]


def test_apa_sorts_by_author_like_apa():
    order = [i for i, _ in format_references([ZARATE, DAKWAR, BERMAN], "apa", BARE)]
    assert order == [2, 1, 0]
    html_order = [i for i, _ in format_references([REGISTRATION, ZARATE, DAKWAR], "apa", BARE, as_html=True)]
    assert html_order == [2, 0, 1]  # the same order as plain text, whatever markup the title gets


@pytest.mark.parametrize("style", ["apa-html", "vancouver-html", "ama-html"])
def test_formatted_html_is_escaped_and_linked(style):
    page = export(ALL, style, CTX)
    parser = _Text()
    parser.feed(page)
    text = oneline("".join(parser.text))
    assert "<b>not bold</b>" in text  # shown as text ...
    assert parser.tags.count("b") == 0  # ... never as markup
    assert "R&D" in text and "Ølund" in text
    assert "https://doi.org/10.1176/appi.ajp.2019.18101123" in parser.links or style != "apa-html"
    assert CTX.permalink in parser.links
    assert f"KB version: {CTX.kb_version}" in text
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    parser = _Text()
    parser.feed(export([FORMULA, REGISTRATION], style, BARE))
    assert parser.links == [REGISTRATION.url]  # the study's own URL; a URL inside a title stays text


# --- Markdown -------------------------------------------------------------------------


def test_markdown_reading_list():
    text = export(ALL, "markdown", CTX)
    lines = text.splitlines()
    assert lines[0] == "# Reading list"
    assert f"Permalink: <{CTX.permalink}>" in lines and f"KB version: {CTX.kb_version}" in lines
    bullets = [line for line in lines if line.startswith("- ")]
    assert len(bullets) == len(ALL)
    assert bullets[0].startswith("- Dakwar, E., Nunes, E. V.")  # the query's order, not APA's
    md = MarkdownIt("commonmark")
    tokens = md.parse(text)
    hrefs = [t.attrGet("href") for tok in tokens if tok.children for t in tok.children if t.type == "link_open"]
    assert "https://doi.org/10.1176/appi.ajp.2019.18101123" in hrefs
    assert "https://pubmed.ncbi.nlm.nih.gov/31230464/" in hrefs
    assert "https://pmc.ncbi.nlm.nih.gov/articles/PMC6551577/" in hrefs
    assert "https://doi.org/10.1016/s0006-3223%2899%2900230-9" in hrefs  # parentheses cannot end the link
    assert "https://kapkb.example/id/study/kew2023" in hrefs
    assert CTX.permalink in hrefs
    rendered = md.render(text)
    assert "<b>" not in rendered and "&lt;b&gt;not bold&lt;/b&gt;" in rendered
    assert "<em>nor this</em>" not in rendered and "*nor this*" in rendered
    assert rendered.count("<li>") == len(ALL)
    formula = md.render(export([FORMULA], "markdown", BARE))
    assert "href" not in formula  # a URL inside a title is not made a link


# --- every format -----------------------------------------------------------------------

SPARSE = Study(id="sparse", title="Only a title")


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_missing_fields_are_left_out(fmt):
    text = export([SPARSE, TAKAHASHI, REGISTRATION], fmt, BARE)
    for word in ("None", "null", "n.p.", "undefined"):
        assert word not in text, (fmt, word)
    if fmt == "bibtex":
        assert "= {}" not in text
    if fmt == "ris":
        assert not re.search(r"^(?!ER)[A-Z][A-Z0-9]  - $", text, re.M)
    if fmt == "csljson":
        assert all(v not in ("", [], {}) for item in json.loads(text) for v in item.values())


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_diacritics_and_author_order_survive(fmt):
    text = export([DALY, ABDALLAH, SPECIAL], fmt, CTX)
    assert export([DALY, ABDALLAH, SPECIAL], fmt, CTX) == text  # deterministic
    assert "Ølund" in text and "Nguyễn" in text
    if fmt.startswith("apa") or fmt == "markdown":
        assert "Cubała" in text  # 16th of 23: APA names the first 19
    if fmt in {"bibtex", "ris", "csljson", "csv"}:  # the whole list, in order
        assert "Cubała" in text and "López-Roca" in text and "D'Souza" in text
        positions = [text.index(family(a)) for a in ABDALLAH.authors[:20]]
        assert positions == sorted(positions)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_provenance_where_the_format_has_room(fmt):
    text = export([DAKWAR], fmt, CTX)
    carries = fmt not in {"ris", "csljson", "csv"}
    assert (CTX.permalink in text or CTX.permalink.replace("&", "&amp;") in text) is carries
    assert (CTX.kb_version in text) is carries


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_empty_export(fmt):
    text = export([], fmt, CTX)
    if fmt == "csljson":
        assert json.loads(text) == []
    if fmt == "csv":
        assert read_csv(text) == []


def test_format_registry_describes_itself():
    assert set(FORMATS) == {"bibtex", "ris", "csljson", "csv", "apa", "vancouver", "ama", "apa-html",
                            "vancouver-html", "ama-html", "markdown"}  # fmt: skip
    for name, f in FORMATS.items():
        assert f.name == name and f.description and "charset=utf-8" in f.media_type
        assert re.fullmatch(r"[a-z]+(\.[a-z]+)?", f.extension)


# --- names and errors ---------------------------------------------------------------------


def test_filename_is_safe_and_descriptive():
    assert filename("bibtex", "PTSD + IM + CBT outcomes", 12) == "kapkb-ptsd-im-cbt-outcomes-12-studies.bib"
    assert filename("apa-html", "Montgomery–Åsberg ≥ 20", 1) == "kapkb-montgomery-asberg-20-1-study-apa.html"
    assert filename("csljson", None, 0) == "kapkb-0-studies.csl.json"
    assert filename("ris", "../../etc/passwd\r\nX: y", 3) == "kapkb-etc-passwd-x-y-3-studies.ris"
    long = filename("markdown", "ketamine " * 40, 5)
    assert len(long) < 90 and long.endswith("-5-studies.md") and "--" not in long
    for name in FORMATS:
        assert re.fullmatch(r"[a-z0-9][a-z0-9.-]*", filename(name, "Cubała & co: «PTSD»", 2))


def test_unknown_format_names_the_choices():
    with pytest.raises(UnknownFormat) as caught:
        export([DAKWAR], "endnote", CTX)
    message = str(caught.value)
    assert "'endnote'" in message and all(name in message for name in FORMATS)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, errors.UnknownFormat)
    assert caught.value.status == 400
    with pytest.raises(UnknownFormat):
        filename("docx", "q", 1)
    assert export([DAKWAR], " BibTeX ", CTX) == export([DAKWAR], "bibtex", CTX)
