"""Links to the sources of a study: which web pages count as evidence, and the links a reader is shown.

A fact in the KB is only as good as the page it was checked on. Pages are classed by
host:

- **primary**: the record itself — a DOI landing page, PubMed, PMC or Europe PMC, the
  publisher's page, a trial registry or a regulator;
- **secondary**: a reputable copy or report — an institutional repository or research
  profile, a bibliographic index, a public-health body, an established news outlet;
- anything else (content farms, mirrors on raw IP addresses, document-sharing sites,
  clinic marketing pages, staging hosts) is not kept as evidence at all.

Study pages lead with the DOI, PubMed and PMC links and list under "checked against"
only what qualifies.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import unquote, urlsplit

# Hosts (and their subdomains) whose pages are the record of a study.
PRIMARY_HOSTS = frozenset(
    """
    doi.org dx.doi.org pubmed.ncbi.nlm.nih.gov pmc.ncbi.nlm.nih.gov pubmed.gov europepmc.org
    clinicaltrials.gov isrctn.com anzctr.org.au trialsearch.who.int clinicaltrialsregister.eu
    hra.nhs.uk fda.gov accessdata.fda.gov ema.europa.eu
    psychiatryonline.org cambridge.org jamanetwork.com karger.com nature.com sciencedirect.com
    linkinghub.elsevier.com elsevier.com cell.com thelancet.com link.springer.com springer.com
    springeropen.com biomedcentral.com onlinelibrary.wiley.com tandfonline.com informahealthcare.com
    frontiersin.org bmj.com dovepress.com psychiatrist.com journals.sagepub.com academic.oup.com
    journals.lww.com insights.ovid.com mdpi.com journals.plos.org nejm.org jsatjournal.com
    actnjournal.com hkmj.org brieflands.com medrxiv.org biorxiv.org psychiatryinvestigation.org
    jneurosci.org ajp.psychiatryonline.org liebertpub.com thieme-connect.com ijpsy.org
    """.split()
)
# Paths of ncbi.nlm.nih.gov that are PubMed or PMC (the host also serves much else).
_NCBI_RECORD = re.compile(r"^/(?:pubmed|pmc)/", re.IGNORECASE)

# Institutional repositories, research profiles, indexes, public bodies and news of record.
SECONDARY_HOSTS = frozenset(
    """
    ouci.dntb.gov.ua doaj.org scilit.net scilit.com semanticscholar.org safetylit.org
    drugsandalcohol.ie figshare.com rde.dspace-express.com eposter.europa-organisation.com
    nami.org nhs.uk medicinesresources.nhs.uk nihr.ac.uk bepartofresearch.nihr.ac.uk nih.gov
    reporter.nih.gov va.gov grecc.org maps.org iasp-pain.org jnjmedicalconnect.com janssen.com
    psychiatryadvisor.com physiciansweekly.com medicalnewstoday.com newatlas.com nytimes.com
    theguardian.com bbc.co.uk reuters.com statnews.com npr.org scientificamerican.com
    medpagetoday.com medscape.com cun.es m2.mtmt.hu is.muni.cz ebusca.uv.mx viurrspace.ca
    ttu-ir.tdl.org preprints.org pesquisa.bvsalud.org lup.lub.lu.se
    """.split()
)
# Host patterns of universities and their repositories and profile systems.
_INSTITUTIONAL = re.compile(
    r"(?:\.edu|\.ac\.[a-z]{2}|\.edu\.[a-z]{2})$|(?:^|\.)(?:pure|elsevierpure|research-repository|eprints|"
    r"repository|dspace|scholars|experts|discovery|kclpure|ore)\.",
    re.IGNORECASE,
)
# Never evidence, however the host is spelt: staging and development copies.
_NEVER = re.compile(r"(?:^|[.-])(?:staging|dev\d*|test|core-prod|core-varnish[\w-]*)(?:[.-]|$)", re.IGNORECASE)


_DOI_IN_URL = re.compile(r"(10\.\d{4,9}/[^\s?#]+)", re.IGNORECASE)
_PMCID_IN_URL = re.compile(r"/(PMC\d+)", re.IGNORECASE)
_PMID_IN_URL = re.compile(r"(?:pubmed(?:\.ncbi\.nlm\.nih\.gov|\.gov)?/|/pubmed/)(\d{5,9})", re.IGNORECASE)


def classify(url: str, doi: str | None = None, pmid: str | None = None, pmcid: str | None = None) -> str | None:
    """ "primary", "secondary" or None (not kept as evidence) for a web address.

    Given the study's identifiers, a record page of another publication (a citing
    article's table on PMC, a commentary's DOI on the publisher's site) is secondary:
    it is the record of something else.
    """
    kind = _by_host(url)
    if kind != "primary":
        return kind
    for pattern, own in ((_PMCID_IN_URL, pmcid), (_PMID_IN_URL, pmid)):
        m = pattern.search(url)
        if m and own and m.group(1).lower() != own.lower():
            return "secondary"
    if doi and _DOI_IN_URL.search(url) and doi.lower() not in unquote(url).lower():
        return "secondary"  # a DOI path may go on (/full, /xml/nlm): the study's own DOI must be in it
    return kind


def _by_host(url: str) -> str | None:
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme not in ("http", "https") or not host or "." not in host:
        return None
    try:
        ipaddress.ip_address(host)
        return None  # an unidentified mirror on a raw address
    except ValueError:
        pass
    if _NEVER.search(host):
        return None
    if _INSTITUTIONAL.search(host):
        return "secondary"
    if _in(host, PRIMARY_HOSTS) or (_in(host, {"ncbi.nlm.nih.gov"}) and _NCBI_RECORD.match(parts.path)):
        return "primary"
    if _in(host, SECONDARY_HOSTS):
        return "secondary"
    return None


def _in(host: str, hosts: frozenset[str] | set[str]) -> bool:
    labels = host.split(".")
    return any(".".join(labels[i:]) in hosts for i in range(len(labels) - 1))


def study_links(record: dict) -> list[dict]:
    """The links a reader is shown for a study: DOI, PubMed, PMC, the registry, its own URL, then the
    other pages it was checked against."""
    links = []
    if record.get("doi"):
        links.append({"label": "DOI", "url": f"https://doi.org/{record['doi'].lower()}"})
    if record.get("pmid"):
        links.append({"label": "PubMed", "url": f"https://pubmed.ncbi.nlm.nih.gov/{record['pmid']}/"})
    if record.get("pmcid"):
        links.append({"label": "PMC", "url": f"https://pmc.ncbi.nlm.nih.gov/articles/{record['pmcid']}/"})
    if record.get("nct"):
        links.append({"label": "ClinicalTrials.gov", "url": f"https://clinicaltrials.gov/study/{record['nct']}"})
    if record.get("url"):
        links.append({"label": "Source", "url": record["url"]})
    if not links:  # no identifier at all (a regulator's decision page): the primary pages the facts were checked on
        links += [{"label": "Source", "url": url} for url in record.get("primary_urls", [])[:2]]
    return [link for link in links if link["url"].lower().startswith(("https://", "http://"))]  # never javascript:
