"""Nordlys Privatklinik: a small clinic back office that uses the OpenAI API.

An example application for gdpr-lint: see examples/README.md for the findings it
is expected to produce and why.
"""
