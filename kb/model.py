"""The records that ingest hands to the knowledge base: the contract between `ingest/` and `kb/`.

Concept-valued fields hold concept IRIs (strings), never free text: the curated
loader and the extractors resolve labels through `kb.vocab` before a record is
built, so an unknown term fails at the edge, naming its file and field.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Provenance:
    """Where a fact came from: the exact quote, its place in the source, and who produced it."""

    quote: str = ""
    start: int | None = None  # character offsets into the source text
    end: int | None = None
    section: str | None = None  # e.g. "abstract/RESULTS", "key_results[1]"
    agent: str = "curator"  # "curator" or "kapkb-extract/<version>"


@dataclass(frozen=True)
class Arm:
    """One group of a comparison, with its own figures as the source reports them."""

    label: str  # "ketamine + MBRP", "midazolam", "all participants"
    n: int | None = None  # participants in this arm behind the figure
    events: int | None = None  # responders, abstinent, relapsed … (for rates)
    value: float | None = None  # the arm's rate, mean or change
    unit: str | None = None
    sd: float | None = None


@dataclass(frozen=True)
class Finding:
    """One outcome of one study, as data: what was measured, when, in whom, how big, how sure.

    The same structure serves the claim check (a page's figure is compared with
    `value`, `arms`, `timepoint` and `phase`) and the synthesis (effects with
    their confidence intervals grouped by `outcome` and `measure`). A value the
    source does not give stays None; a value kapkb computed says how in `derived`.
    """

    text: str  # one line, in our own words or the source's sentence
    outcome: str | None = None  # concept IRI (outcome scheme)
    instrument: str | None = None  # concept IRI (instrument scheme)
    measure: str | None = None  # concept IRI (measure scheme): response rate, mean difference, odds ratio, …
    value: float | None = None
    unit: str | None = None  # "%", "points", "g", "d", "OR", ...
    ci_low: float | None = None  # 95% confidence interval, in the unit of `value`
    ci_high: float | None = None
    p: str | None = None  # as reported: "0.02", "<0.001"
    n: int | None = None  # participants behind this finding
    arms: tuple[Arm, ...] = ()
    comparison: str | None = None  # "vs 10.7% with midazolam"
    timepoint: str | None = None  # "24 h", "week 4", "6 months"
    timepoint_weeks: float | None = None  # the same, in weeks from the first dose, for comparisons
    phase: str | None = None  # "during the 2-week ketamine course, before CBT", "after the CBT course"
    population: str | None = None  # when narrower than the study's ("ketamine responders")
    direction: str | None = None  # "benefit", "no difference", "harm", "mixed"
    primary: bool = False  # the study's main comparison (primary outcome)
    pooled: bool = False  # a review's pooled result over `k` studies
    k: int | None = None
    derived: str | None = None  # the formula, when kapkb computed the value from reported inputs
    provenance: Provenance = field(default_factory=Provenance)


# Designs that report on other studies (or rule on them) rather than on participants of their own: their
# concept tags say what they pooled or covered, and search shows them in their own band after the primary
# studies that tested a combination (ontology: kap:condition's comment states the rule).
REVIEW_DESIGNS = ("systematic-review", "meta-analysis", "narrative-review", "consensus", "regulatory")

# The concept-valued fields of a Study, by the scheme their values come from.
STUDY_CONCEPT_FIELDS = {
    "condition": "conditions",
    "route": "routes",
    "therapy": "therapies",
    "outcome": "outcomes",
    "instrument": "instruments",
    "adverse_effect": "adverse_effects",
    "drug": "drugs",
    "timing": "timing",
    "population": "populations",
}


@dataclass(frozen=True)
class Study:
    """A research publication, trial registration or review, with its PICO facts."""

    id: str  # slug, stable: becomes {base}/id/study/{id}
    title: str
    authors: tuple[str, ...] = ()
    authors_complete: bool = True  # False when the source gave only the first authors (shown as "et al.")
    journal: str | None = None
    journal_abbrev: str | None = None  # NLM title abbreviation, for Vancouver and AMA
    year: int | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    doi: str | None = None  # lowercase, no resolver prefix
    pmid: str | None = None
    pmcid: str | None = None
    nct: str | None = None
    url: str | None = None
    abstract: str | None = None
    summary: str | None = None
    design: str | None = None  # concept IRI
    evidence_level: str | None = None  # concept IRI
    n: int | None = None  # participants randomized (or enrolled), else analysed: what a clinician filters on
    n_randomized: int | None = None  # as the source states it, when it does
    n_analysed: int | None = None  # when the source states a number analysed (completers, per protocol)
    n_studies: int | None = None
    drugs: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    routes: tuple[str, ...] = ()
    therapies: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    instruments: tuple[str, ...] = ()
    adverse_effects: tuple[str, ...] = ()
    timing: tuple[str, ...] = ()  # concept IRIs (timing scheme)
    populations: tuple[str, ...] = ()  # concept IRIs (population scheme)
    dose: str | None = None
    dose_mg_per_kg: tuple[float, ...] = ()  # every per-kg dose given, for the dose facet
    sessions: str | None = None
    ketamine_sessions: int | None = None
    timing_note: str | None = None
    comparator: str | None = None
    followup_weeks: float | None = None
    status: str | None = None  # trial registrations: "COMPLETED", "RECRUITING", ...
    phase: str | None = None
    keywords: tuple[str, ...] = ()  # MeSH headings and author keywords, as given
    publication_types: tuple[str, ...] = ()
    results_publications: tuple[str, ...] = ()  # DOIs/PMIDs a registration lists as its results
    findings: tuple[Finding, ...] = ()
    primary_urls: tuple[str, ...] = ()  # DOI landing page, PubMed, PMC, publisher, registry
    secondary_urls: tuple[str, ...] = ()  # institutional repository, index, reputable news
    fact_sources: tuple[tuple[str, str], ...] = ()  # (field, URL of the page the value was read on)
    verified: bool = True
    note: str | None = None
    provenance: Provenance = field(default_factory=Provenance)
    # Filled when read back from the KB, never written by ingest: (source id, the fields it supplied, "*" for all
    # but those others supplied), best source first (kb.merge); for a registration, the studies in the KB that
    # report its results and whether a completed trial has none (the writer's derived graph).
    sources: tuple[tuple[str, str], ...] = ()
    results_studies: tuple[str, ...] = ()
    publication_gap: bool | None = None


@dataclass(frozen=True)
class Citation:
    """What a claim says about the research it points to; any part may be missing."""

    doi: str | None = None
    pmid: str | None = None
    authors: tuple[str, ...] = ()  # family names
    year: int | None = None
    journal: str | None = None
    text: str = ""  # the mention as written


VERDICTS = ("supported", "overstated", "misstated", "contradicted", "unsupported", "not checkable")


@dataclass(frozen=True)
class Verdict:
    """What the claim check concluded about one claim, and on what grounds."""

    label: str  # one of VERDICTS
    reason: str  # one line naming the discrepancy, or why none could be judged
    page_figures: tuple[str, ...] = ()  # figures as the page states them
    study_figures: tuple[str, ...] = ()  # the study's figures they were compared with
    findings: tuple[int, ...] = ()  # numbers (1-based) of the cited study's findings compared
    candidates: tuple[str, ...] = ()  # study ids the claim may mean, when none could be linked
    checker: str = "kapkb-check/0.1"


@dataclass(frozen=True)
class Claim:
    """A sentence of an article that states an effect or a figure, or points to research."""

    text: str
    concepts: tuple[str, ...] = ()  # concept IRIs
    citation: Citation | None = None
    cites: str | None = None  # study id when resolved
    unresolved_reason: str | None = None
    verdict: Verdict | None = None
    provenance: Provenance = field(default_factory=Provenance)


@dataclass(frozen=True)
class Article:
    """A non-study source: clinic page, news, essay."""

    id: str
    title: str
    url: str | None = None
    publisher: str | None = None
    author: str | None = None
    date: str | None = None  # ISO 8601 as given
    source_type: str | None = None  # concept IRI (design scheme, e.g. clinic-article)
    evidence_level: str | None = None
    text: str = ""
    concepts: tuple[str, ...] = ()  # concept IRIs mentioned (outside negated scope)
    claims: tuple[Claim, ...] = ()


@dataclass(frozen=True)
class Source:
    """One input document; becomes one named graph holding its records."""

    id: str  # slug, stable for the same input location
    location: str  # path or URL as given
    format: str
    checksum: str  # sha256 of the bytes: unchanged input is a no-op
    records: tuple[Study | Article, ...] = ()
