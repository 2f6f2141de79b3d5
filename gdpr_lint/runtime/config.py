"""Process-wide configuration: the master key, default policies, detectors.

The master key never leaves this module except as HMAC input.  It comes from
:func:`configure`, else from the ``GDPR_LINT_KEY`` environment variable (hex
or base64, at least 32 bytes), else a random per-process key is generated and
a one-time warning is emitted (pseudonyms then change on every restart).
"""

from __future__ import annotations

import os
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

class Settings:
    """An immutable snapshot of the runtime configuration.

    ``policy``: entity type -> action.  ``phone_regions``: regions tried for
    phone numbers without a country code, the first is the default region.
    ``detectors``: extra detectors.  ``allow_binary_uploads``: let non-JSON
    request bodies (file and audio uploads) through a protected client
    unchanged; off by default, since such bodies cannot be inspected (fail
    closed).  ``allow_inline_binary``: let base64 images, audio and PDFs inside
    JSON request bodies through unchanged; off by default for the same reason.
    """

    __slots__ = ("policy", "phone_regions", "detectors", "allow_binary_uploads", "allow_inline_binary")

    policy: Mapping[str, Action]
    phone_regions: Tuple[str, ...]
    detectors: Tuple[Detector, ...]
    allow_binary_uploads: bool
    allow_inline_binary: bool

    def __init__(
        self,
        policy: Mapping[str, Action] | None = None,
        phone_regions: Tuple[str, ...] = ("DK", "SE", "NO", "FI", "DE", "NL", "GB", "FR", "ES", "IT", "PL"),
        detectors: Tuple[Detector, ...] = (),
        allow_binary_uploads: bool = False,
        allow_inline_binary: bool = False,
    ) -> None:
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
                f"allow_inline_binary={self.allow_inline_binary!r})")


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
    """
    global _settings, _key, _key_source
    with _lock:
        s = _settings
        if key is not None:
            _key = _decode_key(key)
            _key_source = "configure"
        if policy is not None:
            merged = dict(s.policy)
            for entity, action in policy.items():
                if action not in ACTIONS:
                    raise ConfigurationError(f"unknown policy action {action!r} for {entity!r}")
                merged[str(entity).upper()] = action
            s = s.replace(policy=merged)
        if phone_regions is not None:
            regions = tuple(r.upper() for r in phone_regions)
            if not regions:
                raise ConfigurationError("phone_regions must not be empty")
            s = s.replace(phone_regions=regions)
        if detectors is not None:
            s = s.replace(detectors=tuple(detectors))
        if allow_binary_uploads is not None:
            s = s.replace(allow_binary_uploads=bool(allow_binary_uploads))
        if allow_inline_binary is not None:
            s = s.replace(allow_inline_binary=bool(allow_inline_binary))
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
