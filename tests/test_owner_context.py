"""Owner context: a field is personal because of whose it is. A venue's address, a
drug's indication, a pet's diagnosis are not a person's; a pet owner's name and phone
are. The owner is read from the variable, the path, a typed parameter's class and that
class's own fields, in every language of the vocabulary and in inflected forms.
`# expect:` markers as in the corpus.
"""

from __future__ import annotations

import pytest

from helpers import analyse, assert_marked


def chat_app(param: str, expr: str, codes: str) -> str:
    return f'''
from openai import OpenAI

client = OpenAI()


def handle({param}):
    return client.chat.completions.create(  # expect: {codes}
        model="gpt-4o-mini",
        messages=[{{"role": "user", "content": f"Write a short note: {{{expr}}}"}}],
    )
'''


# (parameter, expression, expected codes): the owner's word decides, any language
OWNED = [
    # places, businesses and things: contact data of the business, not of a person
    ("hotel", "hotel.phone", "none"),
    ("restaurant", "restaurant.email + restaurant.address", "none"),
    ("clinic", "clinic.address", "none"),
    ("lægemiddel", "lægemiddel.navn", "none"),
    ("arzneimittel", "arzneimittel.name", "none"),
    ("virksomhed", "virksomhed.telefon", "none"),
    ("klinik", "klinik.adresse", "none"),
    ("unternehmen", "unternehmen.telefon", "none"),
    ("krankenhaus", "krankenhaus.adresse", "none"),
    ("entreprise", "entreprise.adresse", "none"),
    ("företag", "företag.adress", "none"),
    ("hotell", "hotell.telefon", "none"),
    # inflected owner words (Swedish, Danish, Norwegian definite forms)
    ("företaget", "företaget.adress", "none"),
    ("firmaet", "firmaet.telefon", "none"),
    ("hotellet", "hotellet.telefon", "none"),
    ("patienten", "patienten.namn", "GDPR001"),
    ("patienten", "patienten.diagnosen", "GDPR002"),
    ("borgeren", "borgeren.navn", "GDPR001"),
    ("klienten", "klienten.adresse", "GDPR001"),
    ("brukaren", "brukaren.telefon", "GDPR001"),
    # people, by a word of their own language
    ("klient", "klient.navn", "GDPR001"),
    ("patient", "patient.navn", "GDPR001"),
    ("antragsteller", "antragsteller.name", "GDPR001"),
    ("candidat", "candidat.adresse", "GDPR001"),
    # the path: a person inside a thing, a thing's animal
    ("clinic", "clinic.patient.address", "GDPR001"),
    ("pet", "pet.owner.name", "GDPR001"),
    ("pet", "pet.owner.phone", "GDPR001"),
    ("pet", "pet.diagnosis", "none"),
    ("kæledyr", "kæledyr.diagnose", "none"),
    ("haustier", "haustier.diagnose", "none"),
]


@pytest.mark.parametrize(("param", "expr", "codes"), OWNED, ids=[o[1] for o in OWNED])
def test_the_owner_word_decides(write, param, expr, codes):
    assert_marked(write({"app/handler.py": chat_app(param, expr, codes)}))


RECORDS = '''
from dataclasses import dataclass

from pydantic import BaseModel, EmailStr


@dataclass
class Venue:
    name: str
    address: str
    phone: str
    email: str


class Restaurant(BaseModel):
    navn: str
    adresse: str
    telefon: str


@dataclass
class Drug:
    name: str
    indication: str
    contraindications: str


@dataclass
class Pet:
    name: str
    species: str
    diagnosis: str
    owner_name: str
    owner_phone: str


class Hund(BaseModel):
    navn: str
    diagnose: str
    ejer_email: EmailStr


@dataclass
class Entry:
    name: str
    birth_date: str
    notes: str


class Eintrag(BaseModel):
    vorname: str
    geburtsdatum: str
'''


def test_a_record_class_is_judged_by_its_own_name_and_fields(write):
    root = write({"app/models.py": RECORDS, "app/ai.py": '''
        from openai import OpenAI

        from app.models import Drug, Eintrag, Entry, Hund, Pet, Restaurant, Venue

        client = OpenAI()


        def ask(text):
            return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": text}])


        def venue_blurb(v: Venue):
            return ask(f"Write a blurb for {v.name} at {v.address}, call {v.phone}, mail {v.email}")  # expect: none


        def restaurant_blurb(r: Restaurant):
            return ask(f"{r.navn}, {r.adresse}, tlf {r.telefon}")  # expect: none


        def drug_leaflet(d: Drug):
            return ask(f"Explain {d.name}: {d.indication}; not with {d.contraindications}")  # expect: none


        def vet_note(p: Pet):
            return ask(f"{p.name} the {p.species} has {p.diagnosis}")  # expect: none


        def vet_serialised(h: Hund):
            return ask(f"{h.navn}: {h.diagnose}")  # expect: none


        def call_owner(p: Pet):
            return client.chat.completions.create(  # expect: GDPR001
                model="gpt-4o", messages=[{"role": "user", "content": f"Call {p.owner_name} on {p.owner_phone}"}])


        def mail_owner(h: Hund):
            return client.chat.completions.create(  # expect: GDPR001
                model="gpt-4o", messages=[{"role": "user", "content": f"Mail {h.ejer_email}"}])


        def entry(e: Entry):
            return client.chat.completions.create(  # expect: GDPR001
                model="gpt-4o", messages=[{"role": "user", "content": f"{e.name}: {e.notes}"}])


        def eintrag(e: Eintrag):
            return client.chat.completions.create(  # expect: GDPR001
                model="gpt-4o", messages=[{"role": "user", "content": e.vorname}])
    '''})
    assert_marked(root)


