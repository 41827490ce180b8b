"""The claim check: each research claim of a page judged against the study it rests on, with the study's figures.

A verdict is never a word match: it rests on a comparison the reason names.

- **Identity** first: the drug (ketamine is not esketamine: the FDA approved the
  nasal spray, not racemic ketamine), the route, whether the study gave any
  psychotherapy, and "the first trial/approval" against earlier records in the KB.
- **Figures**: each percentage, participant count, number of studies and dose the
  page gives is looked for among the study's own (findings, arms, events over arm
  sizes, n, studies pooled); one the study does not have makes the claim misstated,
  and the study's figures are quoted beside the page's. A matched figure told as the
  result of a therapy course it preceded ("50% responded to 12 CBT sessions", measured
  at the end of the ketamine phase) is misstated for its phase.
- **Direction**: a benefit the page asserts where the study found no difference
  (on the outcome named, on the added value of therapy, or on the primary outcome)
  is contradicted.
- **Scope and certainty**: "cure", "permanent", "all patients", "proven", lasting
  effects from a short study, and comparisons with other treatments drawn from an
  uncontrolled study are overstated.
- Otherwise a claim whose topic the study shares is supported; one naming research the
  KB cannot identify is unsupported, one citing a study the KB lacks, too vague, or
  outside the KB's subject is not checkable, each with its reason.

Regulatory claims ("FDA approved ketamine for depression") are linked by what they
describe: the approval records in the KB, told apart by year and indication.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from kb.model import REVIEW_DESIGNS, Claim, Finding, Study, Verdict
from kb.namespaces import concept_iri
from kb.vocab import Vocabulary

from ..known import KnownStudies
from . import numbers
from .claims import _EFFECT as CLAIM_EFFECT

CHECKER = "kapkb-check/0.1"

KETAMINE, ESKETAMINE = concept_iri("drug", "ketamine"), concept_iri("drug", "esketamine")
PSYCHOTHERAPY = concept_iri("therapy", "psychotherapy")
UNCONTROLLED = ("open-label", "cohort", "case-series", "case-report", "chart-review", "qualitative")

_APPROX = re.compile(r"\b(?:nearly|almost|about|around|approximately|roughly|some|over|more than|up to|close to|~)\s*$", re.I)
_CI_PERCENT = re.compile(r"\d\s?%\s*(?:CI|confidence)", re.I)
_YEAR = re.compile(r"(?<![\d/.-])((?:19[5-9]|20[0-4])\d)(?![\d]|s\b)")
_FIRST = re.compile(
    r"\b(?:the\s+)?first\s+(?:(?:clinical|randomi[sz]ed|controlled|placebo-controlled|double-blind|large)\s+){0,3}"
    r"(?:trial|study|time|approv\w*|FDA[- ]approved|drug)\b",
    re.I,
)
_FDA_APPROVAL = re.compile(r"\bFDA\b[^.]{0,120}?\b(?:approv|clear|breakthrough)|\bapprov\w*\b[^.]{0,80}\bFDA\b", re.I)
_AFTER_COURSE = re.compile(
    r"\b(?:after|following|regimen\s+of|course\s+of|completing|completion\s+of|by\s+the\s+end\s+of|at\s+the\s+end\s+of)\b"
    r"[^.;]{0,50}?\b(?:sessions?|therapy|psychotherapy|CBT|counsell?ing|course)\b",
    re.I,
)
_BEFORE_THERAPY = re.compile(r"\b(?:before|only just|had only|just (?:begun|started)|ketamine (?:phase|course)|infusion phase)\b", re.I)
_DURABLE = re.compile(r"\b(?:long[- ]term|long[- ]lasting|lasting|sustained|durable|enduring|permanent\w*|for (?:months|years))\b", re.I)
_ABSOLUTE = re.compile(
    r"\b(?:cure[sd]?|curing|permanent(?:ly)?|all (?:patients|participants|people)|every (?:patient|participant)|everyone|"
    r"guarantee[sd]?|100\s?%|completely|eliminat\w+|miracle|proven|proves|safest|most (?:effective|efficacious)|"
    r"the best (?:treatment|option|route))\b",
    re.I,
)
_COMPARATIVE = re.compile(
    r"\b(?:(?:higher|better|greater|more effective|superior|faster)\s+than|far exceed\w*|exceed\w*|outperform\w*|"
    r"compared (?:against|with|to) (?:studies|traditional|standard|other|antidepressants|SSRIs))\b",
    re.I,
)
_SAFE_EFFECTIVE = re.compile(r"\b(?:safe and effective|effective and safe|incredibly effective|highly effective)\b", re.I)
_ADDED_VALUE = re.compile(
    r"\b(?:than|compared (?:with|to)|versus|vs\.?|over)\s+(?:when\s+)?(?:ketamine|the drug|medication)\b[^.]{0,40}?"
    r"\b(?:alone|without)\b|\bthan any of the other groups\b|\bfurther than\b|\badded (?:value|benefit)\b|\bsynerg\w+",
    re.I,
)
_EFFECT = re.compile(
    r"\b(?:improv\w*|reduc\w*|decreas\w*|alleviat\w*|reliev\w*|effective(?:ness)?|efficacy|efficacious|benefit\w*|"
    r"significant(?:ly)?|outperform\w*|superior|remission|respon(?:se|ded|ders)|lower(?:ed)?|prevent\w*|helped|"
    r"higher|promis\w*|abstinen\w*|sober)\b",
    re.I,
)
_NULL = re.compile(r"\b(?:no (?:significant )?(?:difference|effect|benefit)|did not|didn't|failed|not significant|no better)\b", re.I)
_RESEARCH_WORDS = re.compile(r"\b(?:stud(?:y|ies)|trials?|research\w*|evidence|review\w*|found|shown|show|suggest\w*|report\w*)\b", re.I)
_THERAPY_WORDS = re.compile(r"\b(?:therapy|psychotherapy|counsell?ing|education|CBT|MBRP|MET)\b", re.I)
_PERCENT_IN_TEXT = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d+)?)\s?%")
_OF = re.compile(r"(?<![\d.])(\d{1,4}) (?:of|out of) (\d{1,4})\b")


@dataclass(frozen=True)
class Figure:
    kind: str  # "%", "n", "studies", "mg/kg"
    value: float
    text: str  # as written


def page_figures(sentence: str) -> list[Figure]:
    """The figures a claim states: percentages (not confidence levels), participants, studies pooled, doses."""
    out = []
    for m in numbers._PERCENT.finditer(sentence):
        if _CI_PERCENT.match(sentence, m.start()) or float(m.group(1)) > 100:
            continue
        approx = bool(_APPROX.search(sentence[max(0, m.start() - 14) : m.start()]))
        out.append(Figure("~%" if approx else "%", float(m.group(1)), sentence[m.start() : m.end()]))
    out += [Figure("n", x.value, x.text) for x in numbers.sample_sizes(sentence)]
    out += [Figure("studies", x.value, x.text) for x in numbers.studies_counts(sentence)]
    out += [Figure("mg/kg", v, d.text) for d in numbers.doses(sentence) for v in d.mg_per_kg]
    return out


def study_percents(s: Study) -> list[tuple[float, int, Finding]]:
    """(value, finding number, finding) for every percentage the study reports: findings, arms, events over arm
    sizes, and percentages written in a finding's text."""
    out: list[tuple[float, int, Finding]] = []
    for i, f in enumerate(s.findings, 1):
        if f.value is not None and f.unit == "%":
            out.append((f.value, i, f))
        for a in f.arms:
            if a.value is not None and a.unit == "%":
                out.append((a.value, i, f))
            if a.events is not None and a.n:
                out.append((round(100 * a.events / a.n, 1), i, f))
        out += [(float(x), i, f) for x in _PERCENT_IN_TEXT.findall(f.text)]
        out += [(round(100 * int(a) / int(b), 1), i, f) for a, b in _OF.findall(f.text) if 0 < int(b) and int(a) <= int(b)]
    return out


