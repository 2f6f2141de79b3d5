"""Detection by format class: national ids over phone numbers, IBAN separators
and case for every country, date separators in date-based ids, phone numbers
with a slash or an area code per country, and look-alikes that must stay."""

from __future__ import annotations

import pytest

from gdpr_lint.runtime import Conversation
from gdpr_lint.runtime.config import Settings
from gdpr_lint.runtime.detect import KnownValues, detect

S = Settings()


def found(text: str, known: dict | None = None) -> list[tuple[str, str]]:
    return [(s.type, text[s.start:s.end]) for s in detect(text, S, KnownValues(known) if known else None)]


# -- national ids win over phone numbers --------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("CPR: 070761 4285", [("CPR", "070761 4285")]),
        ("cpr-nr 070761 4285, tak", [("CPR", "070761 4285")]),
        ("Personnummer: 610707 0002", [("SE_PNR", "610707 0002")]),
        ("kunden 070761 4285 ringede", [("CPR", "070761 4285")]),  # a valid CPR is a CPR, not a phone
    ],
)
def test_a_national_id_written_with_a_space_is_no_phone_number(text: str, expected: list) -> None:
    assert found(text) == expected


def test_a_cpr_with_a_label_is_redacted_and_never_restored() -> None:
    conv = Conversation()
    out = conv.pseudonymise("CPR: 070761 4285")
    assert out == "CPR: [[CPR_REDACTED_1]]"
    assert conv.reidentify(out) == out


# -- IBAN: every country, any case, spaces or hyphens --------------------------


@pytest.mark.parametrize(
    "iban, compact",
    [
        ("dk50 0040 0440 1162 43", "DK5000400440116243"),
        ("DK50-0040-0440-1162-43", "DK5000400440116243"),
        ("dk5000400440116243", "DK5000400440116243"),
        ("de89-3704-0044-0532-0130-00", "DE89370400440532013000"),
        ("gb29 nwbk 6016 1331 9268 19", "GB29NWBK60161331926819"),
        ("GB29-NWBK-6016-1331-9268-19", "GB29NWBK60161331926819"),
        ("fr14 2004 1010 0505 0001 3m02 606", "FR1420041010050500013M02606"),
        ("NL91-ABNA-0417-1643-00", "NL91ABNA0417164300"),
        ("se45 5000 0000 0583 9825 7466", "SE4550000000058398257466"),
        ("NO93-8601-1117-947", "NO9386011117947"),
        ("fi21 1234 5600 0007 85", "FI2112345600000785"),
    ],
)
def test_ibans_in_any_case_and_with_hyphens(iban: str, compact: str) -> None:
    text = f"Beløbet overføres til {iban} i morgen"
    spans = detect(text, S)
    assert [(s.type, text[s.start:s.end], s.canonical) for s in spans] == [("IBAN", iban, compact)]


def test_one_iban_one_pseudonym_whatever_its_spelling() -> None:
    conv = Conversation()
    tokens = {conv.pseudonymise(v) for v in ("DK50 0040 0440 1162 43", "dk50-0040-0440-1162-43", "DK5000400440116243")}
    assert len(tokens) == 1 and tokens.pop().startswith("[[IBAN_")


def test_a_known_iban_matches_with_hyphens() -> None:
    assert found("konto DK50-0040-0440-1162-43", {"iban": "dk50 0040 0440 1162 43"}) == [("IBAN", "DK50-0040-0440-1162-43")]


@pytest.mark.parametrize(
    "text",
    [
        "dk50 0040 0440 1162 44 er forkert",  # check digits wrong
        "ab12-3456-7890-1234-56",  # no IBAN country
        "Commit de89370400440532013001 reverted",  # mod 97 fails
        "sku ab12 cdef 3456 7890",
    ],
)
def test_iban_look_alikes_stay(text: str) -> None:
    assert [t for t, _ in found(text)] != ["IBAN"]


