"""Detectors: recall on realistic Danish/English data, precision against look-alikes."""

from __future__ import annotations

import re

import pytest

from gdpr_lint.runtime.config import Settings
from gdpr_lint.runtime.detect import KnownValues, canonical, detect, entity_type_for_category

S = Settings()


def found(text: str, known=None) -> list[tuple[str, str]]:
    return [(s.type, text[s.start:s.end]) for s in detect(text, S, KnownValues(known) if known else None)]


def types(text: str, known=None) -> list[str]:
    return [t for t, _ in found(text, known)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Kunden har CPR 070761-4285.", [("CPR", "070761-4285")]),
        ("cpr-nr: 0707614285", [("CPR", "0707614285")]),
        ("Personnummer 811228-9874 (Sverige)", [("SE_PNR", "811228-9874")]),
        ("Ring på +45 40 12 34 56 i morgen", [("PHONE", "+45 40 12 34 56")]),
        ("tlf. 40123456", [("PHONE", "40123456")]),
        ("mobil: 40 12 34 56", [("PHONE", "40 12 34 56")]),
        ("Call me on 0045 40123456", [("PHONE", "0045 40123456")]),
        ("Svensk mobil 070-123 45 67", [("PHONE", "070-123 45 67")]),
        ("Write to Anders.Holm@Example.dk today", [("EMAIL", "Anders.Holm@Example.dk")]),
        ("Overfør til DK50 0040 0440 1162 43 senest fredag", [("IBAN", "DK50 0040 0440 1162 43")]),
        ("IBAN DK5000400440116243.", [("IBAN", "DK5000400440116243")]),
        ("Kort 4571 1234 5678 9115 blev afvist", [("CARD", "4571 1234 5678 9115")]),
        ("login fra 192.168.1.20 kl. 10", [("IP", "192.168.1.20")]),
        ("IPv6 2001:db8::8a2e:370:7334 blocked", [("IP", "2001:db8::8a2e:370:7334")]),
        ("CVR-nr. 13585628", [("CVR", "13585628")]),
        ("Fødselsnummer 01010112345 eller", []),  # invalid check digits
        ("henkilötunnus 131052-308T", [("FI_HETU", "131052-308T")]),
        ("Steuer-ID 36 574 261 809", [("DE_TAXID", "36 574 261 809")]),
        ("BSN 111222333", [("NL_BSN", "111222333")]),
    ],
)
def test_detects(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


def test_phone_numbers_in_full_width_digits_are_the_same_phone_numbers() -> None:
    # typed with an East Asian input method: phonenumbers reads them as ASCII digits
    assert found("Tlf. ４０１２３４５６") == [("PHONE", "４０１２３４５６")]
    assert found("Ring +45 ４０ １２ ３４ ５６ i dag") == [("PHONE", "+45 ４０ １２ ３４ ５６")]
    canon = {s.canonical for t in ("Tlf. ４０１２３４５６", "tlf. 4０123456", "Tlf. 40 12 34 56", "Ring +45 ４０ １２ ３４ ５６")
             for s in detect(t, S)}
    assert canon == {"+4540123456"}  # one person, one pseudonym


@pytest.mark.parametrize(
    "text",
    [
        "Faktura 20231105 er betalt",  # invoice number that is a valid DK phone number
        "Ordre 12345678 er afsendt",
        "Mødet er 2023-11-05 kl 10:30",
        "Beløbet er 12.345.678 kr",
        "Version 1.2.3.4 er ude",
        "Sag 0707614285 er lukket",  # valid CPR date, rejected by context
        "Reference 0707614285",
        "Vi solgte 40123456 enheder",  # bare 8 digits without phone context
        "Nummer 0707614285 uden kontekst",  # bare 10 digits: needs a cpr context word
        "Ordrenummer 4571123456789115",  # Luhn-valid digit run, but an order number
        "bank: 1234 5678901234",
        "Koden er 811228",
        "Localhost 127.0.0.1 and 0.0.0.0",
    ],
)
def test_rejects_lookalikes(text: str) -> None:
    assert found(text) == []


def test_closest_context_word_wins() -> None:
    assert types("Faktura sendt, ring på tlf 40123456") == ["PHONE"]
    assert types("tlf er ukendt, faktura 40123456") == []


def test_cpr_does_not_become_phone() -> None:
    # 0707614285 is also a valid Swedish mobile number in national format.
    assert types("cpr 0707614285") == ["CPR"]


def test_several_entities_in_order() -> None:
    text = "Anders (anders@holm.dk, +45 40 12 34 56) bor i DK, cpr 070761-4285"
    assert types(text) == ["EMAIL", "PHONE", "CPR"]


def test_known_values_cover_names_and_parts() -> None:
    known = {"name": "Anders Holm"}
    text = "Kære Anders Holm. Holms sag: hr. Holm og ANDERS HOLM. Andersen er en anden."
    spans = found(text, known)
    assert [t for t, _ in spans] == ["NAME"] * 4
    assert [v for _, v in spans] == ["Anders Holm", "Holm", "Holm", "ANDERS HOLM"]


def test_known_email_inside_text_and_name_inside_email() -> None:
    spans = found("Skriv til anders.holm@example.dk", {"name": "Anders Holm", "email": "Anders.Holm@example.dk"})
    assert spans == [("EMAIL", "anders.holm@example.dk")]


def test_known_phone_matches_other_formats() -> None:
    known = {"phone": "+45 40 12 34 56"}
    for text in ("ring 40123456", "ring 40 12 34 56", "ring +4540123456", "ring 0045 40 12 34 56"):
        spans = detect(text, S, KnownValues(known))
        assert [s.canonical for s in spans] == ["+4540123456"], text


def test_known_national_id_and_address() -> None:
    spans = detect("cpr 0707614285 og 070761-4285", S, KnownValues({"national_id": "070761-4285"}))
    assert [(s.type, s.canonical) for s in spans] == [("CPR", "0707614285")] * 2
    spans = detect("Bor på Nørregade 12\n1165 København K.", S, KnownValues({"address": "Nørregade 12, 1165 København K"}))
    assert [s.type for s in spans] == ["ADDRESS"]


def test_known_values_skip_none_and_convert_non_strings() -> None:
    import datetime

    kv = KnownValues({"name": None, "birth_date": datetime.date(1961, 7, 7), "member_no": 48213, "emails": ["a@b.dk", None]})
    spans = kv.find("født 1961-07-07, medlem 48213, a@b.dk")
    assert [s.type for s in spans] == ["BIRTH_DATE", "MEMBER_NO", "EMAIL"]


def test_canonical_forms() -> None:
    assert canonical("CPR", "070761-4285") == canonical("CPR", "0707614285")
    assert canonical("PHONE", "+45 40 12 34 56") == canonical("PHONE", "40123456") == "+4540123456"
    assert canonical("EMAIL", "Anders.Holm@Example.DK") == "anders.holm@example.dk"
    assert canonical("IBAN", "DK50 0040 0440 1162 43") == "DK5000400440116243"
    assert canonical("NAME", "Anders  Holm") == canonical("NAME", "anders holm")


def test_category_labels_are_ascii() -> None:
    assert entity_type_for_category("name") == "NAME"
    assert entity_type_for_category("e-mail") == "EMAIL"
    assert entity_type_for_category("fødselsdato") == "FOEDSELSDATO"
    assert entity_type_for_category("123") == "PII_123"


def test_category_types_come_from_the_rule_data() -> None:
    from gdpr_lint.config.ruledata import rules_dir
    from gdpr_lint.runtime.detect import entities

    assert entities.rules_dir() == str(rules_dir())  # found where the linter finds its rule data
    types = entities.category_types()
    assert types["cpr_nr"] == "CPR" and types["bank_account"] == "IBAN" and types["tlf"] == "PHONE"
    for name, etype in types.items():
        assert entity_type_for_category(name) == etype
        assert entity_type_for_category(name.replace("_", " ").title() + "s") == etype  # "Phone Numbers"


@pytest.mark.parametrize(
    "toml, message",
    [
        ("", "no [entity_types] table"),
        ("[entity_types]\nname = ['x']\n", "'name' is no entity type"),
        ("[entity_types]\nNAME = 'name'\n", "NAME must be a list"),
        ("[entity_types]\nNAME = ['First Name']\n", "'First Name' is no category name"),
        ("[entity_types]\nNAME = ['navn']\nADDRESS = ['navn']\n", "'navn' is listed under NAME and ADDRESS"),
        ("[entity_types\n", "malformed TOML"),
    ],
)
def test_malformed_category_types_name_the_file(tmp_path, toml: str, message: str) -> None:
    from gdpr_lint.runtime import ConfigurationError
    from gdpr_lint.runtime.detect.entities import _load_category_types

    path = tmp_path / "runtime_entities.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=re.escape(message)) as caught:
        _load_category_types(str(path))
    assert str(caught.value).startswith(str(path))