def study_counts(s: Study) -> set[int]:
    """Every participant count the record gives: n, arm sizes, finding n's, and "8 of 16" in a finding's text."""
    out = {s.n} if s.n else set()
    for f in s.findings:
        out |= {x for x in (f.n, *(a.n for a in f.arms)) if x}
        for a, b in _OF.findall(f.text):
            out |= {int(a), int(b)}
        out |= {int(x.value) for x in numbers.sample_sizes(f.text)}
    for text in (s.summary or "", s.abstract or "", s.note or ""):
        out |= {int(x.value) for x in numbers.sample_sizes(text)}
    return out


@dataclass
class _Found:
    verdict: str
    reason: str
    page: tuple[str, ...] = ()
    study: tuple[str, ...] = ()
    findings: tuple[int, ...] = ()


def check(claim: Claim, study: Study | None, vocab: Vocabulary, known: KnownStudies) -> Verdict:
    """The verdict on one claim; `study` is the record it cites (None when unresolved)."""
    if study is None:
        return _unlinked(claim, vocab, known)
    found = (
        _identity(claim, study, vocab, known)
        or _figures(claim, study)
        or _direction(claim, study, vocab)
        or _scope(claim, study)
        or _agreement(claim, study, vocab)
    )
    return Verdict(found.verdict, found.reason, found.page, found.study, found.findings, checker=CHECKER)


