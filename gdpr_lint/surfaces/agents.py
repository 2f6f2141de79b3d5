"""The OpenAI Agents SDK (`openai-agents`, imported as `agents`): `Runner.run`,
`Runner.run_sync` and `Runner.run_streamed` with an `Agent`.

What the model receives on a run: the input, the agent's `instructions` (a string or
a function of the run context, whose return value is the system prompt), what its
`@function_tool` functions return (a tool that looks up a member sends the member's
data to the model), and the same of the agents it can hand off to; a `session` replays
the earlier turns it holds (`session.add_items(...)`). The run `context` itself is not
sent. An agent whose `model` is another provider's (a literal model
name, or `LitellmModel(model=...)`) is not an OpenAI call.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from gdpr_lint.analysis.summaries import strip_params
from gdpr_lint.analysis.values import EMPTY, Ext, Func, Protected, Value, join_all
from gdpr_lint.surfaces.base import Request, Surface
from gdpr_lint.surfaces.catalogue import Endpoint, catalogue

AGENT_CLASSES = frozenset({"agents.Agent", "agents.agent.Agent"})
RUNNER_METHODS = {
    f"{runner}.{method}": method
    for runner in ("agents.Runner", "agents.run.Runner")
    for method in ("run", "run_sync", "run_streamed")
}
# Runner.run(starting_agent, input, *, context=..., ...): the agent carries its
# instructions and tool outputs, the input is the user's turn.
RUN_ENDPOINT = Endpoint("agents.Runner.run", "agents", ("starting_agent", "input", "session"), (), (),
                        ("starting_agent", "input"), False)
MODEL_WRAPPERS = frozenset({"agents.extensions.models.litellm_model.LitellmModel", "agents.LitellmModel"})


@dataclass(frozen=True)
class AgentObject:
    """An `Agent(...)`; `openai` is False when its model is another provider's."""

    name: str
    openai: bool | None = None


class AgentsSDK(Surface):
    name = "agents"
    flavours = ("openai-agents",)
    package_roots = ("agents",)
    runtime_adapter = "gdpr_lint.runtime.adapters.agents_sdk"
    fix_hint = ("OpenAI Agents SDK run: run it through gdpr_lint.runtime.protect, "
                "protect(Runner.run, known={...})(agent, input), which protects every model request of the run "
                "(or pseudonymise the input and what the tools return with gdpr_lint.runtime.pseudonymise(...) "
                "and reidentify(...) the final output).")

    def owns(self, tag):
        return isinstance(tag, AgentObject) or isinstance(tag, Protected) and isinstance(tag.inner, Ext) \
            and tag.inner.qualname in RUNNER_METHODS or super().owns(tag)

    def protect(self, tag, protection=True):
        if isinstance(tag, Ext) and tag.qualname in RUNNER_METHODS:  # protect(Runner.run)
            return Protected(tag, protection)
        return None

    def fixable(self, endpoint, code):
        # protect(Runner.run, known=...)(agent, input): runtime/adapters/agents_sdk.py
        return code in ("GDPR001", "GDPR002") and endpoint in {f"Runner.{m}" for m in RUNNER_METHODS.values()}

    def construct(self, frame, qualname, node, args, kwargs):
        if qualname not in AGENT_CLASSES:
            return None
        sent = []
        openai_model: bool | None = None
        for kw in node.keywords:
            if kw.arg == "instructions":
                sent.append(self._returned(frame, frame.eval(kw.value), kw.value, "the agent's instructions"))
            elif kw.arg in ("tools", "handoffs"):
                elements = kw.value.elts if isinstance(kw.value, (ast.List, ast.Tuple)) else [kw.value]
                what = "returned by a tool of the agent" if kw.arg == "tools" else "in an agent it hands off to"
                sent.extend(self._returned(frame, frame.eval(e), e, what) for e in elements)
            elif kw.arg == "model":
                openai_model = self._model_is_openai(frame, kw.value)
        name = next((kw.value.value for kw in node.keywords if kw.arg == "name" and isinstance(kw.value, ast.Constant)
                     and isinstance(kw.value.value, str)), "")
        data = join_all(sent)
        return Value(data.taints, frozenset({AgentObject(name, openai_model)}))

    def _returned(self, frame, value: Value, node: ast.AST, what: str) -> Value:
        """The data a model sees of an instructions / tool / handoff value: a string as it
        is, a function by what it returns (its parameters come from the model or the run)."""
        out = [value.plain()]
        for t in value.tags:
            if isinstance(t, Func):
                fi = frame.ctx.functions.get(t.key)
                if fi is not None:
                    out.append(strip_params(frame.ctx.summary(fi).ret).plain())
        step = frame.step(node, what)
        return join_all(out).extend(step)

    def _model_is_openai(self, frame, node: ast.AST) -> bool | None:
        literal = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            literal = node.value
        elif isinstance(node, ast.Call):
            called = frame.eval(node.func)
            if any(isinstance(t, Ext) and t.qualname in MODEL_WRAPPERS for t in called.tags):
                for kw in node.keywords:
                    if kw.arg == "model" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                        literal = kw.value.value
                if literal is None and node.args and isinstance(node.args[0], ast.Constant) \
                        and isinstance(node.args[0].value, str):
                    literal = node.args[0].value
                if literal is None:
                    return None
        return catalogue().model_is_openai(literal) if literal is not None else None

    def request(self, ctx, tag, node, args, kwargs):
        protected: "bool | str" = False
        if isinstance(tag, Protected) and isinstance(tag.inner, Ext):
            protected, tag = tag.protection, tag.inner
        if not (isinstance(tag, Ext) and tag.qualname in RUNNER_METHODS):
            return None
        agent = args[0] if args else EMPTY
        agents = [t for t in agent.tags if isinstance(t, AgentObject)]
        if agents and all(t.openai is False for t in agents):
            return None  # the agent runs on another provider's model: nothing reaches OpenAI
        # the SDK's default model is OpenAI's, and a redirected client still sends the data out
        return Request(f"Runner.{RUNNER_METHODS[tag.qualname]}", "openai-agents", RUN_ENDPOINT, protected, "high")


SURFACE = AgentsSDK()
