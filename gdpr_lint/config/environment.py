"""Numbers a run reads from environment variables (time and memory limits, the bodies a
worker keeps): a value that is not a number stops the run with a one-line error naming the
variable, not with a traceback or a silent default."""

from __future__ import annotations

import os


class EnvironmentSettingError(Exception):
    """An environment variable of gdpr-lint holds what it cannot use; str(exc) says which."""


def number(name: str, default: float) -> float:
    """The number in environment variable `name`, or `default` when it is unset or empty."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise EnvironmentSettingError(f"environment variable {name}: expected a number, got {raw!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise EnvironmentSettingError(f"environment variable {name}: expected a finite number, got {raw!r}")
    return value


def whole_number(name: str, default: int, least: int = 0) -> int:
    """The whole number (at least `least`) in environment variable `name`, or `default`."""
    value = number(name, default)
    if value != int(value) or value < least:
        raise EnvironmentSettingError(f"environment variable {name}: expected a whole number of at least {least}, "
                                      f"got {os.environ.get(name, '').strip()!r}")
    return int(value)
