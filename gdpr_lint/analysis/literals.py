"""Personal data written into the code itself: an e-mail address, a CPR number or
an IBAN inside a string literal. Role mailboxes (support@, noreply@) and example
domains are not personal; a CPR number needs a valid date and a hyphen or the
word "CPR" next to it (a bare 10-digit number is usually an order number).
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

_EMAIL = re.compile(r"(?<![\w.+-])([A-Za-z0-9._%+-]{1,64})@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24})\b")
_ROLE_MAILBOXES = {
    "support", "noreply", "no-reply", "donotreply", "do-not-reply", "info", "admin", "contact",
    "sales", "hello", "team", "help", "service", "webmaster", "postmaster", "hostmaster", "abuse",
    "security", "privacy", "dpo", "billing", "accounts", "office", "kontakt", "kundeservice",
    "mail", "press", "jobs", "careers", "marketing", "newsletter", "notifications", "bot", "ci",
}
_EXAMPLE_DOMAINS = ("example.com", "example.org", "example.net", "example.dk", "test", "localhost", "invalid", "example")
_CPR = re.compile(r"(?<!\d)(\d{2})(\d{2})(\d{2})(-?)(\d{4})(?!\d)")
_CPR_CONTEXT = re.compile(r"cpr|personnummer|personnr|fødselsnummer|ssn", re.I)
_IBAN = re.compile(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?)\b")


def _valid_cpr_date(dd: str, mm: str, yy: str) -> bool:
    try:
        d = int(dd)
        if d > 60:  # Swedish/Danish replacement numbers add 60 to the day
            d -= 60
        date(1900 + int(yy), int(mm), d)
        return True
    except ValueError:
        return False


def _iban_ok(iban: str) -> bool:
    s = iban.replace(" ", "")
    if not 15 <= len(s) <= 34:
        return False
    rearranged = s[4:] + s[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


_DIGIT = re.compile(r"\d")


@lru_cache(maxsize=8192)
def find_personal_literals(text: str) -> tuple[tuple[str, str], ...]:
    """((category, matched text), ...) for personal data written in a string literal."""
    if len(text) < 6 or len(text) > 20000 or ("@" not in text and _DIGIT.search(text) is None):
        return ()
    out: list[tuple[str, str]] = []
    if "@" in text:
        for m in _EMAIL.finditer(text):
            local, domain = m.group(1).lower(), m.group(2).lower()
            if local in _ROLE_MAILBOXES or domain.endswith(_EXAMPLE_DOMAINS) or domain.split(".")[-1] in {"local", "internal"}:
                continue
            out.append(("email", m.group(0)))
    if _DIGIT.search(text) is not None:
        for m in _CPR.finditer(text):
            dd, mm, yy, dash, _ = m.groups()
            if not _valid_cpr_date(dd, mm, yy):
                continue
            if dash or _CPR_CONTEXT.search(text[max(0, m.start() - 30):m.start()]):
                out.append(("national_id", m.group(0)))
        for m in _IBAN.finditer(text):
            if _iban_ok(m.group(1)):
                out.append(("bank", m.group(1)))
    return tuple(out)
