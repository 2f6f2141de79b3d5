"""Property-based tests: round trip, JSON re-identification, streaming cuts."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gdpr_lint.runtime import Conversation
from gdpr_lint.runtime.stream import TokenStream

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NAMES = ["Anders Holm", "Birgitte Nielsen", "Søren Kierkegaard", "Mette Frederiksen", "Jens Ole Hansen"]
PHONES = ["+45 40 12 34 56", "+45 21 43 65 87", "+46 70 123 45 67", "+47 412 34 567", "tlf 28 91 33 07"]
IBANS = ["DK50 0040 0440 1162 43", "DE89 3704 0044 0532 0130 00", "GB29 NWBK 6016 1331 9268 19", "NO93 8601 1117 947"]
CPRS = ["070761-4285", "311299-1239", "010190-1234"]
CARDS = ["4571 1234 5678 9115", "5200 0000 0000 0007"]
IPS = ["192.168.1.20", "10.0.0.7", "2001:db8::8a2e:370:7334"]
FILLER = [
    "Hej", "og", "til", "the", "customer", "kunde", "faktura", "sag", "ring", "Kære", "hr.", "æøå", "ÆØÅ",
    "Holms", "—", "[", "]", "[[", "]]", "[[EMAIL_00000000]]", "[[NOPE]]", "\"quoted\"", "back\\slash", "\n", "100%",
    "kl.", "10:30", "2023-11-05", "12.345", "ok!", "(", ")", "#42", "🙂",
]

email = st.builds(
    lambda local, domain: f"{local}@{domain}",
    st.from_regex(r"[a-z][a-z0-9._-]{0,12}[a-z0-9]", fullmatch=True).filter(lambda s: ".." not in s),
    st.sampled_from(["example.dk", "firma.com", "mail.example.se"]),
)
entity = st.one_of(st.sampled_from(NAMES), st.sampled_from(PHONES), st.sampled_from(IBANS),
                   st.sampled_from(CPRS).map(lambda c: f"cpr {c}"), st.sampled_from(CARDS), st.sampled_from(IPS), email)
fragments = st.lists(st.one_of(entity, st.sampled_from(FILLER)), min_size=1, max_size=25)


@SETTINGS
@given(fragments)
def test_round_trip(parts: list[str]) -> None:
    text = " ".join(parts)
    conv = Conversation(policy={"CPR": "pseudonymise", "CARD": "pseudonymise"})
    pseudo = conv.pseudonymise(text, known={"name": NAMES})
    assert pseudo.count("[[") >= text.count("[[")
    for value in [*NAMES, *PHONES, *IBANS, *CPRS, *CARDS, *IPS]:
        if value in text:
            assert value not in pseudo
    for part in parts:
        if "@" in part:
            assert part not in pseudo
    assert conv.reidentify(pseudo) == text


@SETTINGS
@given(fragments)
def test_default_policy_redacts_irreversibly(parts: list[str]) -> None:
    text = " ".join(parts)
    conv = Conversation()
    back = conv.reidentify(conv.pseudonymise(text, known={"name": NAMES}))
    for cpr in CPRS:
        assert cpr not in back
    for value in NAMES + IPS:
        assert back.count(value) == text.count(value)


json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20))


@SETTINGS
@given(
    values=st.lists(st.text(min_size=1, max_size=15), min_size=1, max_size=4, unique=True),
    shape=st.recursive(
        json_leaf,
        lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
        max_leaves=12,
    ),
    picks=st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=6),
    indent=st.sampled_from([None, 2]),
    ascii_only=st.booleans(),
)
def test_json_reidentification_keeps_json_valid(values: list[str], shape: Any, picks: list[int], indent: Any, ascii_only: bool) -> None:
    conv = Conversation()
    tokens = [conv.token_for("NAME", f"v{i}:{v}", v) for i, v in enumerate(values)]
    mapping = dict(zip(tokens, values))
    counter = iter(picks * 50)

    def plant(node: Any) -> Any:
        # put tokens into string values (and keys) around the original text
        if isinstance(node, str):
            t = tokens[next(counter, 0) % len(tokens)]
            return f"{node}{t}|{t}"
        if isinstance(node, list):
            return [plant(x) for x in node]
        if isinstance(node, dict):
            return {plant(k): plant(v) for k, v in node.items()}
        return node

    def expect(node: Any) -> Any:
        if isinstance(node, str):
            for t, v in mapping.items():
                node = node.replace(t, v)
            return node
        if isinstance(node, list):
            return [expect(x) for x in node]
        if isinstance(node, dict):
            return {expect(k): expect(v) for k, v in node.items()}
        return node

    doc = plant({"arguments": shape, "text": "x"})
    raw = json.dumps(doc, indent=indent, ensure_ascii=ascii_only)
    restored = conv.reidentify(raw, json=True)
    assert json.loads(restored) == expect(doc)


@SETTINGS
@given(fragments, st.lists(st.integers(min_value=0, max_value=400), max_size=8))
def test_stream_cuts_equal_whole(parts: list[str], cuts: list[int]) -> None:
    conv = Conversation()
    pseudo = conv.pseudonymise(" ".join(parts), known={"name": NAMES})
    positions = sorted({0, len(pseudo), *[c % (len(pseudo) + 1) for c in cuts]})
    ts = TokenStream(lambda t: conv.reidentify_count(t))
    out = "".join(ts.feed(pseudo[a:b]) for a, b in zip(positions, positions[1:])) + ts.flush()
    assert out == conv.reidentify(pseudo)