# -- date-based ids with a separated date -------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("cpr 07.07.61-4285", [("CPR", "07.07.61-4285")]),
        ("07.07.61-4285", [("CPR", "07.07.61-4285")]),
        ("CPR 07/07/61-4285", [("CPR", "07/07/61-4285")]),
        ("cpr: 07-07-61-4285", [("CPR", "07-07-61-4285")]),
        ("CPR 07.07.61 4285", [("CPR", "07.07.61 4285")]),
        ("personnummer 61.07.07-0002", [("SE_PNR", "61.07.07-0002")]),
        ("fødselsnummer 07.07.61 00084", [("NO_FNR", "07.07.61 00084")]),
        ("henkilötunnus 13.10.52-308T", [("FI_HETU", "13.10.52-308T")]),
    ],
)
def test_date_based_ids_with_date_separators(text: str, expected: list) -> None:
    assert found(text) == expected


# -- phone numbers with a slash or an area code --------------------------------


@pytest.mark.parametrize(
    "region, text, number, e164",
    [
        ("DK", "tlf. 030/1234567", "030/1234567", "+49301234567"),  # Berlin: a slash is German usage
        ("DK", "Telefon: 089/12345678", "089/12345678", "+498912345678"),  # Munich
        ("AT", "Tel.: 0664/1234567", "0664/1234567", "+436641234567"),  # Austrian mobile
        ("DK", "Tel. 0049 30 1234567", "0049 30 1234567", "+49301234567"),
        ("DK", "+49 (0)30 1234567", "+49 (0)30 1234567", "+49301234567"),
        ("SE", "ring 08-123 456 78", "08-123 456 78", "+46812345678"),  # Stockholm
        ("NL", "tel 020-1234567", "020-1234567", "+31201234567"),  # Amsterdam
        ("GB", "phone 020 7946 0958", "020 7946 0958", "+442079460958"),  # London
        ("FR", "tél 01 23 45 67 89", "01 23 45 67 89", "+33123456789"),  # Paris
        ("DE", "Tel. (030) 1234567", "(030) 1234567", "+49301234567"),
        ("NL", "tel (020) 123 4567", "(020) 123 4567", "+31201234567"),
        ("DK", "tlf 4540123456", "4540123456", "+4540123456"),  # country code without "+"
        ("DK", "phone: 4915123456789", "4915123456789", "+4915123456789"),
    ],
)
def test_phone_numbers_with_slash_or_area_code(region: str, text: str, number: str, e164: str) -> None:
    regions = (region,) + tuple(r for r in S.phone_regions if r != region)
    spans = detect(text, Settings(phone_regions=regions))
    assert [(s.type, text[s.start:s.end], s.canonical) for s in spans] == [("PHONE", number, e164)]


def test_an_area_code_number_is_found_whatever_the_default_region() -> None:
    # the region only decides the canonical form; the number is replaced either way
    for text in ("tel 020-1234567", "phone 020 7946 0958", "tél 01 23 45 67 89", "ring 08-123 456 78"):
        assert [t for t, _ in found(text)] == ["PHONE"], text


# -- what must stay -----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Mødet er 07.07.2024 kl. 14",
        "dato 12.03.24 1500 kr",  # a date and an amount
        "Leveret 12/05/2024, faktura 2024/1234567",
        "version 1.2.3/4567890",
        "v2.10.12-1234",
        "build 2024.1234567",
        "ordre 123456 7890",
        "order 030/1234567",
        "faktura 070761 4285",
        "ref 07.07.61-4285",
        "Beløb: 1.234.567 kr",
        "Total 1.250,00 kr",
        "tel 01.01.2024",
        "2024-05-12 10:30",
        "ISBN 978-3-16-148410-0",
        "Sagsnummer 4540123456",
        "orderId 4540123456",
    ],
)
def test_dates_versions_orders_and_amounts_stay(text: str) -> None:
    assert found(text) == []
