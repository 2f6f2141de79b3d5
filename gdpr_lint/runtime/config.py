"""Process-wide configuration: the master key, default policies, detectors.

The master key never leaves this module except as HMAC input.  It comes from
:func:`configure`, else from the ``GDPR_LINT_KEY`` environment variable (hex
or base64, at least 32 bytes), else a random per-process key is generated and
a one-time warning is emitted (pseudonyms then change on every restart).
"""

from __future__ import annotations

import os
import re
import threading
from typing import Any, Callable, Iterable, Literal, Mapping, Tuple, Union

from .errors import ConfigurationError

__all__ = [
    "Action",
    "Detector",
    "ENV_KEY",
    "DEFAULT_POLICY",
    "Settings",
    "configure",
    "settings",
    "master_key",
    "key_id",
    "BUILTIN_TYPES",
    "DETECTORS",
    "check_policy",
]

ENV_KEY = "GDPR_LINT_KEY"
MIN_KEY_BYTES = 32

Action = Literal["pseudonymise", "redact", "keep"]
ACTIONS: frozenset[str] = frozenset({"pseudonymise", "redact", "keep"})

#: A custom detector: called with a text, returns ``(start, end, entity_type)``
#: triples.  The entity type is an upper-case ASCII label such as ``"MEMBER_ID"``.
Detector = Callable[[str], Iterable[Tuple[int, int, str]]]

#: Data the model never needs is removed irreversibly by default (GDPR
#: Art. 5(1)(c) data minimisation; databeskyttelsesloven section 11 for CPR).
DEFAULT_POLICY: Mapping[str, Action] = {
    "CPR": "redact",
    "CARD": "redact",
    "SE_PNR": "redact",
    "NO_FNR": "redact",
    "FI_HETU": "redact",
    "DE_TAXID": "redact",
    "NL_BSN": "redact",
    "NATIONAL_ID": "redact",
}

#: The entity types the built-in detectors and ``known`` categories produce.
BUILTIN_TYPES: frozenset[str] = frozenset({
    "NAME", "ADDRESS", "EMAIL", "PHONE", "IBAN", "CARD", "IP", "CPR", "CVR", "SE_PNR", "NO_FNR", "FI_HETU",
    "DE_TAXID", "NL_BSN", "NATIONAL_ID",
})

#: Built-in detectors that ``configure(disable=[...])`` can switch off, and the
#: entity types each one finds.
DETECTORS: Mapping[str, Tuple[str, ...]] = {
    "names": ("NAME",),
    "addresses": ("ADDRESS",),
    "email": ("EMAIL",),
    "phone": ("PHONE",),
    "iban": ("IBAN",),
    "card": ("CARD",),
    "ip": ("IP",),
    "national_ids": ("CPR", "SE_PNR", "NO_FNR", "FI_HETU", "DE_TAXID", "NL_BSN"),
    "cvr": ("CVR",),
}


def check_policy(policy: Mapping[str, Any] | None, extra_types: Iterable[str] = ()) -> dict[str, Action]:
    """``policy`` with upper-case keys, or :class:`ConfigurationError` naming
    the first unknown action or entity type (and the known ones)."""
    out: dict[str, Action] = {}
    if not policy:
        return out
    if not isinstance(policy, Mapping):
        raise ConfigurationError(f"a policy maps entity types to actions; got {type(policy).__name__}")
    known = BUILTIN_TYPES | _settings.custom_types | frozenset(extra_types)
    for entity, action in policy.items():
        etype = str(entity).upper()
        if action not in ACTIONS:
            raise ConfigurationError(
                f"unknown policy action {action!r} for {entity!r}; use one of {', '.join(sorted(ACTIONS))}"
            )
        if etype not in known:
            raise ConfigurationError(
                f"unknown entity type {entity!r} in policy; known types: {', '.join(sorted(known))} "
                "(declare custom types with configure(custom_types=[...]))"
            )
        out[etype] = action
    return out


