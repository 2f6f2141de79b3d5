"""gdpr-lint: find personal data that reaches OpenAI requests, and pseudonymise it."""

__version__ = "0.1.0"
