"""What a function's analysis leaves for its callers: the hits (data reaching a request),
the parameter sinks (parameter i reaches a request) and the summary applied at each call."""

from __future__ import annotations

from dataclasses import dataclass, field

from gdpr_lint.analysis.reads import NO_READS, Reads
from gdpr_lint.analysis.values import EMPTY, Par, Red, Src, Value


@dataclass(frozen=True, slots=True)
class Hit:
    """Data reaching a request parameter: the raw material of a Finding."""

    site: str
    kind: str  # content | identity
    param: str
    label: Src
    scope: str  # the function in which the call sits
    via: str = ""  # the sanitizer the data passed (protected flow, not a finding); "" when raw


@dataclass(frozen=True, slots=True)
class ParamSink:
    site: str
    kind: str
    param: str
    par: Par
    via: str = ""


@dataclass
class Summary:
    ret: Value = EMPTY
    sinks: list[ParamSink] = field(default_factory=list)
    mutations: dict[int, Value] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    deps: Reads = NO_READS  # ("m", module) / ("f", function) / ("e", module) it read, and the summaries it used


def strip_params(v: Value) -> Value:
    """Drop symbolic parameter labels (when a value leaves its function's context)."""
    if not any(isinstance(t, Par) or isinstance(t, Red) and isinstance(t.inner, Par) for t in v.taints):
        return v
    return Value(frozenset(t for t in v.taints if isinstance(t, Src) or isinstance(t, Red) and isinstance(t.inner, Src)), v.tags,
                 tuple((k, strip_params(x)) for k, x in v.fields) if v.fields else v.fields)
