"""A word that names data without saying what it is (status, result, notes, history,
affiliation) is a special category's data when a word of that category qualifies it right
before it: `hiv_status`, `genetic_test_result`, `religious_affiliation`, `therapy_notes`.
Without such a word, or with the word further away, it is nothing."""

from __future__ import annotations

import pytest

from helpers import analyse


APP = '''
from openai import OpenAI

client = OpenAI()


def handle(record):
    return client.responses.create(model="gpt-4o-mini", input=f"Summarise {{record.{field}}}")
'''


@pytest.mark.parametrize("field, category", [
    ("hiv_status", "health data"),
    ("psychiatric_assessment", "health data"),
    ("medical_notes", "health data"),
    ("therapy_notes", "health data"),
    ("genetic_test_result", "genetic data"),
    ("dna_profile", "genetic data"),
    ("religious_affiliation", "religious or philosophical beliefs"),
    ("ethnic_background", "racial or ethnic origin"),
    ("political_views", "political opinions"),
    ("criminal_background", "criminal convictions and offences (Art. 10)"),
    ("fingerprint_data", "biometric data"),
])
def test_a_qualified_data_word_is_that_category(write, field, category):
    root = write({"app.py": APP.format(field=field)})
    [finding] = analyse(root).findings
    assert finding.code == "GDPR002", finding.data
    assert finding.data == [f"record.{field} ({category})"], finding.data


@pytest.mark.parametrize("field", [
    "test_result", "status", "delivery_status", "political_news_summary", "medical_device_type",
    "health_check_status", "criminal_case_count",
])
def test_a_data_word_without_a_qualifier_right_before_it_is_nothing(write, field):
    root = write({"app.py": APP.format(field=field)})
    assert analyse(root).findings == [], field


def test_a_thing_owner_keeps_its_qualified_data_out(write):
    root = write({"app.py": APP.format(field="hiv_status").replace("record", "server")})
    assert analyse(root).findings == []


@pytest.mark.parametrize("owner, field, codes", [
    ("patient", "history", ["GDPR002"]),
    ("record", "family_history", ["GDPR002"]),
    ("visit", "treatment_history", ["GDPR002"]),
    ("chat", "history", []),
    ("order", "history", []),
    ("browser", "history", []),
])
def test_a_history_is_health_data_only_when_a_patient_or_clinic_owns_it(write, owner, field, codes):
    root = write({"app.py": APP.format(field=field).replace("record", owner)})
    assert [f.code for f in analyse(root).findings] == codes


@pytest.mark.parametrize("field, code", [
    # Danish, Norwegian, Swedish, German: separate words and compounds written as one word
    ("medicinske_oplysninger", "GDPR002"), ("helbredsstatus", "GDPR002"), ("politisk_holdning", "GDPR002"),
    ("religiøse_tilhørsforhold", "GDPR002"), ("sygdomshistorik", "GDPR002"),
    ("helse_opplysninger", "GDPR002"), ("etnisk_bakgrunn", "GDPR002"),
    ("hälso_uppgifter", "GDPR002"), ("etnisk_bakgrund", "GDPR002"),
    ("psychische_daten", "GDPR002"), ("gesundheitsdaten", "GDPR002"), ("krankheitsverlauf", "GDPR002"),
    ("politische_einstellung", "GDPR002"),
    # the same data words without such a qualifier
    ("kunde_status", None), ("kundedata", None), ("ordre_historik", None), ("metadata", None),
    ("projekt_daten", None), ("statusdata", None),
])
def test_qualified_data_words_in_the_nordic_languages_and_german(write, field, code):
    root = write({"app.py": APP.format(field=field)})
    assert [f.code for f in analyse(root).findings] == ([code] if code else []), field
