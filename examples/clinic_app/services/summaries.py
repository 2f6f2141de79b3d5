"""Everything in the clinic that talks to OpenAI."""

from __future__ import annotations

import litellm
from openai import OpenAI

from gdpr_lint.runtime import pseudonymise

from ..models import Appointment, Patient, Treatment
from ..prompts import handover_prompt, reminder_prompt, search_text, treatment_faq_prompt

client = OpenAI()
MODEL = "gpt-4o-mini"


def handover_note(patient: Patient) -> str:
    """Summary for the next physician: name, CPR and diagnosis all reach OpenAI."""
    resp = client.chat.completions.create(
        model=MODEL,
        messages=[
            {"role": "system", "content": "You are a careful clinical assistant."},
            {"role": "user", "content": handover_prompt(patient)},
        ],
    )
    return resp.choices[0].message.content or ""


def stream_reminder(appointment: Appointment):
    """Streams an SMS reminder that names the patient."""
    with client.chat.completions.stream(
        model=MODEL,
        messages=[{"role": "user", "content": reminder_prompt(appointment)}],
    ) as stream:
        for event in stream:
            if event.type == "content.delta":
                yield event.delta


def index_for_search(patient: Patient) -> list[float]:
    """Embeds the diagnosis and allergies for case search."""
    resp = client.embeddings.create(model="text-embedding-3-small", input=search_text(patient))
    return resp.data[0].embedding


def translate_letter(patient: Patient, letter: str) -> str:
    """Translates a letter to English with LiteLLM; the letter is addressed by name."""
    resp = litellm.completion(
        model="gpt-4o",
        messages=[{"role": "user", "content": f"Translate to English. Dear {patient.name},\n{letter}"}],
    )
    return resp.choices[0].message.content


def answer_patient_question(patient: Patient, question: str) -> str:
    """Portal chatbot: the question is about opening hours and prices, but the
    patient's e-mail address goes to OpenAI as the end-user id."""
    resp = client.chat.completions.create(
        model=MODEL,
        messages=[
            {"role": "system", "content": "Answer questions about the clinic's opening hours and prices."},
            {"role": "user", "content": question},
        ],
        user=patient.email,
    )
    return resp.choices[0].message.content or ""


def discharge_summary(patient: Patient, notes: str) -> str:
    """Done right: pseudonymised before it leaves the clinic (the runtime is told the diagnosis)."""
    text = pseudonymise(f"Patient {patient.name}, CPR {patient.cpr}. Diagnosis: {patient.diagnosis}.\n{notes}",
                        known={"health": [patient.diagnosis]})
    resp = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": f"Write a discharge summary:\n{text}"}],
    )
    return resp.choices[0].message.content or ""


def treatment_faq(treatment: Treatment) -> str:
    """Website FAQ about a treatment: no personal data."""
    resp = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": treatment_faq_prompt(treatment)}],
    )
    return resp.choices[0].message.content or ""


def opening_hours_faq() -> str:
    resp = client.responses.create(
        model=MODEL,
        input="Write a short FAQ entry: the clinic is open Mon-Fri 8-16 and closed on public holidays.",
    )
    return resp.output_text