def check_claims(
    text: str, claims: tuple[Claim, ...], vocab: Vocabulary, known: KnownStudies, page: tuple[str, str | None, str | None] = ("", None, None)
) -> tuple[Claim, ...]:
    """Every claim of an article with its verdict. Links are completed first: a regulatory claim by the approval
    it describes, and a sentence that goes on about a study the page has named ("The team found…", "Participants
    who…") to that study (`discourse`). `page` is the article's (title, url, date): a page about one study names it
    in its address, its title or its description (`page_study`)."""
    claims = tuple(
        replace(c, cites=linked, unresolved_reason=None)
        if c.cites is None and (linked := _regulatory_link(c, vocab, known))
        else c
        for c in claims
    )
    out = []
    for c in discourse(text, claims, vocab, known, page_study(*page, text, vocab, known)):
        study = known.full(c.cites) if c.cites else None
        out.append(replace(c, verdict=check(c, study, vocab, known)))
    return tuple(out)


# -- linking by description --------------------------------------------------------


def _regulatory_link(c: Claim, vocab: Vocabulary, known: KnownStudies) -> str | None:
    """An FDA approval claim about ketamine or esketamine: the KB's approval record it describes, when one fits."""
    if not _FDA_APPROVAL.search(c.text) or not _drugs(c, vocab):
        return None
    conditions = _scheme(c, vocab, "condition")
    decisions = [
        s for s in known
        if (s.design or "").endswith("/regulatory") and _family(s.concepts, vocab)
        and any(_related(x, y, vocab) for x in conditions for y in s.concepts)
    ]  # fmt: skip  (an approval "as an anesthetic" is not the KB's approval for depression)
    years = {int(y) for y in _YEAR.findall(c.text)}
    if years:
        decisions = [s for s in decisions if s.year in years]
    # Each approval the claim's conditions name: "for TRD and MDD with suicidal ideation" names both, so neither.
    specific = [s for s in decisions if any(x == y for x in conditions for y in s.concepts)]
    if len(specific) == 1:
        return specific[0].id
    if not specific and len(decisions) > 1:  # "approved for depression": the first approval
        decisions = [min(decisions, key=lambda s: s.year or 9999)]
    return decisions[0].id if len(decisions) == 1 and not specific else None


_ANAPHORA = re.compile(
    r"\b(?:th(?:e|is|ese) (?:study|trial|research|paper|analysis|review|team|researchers|investigators|authors|results?|"
    r"findings|participants|patients|sample|cohort|data)|(?:the )?researchers (?:found|reported|said|noted|observed|saw)|"
    r"participants|those (?:who|in|given|receiving|treated)|the (?:ketamine|placebo|control|treatment|esketamine|midazolam) "
    r"(?:group|arm)|(?:they|we) found|(?:the|this) (?:phase (?:I|II|III|2|3)|pilot|crossover|randomi[sz]ed)|"
    r"(?:its|their) (?:results|findings|participants)|key findings|an? (?:new |recent |large |small |clinical |randomi[sz]ed )*"
    r"(?:study|trial)(?: \w+){0,3} (?:found|showed|suggests|reported|examine[sd]|conducted|led|published))\b",
    re.I,
)
# Research the sentence says is not the study at hand: plural or earlier work, a reference-list line.
_ELSEWHERE = re.compile(
    r"\b(?:studies|trials|previous(?:ly)?|earlier|prior|preliminary|other research|literature|meta-analys[ie]s|reviews)\b"
    r"|doi\.org|\bet al\.|\(\d{4}\)\.",
    re.I,
)
_DESCRIBES = re.compile(r"\d|\b(?:randomi[sz]ed|blind|placebo|midazolam|saline|crossover|control|infusion|dose|primary outcome|secondary)\b", re.I)


