"""Parsed records → `kb.model` records: the place where extraction comes together.

A study gets a readable id (`{first author}{year}`, as the curated corpus names
them), its design and evidence level, its concepts from title, abstract and
headings, its numbers, and findings from the percentages in its results. A trial
registration also gets its status, phase, enrollment and results publications, and
a completed trial with none is flagged. An article gets its concepts and claims,
each with the quote and offsets it came from. A study without a title, a year or
a title becomes a Problem naming where it is; one without a year or any identifier is stored as it is.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from kb.model import REVIEW_DESIGNS, STUDY_CONCEPT_FIELDS, Article, Finding, Provenance, Study
from kb.vocab import Vocabulary

from ..known import KnownStudies, acronyms, family_name, fold_name
from ..parsers.record import ParsedArticle, ParsedStudy, Problem
from . import numbers, sentences
from .check import check_claims
from .claims import AGENT, extract_claims
from .concepts import Mention, matcher, null_result
from .design import article_design, design_for, is_registration
from .results import methods, primary_result

GAP_NOTE = "completed; no results publication linked"
_RESULTS = re.compile(r"result|finding|outcome", re.IGNORECASE)
_NCT = re.compile(r"\bNCT\d{8}\b")
_SLUG = re.compile(r"[^a-z0-9]+")


def build_record(
    parsed: ParsedStudy | ParsedArticle,
    path: str,
    vocab: Vocabulary,
    known: KnownStudies | None = None,
    source_id: str | None = None,
) -> Study | Article | Problem:
    """One model record, or the Problem that keeps it out. `known` are the studies claims may cite."""
    known = known if known is not None else KnownStudies()
    if isinstance(parsed, ParsedArticle):
        return build_article(parsed, path, vocab, known)
    return build_study(parsed, path, vocab, known, source_id)


# -- studies ------------------------------------------------------------------


def build_study(p: ParsedStudy, path: str, vocab: Vocabulary, known: KnownStudies, source_id: str | None = None):
    where = p.nct or (f"PMID {p.pmid}" if p.pmid else None) or (f"DOI {p.doi}" if p.doi else None)
    if not (p.title or "").strip():
        return Problem(path, p.line, "title", "a title", f"nothing ({where})" if where else "nothing")
    # A record without a year, DOI, PMID, URL or NCT number is still a citation (an older article, a book, a
    # thesis): it is stored, found by its title, authors and journal, and shown without the links it lacks.
    registration = is_registration(p)
    # one pass of the matcher over everything the record says; parts are told apart by offset
    start = len(p.title) + 1
    text = "\n".join([p.title, p.abstract, *_keywords(p.keywords), *p.conditions, *p.interventions, *p.arms,
                      *p.primary_outcomes, *p.secondary_outcomes])  # fmt: skip
    mentions = matcher(vocab).find(text)
    design = design_for(p, vocab, [x for x in mentions if x.end <= start + len(p.abstract)])
    review = bool(design) and design.rsplit("/", 1)[-1] in REVIEW_DESIGNS
    found: dict[str, list[str]] = {}
    for x in mentions:
        if x.negated or not _tags(x, text, start, start + len(p.abstract), review):
            continue
        if x.iri not in found.setdefault(x.scheme, []):
            found[x.scheme].append(x.iri)
    for scheme, iris in found.items():  # the most specific reading: "depression" beside "treatment-resistant depression"
        broader = set().union(*(vocab.ancestors(i) for i in iris))  # names the narrower one only (search adds ancestors)
        found[scheme] = [i for i in iris if i not in broader]
    in_abstract = [x.shifted(start) for x in mentions if start <= x.start and x.end <= start + len(p.abstract)]
    body = f"{p.title}\n{p.abstract}"
    randomized = None if review else numbers.randomized_count(body)
    analysed = numbers.analysed_count(body)
    doses = numbers.doses(p.abstract)
    sessions = numbers.sessions(p.abstract, [x for x in in_abstract if x.scheme == "therapy"])
    dosing = [s for s in sessions if s.ketamine]
    nct = p.nct or _first_nct(p.abstract)
    results = _results_publications(p, nct, known) if registration else ()
    note = GAP_NOTE if registration and (p.status or "").upper() == "COMPLETED" and not results else None
    study_id_ = same_publication(p, known, registration, source_id) or study_id(p, known, source_id)
    return Study(
        id=study_id_,
        title=p.title,
        authors=p.authors,
        journal=p.journal,
        year=p.year,
        volume=p.volume,
        issue=p.issue,
        pages=p.pages,
        doi=p.doi.lower() if p.doi else None,
        pmid=p.pmid,
        pmcid=p.pmcid,
        nct=nct,
        url=safe_url(p.url),
        abstract=p.abstract or None,
        design=design,
        evidence_level=vocab.evidence_level_for(design),
        n=p.enrollment if registration else (randomized.value if randomized else numbers.sample_size(body)),
        n_randomized=p.enrollment if registration else (int(randomized.value) if randomized else None),
        n_analysed=None if registration or review else (int(analysed.value) if analysed else None),
        n_studies=numbers.studies_count(body) if design and design.rsplit("/", 1)[-1] in REVIEW_DESIGNS else None,
        **{attr: tuple(found.get(scheme, ())) for scheme, attr in STUDY_CONCEPT_FIELDS.items()},
        dose="; ".join(dict.fromkeys(d.text for d in doses[:3])) or None,
        dose_mg_per_kg=tuple(sorted({v for d in doses for v in d.mg_per_kg})),
        sessions="; ".join(dict.fromkeys(s.text for s in sessions[:3])) or None,
        ketamine_sessions=dosing[0].count if dosing else None,
        followup_weeks=numbers.followup_weeks(p.abstract),
        status=p.status,
        phase=p.phase,
        keywords=p.keywords,
        publication_types=p.publication_types,
        results_publications=results,
        # a registration's summary states what the trial plans to show, never what it found
        findings=() if registration else with_primary(findings(p, vocab, in_abstract), primary_result(p.abstract, p.abstract_sections)),
        verified=False,
        note=note,
        provenance=Provenance(section=f"line {p.line}" if p.line else None, agent=AGENT),
    )


# Where a population word says who was left out ("pregnant women were excluded"), not who was studied.
_EXCLUSION = re.compile(r"\bexclu|\bineligib|\bnot eligible|\bnon-?pregnan|\bnot pregnant|\bcontracept|\bwithout (?:a )?history", re.I)
# Sentences in which a review states what it covered or pooled, as against background it only mentions.
_REVIEW_SCOPE = re.compile(
    r"\b(?:includ|pool|eligible|meta-analy|systematic(?:ally)? (?:review|search)|we (?:review|search|identif|summari)|"
    r"this review|the review|objective|aims?\b|purpose|studies (?:of|on|in|examin|investigat|evaluat|assess)|"
    r"trials? (?:of|in|examin|investigat|evaluat|assess))",
    re.I,
)
_SCOPED = ("condition", "route", "therapy", "population")


def _sentence(text: str, start: int, end: int) -> str:
    """The sentence of `text` around [start, end)."""
    left = max(text.rfind(". ", 0, start), text.rfind("\n", 0, start))
    right = min((i for i in (text.find(". ", end), text.find("\n", end)) if i != -1), default=len(text))
    return text[left + 1 : right]


def _tags(x: Mention, text: str, abstract_start: int, abstract_end: int, review: bool) -> bool:
    """Whether a mention tags the study. A population in an exclusion criterion does not. In a review, a
    condition, route, therapy or population tags it only from the title, the keywords, or an abstract sentence
    that states what the review covered or pooled: background a review merely mentions is not what it pooled
    (the ontology's rule in kap:condition's comment)."""
    in_abstract = abstract_start <= x.start and x.end <= abstract_end
    if x.scheme == "population" and _EXCLUSION.search(_sentence(text, x.start, x.end)):
        return False
    if review and x.scheme in _SCOPED and in_abstract:
        return bool(_REVIEW_SCOPE.search(_sentence(text, x.start, x.end)))
    return True


def _keywords(keywords: tuple[str, ...]) -> list[str]:
    """MeSH writes headings inverted ("Injections, Intramuscular"); read them both ways."""
    out = []
    for k in keywords:
        head, sep, tail = k.partition(", ")
        out.append(f"{tail} {head}" if sep and "," not in tail else k)
    return out


def _first_nct(text: str) -> str | None:
    m = _NCT.search(text or "")
    return m.group(0) if m else None


def _results_publications(p: ParsedStudy, nct: str | None, known: KnownStudies) -> tuple[str, ...]:
    """DOIs (or PMIDs) of the registration's result references, plus papers in the KB that give its NCT number."""
    refs = [doi or pmid for doi, pmid, _ in p.results_references if doi or pmid]
    if nct:
        for s in known.by_nct(nct):
            if not s.is_registration and (s.doi or s.pmid):
                refs.append(s.doi or s.pmid)
    return tuple(dict.fromkeys(r for r in refs if r))