class Settings:
    """An immutable snapshot of the runtime configuration.

    ``policy``: entity type -> action.  ``phone_regions``: regions tried for
    phone numbers without a country code, the first is the default region.
    ``detectors``: extra detectors.  ``allow_binary_uploads``: let non-JSON
    request bodies (file and audio uploads) through a protected client
    unchanged; off by default, since such bodies cannot be inspected (fail
    closed).  ``allow_inline_binary``: let base64 images, audio and PDFs inside
    JSON request bodies through unchanged; off by default for the same reason.
    ``disabled``: names of built-in detectors that do not run (see
    :data:`DETECTORS`).  ``custom_types``: entity types of custom detectors,
    accepted in policies.  ``scope_id``: the id of the default scope (random
    per process unless configured).  ``scope_max_values``, ``scope_ttl``: the
    bounds of a default scope (values kept, least recently used first out;
    seconds without use before it is closed and replaced), and of the scopes
    that ``protect()`` makes per call and links along a Responses chain.
    """

    __slots__ = ("policy", "phone_regions", "detectors", "allow_binary_uploads", "allow_inline_binary", "disabled",
                 "custom_types", "scope_id", "scope_max_values", "scope_ttl")

    policy: Mapping[str, Action]
    phone_regions: Tuple[str, ...]
    detectors: Tuple[Detector, ...]
    allow_binary_uploads: bool
    allow_inline_binary: bool
    disabled: frozenset[str]
    custom_types: frozenset[str]
    scope_id: str | None
    scope_max_values: int
    scope_ttl: float

    def __init__(
        self,
        policy: Mapping[str, Action] | None = None,
        phone_regions: Tuple[str, ...] = ("DK", "SE", "NO", "FI", "DE", "NL", "GB", "FR", "ES", "IT", "PL"),
        detectors: Tuple[Detector, ...] = (),
        allow_binary_uploads: bool = False,
        allow_inline_binary: bool = False,
        disabled: Iterable[str] = (),
        custom_types: Iterable[str] = (),
        scope_id: str | None = None,
        scope_max_values: int = 10_000,
        scope_ttl: float = 3600.0,
    ) -> None:
        object.__setattr__(self, "scope_max_values", int(scope_max_values))
        object.__setattr__(self, "scope_ttl", float(scope_ttl))
        object.__setattr__(self, "disabled", frozenset(disabled))
        object.__setattr__(self, "custom_types", frozenset(custom_types))
        object.__setattr__(self, "scope_id", scope_id)
        object.__setattr__(self, "policy", dict(DEFAULT_POLICY) if policy is None else dict(policy))
        object.__setattr__(self, "phone_regions", tuple(phone_regions))
        object.__setattr__(self, "detectors", tuple(detectors))
        object.__setattr__(self, "allow_binary_uploads", bool(allow_binary_uploads))
        object.__setattr__(self, "allow_inline_binary", bool(allow_inline_binary))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Settings is immutable; use configure()")

    def replace(self, **changes: Any) -> "Settings":
        values = {name: getattr(self, name) for name in self.__slots__}
        values.update(changes)
        return Settings(**values)

    def __repr__(self) -> str:
        return (f"Settings(policy={self.policy!r}, phone_regions={self.phone_regions!r}, "
                f"detectors={self.detectors!r}, allow_binary_uploads={self.allow_binary_uploads!r}, "
                f"allow_inline_binary={self.allow_inline_binary!r}, "
                f"disabled={sorted(self.disabled)!r}, custom_types={sorted(self.custom_types)!r})")


_LABEL = re.compile(r"[A-Z][A-Z0-9_]{0,23}")
_lock = threading.Lock()
_settings = Settings()
_key: bytes | None = None
_key_source: str | None = None


def _decode_key(value: Union[str, bytes]) -> bytes:
    import base64
    import binascii

    if isinstance(value, (bytes, bytearray)):
        raw = bytes(value)
    else:
        text = value.strip()
        raw = b""
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            try:
                padded = text + "=" * (-len(text) % 4)
                if "-" in text or "_" in text:
                    raw = base64.urlsafe_b64decode(padded)
                else:
                    raw = base64.b64decode(padded, validate=True)
            except (binascii.Error, ValueError):
                raise ConfigurationError(
                    f"the pseudonymisation key must be hex or base64 encoded ({ENV_KEY})"
                ) from None
    if len(raw) < MIN_KEY_BYTES:
        raise ConfigurationError(
            f"the pseudonymisation key must be at least {MIN_KEY_BYTES} bytes (256 bits); got {len(raw)}"
        )
    return raw


