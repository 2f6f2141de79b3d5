"""The hand-written surface data (rules/integrations.toml, surfaces/agents.py) checked
against the installed libraries, as the endpoint catalogue is checked against the SDK:
a renamed function or parameter in a new release fails here instead of silently
missing calls."""

from __future__ import annotations

import inspect
import os

import pytest

from gdpr_lint.surfaces import agents as agents_surface
from gdpr_lint.surfaces.catalogue import catalogue


os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network at import


def test_litellm_functions_and_their_content_parameters_exist():
    litellm = pytest.importorskip("litellm")
    for qualname, ep in catalogue().litellm_functions.items():
        name = qualname.split(".", 1)[1]
        fn = getattr(litellm, name, None)
        assert fn is not None, f"{qualname}: not in the installed litellm {litellm.__version__ if hasattr(litellm, '__version__') else ''}"
        params = inspect.signature(inspect.unwrap(fn)).parameters
        takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in params.values())
        takes_args = any(p.kind is p.VAR_POSITIONAL for p in params.values())
        for p in ep.content + ep.identity:
            assert p in params or takes_kwargs, (qualname, p)
        for p in ep.positional:
            assert p in params or takes_args, (qualname, p)


def test_litellm_router_has_the_methods_the_surface_models():
    litellm = pytest.importorskip("litellm")
    for name in ("completion", "acompletion", "embedding", "aembedding", "responses", "aresponses"):
        assert callable(getattr(litellm.Router, name, None)), name


def test_agents_sdk_runner_and_agent_match_the_surface():
    agents = pytest.importorskip("agents")
    for qualname, method in agents_surface.RUNNER_METHODS.items():
        if qualname.startswith("agents.Runner."):
            params = list(inspect.signature(getattr(agents.Runner, method)).parameters)
            assert params[:2] == list(agents_surface.RUN_ENDPOINT.positional), (method, params)
    fields = {f.name for f in __import__("dataclasses").fields(agents.Agent)}
    assert {"instructions", "tools", "handoffs", "model", "name"} <= fields
    assert agents.Agent.__module__ + ".Agent" in agents_surface.AGENT_CLASSES
    from agents.extensions.models import litellm_model  # noqa: F401 - the module path the surface names

    assert "agents.extensions.models.litellm_model.LitellmModel" in agents_surface.MODEL_WRAPPERS
