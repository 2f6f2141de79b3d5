"""One exception hierarchy for every entry point, checked settings, clear messages."""

from __future__ import annotations

import json
from typing import Any, Callable

import pytest

from gdpr_lint.runtime import (
    ConfigurationError,
    Conversation,
    PseudonymisationError,
    UnsupportedInputError,
    configure,
    protect,
    pseudonymise,
    reidentify,
)

from .conftest import EMAIL, NAME


def _entry_points(client: Any) -> dict[str, Callable[[dict], Any]]:
    return {
        "configure": lambda policy: configure(policy=policy),
        "Conversation": lambda policy: Conversation(policy=policy),
        "protect(method)": lambda policy: protect(client.chat.completions.create, policy=policy),
        "protect(client)": lambda policy: protect(client, policy=policy),
        "Conversation.protect": lambda policy: Conversation().protect(client.responses.create, policy=policy),
        "protect(litellm)": lambda policy: protect(_litellm_completion(), policy=policy),
    }


def _litellm_completion() -> Any:
    litellm = pytest.importorskip("litellm")
    return litellm.completion


@pytest.mark.parametrize(
    "where", ["configure", "Conversation", "protect(method)", "protect(client)", "Conversation.protect", "protect(litellm)"]
)
def test_the_same_policy_typo_raises_the_same_error_everywhere(client: Any, where: str) -> None:
    call = _entry_points(client)[where]
    with pytest.raises(ConfigurationError, match=r"unknown policy action 'redcat' for 'CPR'; use one of keep, pseudonymise, redact") as caught:
        call({"CPR": "redcat"})
    assert isinstance(caught.value, PseudonymisationError) and isinstance(caught.value, ValueError)
    with pytest.raises(ConfigurationError, match=r"unknown entity type 'EMIAL' in policy; known types: ADDRESS, CARD, .*EMAIL"):
        call({"EMIAL": "redact"})


def test_a_failed_configure_changes_nothing() -> None:
    with pytest.raises(ConfigurationError):
        configure(policy={"EMAIL": "redact", "EMIAL": "redact"})
    assert Conversation().pseudonymise(EMAIL).startswith("[[EMAIL_") and "REDACTED" not in Conversation().pseudonymise(EMAIL)


def test_custom_types_and_known_categories_may_be_named_in_policies() -> None:
    with pytest.raises(ConfigurationError, match="MEMBER_ID"):
        configure(policy={"MEMBER_ID": "redact"})
    configure(custom_types=["member_id"], policy={"MEMBER_ID": "redact"})
    conv = Conversation(known={"member_no": "M-48213"}, policy={"MEMBER_NO": "redact"})  # its own known category
    assert conv.pseudonymise("Medlem M-48213") == "Medlem [[MEMBER_NO_REDACTED_1]]"
    with pytest.raises(ConfigurationError, match="no entity type"):
        configure(custom_types=["member id!"])


@pytest.mark.parametrize("value", [b"mail anders.holm@example.dk", bytearray(b"x")])
def test_bytes_are_not_text(value: Any) -> None:
    with pytest.raises(UnsupportedInputError, match=r"takes text \(str\), not (bytes|bytearray): decode it first"):
        pseudonymise(value)
    with pytest.raises(TypeError, match="decode it first"):  # (also a TypeError)
        reidentify(value)
    with pytest.raises(PseudonymisationError, match=r"not int$"):
        Conversation().pseudonymise(42)  # type: ignore[arg-type]


# -- switching detectors off ----------------------------------------------------


def test_detectors_can_be_switched_off() -> None:
    text = f"Kære Anders Holm, skriv til {EMAIL} eller bo på Nørregade 12, 1165 København K."
    full = Conversation().pseudonymise(text)
    assert "Anders" not in full and "Nørregade" not in full
    configure(disable=["names"])
    out = Conversation().pseudonymise(text)
    assert "Anders Holm" in out and EMAIL not in out and "Nørregade" not in out
    configure(disable=["addresses", "email"])
    out = Conversation().pseudonymise(text)
    assert "Anders Holm" not in out and EMAIL in out and "Nørregade 12" in out
    # values known to be personal are still found
    configure(disable=["names"])
    assert "Anders" not in Conversation(known={"name": NAME}).pseudonymise(text)
    configure(disable=[])
    conv = Conversation()
    assert conv.pseudonymise(text).count("[[") == full.count("[[") == 3


def test_unknown_detector_names_are_rejected() -> None:
    with pytest.raises(ConfigurationError, match=r"unknown detector 'name' in disable; known detectors: names, addresses"):
        configure(disable=["name"])
    with pytest.raises(ConfigurationError, match="must be callable"):
        configure(detectors=["names"])  # type: ignore[list-item]


# -- refusals say where --------------------------------------------------------


def test_a_refusal_names_the_json_path_of_the_value(client: Any, api: Any) -> None:
    create = protect(client.chat.completions.create, known={"name": NAME})
    with pytest.raises(PseudonymisationError, match=r"in the field 'name' at \$\.messages\[1\]\.name,"):
        create(model="m", messages=[{"role": "system", "content": "hej"}, {"role": "user", "name": "Holm", "content": "hej"}])
    result = json.dumps({"customer": {"Anders Holm": {"orders": 2}}})
    with pytest.raises(PseudonymisationError, match=r"a key of the object at \$\.customer in the JSON text at \$\.messages\[2\]\.content,"):
        create(model="m", messages=[
            {"role": "user", "content": "hej"},
            {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": result},
        ])
    assert api.bodies() == []


def test_an_invalid_setting_does_not_half_apply_the_others() -> None:
    from gdpr_lint.runtime import config

    with pytest.raises(ConfigurationError, match="scope_ttl must be a positive number"):
        configure(key=bytes(range(32)), policy={"EMAIL": "redact"}, scope_ttl=-1)
    assert config.master_key() != bytes(range(32))  # the key was not replaced
    assert config.settings().policy.get("EMAIL") is None
