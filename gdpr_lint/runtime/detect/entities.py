"""Entity types: the type of a ``known`` category name, and the canonical form
of a value of each type (what its pseudonym is keyed on)."""

from __future__ import annotations

import re
import unicodedata

from .common import NONDIGITS, SPACES, stdnum_module
from .contact import phone_e164

#: The longest entity type label (pseudonyms and the stream hold-back size depend on it).
MAX_TYPE_LEN = 24


# ---------------------------------------------------------------------------
# category names

_CATEGORY_TYPES = {
    "name": "NAME", "full_name": "NAME", "fullname": "NAME", "first_name": "NAME", "firstname": "NAME",
    "given_name": "NAME", "last_name": "NAME", "lastname": "NAME", "surname": "NAME", "family_name": "NAME",
    "person": "NAME", "navn": "NAME", "customer_name": "NAME", "patient_name": "NAME",
    "email": "EMAIL", "e_mail": "EMAIL", "mail": "EMAIL", "email_address": "EMAIL",
    "phone": "PHONE", "telephone": "PHONE", "phone_number": "PHONE", "mobile": "PHONE", "tlf": "PHONE",
    "telefon": "PHONE", "mobil": "PHONE",
    "address": "ADDRESS", "street": "ADDRESS", "street_address": "ADDRESS", "adresse": "ADDRESS",
    "postal_address": "ADDRESS", "home_address": "ADDRESS",
    "cpr": "CPR", "cpr_number": "CPR", "cpr_nr": "CPR",
    "national_id": "NATIONAL_ID", "ssn": "NATIONAL_ID", "personnummer": "NATIONAL_ID",
    "fodselsnummer": "NATIONAL_ID", "hetu": "NATIONAL_ID", "bsn": "NATIONAL_ID", "tax_id": "NATIONAL_ID",
    "iban": "IBAN", "bank_account": "IBAN", "account_number": "IBAN",
    "card": "CARD", "card_number": "CARD", "credit_card": "CARD",
    "ip": "IP", "ip_address": "IP",
    "cvr": "CVR",
}


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
    if key in _CATEGORY_TYPES:
        return _CATEGORY_TYPES[key]
    if key.endswith("s") and key[:-1] in _CATEGORY_TYPES:  # "emails", "phones"
        return _CATEGORY_TYPES[key[:-1]]
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
        return SPACES.sub("", value).upper()
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