def configure(
    *,
    key: Union[str, bytes, None] = None,
    policy: Mapping[str, Action] | None = None,
    phone_regions: Iterable[str] | None = None,
    detectors: Iterable[Detector] | None = None,
    allow_binary_uploads: bool | None = None,
    allow_inline_binary: bool | None = None,
    disable: Iterable[str] | None = None,
    custom_types: Iterable[str] | None = None,
    scope_id: str | None = None,
    scope_max_values: int | None = None,
    scope_ttl: float | None = None,
) -> None:
    """Configure the runtime for the whole process.

    ``key``: master key (bytes, or hex / base64 text, >= 32 bytes).  Changing it
    rotates the key: conversations created afterwards use the new key, existing
    ones keep the key they were created with.
    ``policy``: per entity type (``"CPR"``, ``"NAME"``, ``"PHONE"`` ...) one of
    ``"pseudonymise"`` (reversible token), ``"redact"`` (irreversible) or
    ``"keep"``; merged over the defaults.
    ``phone_regions``: ISO regions for numbers without country code, first is
    the default.  ``detectors``: extra detectors (replaces earlier extra
    detectors).  ``allow_binary_uploads``, ``allow_inline_binary``: see :class:`Settings`.
    ``disable``: built-in detectors that do not run (``"names"``,
    ``"addresses"``, ``"email"``, ``"phone"``, ``"iban"``, ``"card"``, ``"ip"``,
    ``"national_ids"``, ``"cvr"``; replaces an earlier list; known values are
    still found).  ``custom_types``: entity types that custom detectors return,
    so that policies may name them.  ``scope_id``: a fixed id for the default
    scope, so that its pseudonyms are the same in every process with the same
    key (by default the id is random per process).  ``scope_max_values``
    (default 10,000) and ``scope_ttl`` (seconds, default 3600): bounds of the
    default scopes, see :class:`Settings`.

    Every invalid setting raises :class:`ConfigurationError` and changes nothing.
    """
    global _settings, _key, _key_source
    with _lock:
        s = _settings
        new_key = _decode_key(key) if key is not None else None
        if custom_types is not None:
            if isinstance(custom_types, str):
                custom_types = [custom_types]
            labels = frozenset(str(t).upper() for t in custom_types)
            for label in labels:
                if not _LABEL.fullmatch(label):
                    raise ConfigurationError(f"{label!r} is no entity type (A-Z, 0-9 and _, starting with a letter)")
            s = s.replace(custom_types=labels)
        if disable is not None:
            if isinstance(disable, str):
                disable = [disable]
            names = frozenset(str(d).lower() for d in disable)
            unknown = sorted(names - set(DETECTORS))
            if unknown:
                raise ConfigurationError(
                    f"unknown detector {unknown[0]!r} in disable; known detectors: {', '.join(DETECTORS)}"
                )
            s = s.replace(disabled=names)
        if policy is not None:
            merged = dict(s.policy)
            merged.update(check_policy(policy, s.custom_types))
            s = s.replace(policy=merged)
        if scope_id is not None:
            s = s.replace(scope_id=str(scope_id))
        if scope_max_values is not None:
            if isinstance(scope_max_values, bool) or not isinstance(scope_max_values, int) or scope_max_values < 1:
                raise ConfigurationError(f"scope_max_values must be a positive integer; got {scope_max_values!r}")
            s = s.replace(scope_max_values=scope_max_values)
        if scope_ttl is not None:
            if isinstance(scope_ttl, bool) or not isinstance(scope_ttl, (int, float)) or not scope_ttl > 0:
                raise ConfigurationError(f"scope_ttl must be a positive number of seconds; got {scope_ttl!r}")
            s = s.replace(scope_ttl=float(scope_ttl))
        if phone_regions is not None:
            regions = tuple(r.upper() for r in phone_regions)
            if not regions:
                raise ConfigurationError("phone_regions must not be empty")
            s = s.replace(phone_regions=regions)
        if detectors is not None:
            detectors = tuple(detectors)
            for d in detectors:
                if not callable(d):
                    raise ConfigurationError(f"a detector must be callable: text -> [(start, end, type)]; got {d!r}")
            s = s.replace(detectors=detectors)
        if allow_binary_uploads is not None:
            s = s.replace(allow_binary_uploads=bool(allow_binary_uploads))
        if allow_inline_binary is not None:
            s = s.replace(allow_inline_binary=bool(allow_inline_binary))
        # (only now that every setting is valid)
        if new_key is not None:
            _key, _key_source = new_key, "configure"
        _settings = s


def reset() -> None:
    """Restore default settings and forget the configured key (tests, rotation)."""
    global _settings, _key, _key_source
    with _lock:
        _settings = Settings()
        _key = None
        _key_source = None


def settings() -> Settings:
    return _settings


def master_key() -> bytes:
    """Return the master key, loading it on first use."""
    global _key, _key_source
    key = _key
    if key is not None:
        return key
    with _lock:
        if _key is not None:
            return _key
        env = os.environ.get(ENV_KEY)
        if env:
            _key = _decode_key(env)
            _key_source = "environment"
        else:
            import logging
            import secrets
            import warnings

            _key = secrets.token_bytes(MIN_KEY_BYTES)
            _key_source = "random"
            message = (
                f"gdpr_lint.runtime: no pseudonymisation key configured ({ENV_KEY} is unset); "
                "using a random per-process key, so pseudonyms and pseudonymous ids change on restart"
            )
            warnings.warn(message, RuntimeWarning, stacklevel=3)
            logging.getLogger("gdpr_lint.runtime").warning(message)
        return _key


_derived: Tuple[bytes, bytes, str] | None = None


def derived_keys() -> Tuple[bytes, str]:
    """(audit fingerprint key, public key id) for the current master key."""
    global _derived
    key = master_key()
    d = _derived
    if d is None or d[0] is not key:
        import hmac

        audit_key = hmac.digest(key, b"gdpr-lint/audit", "sha256")
        d = _derived = (key, audit_key, hmac.digest(key, b"gdpr-lint/key-id", "sha256").hex()[:8])
    return d[1], d[2]


def key_id() -> str:
    """A short public identifier of the current key, for audit records."""
    return derived_keys()[1]
