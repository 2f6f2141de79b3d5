"""The personal-data vocabulary on its own: how identifiers are split into tokens, and
how a name with its owner is classified (gdpr_lint/analysis/vocabulary.py)."""

from __future__ import annotations

import pytest

from gdpr_lint.analysis.vocabulary import tokenize

# --- tokenisation -------------------------------------------------------------------

TOKENS = [
    # ASCII: snake_case, camelCase, acronyms, digits
    ("customer_email", ("customer", "email")),
    ("customerEmail", ("customer", "email")),
    ("CustomerEmail", ("customer", "email")),
    ("userEmail", ("user", "email")),
    ("customerID", ("customer", "id")),
    ("userID2", ("user", "id2")),
    ("HTTPServer", ("http", "server")),
    ("getHTTPResponseCode", ("get", "http", "response", "code")),
    ("XMLHttpRequest", ("xml", "http", "request")),
    ("IPAddress", ("ip", "address")),
    ("CPRNummer", ("cpr", "nummer")),
    ("cpr_nummer", ("cpr", "nummer")),
    ("CPR_NR", ("cpr", "nr")),
    ("__init__", ("init",)),
    ("ABC", ("abc",)),
    ("phone1", ("phone1",)),
    ("Phone1Number", ("phone1", "number")),
    ("icd10_code", ("icd10", "code")),
    ("s3Bucket", ("s3", "bucket")),
    ("HTML5Parser", ("html5", "parser")),
    ("OAuth2Token", ("o", "auth2", "token")),
    ("date of birth", ("date", "of", "birth")),
    ("e-mail", ("e", "mail")),
    ("", ()),
    ("__", ()),
    # Danish, Norwegian, Swedish, German, French
    ("fødselsnummer", ("fødselsnummer",)),
    ("kundeFødselsdato", ("kunde", "fødselsdato")),
    ("borger_adresse", ("borger", "adresse")),
    ("ÆbleKage", ("æble", "kage")),
    ("forløbNoter", ("forløb", "noter")),
    ("födelsedatum", ("födelsedatum",)),
    ("kundÄrende", ("kund", "ärende")),
    ("Straße", ("straße",)),
    ("STRASSE", ("strasse",)),
    ("ÜberweisungsIBAN", ("überweisungs", "iban")),
    ("geburtsDatum", ("geburts", "datum")),
    ("prénom_client", ("prénom", "client")),
    ("caféName", ("café", "name")),
    # Polish, Turkish and other scripts
    ("wiadomośćKlienta", ("wiadomość", "klienta")),
    ("zażółćGęśląJaźń", ("zażółć", "gęślą", "jaźń")),
    ("kişiAdı", ("kişi", "adı")),
    ("kişi_adı", ("kişi", "adı")),
    ("Müşteri_E_postası", ("müşteri", "e", "postası")),
    ("имяКлиента", ("имя", "клиента")),
    ("ГРАЖДАНИН_ИМЯ", ("гражданин", "имя")),
    ("データName", ("データ", "name")),
    ("नामGrahak", ("नाम", "grahak")),  # a vowel sign (combining mark) stays in its word
    ("e\u0301Mail", ("é", "mail")),  # decomposed accents are composed first
]


@pytest.mark.parametrize("identifier, expected", TOKENS)
def test_tokenize(identifier, expected):
    assert tokenize(identifier) == expected


@pytest.mark.parametrize("identifier", ["İstanbul", "ıI", "KİŞİ_ADI", "ǅemal", "x²y", "ﬁle", "\u0301x", "a\u0301"])
def test_tokenize_edge_cases_do_not_crash(identifier):
    tokens = tokenize(identifier)
    assert all(t and t == t.lower() for t in tokens)


def test_tokenize_ascii_and_unicode_paths_agree():
    """ASCII names take a regex fast path; the general path gives the same tokens."""
    from gdpr_lint.analysis.vocabulary import _tokenize_unicode

    for name in ["customerEmail", "HTTPServer", "a1B", "A1b", "ABCdef", "IDs", "x_Y_z", "OAuth2Token",
                 "getHTTPResponseCode", "Phone1Number", " e-mail: ", "CPR-nr.", "aB", "__A__b__"]:
        assert _tokenize_unicode(name) == tokenize(name), name
