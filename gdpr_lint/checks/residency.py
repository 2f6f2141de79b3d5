"""Data residency of OpenAI clients: is a request pinned to the EU, as far as the code says?

Policy (documented in docs/map.md, used by the opt-in rule GDPR010 and by `gdpr-lint map`):

* `data_residency="eu"` is EU; any other literal is not.
* A literal `base_url` / `azure_endpoint` is EU when it is https://eu.api.openai.com/v1 (any
  path on eu.api.openai.com), matches an entry of `eu-base-urls` (a URL prefix or an
  fnmatch pattern such as `https://*.example.eu/*`), or is an Azure regional endpoint
  whose host starts with an EU/EEA region (`swedencentral.api.cognitive.microsoft.com`).
  Other openai.com hosts and Azure hosts of a non-EU region are not EU (high confidence);
  an Azure resource endpoint (`contoso.openai.azure.com`) does not show its region, so it
  is unknown (low confidence); any other host (a gateway) is not EU (medium confidence:
  add it to `eu-base-urls` if it is in the EU).
* No `base_url` at all: the SDK default https://api.openai.com/v1, not EU (high).
* A value from the environment or not resolved: unknown (low).
* `websocket_base_url` only counts for realtime endpoints.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from urllib.parse import urlsplit

from gdpr_lint.model import ClientConfig, FlowStep, Finding

EU_BASE_URLS = ("https://eu.api.openai.com/v1",)
EU_HOSTS = ("eu.api.openai.com",)
# Azure regions in the EU/EEA (Norway is EEA: GDPR applies).
EU_AZURE_REGIONS = frozenset({
    "westeurope", "northeurope", "swedencentral", "swedensouth", "francecentral", "francesouth",
    "germanywestcentral", "germanynorth", "italynorth", "polandcentral", "spaincentral",
    "norwayeast", "norwaywest", "austriaeast", "belgiumcentral", "denmarkeast",
})
NON_EU_AZURE_REGIONS = frozenset({
    "eastus", "eastus2", "westus", "westus2", "westus3", "centralus", "northcentralus", "southcentralus",
    "westcentralus", "canadaeast", "canadacentral", "brazilsouth", "uksouth", "ukwest", "switzerlandnorth",
    "switzerlandwest", "japaneast", "japanwest", "australiaeast", "koreacentral", "southindia",
    "centralindia", "southeastasia", "eastasia", "uaenorth", "southafricanorth", "qatarcentral",
})
AZURE_SUFFIXES = (".openai.azure.com", ".cognitiveservices.azure.com", ".api.cognitive.microsoft.com",
                  ".services.ai.azure.com")
_RANK = {"low": 0, "medium": 1, "high": 2}


@dataclass(frozen=True)
class Verdict:
    eu: bool | None  # True: pinned to the EU; False: not; None: cannot tell from the code
    confidence: str  # how sure a GDPR010 report is: high | medium | low
    text: str  # e.g. "base_url = https://eu.api.openai.com/v1 (EU)"


def _norm(url: str) -> str:
    return url.strip().lower().rstrip("/")


def url_verdict(url: str, extra_eu: tuple[str, ...] = ()) -> tuple[bool | None, str, str]:
    """(eu, confidence, reason) for a literal endpoint URL."""
    u = _norm(url)
    for pattern in EU_BASE_URLS + tuple(extra_eu):
        p = _norm(pattern)
        if u == p or u.startswith(p + "/") or fnmatch.fnmatch(u, p):
            return True, "high", "EU endpoint"
    try:
        host = (urlsplit(u if "://" in u else "https://" + u).hostname or "").lower()
    except ValueError:
        host = ""
    if host in EU_HOSTS:
        return True, "high", "EU endpoint"
    if host == "openai.com" or host.endswith(".openai.com"):
        return False, "high", "OpenAI global endpoint"
    if host.endswith(AZURE_SUFFIXES):
        region = host.split(".")[0]
        if region in EU_AZURE_REGIONS:
            return True, "high", f"Azure region {region}"
        if region in NON_EU_AZURE_REGIONS:
            return False, "high", f"Azure region {region}"
        return None, "low", "Azure resource, region not visible in the endpoint"
    return False, "medium", "not a known EU endpoint (list it in eu-base-urls if it is one)"


def describe_config(c: ClientConfig) -> str:
    if c.kind == "constant":
        return f"{c.setting} = {c.value}"
    if c.kind == "environment":
        return f"{c.setting} from environment ({c.value})"
    if c.kind == "default":
        return f"no base_url: SDK default {c.value}"
    return "client configuration not visible" if not c.setting else f"{c.setting} computed at run time"


def config_verdict(c: ClientConfig, extra_eu: tuple[str, ...] = ()) -> Verdict:
    text = describe_config(c)
    if c.kind == "constant":
        if c.setting == "data_residency":
            eu = c.value.strip().lower() in ("eu", "europe")
            return Verdict(eu, "high", text + (" (EU)" if eu else " (not EU)"))
        url_eu, conf, reason = url_verdict(c.value, extra_eu)
        return Verdict(url_eu, conf, f"{text} ({reason})")
    if c.kind == "default":
        return Verdict(False, "high", text)
    return Verdict(None, "low", text)


def site_verdict(configs: tuple[ClientConfig, ...], endpoint: str = "", extra_eu: tuple[str, ...] = ()) -> Verdict:
    """The residency of a call site: EU only if every client it may use is pinned to the EU."""
    realtime = "realtime" in endpoint
    groups: dict[str, list[Verdict]] = {}
    for c in configs:
        if c.setting == "websocket_base_url" and not realtime:
            continue
        groups.setdefault(c.where, []).append(config_verdict(c, extra_eu))
    if not groups:
        return Verdict(None, "low", "client configuration not visible")
    per_client: list[Verdict] = []
    for verdicts in groups.values():
        text = "; ".join(v.text for v in verdicts)
        if any(v.eu is False for v in verdicts):
            bad = max((v for v in verdicts if v.eu is False), key=lambda v: _RANK[v.confidence])
            per_client.append(Verdict(False, bad.confidence, text))
        elif any(v.eu for v in verdicts):
            per_client.append(Verdict(True, "high", text))
        else:
            per_client.append(Verdict(None, "low", text))
    text = " | ".join(dict.fromkeys(v.text for v in per_client))
    if all(v.eu for v in per_client):
        return Verdict(True, "high", text)
    worst = [v for v in per_client if not v.eu]
    eu = False if any(v.eu is False for v in worst) else None
    return Verdict(eu, max((v.confidence for v in worst), key=_RANK.__getitem__), text)


def residency_findings(sites, flows, vocab, settings_by_path: dict) -> list[Finding]:
    """GDPR010 at every request call that sends personal data (raw or protected) through a
    client that is not pinned to EU data residency."""
    from gdpr_lint.checks.decide import message
    from gdpr_lint.checks.rules import GDPR010

    by_site: dict[tuple, list] = {}
    for f in flows:
        if f.kind == "content":
            by_site.setdefault((f.path, f.line, f.column), []).append(f)
    out = []
    for site in sites:
        fl = by_site.get((site.path, site.span.line, site.span.column))
        if not fl:
            continue
        settings = settings_by_path.get(site.path)
        extra = tuple(settings.eu_base_urls) if settings is not None else ()
        verdict = site_verdict(site.client, site.endpoint, extra)
        if verdict.eu:
            continue
        data, categories = [], []
        for f in fl:
            cat = vocab.categories.get(f.category)
            entry = f"{f.expr} ({cat.label if cat else f.category})"
            if entry not in data:
                data.append(entry)
            if f.category not in categories:
                categories.append(f.category)
        confidence = min(verdict.confidence, site.confidence, key=_RANK.__getitem__)
        steps = []
        for c in site.client:
            if c.where and ":" in c.where:
                path, line = c.where.rsplit(":", 1)
                step = FlowStep(path, int(line), 1, f"client created: {describe_config(c)}")
                if step not in steps:
                    steps.append(step)
        steps.append(FlowStep(site.path, site.span.line, site.span.column, f"personal data sent to {site.endpoint}"))
        out.append(Finding(
            code="GDPR010", path=site.path, span=site.span,
            message=message(GDPR010.code, endpoint=site.endpoint, data=data, residency=verdict.text),
            severity=GDPR010.severity, confidence=confidence, data=data, categories=categories, flow=steps,
            endpoint=site.endpoint, flavour=site.flavour, function=site.function, callee=site.text,
            fixable=False, fix_hint=GDPR010.fix, statement_lines=site.statement_lines,
            params=sorted({f.param for f in fl}),
        ))
    return out
