"""Entity types: the type of a ``known`` category name (a table in the rule
data, ``rules/runtime_entities.toml``), and the canonical form of a value of
each type (what its pseudonym is keyed on)."""

from __future__ import annotations

import os
import re
import sys
import unicodedata
from typing import Dict, Optional

from ..errors import ConfigurationError
from .common import NONDIGITS, SPACES, stdnum_module
from .contact import phone_e164

#: The longest entity type label (pseudonyms and the stream hold-back size depend on it).
MAX_TYPE_LEN = 24


# ---------------------------------------------------------------------------
# category names

ENTITIES_FILE = "runtime_entities.toml"  # in the rule data folder

_category_types: Optional[Dict[str, str]] = None


def rules_dir() -> str:
    """The rule data folder: ``gdpr_lint/_rules`` in an installed wheel, the
    repository's ``rules/`` in a source checkout.

    Found as :func:`gdpr_lint.config.ruledata.rules_dir` finds it; that module is not
    imported here (it would import ``pathlib``, ``tempfile`` and ``pickle``)."""
    package = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))  # gdpr_lint/
    for candidate in (os.path.join(package, "_rules"), os.path.join(os.path.dirname(package), "rules")):
        if os.path.isdir(candidate):
            return candidate
    raise ConfigurationError(f"{os.path.join(package, '_rules')}: rule data folder not found (broken installation)")


def category_types() -> Dict[str, str]:
    """Category name -> entity type, from ``rules/runtime_entities.toml``
    (read on first use)."""
    global _category_types
    types = _category_types
    if types is None:
        types = _category_types = _load_category_types(os.path.join(rules_dir(), ENTITIES_FILE))
    return types


def _load_category_types(path: str) -> Dict[str, str]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib

    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read rule data: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path}: malformed TOML: {exc}") from None
    table = data.get("entity_types")
    if not isinstance(table, dict):
        raise ConfigurationError(f"{path}: no [entity_types] table")
    label, key = re.compile(r"[A-Z][A-Z0-9_]*"), re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)*")
    types: Dict[str, str] = {}
    for etype, names in table.items():
        if not (label.fullmatch(etype) and len(etype) <= MAX_TYPE_LEN):
            raise ConfigurationError(f"{path}: {etype!r} is no entity type (A-Z, 0-9 and _, at most {MAX_TYPE_LEN})")
        if not isinstance(names, list):
            raise ConfigurationError(f"{path}: {etype} must be a list of category names")
        for name in names:
            if not (isinstance(name, str) and key.fullmatch(name)):
                raise ConfigurationError(f"{path}: {etype}: {name!r} is no category name (a-z and 0-9 joined by _)")
            if types.setdefault(name, etype) != etype:
                raise ConfigurationError(f"{path}: {name!r} is listed under {types[name]} and {etype}")
    return types


_TRANSLIT = str.maketrans({"æ": "ae", "Æ": "AE", "ø": "oe", "Ø": "OE", "å": "aa", "Å": "AA", "ß": "ss"})


_category_cache: dict[str, str] = {}


def entity_type_for_category(category: str) -> str:
    """The entity type (an ASCII label) for a ``known`` category name."""
    label = _category_cache.get(category) if isinstance(category, str) else None
    if label is None:
        label = _entity_type_for_category(category)
        if isinstance(category, str) and len(_category_cache) < 1024:
            _category_cache[category] = label
    return label


def _entity_type_for_category(category: str) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", str(category).strip().lower()).strip("_")
    types = category_types()
    if key in types:
        return types[key]
    if key.endswith("s") and key[:-1] in types:  # "emails", "phones"
        return types[key[:-1]]
    ascii_text = unicodedata.normalize("NFKD", str(category).translate(_TRANSLIT)).encode("ascii", "ignore").decode()
    label = re.sub(r"[^A-Z0-9]+", "_", ascii_text.upper()).strip("_")
    if not label or not label[0].isalpha():
        label = "PII_" + label if label else "PII"
    return label[:MAX_TYPE_LEN]


# ---------------------------------------------------------------------------
# canonical forms

def canonical(entity_type: str, value: str) -> str:
    """Canonical form of ``value`` for ``entity_type`` (the pseudonym is keyed on it)."""
    if not value.isascii():
        value = unicodedata.normalize("NFC", value)
    if entity_type == "EMAIL":
        return value.strip().casefold()
    if entity_type == "PHONE":
        e164 = phone_e164(value)
        return e164 if e164 else NONDIGITS.sub("", value)
    if entity_type in ("CPR", "CVR", "CARD", "NO_FNR", "DE_TAXID", "NL_BSN"):
        return NONDIGITS.sub("", value)
    if entity_type == "IBAN":
        return SPACES.sub("", value).replace("-", "").upper()
    if entity_type == "FI_HETU":
        return value.strip().upper()
    if entity_type == "SE_PNR":
        try:
            return str(stdnum_module("se.personnummer").compact(value))
        except Exception:
            return NONDIGITS.sub("", value)
    if entity_type == "IP":
        import ipaddress

        try:
            return ipaddress.ip_address(value.strip()).compressed
        except ValueError:
            return value.strip()
    return " ".join(value.split()).casefold()
