"""Swedish, Danish, Norwegian and German forms of listed words: definite and plural
endings, the Nordic -er nouns that drop their e (`registret`, `numret`), phrases written
as one word (`patientjournalen`) and compounds with an inflected head
(`udskrivningsdiagnoserne`). All medium confidence; look-alikes stay out.
"""

from __future__ import annotations

import pytest

from helpers import assert_marked
from gdpr_lint.analysis.vocabulary import default_vocabulary

FORMS = [
    # (identifier, category)
    ("brottsregistret", "criminal"),
    ("belastningsregistrets", "criminal"),
    ("personnumret", "national_id"),
    ("telefonnumret", "phone"),
    ("telefonnumre", "phone"),
    ("kontonumret", "bank"),
    ("patientjournalen", "health"),
    ("patientjournal", "health"),
    ("udskrivningsdiagnoserne", "health"),
    ("journalanteckningen", "health"),
    ("diagnosen", "health"),
    ("religionen", "religion"),
    ("religionens", "religion"),
    ("personnummeret", "national_id"),
    ("vorstrafe", "criminal"),
]

LOOK_ALIKES = [
    "rapporten", "registret", "kontoret", "numret", "nummeret", "ordrenummeret", "fakturanumret",
    "versionsnumret", "registreringen", "indikationen", "kontakten", "filnavnet", "produktnavnet",
]


@pytest.mark.parametrize(("word", "category"), FORMS, ids=[f[0] for f in FORMS])
def test_inflected_and_compound_forms(word, category):
    match = default_vocabulary().classify(word)
    assert match is not None and (match.category.key, match.confidence) == (category, "medium")


@pytest.mark.parametrize("word", LOOK_ALIKES)
def test_look_alikes_are_not_personal(word):
    assert default_vocabulary().classify(word) is None


def test_row_keys_in_nordic_forms_reach_the_request(write):
    root = write({"kommune/sag.py": '''
        from openai import OpenAI

        client = OpenAI()


        def resume(row):
            client.chat.completions.create(  # expect: GDPR002
                model="gpt-4o", messages=[{"role": "user", "content": f"{row['brottsregistret']}"}])
            client.chat.completions.create(  # expect: GDPR002
                model="gpt-4o", messages=[{"role": "user", "content": f"{row['patientjournalen']}"}])
            client.chat.completions.create(  # expect: GDPR001
                model="gpt-4o", messages=[{"role": "user", "content": f"{row['personnumret']}"}])
            client.chat.completions.create(  # expect: none
                model="gpt-4o", messages=[{"role": "user", "content": f"{row['rapporten']} {row['registret']}"}])
    '''})
    assert_marked(root)
