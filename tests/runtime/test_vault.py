"""Pseudonyms: keyed, typed, ASCII, scoped, canonicalised; exact re-identification."""

from __future__ import annotations

import concurrent.futures
import re
import subprocess
import sys
import warnings

import pytest

from gdpr_lint.runtime import (
    ConfigurationError,
    Conversation,
    PseudonymisationError,
    configure,
    pseudonymise,
    pseudonymous_id,
    reidentify,
)
from gdpr_lint.runtime import config
from gdpr_lint.runtime.vault import MAX_TOKEN_LEN, TOKEN_RE

from .conftest import CPR, EMAIL, IBAN, NAME, PHONE

LETTER = (
    f"Kære {NAME},\nVi har modtaget din henvendelse fra {EMAIL} og ringer på {PHONE}. "
    f"Beløbet udbetales til {IBAN}. Dit CPR-nummer {CPR} er registreret."
)


def test_round_trip_and_no_value_left() -> None:
    conv = Conversation()
    out = conv.pseudonymise(LETTER, known={"name": NAME})
    for value in (NAME, "Holm", EMAIL, PHONE, IBAN, CPR):
        assert value not in out
    assert out.isascii() or "Kære" in out  # the text stays, only values are replaced
    back = conv.reidentify(out)
    # CPR is redacted irreversibly by default; everything else comes back
    assert back == LETTER.replace(CPR, "[[CPR_REDACTED_1]]")


def test_tokens_are_typed_ascii_and_carry_nothing_of_the_value() -> None:
    # A fixed conversation (and the tests' fixed key): with a random one the hex
    # digits of a token contain one of the digit fragments below by chance in
    # about one run in a thousand.
    conv = Conversation("tokens-carry-nothing")
    out = conv.pseudonymise(f"{EMAIL} {PHONE} {IBAN}", known={"name": NAME})
    tokens = TOKEN_RE.findall(out)
    assert [t for t, _ in tokens] == ["EMAIL", "PHONE", "IBAN"]
    for token in re.findall(r"\[\[[^\]]+\]\]", out):
        assert token.isascii() and len(token) <= MAX_TOKEN_LEN
        for fragment in ("anders", "holm", "4012", "3456", "0440", "1162", "43]"):
            assert fragment not in token.lower()


def test_one_pseudonym_per_type_and_value() -> None:
    conv = Conversation("hr-2024")
    a = conv.token_for("NAME", "holm", "Holm")
    assert conv.token_for("NAME", "holm", "HOLM") == a  # the first surface is kept for re-identification
    assert conv.token_for("ADDRESS", "holm", "Holm") != a
    assert conv.reidentify(a) == "Holm"
    with pytest.raises(PseudonymisationError):
        conv.token_for("NAME\0X", "holm", "Holm")  # a type cannot contain the separator of the lookup key


def test_deterministic_within_conversation_and_canonicalised() -> None:
    conv = Conversation()
    a = conv.pseudonymise("cpr 070761-4285, tlf +45 40 12 34 56, Anders.Holm@Example.dk")
    b = conv.pseudonymise("cpr 0707614285, tlf 40123456, anders.holm@example.dk")
    assert a == b


def test_scoped_per_conversation_and_tenant() -> None:
    text = f"mail {EMAIL}"
    a = Conversation("c1", tenant="t1").pseudonymise(text)
    assert Conversation("c1", tenant="t1").pseudonymise(text) == a  # same scope, same key: reproducible
    assert Conversation("c2", tenant="t1").pseudonymise(text) != a
    assert Conversation("c1", tenant="t2").pseudonymise(text) != a
    assert Conversation().pseudonymise(text) != a


def test_key_changes_pseudonyms() -> None:
    text = f"mail {EMAIL}"
    a = Conversation("c").pseudonymise(text)
    configure(key=bytes(range(32)))
    b = Conversation("c").pseudonymise(text)
    assert a != b


def test_reidentify_exact_tokens_only() -> None:
    conv = Conversation()
    out = conv.pseudonymise(f"mail {EMAIL}")
    token = TOKEN_RE.search(out).group(0)
    other = Conversation().pseudonymise(f"mail {EMAIL}")
    variants = [
        token.lower(),
        token.replace("[[", "[").replace("]]", "]"),
        token[:-3] + ("1" if token[-3] != "1" else "2") + "]]",
        token.replace("EMAIL", "NAME"),
        "[[EMAIL_00000000]]",
        "[[NAME_deadbeef]]",
        TOKEN_RE.search(other).group(0),  # another conversation's pseudonym
    ]
    for v in variants:
        assert conv.reidentify(f"x {v} y") == f"x {v} y"
    assert conv.reidentify(f"x {token} y") == f"x {EMAIL} y"


def test_never_the_wrong_person() -> None:
    conv = Conversation()
    people = [f"person{i}@example.dk" for i in range(300)]
    tokens = [conv.pseudonymise(p) for p in people]
    assert len(set(tokens)) == 300
    for p, t in zip(people, tokens):
        assert conv.reidentify(t) == p


