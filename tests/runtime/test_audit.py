"""Audit records: structured, on standard logging, never raw values."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from gdpr_lint.runtime import Conversation, PseudonymisationError, configure, protect, pseudonymise

from .conftest import CPR, EMAIL, IBAN, NAME, PHONE

RAW = [NAME, "Holm", EMAIL, PHONE, "40123456", IBAN, CPR, "0707614285"]


def records(caplog: pytest.LogCaptureFixture) -> list[dict]:
    return [r.gdpr_lint for r in caplog.records if r.name == "gdpr_lint.runtime.audit"]


def assert_no_raw(caplog: pytest.LogCaptureFixture) -> None:
    text = "\n".join(r.getMessage() for r in caplog.records) + json.dumps(records(caplog), default=str)
    for value in RAW:
        assert value not in text


def test_request_and_response_records(client: Any, api: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="gdpr_lint.runtime.audit")
    prompt = f"{NAME} {EMAIL} {PHONE} {IBAN} cpr {CPR}"
    protect(client.chat.completions.create, known={"name": NAME})(model="m", messages=[{"role": "user", "content": prompt}])
    recs = records(caplog)
    request = next(r for r in recs if r["event"] == "request")
    response = next(r for r in recs if r["event"] == "response")
    assert request["endpoint"] == "POST /v1/chat/completions"
    assert request["call_site"].endswith(".py:" + request["call_site"].rsplit(":", 1)[1])
    assert "test_audit.py" in request["call_site"]
    assert request["entities"] == {"NAME": 1, "EMAIL": 1, "PHONE": 1, "IBAN": 1, "CPR": 1}
    assert request["actions"]["CPR"] == {"redact": 1} and request["actions"]["EMAIL"] == {"pseudonymise": 1}
    assert len(request["fingerprints"]) == 5 and all(":" in f for f in request["fingerprints"])
    assert request["latency_ms"] >= 0 and len(request["key_id"]) == 8
    assert response["reidentified"] == 4  # the redacted CPR cannot come back
    assert request["conversation"] == response["conversation"]
    assert_no_raw(caplog)


def test_fingerprints_are_keyed_and_stable(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="gdpr_lint.runtime.audit")
    Conversation().pseudonymise(f"mail {EMAIL}")
    Conversation().pseudonymise(f"mail {EMAIL.upper()}")
    a, b = (r["fingerprints"] for r in records(caplog))
    assert a == b  # the same person is recognisable in the audit trail ...
    token = Conversation().pseudonymise(EMAIL)
    assert a[0].split(":")[1] not in token  # ... but not linkable to what the provider saw
    configure(key=bytes(range(32)))
    Conversation().pseudonymise(f"mail {EMAIL}")
    assert records(caplog)[-1]["fingerprints"] != a
    assert_no_raw(caplog)


def test_blocked_requests_are_logged(client: Any, api: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="gdpr_lint.runtime.audit")

    def broken(text: str) -> list:
        raise ValueError(f"cannot handle {text}")  # the message contains raw text: must not be logged

    configure(detectors=[broken])
    with pytest.raises(PseudonymisationError):
        protect(client.chat.completions.create)(model="m", messages=[{"role": "user", "content": f"{EMAIL} {PHONE}"}])
    blocked = [r for r in records(caplog) if r["event"] == "blocked"]
    assert blocked and blocked[0]["endpoint"] == "POST /v1/chat/completions"
    assert api.bodies() == []
    assert_no_raw(caplog)


def test_module_level_pseudonymise_is_audited(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="gdpr_lint.runtime.audit")
    pseudonymise(f"{NAME} ringer fra {PHONE}", known={"name": NAME})
    (rec,) = records(caplog)
    assert rec["event"] == "pseudonymise" and rec["entities"] == {"NAME": 1, "PHONE": 1}
    assert "test_audit.py" in rec["call_site"]
    assert_no_raw(caplog)


def test_silent_when_logging_is_off(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="gdpr_lint.runtime.audit")
    pseudonymise(f"mail {EMAIL}")
    assert records(caplog) == []


def test_every_action_on_a_type_is_kept_with_its_count(client: Any, api: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="gdpr_lint.runtime.audit")
    # the e-mail in the body is pseudonymised, the one in `user` becomes a pseudonymous id
    protect(client.chat.completions.create)(
        model="m", messages=[{"role": "user", "content": f"{EMAIL} og bn@example.dk"}], user=EMAIL
    )
    request = next(r for r in records(caplog) if r["event"] == "request")
    assert request["entities"]["EMAIL"] == 3
    assert request["actions"]["EMAIL"] == {"pseudonymise": 2, "pseudonymous_id": 1}


def test_a_labelled_cpr_with_a_space_is_audited_and_redacted_as_a_cpr(client: Any, api: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="gdpr_lint.runtime.audit")
    reply = protect(client.chat.completions.create)(model="m", messages=[{"role": "user", "content": "CPR: 070761 4285"}])
    assert reply.choices[0].message.content == "CPR: [[CPR_REDACTED_1]]"  # not restored: never a phone pseudonym
    request = next(r for r in records(caplog) if r["event"] == "request")
    assert request["entities"] == {"CPR": 1} and request["actions"] == {"CPR": {"redact": 1}}
    assert "070761" not in api.bodies()[-1]
