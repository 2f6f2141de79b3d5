"""The detector's shortcuts find exactly what the full checks find.

Pre-filters (no "@": no e-mail scan; digit-run length gates for cards, national
ids and phones), number regions (the card, phone and id patterns are scanned
only where one scan found digits), the IPv4 and IPv6 gates, the single
lower-casing per text for context words, the CPR date check and IPv4 check
without library overhead, and the precomputed HMAC states must not lose or
change a detection or a pseudonym.
"""

from __future__ import annotations

import hmac
import ipaddress
import random

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from stdnum.dk import cpr as stdnum_cpr

from gdpr_lint.runtime import Conversation, config, configure
from gdpr_lint.runtime.config import Settings
from gdpr_lint.runtime.detect import KnownValues
from gdpr_lint.runtime.detect import context as detect_module
from gdpr_lint.runtime.detect import _DIGIT_RUNS, _number_regions, detect
from gdpr_lint.runtime.detect.common import NONDIGITS as _NONDIGITS
from gdpr_lint.runtime.detect.common import STOP as _STOP
from gdpr_lint.runtime.detect.common import scan_candidates as _candidates
from gdpr_lint.runtime.detect.contact import (
    _IPV4,
    _IPV6,
    _IPV6_GATE,
    _PHONE,
    _PHONE_LEAD,
    _fast_region,
    _fast_regions,
    _ipv4,
    _ipv4_matches,
    _ipv6,
)
from gdpr_lint.runtime.detect.context import _WINDOW
from gdpr_lint.runtime.detect.context import context_at as _context
from gdpr_lint.runtime.detect.finance import _CARD, _CARD_LEAD, _CARD_PREFIXES, _luhn_ok
from gdpr_lint.runtime.detect.national_ids import _DDMMYY_4, _FI, _NO_11, _SE_12, cpr_ok
from gdpr_lint.runtime.detect.national_ids import ID_START as _ID_START
from gdpr_lint.runtime.detect.national_ids import id_region as _id_region

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
        # born 2000 or later: a century letter, so the longest digit run has six digits
        ("Henkilötunnus 150710A123V", [("FI_HETU", "150710A123V")]),
        ("Potilas, hetu: 241203B456M.", [("FI_HETU", "241203B456M")]),
        # a bracketed trunk prefix or country code breaks the digit run
        ("Ring +44 (0)20 7946 0958", [("PHONE", "+44 (0)20 7946 0958")]),
        ("Login fra 10.0.0.7 og 85.12.3.4.", [("IP", "10.0.0.7"), ("IP", "85.12.3.4")]),
        # no "@" in the text: the e-mail scan is skipped, and nothing else breaks
        ("Skriv til anders.holm (at) example.dk", []),
        ("Svar til anders.holm@example.dk", [("EMAIL", "anders.holm@example.dk")]),
    ],
)
def test_prefilters_keep_separated_numbers(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    "after, is_phone",
    [(" kr", False), (" DKK", False), ("%", False), (" €", False), ("\u00a0kr.", False), (",-", False), ("\tnok", False),
     (" \u212ar", False), (" \u017fek", False),  # Kelvin sign and long s: the same letters to a case-insensitive regex
     (" eller", True), (" krone", True), ("  kr", True), (" og", True), (".", True)],
)
def test_an_amount_unit_after_a_number_makes_it_no_phone_number(after: str, is_phone: bool) -> None:
    assert found("Tlf. 40123456" + after) == ([("PHONE", "40123456")] if is_phone else [])


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
        assert cpr_ok(value) == stdnum_cpr.is_valid(value), value


def test_numbers_with_the_default_country_code_that_fail_its_patterns_need_no_full_parse(monkeypatch) -> None:
    # "+45 ..." not matching Denmark's number patterns is invalid for phonenumbers
    # too, so no full parse; not so for Sweden, where "+46 (0)8 ..." loses its "0"
    assert _fast_region("DK")[3] is True
    assert _fast_region("SE")[3] is False and _fast_region("NO")[3] is False
    rnd = random.Random(4545)
    texts = []
    for _ in range(400):
        digits = "".join(rnd.choice("0123456789") for _ in range(rnd.randint(6, 11)))
        body = "".join(c + rnd.choice(["", "", " ", "-", ".", ") ", " ("]) for c in digits)
        texts.append(rnd.choice(["Ring ", "Tlf. ", "Kontakt: "]) + rnd.choice(["+45 ", "+45", "0045 ", "+45 (0) "]) + body)
    with_shortcut = [found(t) for t in texts]
    fast = _fast_region("DK")
    monkeypatch.setitem(_fast_regions, "DK", (*fast[:3], False))  # every such number through phonenumbers
    assert [found(t) for t in texts] == with_shortcut
    assert 50 < sum(bool(f) for f in with_shortcut) < 350  # valid and invalid numbers both


def test_luhn_check_agrees_with_python_stdnum() -> None:
    from stdnum import luhn

    rnd = random.Random(1954)
    numbers = ["4571123456789115", "5200000000000007", "378282246310005", "0", "00", "18"]
    numbers += ["".join(rnd.choice("0123456789") for _ in range(rnd.randint(1, 19))) for _ in range(3000)]
    for number in numbers:
        assert _luhn_ok(number) == luhn.is_valid(number), number


