"""Protect OpenAI Agents SDK runs: ``protect(Runner.run, known=...)(agent, input)``.

The SDK sends every model request through an ``AsyncOpenAI`` client held by the
model object of the run (``OpenAIResponsesModel`` / ``OpenAIChatCompletionsModel``,
made by the run's model provider, or set on an agent).  A protected run

* gives the run a model provider that protects the client of every model it
  makes, and protects the models set on the agents themselves (the starting agent
  and the agents it hands off to, copied; the caller's agents are not changed) and
  on ``RunConfig.model``: requests are pseudonymised and replies re-identified on
  the wire (:mod:`.openai_sdk`), streamed runs included;
* uses one conversation for all requests of the run (the one passed to
  ``protect()``, else the current one, else a new one), so a person keeps one
  pseudonym through the run's turns, tool calls and handoffs;
* keeps model inputs and outputs out of the SDK's traces
  (``trace_include_sensitive_data=False``): the trace exporter sends them to
  OpenAI as they are, before pseudonymisation.

Models of other providers (``LitellmModel("anthropic/...")``, ...) are left as
they are; a ``LitellmModel`` of an OpenAI model cannot be protected (LiteLLM makes
its own client), so a protected run with one fails closed.  The
``agents`` package is imported only when a run is protected.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import inspect
from typing import Any, Callable, Dict, Mapping, Optional, TypeVar

from ..config import Action
from ..errors import PseudonymisationError
from ..vault import Conversation, active_conversation
from .openai_sdk import protect as protect_openai

__all__ = ["protect", "is_runner_method", "RUN_METHODS"]

T = TypeVar("T")

RUN_METHODS = ("run", "run_sync", "run_streamed")


def is_runner_method(target: Any) -> bool:
    """``Runner.run``, ``Runner.run_sync``, ``Runner.run_streamed`` (by module and name)."""
    owner = getattr(target, "__self__", None)
    module = getattr(target, "__module__", None) or ""
    return (getattr(target, "__name__", "") in RUN_METHODS and isinstance(owner, type)
            and (module == "agents" or module.startswith("agents.")))


def _litellm_openai(name: Any) -> bool:
    """A LiteLLM model name that goes to OpenAI: `openai/...`, `azure/...`, or no provider prefix."""
    return isinstance(name, str) and (name.startswith(("openai/", "azure/")) or "/" not in name)


def _is_client(obj: Any) -> bool:
    return callable(getattr(obj, "with_options", None)) and hasattr(obj, "base_url") and hasattr(obj, "_client")


class _Run:
    """The protection of one run: its conversation and protected clients."""

    def __init__(self, known: Optional[Mapping[str, Any]], conversation: Conversation,
                 policy: Optional[Mapping[str, Action]]) -> None:
        self.known = known
        self.conversation = conversation
        self.policy = policy
        self.clients: Dict[int, Any] = {}
        self.agents: Dict[int, Any] = {}

    def client(self, client: Any) -> Any:
        key = id(client)
        if key not in self.clients:
            self.clients[key] = protect_openai(client, known=self.known, conversation=self.conversation,
                                               policy=self.policy)
        return self.clients[key]

    def model(self, model: Any) -> Any:
        """A copy of an OpenAI model object with its client protected; other models as they are,
        except a LiteLLM model of an OpenAI model, which sends without a client to protect."""
        if type(model).__name__ == "LitellmModel" and _litellm_openai(getattr(model, "model", None)):
            raise PseudonymisationError(
                f"an agent's LitellmModel({model.model!r}) sends to OpenAI through LiteLLM, which a protected run "
                "cannot pseudonymise; nothing was sent (use the SDK's OpenAI model for it)"
            )
        if not hasattr(model, "_client") or not (type(model).__module__ or "").startswith("agents.models.openai"):
            return model
        client = model._client
        if client is None:  # made on first use by the model: make it here, protected
            from openai import AsyncOpenAI

            client = AsyncOpenAI()
        if not _is_client(client):
            return model
        new = copy.copy(model)
        new._client = self.client(client)
        return new

    def agent(self, agent: Any) -> Any:
        """A copy of the agent (and the agents it hands off to) with their model objects protected."""
        if not dataclasses.is_dataclass(agent) or not hasattr(agent, "handoffs"):
            return agent  # a Handoff object: its agent is resolved by the SDK (see docs/runtime.md)
        key = id(agent)
        if key in self.agents:
            return self.agents[key]
        clone: Any = copy.copy(agent)
        self.agents[key] = clone
        model = getattr(agent, "model", None)
        if model is not None and not isinstance(model, str):
            clone.model = self.model(model)
        clone.handoffs = [self.agent(h) for h in list(agent.handoffs or [])]
        return clone

    def provider(self, inner: Any) -> Any:
        from agents.models.interface import ModelProvider

        run = self

        class ProtectedModelProvider(ModelProvider):
            """The run's model provider, with the client of every model it makes protected."""

            def get_model(self, model_name: Optional[str]) -> Any:
                return run.model(inner.get_model(model_name))

            async def aclose(self) -> None:
                close = getattr(inner, "aclose", None)
                if close is not None:
                    await close()

            def __getattr__(self, name: str) -> Any:
                return getattr(inner, name)

        return ProtectedModelProvider()

    def run_config(self, config: Any) -> Any:
        from agents import RunConfig

        if config is None:
            config = RunConfig()
        elif isinstance(config, Mapping):
            config = RunConfig(**config)
        changes: Dict[str, Any] = {"model_provider": self.provider(config.model_provider),
                                   "trace_include_sensitive_data": False}
        if config.model is not None and not isinstance(config.model, str):
            changes["model"] = self.model(config.model)
        return dataclasses.replace(config, **changes)


def protect(
    target: T,
    *,
    known: Optional[Mapping[str, Any]] = None,
    conversation: Optional[Conversation] = None,
    policy: Optional[Mapping[str, Action]] = None,
) -> T:
    if not is_runner_method(target):
        raise TypeError(
            "protect() supports the Agents SDK's Runner.run, Runner.run_sync and Runner.run_streamed; "
            f"got {target!r}"
        )
    fn: Callable[..., Any] = target  # type: ignore[assignment]
    signature = inspect.signature(fn)

    def prepare(args: Any, kwargs: Any) -> Any:
        conv = conversation if conversation is not None else active_conversation()
        run = _Run(known, conv if conv is not None else Conversation(), policy)
        bound = signature.bind(*args, **kwargs)
        bound.arguments["starting_agent"] = run.agent(bound.arguments["starting_agent"])
        bound.arguments["run_config"] = run.run_config(bound.arguments.get("run_config"))
        return bound

    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def protected_async(*args: Any, **kwargs: Any) -> Any:
            bound = prepare(args, kwargs)
            return await fn(*bound.args, **bound.kwargs)

        return protected_async  # type: ignore[return-value]

    @functools.wraps(fn)
    def protected(*args: Any, **kwargs: Any) -> Any:
        bound = prepare(args, kwargs)
        return fn(*bound.args, **bound.kwargs)

    return protected  # type: ignore[return-value]
