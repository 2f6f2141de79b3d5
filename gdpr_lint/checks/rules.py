"""The rules gdpr-lint reports, in the style of Fixit: each rule carries its own
explanation and VALID / INVALID examples, and the examples are run as tests
(tests/test_rule_examples.py), so the documentation cannot drift from behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    summary: str  # one line, used as SARIF shortDescription
    description: str  # the full explanation, used by `gdpr-lint rule` and SARIF help
    severity: str  # low | medium | high (Bandit's scale)
    security_severity: str  # SARIF properties.security-severity (GitHub: 0.1-10)
    fix: str  # what --fix does, or what to do by hand
    default_enabled: bool = True
    valid: tuple[str, ...] = field(default_factory=tuple)  # code that must not be reported
    invalid: tuple[str, ...] = field(default_factory=tuple)  # code that must be reported


GDPR001 = Rule(
    code="GDPR001",
    name="personal-data-to-openai",
    summary="Personal data reaches an OpenAI request without a redaction step",
    description=(
        "Personal data (GDPR Art. 4(1)): names, contact data, postal addresses, national IDs "
        "such as the Danish CPR number, dates of birth, bank and card numbers, IP addresses, "
        "whole customer records or free text about an identified person reaches the content "
        "of an OpenAI request (messages, input, prompt, instructions, content, embeddings "
        "input, tool results, uploaded files) without passing a redaction step on every path.\n\n"
        "GDPR asks for data minimisation and pseudonymisation (Art. 5(1)(c), 25, 32). Send "
        "only what the model needs, and pseudonymise the rest before it leaves the process: "
        "`gdpr_lint.runtime.protect(client.chat.completions.create, known={...})(...)` replaces "
        "personal data with keyed pseudonyms and restores them in the reply."
    ),
    severity="medium",
    security_severity="6.5",
    fix="--fix wraps the call with gdpr_lint.runtime.protect(...), handing it the personal values in scope.",
    valid=(
        """
from openai import OpenAI
client = OpenAI()

def describe(product):
    return client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": f"Describe {product.name}"}],
    )
""",
        """
from openai import OpenAI
from gdpr_lint.runtime import pseudonymise
client = OpenAI()

def follow_up(customer):
    text = pseudonymise(f"Write to {customer.name} <{customer.email}>")
    return client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": text}])
""",
    ),
    invalid=(
        """
from openai import OpenAI
client = OpenAI()

def follow_up(customer):
    return client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": f"Write to {customer.name} <{customer.email}>"}],
    )
""",
    ),
)

GDPR002 = Rule(
    code="GDPR002",
    name="special-category-data-to-openai",
    summary="Special-category data (GDPR Art. 9/10) reaches an OpenAI request without redaction",
    description=(
        "Data about health (diagnoses, medication, sick leave), genetic or biometric data, "
        "racial or ethnic origin, political opinions, religious or philosophical beliefs, "
        "trade-union membership, sex life or sexual orientation (GDPR Art. 9), or criminal "
        "convictions and offences (Art. 10) of a natural person reaches an OpenAI request "
        "unredacted. Processing it needs an Art. 9(2) exception and, in practice, a DPIA "
        "(Art. 35). Reported alongside GDPR001 when ordinary personal data arrives too. "
        "Data about animals is not special-category data."
    ),
    severity="high",
    security_severity="8.5",
    fix="--fix wraps the call with gdpr_lint.runtime.protect(...); also ask whether the model needs this data at all.",
    valid=(
        """
from openai import OpenAI
client = OpenAI()

def vet_note(dog):
    return client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": f"Summarise the treatment plan: {dog.treatment_plan}"}],
    )
""",
    ),
    invalid=(
        """
from openai import OpenAI
client = OpenAI()

def handover(patient):
    return client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": f"Diagnosis: {patient.diagnosis}"}],
    )
""",
    ),
)

GDPR003 = Rule(
    code="GDPR003",
    name="raw-identifier-as-openai-user",
    summary="A direct identifier is sent raw as user= or safety_identifier=",
    description=(
        "OpenAI's `user` / `safety_identifier` parameter is meant for a stable pseudonymous "
        "id of the end user. Passing a raw e-mail address, username, customer number or "
        "national ID discloses it to the provider for no purpose. Send a keyed hash instead: "
        "`gdpr_lint.runtime.pseudonymous_id(value)` (HMAC-SHA-256 with your key)."
    ),
    severity="medium",
    security_severity="5.0",
    fix="--fix wraps the value with gdpr_lint.runtime.pseudonymous_id(...).",
    valid=(
        """
import hashlib
from openai import OpenAI
client = OpenAI()

def ask(user, q):
    return client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": q}],
        user=hashlib.sha256(user.email.encode()).hexdigest(),
    )
""",
    ),
    invalid=(
        """
from openai import OpenAI
client = OpenAI()

def ask(user, q):
    return client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": q}], user=user.email,
    )
""",
    ),
)

GDPR010 = Rule(
    code="GDPR010",
    name="openai-client-not-eu-resident",
    summary="OpenAI client is not pinned to EU data residency (opt-in rule)",
    description=(
        "For teams that must keep processing in the EU: an OpenAI client that sends personal "
        "data is created without an EU `base_url` (such as https://eu.api.openai.com/v1) or an "
        "EU Azure endpoint. Off by default; enable with `extend-select = [\"GDPR010\"]` and list "
        "your own EU gateways in `eu-base-urls`. The policy (what counts as EU, and the confidence "
        "for endpoints whose region cannot be seen) is in docs/map.md."
    ),
    severity="low",
    security_severity="3.0",
    fix="Configure the client with base_url=\"https://eu.api.openai.com/v1\" (an EU data-residency project).",
    default_enabled=False,
)

GDPR100 = Rule(
    code="GDPR100",
    name="unused-suppression",
    summary="A suppression comment no longer matches any finding",
    description=(
        "A `# noqa: GDPR00x` or `# gdpr-lint: ignore[...]` comment suppresses nothing. Stale "
        "suppressions hide future regressions on the same line; remove them."
    ),
    severity="low",
    security_severity="1.0",
    fix="Remove the comment.",
)

ALL_RULES: tuple[Rule, ...] = (GDPR001, GDPR002, GDPR003, GDPR010, GDPR100)
RULES_BY_CODE: dict[str, Rule] = {r.code: r for r in ALL_RULES}
DEFAULT_SELECT: tuple[str, ...] = tuple(r.code for r in ALL_RULES if r.default_enabled)


def expand_selector(selector: str) -> list[str]:
    """`GDPR` -> all codes, `GDPR00` -> GDPR001..009, `GDPR001` -> itself; unknown -> []."""
    sel = selector.strip().upper()
    if sel == "ALL":
        return [r.code for r in ALL_RULES]
    return [r.code for r in ALL_RULES if r.code.startswith(sel)]