def test_card_prefixes_are_the_issuer_ranges() -> None:
    import re

    issuers = re.compile(r"^(?:4|5[1-5]|2[2-7]|3[47]|3[068]|6[05]|62|5[06-9])")  # Visa, Mastercard, Amex, Diners, Discover, Maestro
    for first in "0123456789":
        for second in "0123456789٣":
            digits = first + second + "12345678901"
            assert (digits[0] == "4" or digits[:2] in _CARD_PREFIXES) == bool(issuers.match(digits)), digits


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


# Texts made of what numbers are written with, and a few letters and words.
number_text = st.lists(
    st.one_of(
        st.text(alphabet="0123456789", min_size=1, max_size=12),
        st.sampled_from([" ", "-", ".", "/", "+", "(", ")", ",", ":", "\n", "A", "T", "x", "é", "٣", "DK", "tlf ", "cpr ", "07.07.61"]),
        st.lists(st.integers(min_value=0, max_value=999).map(str), min_size=3, max_size=5).map(".".join),  # IPv4-like
    ),
    max_size=30,
).map("".join)
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(number_text)
@example("tlf (40 12 34 56) og 5+123456 og 123456+7 og 150710A123V, 12 070761-4285 og 19811228-9874 og 131052-308T")
def test_every_number_match_lies_in_a_number_region(text: str) -> None:
    regions, longest = _number_regions(text)
    assert regions == sorted(regions)
    for rx in (_CARD, _PHONE, _ID_START, _DIGIT_RUNS):
        after = 1 if rx is _PHONE else 0  # a phone number may end with a ")" after its region
        for p in range(len(text)):
            m = rx.match(text, p)  # wherever a scan could try it
            if m is not None:
                assert any(lo <= m.start() and m.end() <= hi + after for lo, hi in regions), (rx.pattern, m)
                if rx is _CARD:  # cards are looked for in regions of 13 characters other than spaces
                    assert any(lo <= m.start() < hi and hi - lo - text.count(" ", lo, hi) >= 13 for lo, hi in regions)
    for rx in (_DDMMYY_4, _SE_12, _NO_11, _FI):  # national ids are looked for in some regions only
        for p in range(len(text)):
            if rx.match(text, p):
                assert any(lo <= p < hi and _id_region(text, lo, hi) for lo, hi in regions), (rx.pattern, p)
    runs = [len(_NONDIGITS.sub("", r)) for r in _DIGIT_RUNS.findall(text)]
    # exact where the gates need it (below 7 digits), an upper bound above
    assert longest == max(runs, default=0) if longest < 7 else longest >= max(runs, default=0)


@PROPERTY
@given(number_text)
@example("Tlf 40123456,7 og 4571 1234 5678 9115,1")  # a region ends where a match's look-ahead still looks
@example("123456+7 (+45) 12 34 56 78,9 (40 12 34 56) (45 67 89 01)-2")
@example("fra 123.45.67.89 og 1.2.3.4.5 og 10.0.0.7")
@example("(12)40123456 og 5)123456 og 1/4571234567890123 og 7+4571234567890123 og 9(4571234567890123")  # after a failed candidate
@example("12345678901234/4571234567890123 og 12345678901234+4571234567890123 og 12345678901234(4571234567890123")
@example("12345678901234)4571234567890123 og 12345678901234 4571234567890123")
def test_scans_limited_to_number_regions_find_what_full_scans_find(text: str) -> None:
    regions = _number_regions(text)[0]

    def validate(raw: str, start: int) -> object:  # accepts some prefixes, stops at others
        return raw if sum(map(ord, raw)) % 3 == 0 else None if len(raw) % 4 else _STOP

    def of_length(n: int) -> object:  # rejects longer candidates: the scan goes on inside them
        return lambda raw, start: raw if len(raw) == n else None

    for rx, lead in ((_CARD, _CARD_LEAD), (_PHONE, _PHONE_LEAD)):
        for valid in (validate, of_length(8), of_length(16)):
            assert list(_candidates(rx, text, valid, None, regions, lead)) == list(_candidates(rx, text, valid))
    assert [m.span() for m in _ipv4_matches(text)] == [m.span() for m in _IPV4.finditer(text)]
    if _IPV6_GATE.search(text) is None:  # then the IPv6 scan is skipped
        assert [_ipv6(m.group()) for m in _IPV6.finditer(text) if _ipv6(m.group())] == []


KEYWORD_CLASSES = [("POS_PHONE", "NEG_NUMBER"), ("POS_CPR", "NEG_NUMBER"), ("POS_CARD", "NEG_NUMBER"), ("POS_SE", "NEG_NUMBER"),
                   ("POS_NO", "NEG_NUMBER"), ("POS_FI", "NEG_NUMBER"), ("POS_DE", "NEG_NUMBER"), ("POS_NL", "NEG_NUMBER"),
                   ("POS_CVR", "NEG_NUMBER"), ("NEVER", "NEG_IP")]


