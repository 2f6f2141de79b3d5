"""Personal data written into the code itself: an e-mail address, a CPR number or
an IBAN inside a string literal. Role mailboxes (support@, noreply@) and example
domains are not personal; a CPR number needs a valid date and a hyphen or the
word "CPR" next to it (a bare 10-digit number is usually an order number).
Whether a CPR number or an IBAN is valid is the runtime's own check (its detectors
are the one implementation), so the linter and the pseudonymiser agree.
"""

from __future__ import annotations

import re
from functools import lru_cache

_EMAIL = re.compile(r"(?<![\w.+-])([A-Za-z0-9._%+-]{1,64})@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24})\b")
_ROLE_MAILBOXES = {
    "support", "noreply", "no-reply", "donotreply", "do-not-reply", "info", "admin", "contact",
    "sales", "hello", "team", "help", "service", "webmaster", "postmaster", "hostmaster", "abuse",
    "security", "privacy", "dpo", "billing", "accounts", "office", "kontakt", "kundeservice",
    "mail", "press", "jobs", "careers", "marketing", "newsletter", "notifications", "bot", "ci",
}
# Placeholder and demo addresses written into examples, prompts and tests: not a person's.
_PLACEHOLDER_LOCALS = {
    "abc", "abcd", "xyz", "test", "tester", "testing", "foo", "bar", "baz", "foobar", "user", "username",
    "name", "someone", "somebody", "me", "you", "your", "yourname", "your.name", "john", "jane", "johndoe",
    "janedoe", "john.doe", "jane.doe", "john_doe", "jane_doe", "demo", "sample", "example", "dummy", "fake",
    "anon", "anonymous", "nobody", "email", "mail", "firstname.lastname", "first.last", "firstname", "lastname",
    "user1", "user2", "test1", "test2", "asdf", "qwerty",
}
_EXAMPLE_DOMAINS = ("example.com", "example.org", "example.net", "example.dk", "test", "localhost", "invalid", "example")
_CPR = re.compile(r"(?<!\d)(\d{2})(\d{2})(\d{2})(-?)(\d{4})(?!\d)")
_CPR_CONTEXT = re.compile(r"cpr|personnummer|personnr|fødselsnummer|ssn", re.I)
_IBAN = re.compile(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?)\b")


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
            if local in _PLACEHOLDER_LOCALS or len(set(local.replace(".", ""))) == 1:  # abc@, john.doe@, xxx@
                continue
            out.append(("email", m.group(0)))
    if _DIGIT.search(text) is not None:
        # the runtime's validators (loading the runtime's detectors: 25-30 ms) are imported
        # at the first literal shaped like a CPR number or an IBAN; most runs have none,
        # while nearly every one has a literal with digits ("gpt-4o-mini")
        for m in _CPR.finditer(text):
            dd, mm, yy, dash, serial = m.groups()
            if not (1 <= int(dd) <= 31 and 1 <= int(mm) <= 12):
                continue  # not a date ("0123456789"): no need to load the validator
            from gdpr_lint.runtime.detect.national_ids import cpr_ok

            if not cpr_ok(dd + mm + yy + serial):
                continue
            if dash or _CPR_CONTEXT.search(text[max(0, m.start() - 30):m.start()]):
                out.append(("national_id", m.group(0)))
        for m in _IBAN.finditer(text):
            from gdpr_lint.runtime.detect.finance import iban_ok

            compact = m.group(1).replace(" ", "")
            if 15 <= len(compact) <= 34 and iban_ok(compact):
                out.append(("bank", m.group(1)))
    return tuple(out)