def discourse(
    text: str, claims: tuple[Claim, ...], vocab: Vocabulary, known: KnownStudies, about: tuple[str, bool] | None = None
) -> list[Claim]:
    """The claims, plus the sentences that go on about a study the page has linked: each sentence after a linked
    claim that refers back to research ("the trial", "the team found", "participants", "those who received") and
    names nothing the study lacks is linked to the most recent one. On a page about one study the sentences
    before its first citation count too; on a page that names its study outright (`about`), so does every claim
    that cites nothing else. A sentence that cites research of its own is left as it is."""
    from .claims import _conflict, _claim_concepts, claim_in
    from .concepts import matcher
    from . import sentences

    by_start = {c.provenance.start: c for c in claims}
    anchors = [c.cites for c in claims if c.cites]
    about_id, outright = about or (None, False)
    single = anchors[0] if anchors and len(set(anchors)) == 1 else about_id if not anchors else None
    mentions = matcher(vocab).find(text)
    out: list[Claim] = []
    current = single
    for a, b in sentences.spans(text):
        claim = by_start.get(a)
        if claim is not None and claim.cites:
            current = claim.cites
            out.append(claim)
            continue
        sentence = text[a:b]
        refers = (_ANAPHORA.search(sentence) or (outright and current == about_id and (claim is not None or _DESCRIBES.search(sentence)))) and len(sentence.split()) >= 4
        explicit = claim is not None and claim.citation is not None and (claim.citation.authors or claim.citation.journal or claim.citation.doi)
        if current and refers and not explicit and not _ELSEWHERE.search(sentence):
            local = [m for m in mentions if a <= m.start and m.end <= b and not m.negated]
            study = known.get(current)
            years = {int(y) for y in _YEAR.findall(sentence)}
            if study is not None and not _conflict(study, _claim_concepts(tuple(m.iri for m in local), vocab), vocab) and not (
                years and study.year and all(abs(y - study.year) > 1 for y in years)
            ):
                base = claim or claim_in(sentence, local, a, vocab, known)
                if base is None and (_EFFECT.search(sentence) or re.search(r"\d", sentence)):
                    base = _bare_claim(sentence, local, a)
                if base is not None:
                    out.append(replace(base, cites=current, unresolved_reason=None))
                    continue
        if claim is not None:
            out.append(claim)
    return out


_WORD = re.compile(r"[a-z0-9]+")
_PAGE_PMID = re.compile(r"(?<!\d)(\d{7,8})(?!\d)")
_DESCRIBING = ("condition", "route", "therapy", "population", "drug")
_PROPER = re.compile(r"\b[A-Z][a-z]+[A-Z][A-Za-z]*\b|\b[A-Z]{3,}(?:-\d)?\b|\b[A-Z][a-z]{3,}\b")
_GENERIC = frozenset(
    "study trial trials randomized randomised controlled clinical ketamine esketamine patients adults treatment therapy "
    "effects effect efficacy safety depression disorder review analysis results findings this that these there their "
    "january february march april june july august september october november december university hospital institute "
    "college center centre school medicine medical health national research phase repeated single "
    "american journal psychiatry british european international".split()
)


def page_study(
    title: str, url: str | None, date: str | None, text: str, vocab: Vocabulary, known: KnownStudies
) -> tuple[str, bool] | None:
    """The one study a page is about, and whether the page names it outright: an identifier in its address or
    the study's title in its title or text (True), or a description that fits one study in the KB far better
    than any other (its topics, participants, sessions, trial name, a year that fits the page's date: False)."""
    for m in _PAGE_PMID.finditer(url or ""):
        if len(hits := known.by_pmid(m.group(1))) == 1:
            return hits[0].id, True
    if url and (doi := re.search(r"10\.\d{4,9}/[^\s?#]+", url)):
        if len(hits := known.by_doi(doi.group(0).rstrip("/.").lower())) == 1:
            return hits[0].id, True
    head = text[:4000]
    words = " ".join(_WORD.findall(f"{title}\n{head}".lower()))
    titled = [k for k in known if k.title and len(_WORD.findall(k.title.lower())) >= 6 and " ".join(_WORD.findall(k.title.lower())) in words]
    if len(titled) == 1:
        return titled[0].id, True
    described = _described(title, date, head, vocab, known)
    return (described, False) if described else None