def test_context_words_are_found_as_the_plain_alternation_finds_them() -> None:
    # _context() scans a rearranged regex; this is the plain one it stands for
    import re

    words = ["tlf", "telefon", "tel", "tel.", "ring", "sag", "sager", "sagsnr", "customer no", "customer number", "number is",
             "nummer er", "kort", "visa", "cpr", "ref", "reference", "order", "ordre", "faktura", "v", "ver", "version", "po",
             "tax id", "steuer", "bsn", "cvr", "se nr", "personnummer", "fnr", "hetu", "kr", "total", "item", "itemx", "xsag"]
    rnd = random.Random(11)
    for pos_name, neg_name in KEYWORD_CLASSES:
        pos, neg = getattr(detect_module, pos_name), getattr(detect_module, neg_name)
        plain = re.compile(f"(?<!\\w)(?:(?P<p>{pos._pattern})|(?P<n>{neg._pattern}))")
        for _ in range(1500):
            low = "".join(rnd.choice(words) + rnd.choice([" ", "  ", ":", ".", "-", "", "/", "\n", "x", "9"]) for _ in range(rnd.randint(1, 12)))
            start = rnd.randint(0, len(low))
            lo = max(0, start - _WINDOW)
            last = None
            for m in plain.finditer(low, lo, start):
                last = m.lastgroup
            expected = 0 if last is None else 1 if last == "p" else -1
            assert _context(low, start, pos, neg, low) == expected, (pos_name, low, start)
            assert _context(low, start, pos, neg) == expected, (pos_name, low, start)  # lower-casing a window of its own


def test_the_many_known_values_of_a_request_are_found_as_one_by_one() -> None:
    # a payroll batch: many employees' known values, each message mentions a few;
    # with many values only those whose first word occurs are matched
    names = ["Anders Holm", "Birgitte Nielsen", "Søren Kierkegaard", "Mette Frederiksen", "Jens Ole Hansen", "Ida Holm",
             "Line Jensen", "Peter Sørensen", "Ole Hansen", "Freja Christensen", "Anders Jensen"]
    known = KnownValues({
        "name": names,
        "address": ["Nørregade 12, 8000 Aarhus C", "Algade 117, 9000 Aalborg", "Strandvejen 128, 5000 Odense C"],
        "email": ["anders.holm@kommune.dk", "IDA.HOLM@kommune.dk"],
        "phone": ["+45 40 12 34 56", "21 43 65 87"],
        "cpr": "070761-4285",
    })
    assert len(known.entries) >= 16
    texts = [
        "Lønseddel for Anders Holm (cpr 070761-4285), Nørregade 12, 8000 Aarhus C. Kopi til anders.holm@kommune.dk.",
        "Ida Holms ferie er godkendt af Ole Hansen; Jens Ole Hansen har ringet fra 40123456.",
        "Mette og Freja: mødet flyttes. Tlf. 21 43 65 87, Algade 117.",
        "Ingen personer nævnt her.",
        "HOLM, Anders -- IDA.HOLM@KOMMUNE.DK -- Søren Kierkegaards gade",
        "Anders Holm og Anders Jensen deler kontor med Line Jensen.",  # values sharing a first word
    ]
    for text in texts:
        one_by_one = [span for e in known.entries for span in KnownValues(None, _entries=[e]).find(text)]
        assert known.find(text) == one_by_one
    assert [s.type for s in known.find(texts[0])].count("NAME") >= 2


iban_text = st.lists(
    st.one_of(
        st.text(alphabet="0123456789", min_size=1, max_size=6),
        st.sampled_from([" ", "-", "DK", "dk", "gb", "GB29", "NWBK", "x", "Ab", "é", "_", "dk50", "\n"]),
    ),
    max_size=25,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(iban_text)
@example("dk50 0040 0440 1162 43 DK50-0040-0440-1162-43")
def test_iban_search_anchored_on_check_digits_finds_what_the_pattern_finds(text: str) -> None:
    from gdpr_lint.runtime.detect.finance import _IBAN, _IbanSearch

    found, pos = [], 0
    while True:
        m = _IbanSearch.search(text, pos)
        if m is None:
            break
        found.append(m.span())
        pos = m.end()
    assert found == [m.span() for m in _IBAN.finditer(text)]


@PROPERTY
@given(number_text)
@example("cpr 07.07.61-4285, 1 07/07/61 4285 og 07-07-61-42851 (13.10.52-308T)")
def test_dated_ids_are_looked_for_wherever_one_can_match(text: str) -> None:
    from gdpr_lint.runtime.detect import _SEPARATED_DATE
    from gdpr_lint.runtime.detect.national_ids import _DATED

    regions, _ = _number_regions(text)
    for p in range(len(text)):
        m = _DATED.match(text, p)
        if m is not None:  # in a region of ten characters or more that the gate lets through
            assert any(lo <= p < hi and hi - lo >= 10 and _SEPARATED_DATE.search(text, lo, hi) for lo, hi in regions), p