def test_the_finding_names_the_owner_that_decided(write):
    root = write({"app/models.py": RECORDS, "app/ai.py": '''
        from openai import OpenAI

        from app.models import Entry, Pet

        client = OpenAI()


        def entry(x: Entry):
            return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": x.name}])


        def owner(p: Pet):
            return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": p.owner_phone}])
    '''})
    notes = sorted(f.flow[0].note for f in analyse(root).findings)
    assert notes == [
        "`p.owner_phone` (phone; a field of Pet)",
        "`x.name` (name; a field of Entry, a record about a person)",
    ]


def test_thing_and_animal_owner_words_are_not_personal_data_words():
    """A word cannot name both a thing that owns fields and a datum about a person: such a
    word (`medikamente`) would silence the label evidence of the variable it names."""
    from gdpr_lint.analysis.vocabulary import default_vocabulary
    from gdpr_lint.config.ruledata import load_vocabulary_data

    vocab = default_vocabulary()
    context = load_vocabulary_data()["context"]
    clashes = [w for key in ("non_person_owners", "animal_owners") for w in context[key]
               if vocab.classify(w) is not None]
    assert clashes == []


@pytest.mark.parametrize(("word", "kind"), [
    ("patienten", "person"), ("kundens", "person"), ("borgeren", "person"), ("medlemmet", "person"),
    ("patienterne", "person"), ("klienten", "person"), ("företaget", "thing"), ("firmaet", "thing"),
    ("produktet", "thing"), ("klinikken", "thing"), ("hotellet", "thing"),
    # English is not stemmed; unrelated words stay unknown
    ("personal", None), ("productive", None), ("clinical", None), ("ownership", None),
])
def test_inflected_owner_words(word, kind):
    from gdpr_lint.analysis.vocabulary import default_vocabulary

    assert default_vocabulary().owner_kind((word,)) == kind


def test_plural_owners_in_tables_and_frames(write):
    root = write({"app/report.py": '''
        import sqlite3

        from openai import OpenAI

        client = OpenAI()
        db = sqlite3.connect("app.db")


        def ask(text):
            return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": text}])


        def venues():
            rows = db.execute("SELECT name, phone, email FROM venues").fetchall()
            return client.chat.completions.create(  # expect: none
                model="gpt-4o", messages=[{"role": "user", "content": str(rows)}])


        def suppliers(df_suppliers):
            return client.chat.completions.create(  # expect: none
                model="gpt-4o", messages=[{"role": "user", "content": df_suppliers["email"].to_string()}])


        def witnesses():
            rows = db.execute("SELECT name, phone FROM witnesses").fetchall()
            return client.chat.completions.create(  # expect: GDPR001
                model="gpt-4o", messages=[{"role": "user", "content": str(rows)}])
    '''})
    assert_marked(root)


def test_user_account_models_and_business_models(write):
    root = write({"app/models.py": '''
        from django.contrib.auth.models import AbstractUser
        from django.db import models
        from flask_login import UserMixin


        class Account(AbstractUser):
            bio = models.TextField()


        class Login(UserMixin):
            handle: str


        class Venue(models.Model):
            name = models.CharField(max_length=100)
            phone = models.CharField(max_length=40)
            email = models.EmailField()


        class Kennel(models.Model):
            name = models.CharField(max_length=100)
            owner_email = models.EmailField()
    ''', "app/ai.py": '''
        from openai import OpenAI

        from app.models import Account, Kennel, Login, Venue

        client = OpenAI()


        def greet(acc: Account):
            return client.chat.completions.create(  # expect: GDPR001
                model="gpt-4o", messages=[{"role": "user", "content": f"Hi {acc.first_name} <{acc.email}>"}])


        def login(who: Login):
            return client.chat.completions.create(  # expect: GDPR001
                model="gpt-4o", messages=[{"role": "user", "content": str(who)}])


        def venue(pk):
            v = Venue.objects.get(pk=pk)
            return client.chat.completions.create(  # expect: none
                model="gpt-4o", messages=[{"role": "user", "content": f"{v.name} {v.phone} {v.email}"}])


        def kennel(k: Kennel):
            return client.chat.completions.create(  # expect: GDPR001
                model="gpt-4o", messages=[{"role": "user", "content": k.owner_email}])
    '''})
    assert_marked(root)


def labelled_app(param: str, label: str, expr: str, codes: str) -> str:
    return f'''
from openai import OpenAI

client = OpenAI()


def handle({param}):
    return client.responses.create(  # expect: {codes}
        model="gpt-4o-mini",
        input=f"{label}: {{{expr}}}",
    )
'''


@pytest.mark.parametrize("param, label, expr, codes", [
    # a prompt's label does not make a pet's or a plant's data anyone's health
    ("dog", "Diagnosis", "dog.diagnosis", "none"),
    ("cat", "Allergies", "cat.allergies", "none"),
    ("plant", "Disease", "plant.disease", "none"),
    ("crops", "Diagnosis", "crops.diagnosis", "none"),
    # the same shapes about people
    ("patient", "Diagnosis", "patient.diagnosis", "GDPR002"),
    ("patient", "Medication", "patient.drug", "GDPR002"),
    ("dog", "Owner", "dog.owner_name", "GDPR001"),
    ("note", "Diagnosis", "note", "GDPR002"),
])
def test_labels_and_names_respect_a_thing_or_animal_owner(write, param, label, expr, codes):
    assert_marked(write({"app.py": labelled_app(param, label, expr, codes)}))
