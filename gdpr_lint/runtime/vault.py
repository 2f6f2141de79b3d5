"""Keyed pseudonyms and the per-conversation mapping (the "vault").

A :class:`Conversation` is the unit of domain separation: it derives its own
key from the master key, its tenant and its id, so the same person gets the
same pseudonym throughout one conversation and unlinkable pseudonyms in any
other conversation or tenant.  The mapping from pseudonym back to value lives
only in the conversation object, in process memory.

Pseudonym format: ``[[TYPE_hhhhhhhh]]`` -- ASCII, typed, eight (on a
collision twelve or sixteen) hex digits of HMAC-SHA-256(conversation key,
type || canonical value).  Irreversibly redacted values become
``[[TYPE_REDACTED_n]]``, numbered per conversation; they are never stored.
"""

from __future__ import annotations

import contextvars
import hashlib  # (already imported by hmac)
import hmac
import os
import re
import threading
import time
from collections import OrderedDict
from types import MappingProxyType
from typing import Any, Callable, List, Mapping, NamedTuple, Optional, Tuple

from . import audit, config
from .config import Action
from .detect import MAX_TYPE_LEN, KnownValues, canonical, detect
from .errors import ConfigurationError, PseudonymisationError, UnsupportedInputError

__all__ = [
    "Conversation",
    "Finding",
    "TOKEN_RE",
    "MAX_TOKEN_LEN",
    "active_conversation",
    "pseudonymous_id",
]

TOKEN_RE = re.compile(r"\[\[([A-Z][A-Z0-9_]{0,%d})_([0-9a-f]{8,16})\]\]" % (MAX_TYPE_LEN - 1))
#: The longest text a pseudonym can span: the stream hold-back size.
MAX_TOKEN_LEN = 2 + MAX_TYPE_LEN + max(1 + 16, len("_REDACTED_") + 9) + 2

_current: contextvars.ContextVar[Optional["Conversation"]] = contextvars.ContextVar(
    "gdpr_lint_conversation", default=None
)


_entered: contextvars.ContextVar[Tuple[contextvars.Token[Optional["Conversation"]], ...]] = contextvars.ContextVar(
    "gdpr_lint_entered", default=()
)


class Finding(NamedTuple):
    """One pseudonymised value, as reported to the audit log (no raw value)."""

    type: str
    action: str
    fingerprint: str


def _json_escape(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)[1:-1]


_IPAD = bytes(b ^ 0x36 for b in range(256))
_OPAD = bytes(b ^ 0x5C for b in range(256))