def test_redaction_policy_is_irreversible_and_configurable() -> None:
    conv = Conversation()
    out = conv.pseudonymise("cpr 070761-4285 og kort 4571 1234 5678 9115 og cpr 311299-1239")
    assert out == "cpr [[CPR_REDACTED_1]] og kort [[CARD_REDACTED_1]] og cpr [[CPR_REDACTED_2]]"
    assert conv.reidentify(out) == out
    reversible = Conversation(policy={"CPR": "pseudonymise"})
    out = reversible.pseudonymise("cpr 070761-4285")
    assert re.fullmatch(r"cpr \[\[CPR_[0-9a-f]{8}\]\]", out)
    assert reversible.reidentify(out) == "cpr 070761-4285"
    keep = Conversation(policy={"IP": "keep"})
    assert keep.pseudonymise("fra 192.168.1.20") == "fra 192.168.1.20"
    configure(policy={"EMAIL": "redact"})
    assert Conversation().pseudonymise(EMAIL) == "[[EMAIL_REDACTED_1]]"


def test_module_level_functions_use_the_current_conversation() -> None:
    out = pseudonymise(f"mail {EMAIL}")
    assert reidentify(out) == f"mail {EMAIL}"
    with Conversation() as conv:
        inner = pseudonymise(f"mail {EMAIL}")
        assert inner != out
        assert reidentify(inner) == f"mail {EMAIL}"
        assert reidentify(out) == out  # the default scope's token means nothing here
        assert conv.reidentify(inner) == f"mail {EMAIL}"
    assert reidentify(out) == f"mail {EMAIL}"


def test_reidentify_json_escapes_values() -> None:
    conv = Conversation()
    out = conv.pseudonymise('Navn: Anders "AH" Holm', known={"name": 'Anders "AH" Holm'})
    token = TOKEN_RE.search(out).group(0)
    doc = '{"to": "%s"}' % token
    import json

    assert json.loads(conv.reidentify(doc, json=True)) == {"to": 'Anders "AH" Holm'}


def test_close_destroys_the_mapping() -> None:
    conv = Conversation()
    out = conv.pseudonymise(EMAIL)
    conv.close()
    assert conv.reidentify(out) == out
    with pytest.raises(PseudonymisationError):
        conv.pseudonymise(EMAIL)


def test_thread_safe_within_one_conversation() -> None:
    conv = Conversation()
    emails = [f"user{i}@example.dk" for i in range(200)]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        tokens = list(pool.map(conv.pseudonymise, emails))
    assert len(set(tokens)) == 200
    assert [conv.reidentify(t) for t in tokens] == emails


def test_pseudonymous_id() -> None:
    a = pseudonymous_id("Anders.Holm@Example.dk")
    assert a == pseudonymous_id("anders.holm@example.dk")
    assert re.fullmatch(r"pid_[0-9a-f]{32}", a)
    assert pseudonymous_id("+45 40 12 34 56") == pseudonymous_id("40123456")
    assert pseudonymous_id(4711) == pseudonymous_id("4711")
    assert pseudonymous_id(EMAIL, tenant="a") != pseudonymous_id(EMAIL, tenant="b")
    with pytest.raises(PseudonymisationError):
        pseudonymous_id(None)


def test_key_from_environment_and_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    config.reset()
    monkeypatch.setenv("GDPR_LINT_KEY", "11" * 32)
    a = pseudonymous_id(EMAIL)
    config.reset()
    import base64

    monkeypatch.setenv("GDPR_LINT_KEY", base64.b64encode(bytes([0x11] * 32)).decode())
    assert pseudonymous_id(EMAIL) == a  # hex and base64 of the same key
    config.reset()
    monkeypatch.setenv("GDPR_LINT_KEY", "abcd")
    with pytest.raises(ConfigurationError):
        pseudonymous_id(EMAIL)
    with pytest.raises(ConfigurationError):
        configure(key=b"short")


def test_random_key_warns_once(monkeypatch: pytest.MonkeyPatch) -> None:
    config.reset()
    monkeypatch.delenv("GDPR_LINT_KEY", raising=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        a = pseudonymous_id(EMAIL)
        b = pseudonymous_id(EMAIL)
    assert a == b
    assert len([w for w in caught if "random per-process key" in str(w.message)]) == 1


def test_import_is_light() -> None:
    # What keeps the import fast is what it does not pull in; the time itself is
    # measured in benchmarks/, never asserted in a test.
    code = (
        "import sys; import gdpr_lint.runtime; "
        "print([m for m in ('libcst', 'click', 'openai', 'httpx', 'phonenumbers', 'stdnum') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]", out


def test_one_conversation_entered_by_concurrent_tasks() -> None:
    import asyncio

    from gdpr_lint.runtime import current_conversation

    conv = Conversation()

    async def task(i: int) -> str:
        with conv:
            await asyncio.sleep(0.001 * (i % 3))
            assert current_conversation() is conv
            out = pseudonymise(f"user{i}@example.dk")
            await asyncio.sleep(0)
        assert current_conversation() is not conv
        return out

    async def main() -> list[str]:
        return await asyncio.gather(*[task(i) for i in range(10)])

    outs = asyncio.run(main())
    assert [conv.reidentify(o) for o in outs] == [f"user{i}@example.dk" for i in range(10)]