def findings(p: ParsedStudy, vocab: Vocabulary, mentions: list[Mention] | None = None) -> tuple[Finding, ...]:
    """One finding per results sentence that gives a percentage: value, what it measures, and the quote.

    `mentions` are the concept mentions of `p.abstract` when the caller has them already.
    """
    sections = [(label, text) for label, text in p.abstract_sections if _RESULTS.search(label)]
    if not p.abstract_sections:
        sections = [("", p.abstract)] if p.abstract else []
    out = []
    for label, text in sections:
        if "%" not in text and "percent" not in text:
            continue
        at = p.abstract.find(text) if mentions is not None else -1
        if at >= 0:
            local_mentions = [x.shifted(at) for x in mentions if at <= x.start and x.end <= at + len(text)]
        else:
            local_mentions = matcher(vocab).find(text)
        for a, b in sentences.spans(text):
            sentence = text[a:b]
            local = [x for x in local_mentions if a <= x.start and x.end <= b and not x.negated]
            shifted = [x.shifted(a) for x in local]
            percents = [q for q in numbers.percentages(sentence, shifted) if not numbers.is_bound(sentence, q.start, q.end)]
            if not percents or methods(sentence):
                continue
            first = next((q for q in percents if q.measure), percents[0])
            instrument = next((x.iri for x in local if x.scheme == "instrument"), None)
            out.append(
                Finding(
                    text=sentence,
                    outcome=first.measure,
                    instrument=instrument,
                    value=first.value,
                    unit="%",
                    comparison=numbers.comparison(sentence),
                    timepoint=numbers.timepoint(sentence),
                    direction="no difference" if null_result(sentence) else None,
                    provenance=Provenance(
                        quote=sentence,
                        start=a,
                        end=b,
                        section=f"abstract/{label}" if label else "abstract",
                        agent=AGENT,
                    ),
                )
            )
    return tuple(out)


