"""The detector's shortcuts find exactly what the full checks find.

Pre-filters (no "@": no e-mail scan; digit-run length gates for cards, national
ids and phones), the single lower-casing per text for context words, the CPR
date check and IPv4 check without library overhead, and the precomputed HMAC
states must not lose or change a detection or a pseudonym.
"""

from __future__ import annotations

import hmac
import ipaddress
import random

import pytest
from stdnum.dk import cpr as stdnum_cpr

from gdpr_lint.runtime import Conversation, config, configure
from gdpr_lint.runtime.config import Settings
from gdpr_lint.runtime.detect import _cpr_ok, _ipv4, _WINDOW, detect

S = Settings()


def found(text: str) -> list[tuple[str, str]]:
    return [(s.type, text[s.start:s.end]) for s in detect(text, S)]


@pytest.mark.parametrize(
    "text, expected",
    [
        # the only number in the text, in its separated forms: the digit-run
        # gates count digits across single separators
        ("Borgerens CPR-nummer er 070761-4285", [("CPR", "070761-4285")]),
        ("Ring på +45 33 12 34 56", [("PHONE", "+45 33 12 34 56")]),
        ("Tlf. 33 12 34 56", [("PHONE", "33 12 34 56")]),
        ("Mobil 40-12-34-56", [("PHONE", "40-12-34-56")]),
        ("Indbetal til DK50 0040 0440 1162 43", [("IBAN", "DK50 0040 0440 1162 43")]),
        ("Kort 4571-1234-5678-9115 spærret", [("CARD", "4571-1234-5678-9115")]),
        ("Amex 3782 822463 10005", [("CARD", "3782 822463 10005")]),
        ("Login fra 85.12.3.4", [("IP", "85.12.3.4")]),
        ("Personnummer 19811228-9874", [("SE_PNR", "19811228-9874")]),
        # no "@" in the text: the e-mail scan is skipped, and nothing else breaks
        ("Skriv til anders.holm (at) example.dk", []),
        ("Svar til anders.holm@example.dk", [("EMAIL", "anders.holm@example.dk")]),
    ],
)
def test_prefilters_keep_separated_numbers(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


def test_words_inside_email_addresses_are_not_context_words() -> None:
    # "v" in "j.v@..." is not a version marker, "ordre@" / "faktura@" are mailboxes, not order numbers
    assert found("Login af j.v@firma.dk fra 85.12.3.4") == [("EMAIL", "j.v@firma.dk"), ("IP", "85.12.3.4")]
    assert found("Tlf. fra faktura@firma.dk: 40123456") == [("EMAIL", "faktura@firma.dk"), ("PHONE", "40123456")]
    # outside an address the same words still reject
    assert found("Version 1.2.3.4 fra j.v@firma.dk") == [("EMAIL", "j.v@firma.dk")]
    assert found("Tlf. fra faktura 40123456") == []


def test_context_word_at_the_window_edge_must_start_a_word() -> None:
    number = "0707614285"  # a bare CPR needs a context word
    pad = " " * (_WINDOW - len("cpr"))
    assert found("cpr" + pad + number) == [("CPR", number)]
    assert found("Xcpr" + pad + number) == []  # "cpr" inside a word, its first letter just outside the window
    assert found("Se cpr" + pad + " " + number) == []  # further than the window


def test_cpr_date_check_agrees_with_python_stdnum() -> None:
    rnd = random.Random(2007)
    values = ["0707614285", "2902004000", "2902014000", "2902004999", "3102851234", "0101584000", "0101585000"]
    for _ in range(3000):
        values.append("%02d%02d%02d%04d" % (rnd.randint(0, 32), rnd.randint(0, 13), rnd.randint(0, 99), rnd.randrange(10**4)))
    values.append("０７０７６１４２８５")  # full-width digits: python-stdnum maps them
    for value in values:
        assert _cpr_ok(value) == stdnum_cpr.is_valid(value), value


def test_ipv4_check_agrees_with_ipaddress() -> None:
    cases = ["192.168.1.20", "85.12.3.4", "255.255.255.255", "0.1.2.3", "127.0.0.1", "127.255.0.9", "0.0.0.0",
             "224.0.0.1", "239.1.1.1", "240.0.0.1", "010.1.1.1", "1.2.3.04", "256.1.1.1", "1.2.3", "1.2.3.4.5", "1..2.3"]
    for s in cases:
        try:
            ip = ipaddress.ip_address(s)
            expected = None if (ip.is_loopback or ip.is_unspecified or ip.is_multicast) else ip.compressed
        except ValueError:
            expected = None
        assert _ipv4(s) == expected, s


def test_pseudonyms_and_fingerprints_are_the_documented_hmacs() -> None:
    master = bytes(range(32))
    configure(key=master)
    conv = Conversation("chat-17", tenant="kommune-aarhus")
    conv_key = hmac.digest(master, b"gdpr-lint/conversation\x00kommune-aarhus\x00chat-17", "sha256")
    digest = hmac.digest(conv_key, b"EMAIL\x00anders.holm@example.dk", "sha256").hex()
    assert conv.pseudonymise("Mail: Anders.Holm@example.dk") == f"Mail: [[EMAIL_{digest[:8]}]]"
    audit_key = hmac.digest(master, b"gdpr-lint/audit", "sha256")
    expected_fp = hmac.digest(audit_key, b"EMAIL\x00anders.holm@example.dk", "sha256").hex()[:16]
    assert conv.fingerprint_of("EMAIL", "anders.holm@example.dk") == expected_fp
    first = conv.pseudonymise("Mail: anders.holm@example.dk")
    # rotation and back: the cached key states follow the configured key
    configure(key=bytes(range(1, 33)))
    assert Conversation("chat-17", tenant="kommune-aarhus").pseudonymise("Mail: anders.holm@example.dk") != first
    configure(key=master)
    assert Conversation("chat-17", tenant="kommune-aarhus").pseudonymise("Mail: anders.holm@example.dk") == first
    assert config.master_key() == master
