"""Exceptions raised by the runtime pseudonymiser."""

from __future__ import annotations

__all__ = ["PseudonymisationError", "ConfigurationError"]


class PseudonymisationError(Exception):
    """Personal data could not be pseudonymised, so nothing was sent.

    Raised before a request leaves the process (fail closed): a detector
    failed, a request body could not be inspected, or a known personal value
    would still have been sent after pseudonymisation.
    """


class ConfigurationError(PseudonymisationError):
    """The runtime is misconfigured (for example an invalid key)."""