def with_primary(found: tuple[Finding, ...], primary: Finding | None) -> tuple[Finding, ...]:
    """The findings with the primary result first: merged into the percentage finding of the same sentence (which
    knows what the percentage measures), else added before the others."""
    if primary is None:
        return found
    from dataclasses import replace

    same = next((f for f in found if f.text == primary.text), None)
    if same is None:
        return (primary, *found)
    if primary.value is not None:  # a labelled effect (HR, OR, d…) and its own interval: the sentence's main figure
        merged = replace(same, value=primary.value, unit=primary.unit, measure=primary.measure, ci_low=primary.ci_low,
                         ci_high=primary.ci_high, p=primary.p, direction=primary.direction, primary=True)  # fmt: skip
    else:  # the percentage and what it measures; no interval, which would belong to another figure
        merged = replace(same, p=primary.p, direction=primary.direction, primary=True)
    return (merged, *(f for f in found if f is not same))


def same_publication(p: ParsedStudy, known: KnownStudies, registration: bool, source_id: str | None) -> str | None:
    """The id of the study in the KB that this record is another copy of (same DOI or PMID; for a registration, the
    same NCT number), so that one publication stays one node whatever the route in (kb.merge)."""
    twins = [*(known.by_doi(p.doi) if p.doi else []), *(known.by_pmid(p.pmid) if p.pmid else [])]
    if registration and p.nct:
        twins += [s for s in known.by_nct(p.nct) if s.is_registration]
    others = sorted({s.id for s in twins if s.source != source_id})
    return others[0] if len(others) == 1 else None


def study_id(p: ParsedStudy, known: KnownStudies | None = None, source_id: str | None = None) -> str:
    """`{first author's family name}{year}` like the curated corpus, else NCT, PMID, DOI or title; unique in the KB."""
    base = ""
    if p.authors and p.year:
        first = p.authors[0]
        corporate = family_name(first) == first and len(first.split()) >= 3  # "US Food and Drug Administration"
        forms = acronyms(first) if corporate else set()
        family = max(forms, key=len).lower() if forms else fold_name(family_name(first))
        base = f"{family}{p.year}" if family else ""
    if not base:
        if p.nct:
            base = p.nct.lower()
        elif p.pmid:
            base = f"pmid-{p.pmid}"
        elif p.doi:
            base = "doi-" + _slug(p.doi)
        else:
            base = _slug(p.title) or "study"
    if known is None:
        return base
    candidate, n = base, 1
    while (other := known.get(candidate)) is not None and other.source != source_id:
        n += 1
        candidate = f"{base}{chr(ord('a') + n - 1)}" if n <= 26 else f"{base}-{n}"
    return candidate


# -- articles -----------------------------------------------------------------


def build_article(p: ParsedArticle, path: str, vocab: Vocabulary, known: KnownStudies) -> Article | Problem:
    if not (p.title or "").strip():
        return Problem(path, None, "title", "a title", "nothing")
    m = matcher(vocab)
    text = p.text
    heading = "" if text.startswith(p.title) else p.title + "\n"
    design, level = article_design(vocab)
    return Article(
        id=article_id(p),
        title=p.title,
        url=safe_url(p.url),
        publisher=p.publisher or _host(p.url),
        author=p.author,
        date=p.date,
        source_type=design,
        evidence_level=level,
        text=text,
        concepts=m.concepts(heading + text),
        claims=check_claims(text, extract_claims(text, vocab, known), vocab, known, (p.title, p.url, p.date)),
    )


def article_id(p: ParsedArticle) -> str:
    """From the canonical URL (host and path) when there is one, else from the title."""
    if p.url:
        parts = urlsplit(p.url)
        host = parts.netloc.lower().removeprefix("www.")
        slug = _slug(f"{host} {parts.path}", 80)
        if slug:
            return slug
    return _slug(p.title, 80) or "article"


def safe_url(url: str | None) -> str | None:
    """A URL as an IRI the store accepts: spaces, quotes and angle brackets percent-encoded; anything else kept."""
    if not url:
        return None
    return quote(url.strip(), safe=":/?#[]@!$&'()*+,;=%~-._") or None


def _host(url: str | None) -> str | None:
    return urlsplit(url).netloc.lower().removeprefix("www.") or None if url else None


def _slug(text: str, limit: int = 60) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")[:limit].strip("-")