def _described(title: str, date: str | None, head: str, vocab: Vocabulary, known: KnownStudies) -> str | None:
    """Score each primary study or registration by what the page's title and opening say about it: each shared
    condition, route, therapy, population or drug, weighted by how few studies have it (and half again when the
    title names it); its participant and session counts; a publication year that fits the page's date; a name
    only its record uses (a trial, a company: "KARE", "Mindbloom"). A study whose conditions the page never
    mentions loses. The best must lead by a clear margin."""
    from .concepts import matcher

    found = matcher(vocab).find(f"{title}\n{head}")
    in_title = {m.iri for m in found if m.end <= len(title) and not m.negated}
    specific = {m.iri for m in found if not m.negated and vocab[m.iri].scheme in _DESCRIBING} - {KETAMINE}
    page = f"{title}\n{head}"
    counts = {int(x.value) for x in numbers.sample_sizes(page)} | {int(x.count) for x in numbers.sessions(page)}
    year = int(date[:4]) if date and date[:4].isdigit() else None
    words = set(_PROPER.findall(page))
    weight, names = _rarity(known, vocab)
    scores = []
    for k in known:
        if (k.design or "").endswith(("/regulatory", *REVIEW_DESIGNS)):
            continue
        shared = [c for c in specific if any(_related(c, x, vocab) for x in k.concepts)]
        score = sum(weight.get(c, 1.0) * (1.5 if c in in_title else 1.0) for c in shared)
        conditions = [x for x in k.concepts if x in vocab and vocab[x].scheme == "condition"]
        if conditions and not any(_related(c, x, vocab) for c in specific for x in conditions):
            score -= 3
        score += 2 * bool(k.n and k.n >= 10 and (k.n in counts or any(c >= 100 and abs(k.n - c) <= 0.05 * k.n for c in counts)))
        score += 2 * bool(k.sessions and k.sessions in counts)
        score += 1.5 * bool(year and k.year and 0 <= year - k.year <= 1)
        named = words & names.get(k.id, set())
        facts = bool(k.n and k.n >= 10 and k.n in counts) or bool(k.sessions and k.sessions in counts) or bool(named) or bool(
            year and k.year and 0 <= year - k.year <= 1
        )
        score += 3 * bool(named)
        scores.append((score if facts else min(score, 6.5), k.id))  # topics alone never name a study
    scores.sort(reverse=True)
    if scores and scores[0][0] >= 7 and (len(scores) == 1 or scores[0][0] - scores[1][0] >= 2):
        return scores[0][1]
    return None


_RARITY: dict[int, tuple[dict[str, float], dict[str, set[str]]]] = {}


def _rarity(known: KnownStudies, vocab: Vocabulary) -> tuple[dict[str, float], dict[str, set[str]]]:
    """Each concept's weight, log2 of how rare it is among the KB's studies (at most 3), and each study's names
    that at most one other record uses, from its title and note; computed once per set of known studies."""
    import math

    key = (id(known), len(known))
    if key not in _RARITY:
        studies = list(known)
        df: dict[str, int] = {}
        name_df: dict[str, int] = {}
        names: dict[str, set[str]] = {}
        labels = {w.lower() for c, label, _ in vocab.labels() for w in label.split()}
        for k in studies:
            for c in k.concepts:
                for x in (c, *vocab.ancestors(c)) if c in vocab else (c,):
                    df[x] = df.get(x, 0) + 1
            own = {w for w in _PROPER.findall(f"{k.title} {k.note}") if w.lower() not in labels and w.lower() not in _GENERIC}
            names[k.id] = own
            for w in own:
                name_df[w] = name_df.get(w, 0) + 1
        n = len(studies) or 1
        weight = {c: min(3.0, max(0.5, math.log2((n + 1) / (d + 1)))) for c, d in df.items()}
        names = {sid: {w for w in ws if name_df[w] <= 2} for sid, ws in names.items()}
        _RARITY.clear()
        _RARITY[key] = (weight, names)
    return _RARITY[key]


def _bare_claim(sentence: str, mentions, offset: int) -> Claim:
    from kb.model import Provenance

    from .claims import AGENT

    return Claim(
        text=sentence,
        concepts=tuple(dict.fromkeys(m.iri for m in mentions)),
        provenance=Provenance(quote=sentence, start=offset, end=offset + len(sentence), agent=AGENT),
    )


# -- linked claims -------------------------------------------------------------------


