"""Every flow of personal data into an OpenAI request, raw or protected.

Findings only report raw data; the data map (`gdpr-lint map`) also needs what
reaches a request *redacted* (pseudonymised, anonymised, hashed, or through
`protect(...)`) and by what. A `DataFlow` is one datum reaching one request
parameter at one call site, with the sanitizer it passed (`via`, "" when raw).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from gdpr_lint.checks.decide import code_for
from gdpr_lint.model import FlowStep

_CONF_RANK = {"low": 0, "medium": 1, "high": 2}


@dataclass(frozen=True)
class DataFlow:
    path: str  # the call site
    line: int
    column: int
    kind: str  # content | identity (user= / safety_identifier=)
    category: str  # vocabulary category key
    expr: str  # the source expression, e.g. "patient.cpr"
    param: str  # the request parameter it arrives in
    via: str  # qualified name of the sanitizer it passed; "" when it arrives raw
    confidence: str
    steps: tuple[FlowStep, ...]  # from the source (first) to the request parameter (last)
    cell: int | None = None  # in a notebook: the call's 1-based cell; line/column within it

    @property
    def protected(self) -> bool:
        return bool(self.via)

    def key(self) -> tuple:
        return (self.path, self.cell or 0, self.line, self.column, self.kind, self.category, self.expr, self.param,
                self.via)


def build_flows(project, vocab, reported: set[str], hits) -> list[DataFlow]:
    """The flows behind `hits` at call sites in `reported` files: those that are a
    finding when they arrive raw (`code_for`, as for the findings)."""
    best: dict[tuple, DataFlow] = {}
    for hit in hits:
        info = project.sites.get(hit.site)
        if info is None or info.site.path not in reported:
            continue
        cat = vocab.categories.get(hit.label.category)
        if cat is None or code_for(hit.kind, cat) is None:
            continue
        site = info.site
        lab = hit.label
        flow = DataFlow(site.path, site.span.line, site.span.column, hit.kind, lab.category, lab.expr,
                        hit.param, hit.via, lab.confidence, (lab.origin, *lab.path))
        have = best.get(flow.key())
        if have is None or len(flow.steps) < len(have.steps):
            best[flow.key()] = flow
    return sorted(best.values(), key=DataFlow.key)


def merge_flows(groups: Iterable[list[DataFlow]]) -> list[DataFlow]:
    best: dict[tuple, DataFlow] = {}
    for flows in groups:
        for f in flows:
            have = best.get(f.key())
            if have is None or len(f.steps) < len(have.steps) \
                    or _CONF_RANK[f.confidence] > _CONF_RANK[have.confidence]:
                best[f.key()] = f
    return sorted(best.values(), key=DataFlow.key)