class _FastHMAC:
    """HMAC-SHA-256 with the keyed inner and outer states computed once.

    Identical to :func:`hmac.digest` (RFC 2104), but a pseudonym then costs two
    hash-state copies instead of a fresh HMAC setup.
    """

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes) -> None:
        if len(key) > 64:
            key = hashlib.sha256(key).digest()
        key = key.ljust(64, b"\x00")
        self._inner = hashlib.sha256(key.translate(_IPAD))
        self._outer = hashlib.sha256(key.translate(_OPAD))

    def digest(self, msg: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(msg)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()

    def clear(self) -> None:
        self._inner = self._outer = hashlib.sha256()


_macs: dict[str, Tuple[bytes, _FastHMAC]] = {}


def _keyed(purpose: str, key: bytes) -> _FastHMAC:
    """The HMAC state for the current master or audit key (rebuilt when
    ``configure(key=...)`` replaces the key)."""
    cached = _macs.get(purpose)
    if cached is None or cached[0] is not key:
        cached = _macs[purpose] = (key, _FastHMAC(key))
    return cached[1]


def _derive(master: bytes, label: bytes, *parts: str) -> bytes:
    """HMAC-SHA-256(master, label || 0 || part || 0 || part ...)."""
    msg = label + b"".join([b"\x00" + p.encode("utf-8") for p in parts])
    return _keyed("master", master).digest(msg)


_NO_KNOWN = KnownValues()  # shared: a KnownValues is never changed after it is built
# shared by conversations without a policy of their own (never changed)
_NO_POLICY: Mapping[str, Action] = MappingProxyType({})
_NO_POLICY_CACHE: Tuple[Any, Mapping[str, Action]] = (None, _NO_POLICY)


class Conversation:
    """A pseudonymisation scope: one chat, one thread, one tenant's session.

    Within a conversation the same value always gets the same pseudonym and
    every pseudonym can be turned back into its value; across conversations
    (or tenants) nothing is shared.  Safe to use from several threads.

    ``id``: your stable conversation id (default: random).  ``tenant``: your
    tenant or customer id, for separation between tenants.  ``policy``:
    per entity type ``"pseudonymise"`` / ``"redact"`` / ``"keep"`` over the
    configured defaults.  ``known``: values known to be personal throughout
    this conversation (category -> value or values).  ``max_values``: keep at
    most this many reversible pseudonyms, forgetting the least recently used
    (default: no bound).

    Use it as ``with Conversation() as conv:`` to make it the current scope
    for :func:`protect`, :func:`pseudonymise` and :func:`reidentify` in this
    thread or task; call :meth:`close` to destroy its key and mapping.
    """

    def __init__(
        self,
        id: Optional[str] = None,
        *,
        tenant: Optional[str] = None,
        policy: Optional[Mapping[str, Action]] = None,
        known: Optional[Mapping[str, Any]] = None,
        max_values: Optional[int] = None,
    ) -> None:
        if max_values is not None and (not isinstance(max_values, int) or max_values < 1):
            raise ConfigurationError(f"max_values must be a positive number of values; got {max_values!r}")
        # LRU bound: beyond it the least recently used pseudonym is forgotten
        # (it is issued again, identical, if its value comes back)
        self._max = max_values
        self._token_key: dict[str, str] = {}  # pseudonym -> key in _by_key, bounded scopes only
        if id is None:
            id = os.urandom(16).hex()  # secrets.token_hex(16)
        self.id = str(id)
        self.tenant = str(tenant) if tenant is not None else ""
        master = config.master_key()
        key = _derive(master, b"gdpr-lint/conversation", self.tenant, self.id)
        self._key = bytearray(key)
        self._mac = _FastHMAC(key)
        self._audit_key, self._key_id = config.derived_keys()
        self._fingerprint: Optional[str] = None
        self._known = KnownValues(known) if known else _NO_KNOWN
        if policy:
            self._policy: Mapping[str, Action] = config.check_policy(policy, self._known.types())
        else:
            self._policy = _NO_POLICY
        # the configured policy with this conversation's over it, per settings snapshot
        self._policy_cache: Tuple[Any, Mapping[str, Action]] = _NO_POLICY_CACHE
        # (an OrderedDict when bounded: move_to_end() never hides an entry from
        # a concurrent reader, as a pop and re-insert would)
        self._by_token: dict[str, str] = {} if max_values is None else OrderedDict()
        # (type, canonical value) -> pseudonym, keyed by type + "\0" + value: a
        # string key (no tuple for the garbage collector to track per value)
        self._by_key: dict[str, str] = {}
        self._redacted: dict[str, dict[bytes, int]] = {}
        self._redaction_count: dict[str, int] = {}
        self._lock = threading.Lock()
        self._closed = False

    # -- scope -------------------------------------------------------------

    def __enter__(self) -> "Conversation":
        # The reset tokens live in the context too, so one conversation may be
        # entered concurrently by several threads or asyncio tasks.
        _entered.set(_entered.get() + (_current.set(self),))
        return self

    def __exit__(self, *exc: object) -> None:
        stack = _entered.get()
        _entered.set(stack[:-1])
        _current.reset(stack[-1])

    def close(self) -> None:
        """Destroy this conversation's key and mapping (pseudonyms become irreversible)."""
        with self._lock:
            for i in range(len(self._key)):
                self._key[i] = 0
            self._mac.clear()
            self._by_token.clear()
            self._by_key.clear()
            self._token_key.clear()
            self._redacted.clear()
            self._closed = True

    @property
    def fingerprint(self) -> str:
        """A keyed identifier of this conversation for audit records (never the id)."""
        fp = self._fingerprint
        if fp is None:
            msg = b"conv\x00" + self.tenant.encode() + b"\x00" + self.id.encode()
            fp = self._fingerprint = hmac.digest(self._audit_key, msg, "sha256").hex()[:12]
        return fp

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def size(self) -> int:
        """Number of reversible pseudonyms issued so far."""
        return len(self._by_token)

    def __repr__(self) -> str:  # never show the id: it may itself be personal
        return f"<Conversation {self.fingerprint} pseudonyms={len(self._by_token)}{' closed' if self._closed else ''}>"

    # -- policy ------------------------------------------------------------

    def effective_policy(self, override: Optional[Mapping[str, Action]] = None) -> Mapping[str, Action]:
        policy = dict(config.settings().policy)
        policy.update(self._policy)
        if override:
            policy.update(override)  # (checked by the caller: config.check_policy)
        return policy

    def _settings_policy(self, settings: Any) -> Mapping[str, Action]:
        """``effective_policy()`` for ``settings``, computed once per settings
        snapshot (read only)."""
        cached = self._policy_cache
        if cached[0] is not settings:
            policy = dict(settings.policy)
            policy.update(self._policy)
            cached = self._policy_cache = (settings, policy)
        return cached[1]

    # -- tokens ------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise PseudonymisationError("this conversation was closed; its key is destroyed")

    def token_for(self, etype: str, canon: str, surface: str) -> str:
        if "\0" in etype:  # (it separates the type from the value in the key)
            raise PseudonymisationError(f"invalid entity type {etype!r}")
        key = etype + "\0" + canon
        tok = self._by_key.get(key)
        if tok is not None:
            return tok
        return self._new_token(key, etype, canon, surface)

    def _new_token(self, key: str, etype: str, canon: str, surface: str) -> str:
        """The pseudonym of ``(etype, canon)`` == ``key``, issued now unless
        another thread just did."""
        with self._lock:
            if self._closed:
                self._check_open()
            tok = self._by_key.get(key)
            if tok is not None:
                return tok
            mac = self._mac  # _FastHMAC.digest(), inlined
            inner = mac._inner.copy()
            inner.update(etype.encode() + b"\x00" + canon.encode("utf-8"))
            outer = mac._outer.copy()
            outer.update(inner.digest())
            digest = outer.hexdigest()
            by_token = self._by_token
            tok = f"[[{etype}_{digest[:8]}]]"
            if tok in by_token:  # a 32-bit collision: twelve, then sixteen hex digits
                for n in (12, 16):
                    tok = f"[[{etype}_{digest[:n]}]]"
                    if tok not in by_token:
                        break
                else:  # pragma: no cover - needs a 64-bit HMAC collision
                    raise PseudonymisationError("pseudonym collision")
            by_token[tok] = surface
            self._by_key[key] = tok
            if self._max is not None:
                self._token_key[tok] = key
                while len(by_token) > self._max:
                    old, _ = by_token.popitem(last=False)  # type: ignore[call-arg]
                    self._by_key.pop(self._token_key.pop(old), None)
            return tok

    def redaction_for(self, etype: str, canon: str) -> str:
        digest = self._mac.digest(b"redact\x00" + etype.encode() + b"\x00" + canon.encode("utf-8"))
        with self._lock:
            if self._closed:
                self._check_open()
            table = self._redacted.setdefault(etype, {})
            n = table.get(digest)
            if n is None:
                n = self._redaction_count.get(etype, 0) + 1
                self._redaction_count[etype] = table[digest] = n
                if self._max is not None and len(table) > self._max:
                    del table[next(iter(table))]  # (its number is never given to another value)
        return f"[[{etype}_REDACTED_{n}]]"

    def _touch(self, token: str) -> bool:
        """Mark a pseudonym as just used (bounded scopes: least recently used
        goes first); False if it was forgotten meanwhile."""
        try:
            self._by_token.move_to_end(token)  # type: ignore[attr-defined]
        except KeyError:
            return False
        return True

    def fingerprint_of(self, etype: str, canon: str) -> str:
        return _keyed("audit", self._audit_key).digest(etype.encode() + b"\x00" + canon.encode("utf-8")).hex()[:16]

    # -- text --------------------------------------------------------------

    def pseudonymise_text(
        self,
        text: str,
        known: Optional[KnownValues] = None,
        policy: Optional[Mapping[str, Action]] = None,
        findings: Optional[List[Finding]] = None,
        *,
        complete: bool = False,
    ) -> str:
        """Core operation; raises :class:`PseudonymisationError` on any failure.

        ``known`` is added to the conversation's own known values, unless
        ``complete`` says it already includes them (see :meth:`known_with`).
        """
        if self._closed:
            self._check_open()
        if not text:
            return text
        if complete and known is not None:
            k = known
        elif known is None:
            k = self._known
        elif self._known is _NO_KNOWN:
            k = known  # (what merged() gives)
        else:
            k = self._known.merged(known) if known else self._known
        settings = config.settings()
        try:
            spans = detect(text, settings, k)
        except PseudonymisationError:
            raise
        except Exception as exc:
            raise PseudonymisationError(f"personal-data detection failed ({type(exc).__name__}); nothing was sent") from exc
        if not spans:
            return text
        pol = policy if policy is not None else self._settings_policy(settings)
        by_key = self._by_key
        out: List[str] = []
        pos = 0
        for start, end, etype, canon, _ in spans:
            action = pol.get(etype, "pseudonymise")
            if action == "keep":
                continue
            if action == "redact":
                token = self.redaction_for(etype, canon)
            else:
                key = etype + "\0" + canon
                found = by_key.get(key)
                if found is None:
                    token = self._new_token(key, etype, canon, text[start:end])
                else:
                    token = found
                    # (a new one is the most recent already); evicted meanwhile
                    # by another thread: issued again, so that it can be restored
                    if self._max is not None and not self._touch(token):
                        token = self._new_token(key, etype, canon, text[start:end])
            out.append(text[pos:start])
            out.append(token)
            pos = end
            if findings is not None:
                findings.append(Finding(etype, action, self.fingerprint_of(etype, canon)))
        out.append(text[pos:])
        return "".join(out)

    def known_with(self, known: Optional[KnownValues]) -> KnownValues:
        """This conversation's known values plus ``known``."""
        return self._known.merged(known) if known else self._known

    def pseudonymise(self, text: str, *, known: Optional[Mapping[str, Any]] = None) -> str:
        """Replace personal data in ``text`` by this conversation's pseudonyms."""
        if type(text) is not str:
            _require_text(text, "pseudonymise")
        start = time.perf_counter()
        findings: Optional[List[Finding]] = [] if audit.enabled() else None
        result = self.pseudonymise_text(text, KnownValues(known) if known else None, None, findings)
        if findings and audit.enabled():
            audit.emit(
                "pseudonymise",
                call_site=audit.call_site(1),
                conversation=self.fingerprint,
                latency_ms=round((time.perf_counter() - start) * 1000, 3),
                key_id=self._key_id,
                **audit.summarise(findings),
            )
        return result

    def lookup(self, token: str) -> Optional[str]:
        """The value behind an exact pseudonym of this conversation, or None."""
        return self._by_token.get(token)

    def reidentify(self, text: str, *, json: bool = False) -> str:
        """Replace this conversation's exact pseudonyms in ``text`` by their values.

        Unknown, altered or invented pseudonyms are left as they are.  With
        ``json=True`` the text is JSON and values are inserted JSON-escaped,
        so the result stays valid JSON.
        """
        if type(text) is not str:
            _require_text(text, "reidentify")
        if "[[" not in text:
            return text
        table = self._by_token
        bounded = self._max is not None

        def sub(m: "re.Match[str]") -> str:
            value = table.get(m.group(0))
            if value is None:
                return m.group(0)
            if bounded:
                self._touch(m.group(0))
            return _json_escape(value) if json else value

        return TOKEN_RE.sub(sub, text)

    def reidentify_count(self, text: str, *, json: bool = False) -> tuple[str, int]:
        if "[[" not in text:
            return text, 0
        table = self._by_token
        count = 0
        bounded = self._max is not None

        def sub(m: "re.Match[str]") -> str:
            nonlocal count
            value = table.get(m.group(0))
            if value is None:
                return m.group(0)
            if bounded:
                self._touch(m.group(0))
            count += 1
            return _json_escape(value) if json else value

        return TOKEN_RE.sub(sub, text), count

    def protect(self, target: Any, *, known: Optional[Mapping[str, Any]] = None, policy: Optional[Mapping[str, Action]] = None) -> Any:
        """``protect(target, conversation=self, ...)``."""
        return _protect(target, known=known, conversation=self, policy=policy)


def _require_text(text: Any, what: str) -> None:
    if isinstance(text, str):
        return
    if isinstance(text, (bytes, bytearray, memoryview)):
        raise UnsupportedInputError(f"{what}() takes text (str), not {type(text).__name__}: decode it first, "
                                    "e.g. data.decode('utf-8')")
    raise UnsupportedInputError(f"{what}() takes text (str), not {type(text).__name__}")


def _adapters_not_loaded(target: Any, **options: Any) -> Any:
    raise RuntimeError("gdpr_lint.runtime.dispatch was not imported")  # (gdpr_lint.runtime imports it)


_protect: Callable[..., Any] = _adapters_not_loaded


def set_protect(protect: Callable[..., Any]) -> None:
    """Set what :meth:`Conversation.protect` calls, as ``protect(target, known=...,
    conversation=..., policy=...)``.  The adapters import this module, so it does
    not import them: :mod:`gdpr_lint.runtime.dispatch` sets it."""
    global _protect
    _protect = protect


def active_conversation() -> Optional[Conversation]:
    """The conversation made current with ``with conversation:``, if any."""
    return _current.get()


def pseudonymous_id(value: Any, *, tenant: Optional[str] = None) -> str:
    """A stable keyed identifier for ``user=`` / ``safety_identifier=``.

    Same value (after canonicalisation: e-mail case, phone format) and tenant
    give the same id under the same key; it reveals nothing about the value.
    """
    if value is None:
        raise PseudonymisationError("pseudonymous_id() needs a value, got None")
    text = value if isinstance(value, str) else str(value)
    text = text.strip()
    if "@" in text:
        canon = canonical("EMAIL", text)
    elif re.fullmatch(r"\+?[\d\s\-().]{7,20}", text) and sum(c.isdigit() for c in text) >= 7:
        canon = canonical("PHONE", text)
    else:
        canon = canonical("ID", text)
    digest = _derive(config.master_key(), b"gdpr-lint/pseudonymous-id", tenant or "", canon)
    return "pid_" + digest.hex()[:32]

