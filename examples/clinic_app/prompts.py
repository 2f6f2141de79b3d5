"""Prompt builders. They only format text; the services decide where it goes."""

from __future__ import annotations

from .models import Appointment, Patient, Treatment

SUMMARY_TEMPLATE = (
    "Write a short handover note for the next physician.\n"
    "Patient: {name} (CPR {cpr})\n"
    "Diagnosis: {diagnosis}\n"
    "Allergies: {allergies}"
)


def handover_prompt(patient: Patient) -> str:
    return SUMMARY_TEMPLATE.format(
        name=patient.name,
        cpr=patient.cpr,
        diagnosis=patient.diagnosis,
        allergies=", ".join(patient.allergies) or "none known",
    )


def reminder_prompt(appointment: Appointment) -> str:
    when = appointment.starts.strftime("%d.%m.%Y")
    return (
        f"Write a friendly SMS reminder in Danish to {appointment.patient.name} "
        f"about the appointment on {when} in room {appointment.room}."
    )


def search_text(patient: Patient) -> str:
    """The text we index for semantic search over cases."""
    return f"{patient.diagnosis}. Allergies: {', '.join(patient.allergies)}"


def treatment_faq_prompt(treatment: Treatment) -> str:
    return (
        f"Write three frequently asked questions with answers about '{treatment.title}' "
        f"({treatment.duration_minutes} minutes, {treatment.price_dkk} DKK) for our website."
    )
