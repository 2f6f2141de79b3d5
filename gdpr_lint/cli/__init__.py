"""The command line (`gdpr-lint check|calls|map|baseline|rule`)."""

from gdpr_lint.cli.commands import main

__all__ = ["main"]
