"""Exceptions raised by the runtime pseudonymiser.

One hierarchy for every entry point (``configure()``, ``Conversation()``,
``protect()``, ``pseudonymise()``)::

    PseudonymisationError             nothing was sent / nothing was pseudonymised
    +-- ConfigurationError            a bad setting (also a ValueError)
    +-- UnsupportedInputError         input that is not text (also a TypeError)
"""

from __future__ import annotations

__all__ = ["PseudonymisationError", "ConfigurationError", "UnsupportedInputError"]


class PseudonymisationError(Exception):
    """Personal data could not be pseudonymised, so nothing was sent.

    Raised before a request leaves the process (fail closed): a detector
    failed, a request body could not be inspected, or a known personal value
    would still have been sent after pseudonymisation.
    """


class ConfigurationError(PseudonymisationError, ValueError):
    """A setting is invalid: a key, a policy action, an entity type, a detector
    name.  Also a ``ValueError``, which some entry points raised before."""


class UnsupportedInputError(PseudonymisationError, TypeError):
    """The input is not text (``bytes`` must be decoded first).  Also a ``TypeError``."""