def _identity(c: Claim, s: Study, vocab: Vocabulary, known: KnownStudies) -> _Found | None:
    named = _drugs(c, vocab)
    studied = set(s.drugs)
    if named == {KETAMINE} and ESKETAMINE in studied and KETAMINE not in studied:
        return _Found(
            "misstated",
            f"the page says ketamine; {_cite(s)} concerns esketamine (the S-enantiomer{', nasal spray' if _is_spray(s, vocab) else ''}), not racemic ketamine",
            ("ketamine",), ("esketamine",),
        )
    if named == {ESKETAMINE} and KETAMINE in studied and ESKETAMINE not in studied:
        return _Found("misstated", f"the page says esketamine; {_cite(s)} gave racemic ketamine", ("esketamine",), ("ketamine",))
    therapies = _scheme(c, vocab, "therapy")
    if therapies and not s.therapies and s.design and not s.design.endswith(tuple(REVIEW_DESIGNS)):
        labels = ", ".join(sorted(vocab.label(t) for t in therapies))
        return _Found("misstated", f"the page names {labels}; {_cite(s)} gave no psychotherapy", (labels,), ("no psychotherapy",))
    routes = _scheme(c, vocab, "route")
    if routes and s.routes and not any(_related(r, x, vocab) for r in routes for x in s.routes):
        page = ", ".join(sorted(vocab.label(r) for r in routes))
        study = ", ".join(sorted(vocab.label(r) for r in s.routes))
        return _Found("misstated", f"the page names {page}; {_cite(s)} gave it {study}", (page,), (study,))
    m = _FIRST.search(c.text)
    if m and not re.search(r"\bfirst[- ](?:line|dose|week|day|infusion|session|author)", c.text, re.I):
        earlier = _earlier(s, vocab, known)
        if earlier:
            return _Found(
                "misstated",
                f"the page calls it the {m.group(0).lower().removeprefix('the ')}; the KB holds an earlier one: {earlier.id} ({earlier.year})",
                (m.group(0),), (f"{s.id}: {s.year}", f"{earlier.id}: {earlier.year}"),
            )
    return None


def _earlier(s: Study, vocab: Vocabulary, known: KnownStudies):
    """A study in the KB of the same kind (an approval, or a trial of the same condition and drug) before `s`."""
    if not s.year:
        return None
    regulatory = bool(s.design and s.design.endswith("/regulatory"))
    drugs = {d for d in s.drugs if _family({d}, vocab)}
    best = None
    for k in known:
        if k.id == s.id or not k.year or k.year >= s.year:
            continue
        if regulatory != bool(k.design and k.design.endswith("/regulatory")):
            continue
        if drugs and not any(_related(d, x, vocab) for d in drugs for x in k.concepts):
            continue
        if not regulatory and not any(_related(c, x, vocab) for c in s.conditions for x in k.concepts):
            continue
        if not regulatory and k.design and k.design.endswith(tuple(REVIEW_DESIGNS)):
            continue
        if best is None or k.year < best.year:
            best = k
    return best


def _figures(c: Claim, s: Study) -> _Found | None:
    figures = page_figures(c.text)
    if not figures:
        return None
    percents = study_percents(s)
    matched: list[tuple[Figure, float, int, Finding]] = []
    for f in figures:
        if f.kind in ("%", "~%"):
            tolerance = 2.5 if f.kind == "~%" else 0.6
            hits = [(v, i, finding) for v, i, finding in percents if abs(v - f.value) <= tolerance]
            if hits:
                v, i, finding = min(hits, key=lambda h: abs(h[0] - f.value))
                matched.append((f, v, i, finding))
            elif percents:
                shown = _key_percents(s)
                return _Found("misstated", f"the page gives {f.text}; {_cite(s)} reports {'; '.join(shown)}", (f.text,), tuple(shown))
        elif f.kind == "n" and f.value >= 10:
            counts = study_counts(s)
            if counts and int(f.value) not in counts:
                return _Found(
                    "misstated",
                    f"the page gives {f.text}; {_cite(s)} had {s.n:,} participants" if s.n else f"the page gives {f.text}; {_cite(s)} gives other counts",
                    (f.text,), (f"n = {s.n}",) if s.n else (),
                )
        elif f.kind == "studies" and s.n_studies and int(f.value) != s.n_studies:
            return _Found("misstated", f"the page gives {f.text}; {_cite(s)} pooled {s.n_studies} studies", (f.text,), (f"{s.n_studies} studies",))
        elif f.kind == "mg/kg" and s.dose_mg_per_kg and f.value not in s.dose_mg_per_kg:
            doses = ", ".join(f"{d:g} mg/kg" for d in s.dose_mg_per_kg)
            return _Found("misstated", f"the page gives {f.text}; {_cite(s)} gave {doses}", (f.text,), (doses,))
    for f, v, i, finding in matched:
        course = _AFTER_COURSE.search(c.text)
        phase = " ".join(filter(None, [finding.phase, finding.timepoint]))
        if course and phase and _BEFORE_THERAPY.search(phase) and _THERAPY_WORDS.search(course.group(0)):
            told = _clause(c.text, f.text, course)
            measured = ", ".join(filter(None, [finding.timepoint, finding.phase]))
            return _Found(
                "misstated",
                f"the page gives {f.text} as the result of the course it names; {_cite(s)} measured it at the "
                f"{finding.timepoint or measured}, before that course could have had its effect",
                (told,), (f"{v:g}% at the {measured}: {finding.text}",), (i,),
            )
        durable = _DURABLE.search(c.text)
        weeks = finding.timepoint_weeks
        if durable and weeks is not None and weeks <= 4:
            return _Found(
                "overstated",
                f"the page calls {f.text} {durable.group(0).lower()}; {_cite(s)} measured it at {finding.timepoint or f'{weeks:g} weeks'}",
                (f"{f.text} {durable.group(0)}",), (f"{v:g}% at {finding.timepoint or f'{weeks:g} weeks'}",), (i,),
            )
    if matched:
        f, v, i, finding = matched[0]
        return _Found(
            "supported",
            f"the page's {', '.join(m[0].text for m in matched)} {'is' if len(matched) == 1 else 'are'} the study's own figure{'s' if len(matched) > 1 else ''}",
            tuple(m[0].text for m in matched),
            tuple(f"{m[1]:g}%: {m[3].text}" for m in matched),
            tuple(dict.fromkeys(m[2] for m in matched)),
        )
    return None


