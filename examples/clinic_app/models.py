"""Domain records of the clinic."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass
class Patient:
    name: str
    cpr: str
    email: str
    phone: str
    diagnosis: str
    allergies: list[str] = field(default_factory=list)


@dataclass
class Appointment:
    patient: Patient
    starts: date
    room: str
    reason: str = ""


@dataclass
class Treatment:
    """A treatment from the clinic's price list (no patient data)."""

    title: str
    duration_minutes: int
    price_dkk: int
