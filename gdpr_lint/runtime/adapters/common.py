"""What the OpenAI and LiteLLM adapters share: the binding of a protected
target, the context of one call, and the walker that pseudonymises a request
(an OpenAI JSON body, LiteLLM's call arguments).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple

from .. import audit, config, scopes
from ..config import Action
from ..detect import KnownValues, detect
from ..errors import PseudonymisationError
from ..jsontext import Path, format_path, looks_like_json, rewrite
from ..vault import Conversation, Finding, active_conversation, pseudonymous_id
from .inline import base64_payload, data_url

__all__ = ["SKIP_KEYS", "ID_KEYS", "CallContext", "Binding", "RequestPseudonymiser", "asks_for_json"]

#: String values of these keys are protocol: structure, identifiers, URLs, inline
#: payloads (handled apart); dicts and lists under them are still walked.
SKIP_KEYS = frozenset(
    {
        "model", "role", "type", "id", "call_id", "tool_call_id", "item_id", "previous_response_id",
        "file_id", "image_url", "url", "file_url", "file_data", "data", "name", "voice", "pattern",
        "$ref", "$schema", "$id", "object", "status", "service_tier", "reasoning_effort", "encoding_format",
        "container", "vector_store_ids", "file_ids", "assistant_id", "thread_id", "run_id", "conversation",
    }
)
#: Identifier fields: replaced by :func:`pseudonymous_id` when they carry personal data.
ID_KEYS = frozenset({"user", "safety_identifier", "prompt_cache_key"})
#: URLs the provider fetches: they cannot carry pseudonyms, so personal data there refuses the call.
URL_KEYS = frozenset({"url", "image_url", "file_url"})
#: Inline payloads (a data URL or bare base64): decoded and inspected, see inline.py.
INLINE_KEYS = frozenset({"data", "file_data"})
#: Text fields: a list of numbers here is ``bytes`` serialised by the SDK.
BYTES_KEYS = frozenset({"content", "text", "instructions"})


# ---------------------------------------------------------------------------
# per-call context


@dataclass
class CallContext:
    """The scope, known values, policy and call site of one protected call."""

    conversation: Conversation
    known: KnownValues
    policy: Mapping[str, Action]
    call_site: Optional[str]


@dataclass
class Binding:
    """What a protected client or method was configured with."""

    known: KnownValues = field(default_factory=KnownValues)
    conversation: Optional[Conversation] = None
    policy: Optional[Mapping[str, Action]] = None

    @classmethod
    def from_arguments(cls, known: Optional[Mapping[str, Any]], conversation: Optional[Conversation],
                       policy: Optional[Mapping[str, Action]]) -> "Binding":
        """The binding of a protect(...) call, with its policy checked."""
        values = KnownValues(known)
        checked = config.check_policy(policy, values.types())
        return cls(values, conversation, checked or None)

    def merged_over(self, base: Optional["Binding"]) -> "Binding":
        if base is None:
            return self
        policy = dict(base.policy or {})
        policy.update(self.policy or {})
        conv = self.conversation if self.conversation is not None else base.conversation
        return Binding(self.known.merged(base.known), conv, policy or None)

    def context(self, call_site: Optional[str] = None, links: Tuple[str, ...] = ()) -> CallContext:
        # explicit scope > the scope made current with `with Conversation():` >
        # the scope of the response or server-side conversation this call
        # continues (see scopes.py) > a fresh one per call
        conv = self.conversation
        if conv is None:
            conv = active_conversation()
        if conv is None:
            conv = scopes.linked(links) if links else None
            if conv is None:
                conv = scopes.new_scope()
            for link in links:
                if link.startswith("conversation:"):
                    scopes.remember(link, conv)
        return CallContext(conv, conv.known_with(self.known), conv.effective_policy(self.policy), call_site)


# ---------------------------------------------------------------------------
# request bodies


#: Keys whose integer value is content (a tool result given as a number): inspected like text.
NUMBER_KEYS = frozenset({"content", "output"})


class RequestPseudonymiser:
    """Pseudonymise the values of one request in place (:meth:`walk`), collecting
    audit findings when the audit log is on."""

    def __init__(self, ctx: CallContext) -> None:
        self.ctx = ctx
        self.conv = ctx.conversation
        # keyed fingerprints are only computed when the audit log is on
        self.findings: Optional[List[Finding]] = [] if audit.enabled() else None
        self.json_mode = False

    def text(self, s: str) -> str:
        return self.conv.pseudonymise_text(s, self.ctx.known, self.ctx.policy, self.findings, complete=True)

    def number(self, digits: str, key: Optional[str]) -> Optional[str]:
        """The pseudonymised decimal text of an integer, or None if nothing in it
        is personal.  Its key is context (``"phone": 4540123456``)."""
        if len(digits.lstrip("-")) < 6 and not self.ctx.known and not config.settings().detectors:
            return None  # (no built-in detector matches fewer digits)
        lead = f"{key}: " if key else ""
        new = self.text(lead + digits)
        if new.startswith(lead):
            return new[len(lead):] if new != lead + digits else None
        new = self.text(digits)  # (the key itself was replaced: the number alone)
        return new if new != digits else None

    def string(self, s: str, key: Optional[str], path: Path = ()) -> str:
        if not s:
            return s
        if s.startswith("data:"):  # only a real data URL is not plain text
            inline = data_url(s, f"the field {key!r}" if key else "a data URL", self.text, self.json_values)
            if inline is not None:
                return inline
        if looks_like_json(s):
            new = self.json_text(s, path)
            if new is not None:
                return new
        return self.text(s)

    def json_text(self, s: str, path: Path = ()) -> Optional[str]:
        """Pseudonymise the string values and integers inside JSON text, keeping
        the rest of the text byte for byte; None if ``s`` is not JSON."""
        try:
            json.loads(s)
        except (ValueError, RecursionError):
            return None
        where = format_path(path)

        def on_key(k: str, inner: Path) -> None:
            # (the path of the object holding the key: the key may be the value)
            self.key_check(k, f"a key of the object at {format_path(inner[:-1])} in the JSON text at {where}")

        def on_number(digits: str, inner: Path) -> Optional[str]:
            last = inner[-1] if inner else None
            return self.number(digits, last if isinstance(last, str) else None)

        return rewrite(s, lambda v, inner: self.text(v), on_number, on_key)

    def json_values(self, node: Any) -> Tuple[Any, bool]:
        """Pseudonymise every string value inside parsed JSON (a decoded inline file; keys
        are checked, not changed)."""
        if isinstance(node, str):
            new = self.text(node)
            return new, new != node
        changed = False
        if isinstance(node, dict):
            for k, v in node.items():
                self.key_check(k, "a JSON key")
                new, c = self.json_values(v)
                if c:
                    node[k] = new
                    changed = True
        elif isinstance(node, list):
            for i, v in enumerate(node):
                new, c = self.json_values(v)
                if c:
                    node[i] = new
                    changed = True
        return node, changed

    def leak_check(self, s: str, where: str) -> None:
        if not isinstance(s, str) or not s:
            return
        known = self.ctx.known
        if known:
            hits = known.find(s)
            if hits:
                raise PseudonymisationError(
                    f"a known personal value ({hits[0].type}) appears in {where}, which cannot be pseudonymised; "
                    "nothing was sent"
                )

    def personal_type(self, s: str) -> Optional[str]:
        """The type of the first personal value in ``s`` that the policy does not keep."""
        for sp in detect(s, config.settings(), self.ctx.known):
            if self.ctx.policy.get(sp.type, "pseudonymise") != "keep":
                return sp.type
        return None

    def refuse_personal(self, s: str, where: str) -> None:
        """Refuse known or detected personal data in a field that cannot carry a pseudonym."""
        self.leak_check(s, where)
        etype = self.personal_type(s)
        if etype is not None:
            raise PseudonymisationError(
                f"personal data ({etype}) appears in {where}, which cannot be pseudonymised; nothing was sent"
            )

    def key_check(self, k: str, where: str) -> None:
        self.leak_check(k, where)
        if not (k.islower() and k.isidentifier()):  # "role", "tool_call_id": protocol-shaped, no detector fires
            self.refuse_personal(k, where)

    def inline(self, s: str, key: str, parent: Mapping[str, Any]) -> str:
        if s.startswith("data:"):
            return self.string(s, key)
        filename = parent.get("filename")
        hint = key == "data" and "format" in parent  # input_audio: {"data": ..., "format": "wav"}
        if hint or key == "file_data" or len(s) >= 24:
            inline = base64_payload(s, f"the field {key!r}", filename if isinstance(filename, str) else None, hint,
                                    self.text, self.json_values)
            if inline is not None:
                return inline
        return self.string(s, key)

    def message_name(self, s: str, path: Path = ()) -> None:
        # "name" of a chat message is user-chosen (a participant); the API allows
        # only [A-Za-z0-9_-] there, so it cannot carry a pseudonym
        where = f"the field 'name' at {format_path(path)}, the 'name' of a message"
        self.refuse_personal(s, where)
        if "_" in s:
            self.refuse_personal(s.replace("_", " "), where)

    def identifier(self, s: str, key: str) -> str:
        if s.startswith("pid_"):
            return s
        spans = detect(s, config.settings(), self.ctx.known)
        if not spans:
            return s
        if self.findings is not None:
            for sp in spans:
                self.findings.append(Finding(sp.type, "pseudonymous_id", self.conv.fingerprint_of(sp.type, sp.canonical)))
        return pseudonymous_id(s, tenant=self.conv.tenant or None)

    def walk(self, node: Any, key: Optional[str] = None, path: Path = ()) -> Any:
        if isinstance(node, str):
            if key in SKIP_KEYS:
                if key in URL_KEYS:
                    if node.startswith("data:"):
                        return self.string(node, key, path)
                    self.refuse_personal(node, f"the URL in {key!r} at {format_path(path)}")
                else:
                    self.leak_check(node, f"the field {key!r} at {format_path(path)}")
                return node
            if key in ID_KEYS:
                return self.identifier(node, key)
            return self.string(node, key, path)
        if isinstance(node, dict):
            for k, v in node.items():
                here = path + (k,)
                if isinstance(k, str):
                    self.key_check(k, f"a field name at {format_path(path)}")
                if isinstance(v, str):
                    if k in INLINE_KEYS:
                        node[k] = self.inline(v, k, node)
                    elif k == "name" and "role" in node:
                        self.message_name(v, here)
                    else:
                        node[k] = self.walk(v, k, here)
                elif isinstance(v, (dict, list)):
                    # Only the string values of protocol keys are skipped: a tool-schema
                    # property named "name" or "type" holds user content (description, enum),
                    # and metadata values are user content whatever their key.
                    if k == "metadata" and isinstance(v, dict):
                        self.metadata(v)
                    else:
                        node[k] = self.walk(v, k, here)
                elif type(v) is int and k in NUMBER_KEYS:
                    new = self.number(str(v), k)
                    if new is not None:
                        node[k] = new  # a pseudonym: the number becomes a string
            return node
        if isinstance(node, list):
            if node and key in BYTES_KEYS and type(node[0]) is int:
                raise PseudonymisationError(
                    f"the field {key!r} holds bytes, which the SDK would send as a list of numbers; "
                    "decode them to text first; nothing was sent"
                )
            for i, v in enumerate(node):
                if isinstance(v, (str, dict, list)):
                    node[i] = self.walk(v, key, path + (i,))
            return node
        return node

    def metadata(self, node: Dict[str, Any]) -> None:
        for k, v in node.items():
            if isinstance(k, str):
                self.key_check(k, "a metadata key")
            if isinstance(v, str):
                node[k] = self.string(v, None)
            elif isinstance(v, (dict, list)):
                node[k] = self.json_values(v)[0]


def asks_for_json(body: Any) -> bool:
    """Does the request ask for JSON output (``response_format`` or ``text.format``
    of type ``json_schema`` / ``json_object``)?  Its reply text is then JSON."""
    if not isinstance(body, dict):
        return False
    fmt = body.get("response_format")
    text = body.get("text")
    if isinstance(text, dict) and isinstance(text.get("format"), dict):
        fmt = text["format"]
    return isinstance(fmt, dict) and fmt.get("type") in ("json_schema", "json_object")