def _direction(c: Claim, s: Study, vocab: Vocabulary) -> _Found | None:
    """A benefit the page asserts where the study found none."""
    if not _EFFECT.search(c.text) or _NULL.search(c.text):
        return None
    nulls = [(i, f) for i, f in enumerate(s.findings, 1) if f.direction == "no difference"]
    if not nulls:
        return None
    if _ADDED_VALUE.search(c.text):
        for i, f in nulls:
            if _THERAPY_WORDS.search(f.text) and re.search(r"\b(?:plus|with|added|versus|vs|than)\b", f.text, re.I):
                return _Found("contradicted", f"the page says therapy added to ketamine's effect; {_cite(s)}: {f.text}", (_ADDED_VALUE.search(c.text).group(0),), (f.text,), (i,))
    outcomes = _scheme(c, vocab, "outcome")
    on_outcome = [(i, f) for i, f in enumerate(s.findings, 1) if f.outcome and f.outcome in outcomes]
    if on_outcome and all(f.direction == "no difference" for _, f in on_outcome):
        i, f = on_outcome[0]
        return _Found("contradicted", f"the page asserts an effect on {vocab.label(f.outcome)}; {_cite(s)} found none: {f.text}", (), (f.text,), (i,))
    primary = next(((i, f) for i, f in enumerate(s.findings, 1) if f.primary), None)
    if primary and primary[1].direction == "no difference" and not outcomes and re.search(r"\bsignificant|effective|beat|outperform", c.text, re.I):
        i, f = primary
        return _Found("contradicted", f"the page asserts an effect; {_cite(s)}'s primary outcome showed none: {f.text}", (), (f.text,), (i,))
    return None


def _scope(c: Claim, s: Study) -> _Found | None:
    """Bigger, broader, surer or longer than the study shows."""
    design = (s.design or "").rsplit("/", 1)[-1]
    if m := _ABSOLUTE.search(c.text):
        if not (m.group(0).startswith("100") and any(abs(v - 100) < 0.5 for v, _, _ in study_percents(s))):
            return _Found("overstated", f"the page says “{m.group(0)}”; {_cite(s)} ({_design(s)}) shows no such certainty or reach", (m.group(0),), ())
    if design in UNCONTROLLED and (m := _COMPARATIVE.search(c.text)):
        return _Found("overstated", f"the page compares (“{m.group(0)}”); {_cite(s)} is an uncontrolled {_design(s)} with no comparison group", (m.group(0),), (_design(s),))
    if design in UNCONTROLLED and (m := _SAFE_EFFECTIVE.search(c.text)):
        return _Found("overstated", f"the page says “{m.group(0)}”; {_cite(s)} is an uncontrolled {_design(s)}", (m.group(0),), (_design(s),))
    if (m := _DURABLE.search(c.text)) and not _NULL.search(c.text):
        horizon = max([w for w in (s.followup_weeks, *(f.timepoint_weeks for f in s.findings)) if w is not None], default=None)
        if horizon is not None and horizon <= 12:
            return _Found("overstated", f"the page says “{m.group(0)}”; {_cite(s)} followed participants for {horizon:g} weeks", (m.group(0),), (f"{horizon:g} weeks",))
    return None


def _agreement(c: Claim, s: Study, vocab: Vocabulary) -> _Found:
    """No discrepancy found: supported when the study is about what the page says, else not checkable."""
    shared = [x for x in c.concepts if any(_related(x, y, vocab) for y in (*s.conditions, *s.drugs, *s.therapies, *s.routes, *s.outcomes))]
    if shared or _names(c, s):
        topics = ", ".join(dict.fromkeys(vocab.label(x) for x in shared)) or "the study it names"
        return _Found("supported", f"{_cite(s)} is about {topics}, and the page states nothing its record contradicts", (), ())
    return _Found("not checkable", f"the claim states nothing {_cite(s)}'s record can confirm or refute", (), ())


