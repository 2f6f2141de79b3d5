"""The `openai` SDK 1.x and later: `OpenAI`/`AsyncOpenAI`/`AzureOpenAI` clients, their
resources (`client.chat.completions.create`, raw/streaming-response variants,
`with_options`), the module-level client (`openai.chat.completions.create`), and
resource chains on a receiver of unknown origin (`client` an untyped parameter).

Endpoints and their content parameters are generated from the SDK into
rules/endpoints.toml (surfaces/generate.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gdpr_lint.analysis.values import Client, Const, Env, Ext, Guess, Inst, Protected, Res, Value
from gdpr_lint.model import ClientConfig
from gdpr_lint.surfaces.base import Kwargs, Request, Surface
from gdpr_lint.surfaces.catalogue import RESOURCE_VARIANTS, Endpoint, catalogue

CLIENT_CLASSES = {
    "openai.OpenAI": "openai-v1",
    "openai.Client": "openai-v1",
    "openai.AsyncOpenAI": "openai-v1-async",
    "openai.AsyncClient": "openai-v1-async",
    "openai.AzureOpenAI": "openai-azure",
    "openai.AsyncAzureOpenAI": "openai-azure-async",
    "openai.lib.azure.AzureOpenAI": "openai-azure",
    "openai.lib.azure.AsyncAzureOpenAI": "openai-azure-async",
}
# Receivers that keep the client/resource they were called on.
CLIENT_PASSTHROUGH_METHODS = {"with_options", "copy"}
# Resource roots under which a call on an object of unknown origin is taken for a request
# (rules/integrations.toml [spellings.openai_v1] guessable_roots).
GUESS_ROOTS = catalogue().guess_roots
# Endpoints that turn a recording into text: their result is a transcript of people speaking.
TRANSCRIBING = frozenset({"audio.transcriptions.create", "audio.translations.create"})
# Client constructor arguments that say where requests go (data residency).
CLIENT_SETTINGS = ("base_url", "azure_endpoint", "data_residency", "websocket_base_url")
DEFAULT_BASE_URL = "https://api.openai.com/v1"  # the SDK's default (unless OPENAI_BASE_URL is set)


@dataclass(frozen=True)
class Realtime:
    """A realtime connection (`client.realtime.connect(...)`) or one of its resources:
    events sent on it leave the process over the websocket. The runtime pseudonymises
    them when the connection was opened on a protected client."""

    flavour: str
    path: tuple[str, ...] = ()
    protected: "bool | str" = False


def client_config(where: str, kwargs: Kwargs, flavour: str,
                  base: tuple[ClientConfig, ...] | None = None) -> tuple[ClientConfig, ...] | None:
    """Where a client built (or re-optioned with with_options) at `where` sends requests."""
    out: list[ClientConfig] = []

    def setting(name: str, v: Value) -> None:
        if name not in CLIENT_SETTINGS:
            return
        envs = v.of(Env)
        consts = v.of(Const)
        if envs:
            out.extend(ClientConfig(name, "environment", e.var, where) for e in envs)
        elif consts:
            out.extend(ClientConfig(name, "constant", s, where) for s in sorted(consts[0].strings))
        else:
            out.append(ClientConfig(name, "unknown", "", where))

    for k, v, _ in kwargs:
        if k is not None:
            setting(k, v)
        elif v.fields is not None:
            for fk, fv in v.fields:
                setting(fk, fv)
        else:
            out.append(ClientConfig("", "unknown", "", where))  # **options we cannot see into
    given = {c.setting for c in out}
    if base is not None:
        out = [c for c in base if c.setting not in given] + out
    elif flavour == "<with_options>":
        return tuple(out) if out else None
    elif not given & {"base_url", "azure_endpoint", "data_residency", ""}:
        if flavour.startswith("openai-azure"):
            out.insert(0, ClientConfig("azure_endpoint", "environment", "AZURE_OPENAI_ENDPOINT", where))
        else:
            out.insert(0, ClientConfig("base_url", "default", DEFAULT_BASE_URL, where))
    return tuple(dict.fromkeys(out))


class OpenAIV1(Surface):
    name = "openai_v1"
    flavours = ("openai-v1", "openai-v1-async", "openai-azure", "openai-azure-async", "openai-module")
    package_roots = ("openai",)
    openai_endpoints = True
    runtime_adapter = "gdpr_lint.runtime.adapters.openai_sdk"

    def construct(self, frame, qualname, node, args, kwargs):
        if qualname in catalogue().client_wrappers and args:
            clients = frozenset(t for t in args[0].tags if isinstance(t, Client))
            return Value(tags=clients) if clients else None  # the same client, instrumented
        flavour = CLIENT_CLASSES.get(qualname)
        if flavour is None:
            return None
        return Value(tags=frozenset({Client(flavour, config=client_config(frame.where(node), kwargs, flavour))}))

    def owns(self, tag):
        return isinstance(tag, (Client, Res, Guess, Realtime)) or isinstance(tag, Protected) and isinstance(tag.inner, Res) \
            or super().owns(tag)

    def member(self, ctx, tag, attr):
        if isinstance(tag, Realtime):
            return {Realtime(tag.flavour, tag.path + (attr,), tag.protected)}
        if isinstance(tag, Client):
            if attr in CLIENT_PASSTHROUGH_METHODS:
                return {Res(tag.flavour, ("<" + attr + ">",), tag.protected, config=tag.config)}
            return {Res(tag.flavour, (attr,), tag.protected, config=tag.config)}
        if isinstance(tag, Res):
            if attr in RESOURCE_VARIANTS:
                return {Res(tag.flavour, tag.path, tag.protected, tag.confidence, tag.variants + (attr,), tag.config)}
            return {Res(tag.flavour, tag.path + (attr,), tag.protected, tag.confidence, tag.variants, tag.config)}
        if isinstance(tag, Guess):
            cat = catalogue()
            path = tag.path + (attr,)
            if attr in RESOURCE_VARIANTS or cat.is_resource_prefix(path) or cat.endpoint(path):
                return {Guess(tag.path if attr in RESOURCE_VARIANTS else path, tag.root)}
            return set()
        if isinstance(tag, Inst) and tag.qualname in CLIENT_CLASSES:
            return {Res(CLIENT_CLASSES[tag.qualname], (attr,))}
        return None

    def guess_member(self, root: str, attr: str) -> Any | None:
        """`x.chat` on an `x` of unknown origin: perhaps a client's resource."""
        cat = catalogue()
        if attr not in cat.resource_roots:
            return None
        # `chat.completions` on a parameter named `chat` is the chat resource, not the
        # legacy completions one (which takes no `messages`)
        named = root.rsplit(".", 1)[-1]
        path = (named, attr) if named in GUESS_ROOTS and cat.is_resource_prefix((named, attr)) else (attr,)
        return Guess(path, root)

    def call_member(self, frame, tag, node, args, kwargs):
        if not (isinstance(tag, Res) and tag.path and tag.path[-1].startswith("<")):
            return None
        where = frame.where(node)
        cfg = tag.config if tag.config is None else client_config(where, kwargs, tag.flavour, tag.config)
        if tag.config is None and tag.path == ("<with_options>",):
            cfg = client_config(where, kwargs, "<with_options>")
        return Value(tags=frozenset({Client(tag.flavour, tag.protected, cfg)}))  # with_options(...)

    def annotation(self, ctx, qualname):
        flavour = CLIENT_CLASSES.get(qualname)
        return Client(flavour) if flavour else None

    def protect(self, tag, protection=True):
        if isinstance(tag, Client):
            return Client(tag.flavour, protection, tag.config)
        if isinstance(tag, Res):
            return Protected(tag, protection)
        if isinstance(tag, Guess):
            return Protected(Res("openai-v1", tag.path, True, "medium"), protection)
        if isinstance(tag, Ext) and tag.qualname.startswith("openai."):
            return Protected(Res("openai-module", tuple(tag.qualname.split(".")[1:]), True), protection)
        if isinstance(tag, Inst) and tag.qualname in CLIENT_CLASSES:
            return Client(CLIENT_CLASSES[tag.qualname], protection)
        return None

    def response(self, frame, request, node):
        if request.ep.path.endswith("realtime.connect"):
            return Value(tags=frozenset({Realtime(request.flavour, (), request.protected)}))
        if request.ep.path in TRANSCRIBING:
            # speech to text: what people said in a recording (a consultation, a call)
            text = frame.source(node, "transcript", "free_text", "medium", known=False,
                                note=f"transcript returned by {request.ep.path} (what the people recorded said)")
            return Value(frozenset({text}), frozenset({Inst("openai.response")}))
        return super().response(frame, request, node)

    def request(self, ctx, tag, node, args, kwargs):
        cat = catalogue()
        if isinstance(tag, Realtime):
            event = ".".join(tag.path)
            content = cat.realtime_events.get(event)
            if content is None:
                return None
            ep = Endpoint(f"realtime.{event}", "realtime", content, (), (), (), False)
            return Request(ep.path, tag.flavour, ep, tag.protected, "high")
        if isinstance(tag, Protected) and isinstance(tag.inner, Res):
            ep = cat.endpoint(tag.inner.path)
            return Request(ep.path, tag.inner.flavour, ep, tag.protection, tag.inner.confidence) if ep else None
        if isinstance(tag, Res):
            ep = cat.endpoint(tag.path)
            return Request(ep.path, tag.flavour, ep, tag.protected, tag.confidence) if ep else None
        if isinstance(tag, Guess) and tag.path[0] in GUESS_ROOTS:
            ep = cat.endpoint(tag.path)
            if ep is None:
                return None
            depth = len([p for p in tag.path if p not in RESOURCE_VARIANTS])
            return Request(ep.path, "openai-v1", ep, False, "medium" if depth >= 3 else "low", fallback=True)
        if isinstance(tag, Ext) and tag.qualname.startswith("openai."):
            ep = cat.endpoint(tuple(tag.qualname.split(".")[1:]))
            return Request(ep.path, "openai-module", ep, False, "high") if ep else None
        return None

    def fixable(self, endpoint, code):
        # events on a realtime connection: the runtime protects the connection of a protected
        # client; the event call itself cannot be wrapped
        return not _realtime_event(endpoint) or code == "GDPR003"

    def hint(self, endpoint):
        if _realtime_event(endpoint):
            return ("Realtime event: open the connection on a protected client "
                    "(client = gdpr_lint.runtime.protect(AsyncOpenAI())); the runtime then pseudonymises the events "
                    "sent and restores the text and transcripts that come back.")
        return super().hint(endpoint)


def _realtime_event(endpoint: str) -> bool:
    return endpoint.startswith("realtime.") and endpoint[len("realtime."):] in catalogue().realtime_events


SURFACE = OpenAIV1()