# -- unlinked claims --------------------------------------------------------------------


def _unlinked(c: Claim, vocab: Vocabulary, known: KnownStudies) -> Verdict:
    reason = c.unresolved_reason or ""
    candidates = tuple(re.findall(r"\b([a-z][a-z0-9_]*\d{4}[a-z0-9_]*)\b", reason))
    about_ketamine = bool(_drugs(c, vocab) or _scheme(c, vocab, "therapy") or _scheme(c, vocab, "condition"))
    asserts = bool(_RESEARCH_WORDS.search(c.text) or _EFFECT.search(c.text) or CLAIM_EFFECT.search(c.text))
    cit = c.citation
    named = bool(cit and (cit.doi or cit.pmid or cit.authors or cit.journal))

    def verdict(label: str, why: str) -> Verdict:
        return Verdict(label, why, candidates=candidates, checker=CHECKER)

    if reason.startswith("ambiguous"):
        return verdict("not checkable", f"several studies in the KB fit ({', '.join(candidates) or reason}); the page does not say which")
    if named and reason.startswith("no study in the KB"):
        return verdict("not checkable", f"the study it cites is not in the KB ({reason.removeprefix('no study in the KB ')})")
    if "but the claim names" in reason:
        return verdict("misstated", reason.replace("matches by", "is the study the citation describes (by").replace(", but", "), but"))
    if not about_ketamine:
        return verdict("not checkable", "not about ketamine, a therapy given with it, or a condition it treats: outside what the KB holds")
    if not asserts:
        return verdict("not checkable", "a background figure or statement, not a finding of a study the KB could hold")
    if named:
        return verdict("not checkable", f"the study it cites cannot be identified in the KB ({reason})")
    return verdict("unsupported", "a research claim with no identifiable study behind it" + (f"; closest in the KB: {', '.join(candidates)}" if candidates else ""))


# -- helpers ----------------------------------------------------------------------------


def _scheme(c: Claim, vocab: Vocabulary, scheme: str) -> set[str]:
    return {x for x in c.concepts if x in vocab and vocab[x].scheme == scheme}


def _drugs(c: Claim, vocab: Vocabulary) -> set[str]:
    """The ketamine-family drugs a claim names ("Spravato" is esketamine)."""
    return {d for d in _scheme(c, vocab, "drug") if _family({d}, vocab)}


def _family(concepts, vocab: Vocabulary) -> bool:
    return any(x == KETAMINE or KETAMINE in vocab.ancestors(x) for x in concepts if x in vocab)


def _related(a: str, b: str, vocab: Vocabulary) -> bool:
    return a == b or a in vocab.ancestors(b) or b in vocab.ancestors(a)


def _is_spray(s: Study, vocab: Vocabulary) -> bool:
    return any(vocab.label(r) == "intranasal" for r in s.routes) or "nasal" in (s.title + (s.summary or "")).lower()


def _names(c: Claim, s: Study) -> bool:
    """The claim names the study: its first author, its journal or its DOI."""
    cit = c.citation
    return bool(cit and (cit.doi or cit.pmid or cit.authors or cit.journal))


def _cite(s: Study) -> str:
    """ "Wilkinson 2017", "US Food and Drug Administration 2019": how the reason names a study."""
    from kb.names import short_citation

    return short_citation(s.authors, s.year, s.title.split(":")[0][:60])


def _design(s: Study) -> str:
    return (s.design or "study").rsplit("/", 1)[-1].replace("-", " ")


def _clause(sentence: str, figure: str, course: re.Match) -> str:
    """The page's words from the figure to the end of the course it is tied to: "50% of participants responded
    positively to a regimen of 12 CBT sessions over 10 weeks"."""
    start = sentence.find(figure)
    end = sentence.find(",", course.end())
    end = end if end != -1 else len(sentence)
    return sentence[start:end].strip() if 0 <= start < course.end() else f"{figure} {course.group(0)}"


def _key_percents(s: Study) -> list[str]:
    """The study's percentages as a reader wants them beside the page's: value and what it is."""
    shown = []
    for f in s.findings:
        if f.value is not None and f.unit == "%":
            shown.append(f"{f.value:g}% ({f.text[:90].rstrip()}{'…' if len(f.text) > 90 else ''})")
    return shown[:3] or ["other figures"]
