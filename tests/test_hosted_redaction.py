"""Hosted redaction services count as redaction by their SDK's client class (listed in
rules/sanitizers.toml); a `.redact(...)` on an object that is not one of them does not.
"""

from __future__ import annotations

from helpers import assert_marked


def test_hosted_redaction_sdks(write):
    assert_marked(write({"support/triage.py": """
        from azure.ai.textanalytics import TextAnalyticsClient
        from google.cloud import dlp_v2
        from openai import OpenAI
        from pangea.services import Redact
        from presidio_anonymizer import BatchAnonymizerEngine
        from tonic_textual.redact_api import TextualNer

        client = OpenAI()
        textual = TextualNer()
        redact = Redact(token="...")
        dlp = dlp_v2.DlpServiceClient()
        language = TextAnalyticsClient(endpoint="https://example.cognitiveservices.azure.com", credential=None)
        batch = BatchAnonymizerEngine()


        def with_textual(ticket, customer):
            safe = textual.redact(f"{customer.full_name} <{customer.email}>: {ticket.body}").redacted_text
            return client.responses.create(model="gpt-4o", input=safe)  # expect: none


        def with_pangea(customer):
            safe = redact.redact(text=f"Call {customer.phone}").result.redacted_text
            return client.responses.create(model="gpt-4o", input=safe)  # expect: none


        def with_dlp(patient):
            response = dlp.deidentify_content(request={"parent": "projects/p", "item": {"value": patient.diagnosis}})
            return client.responses.create(model="gpt-4o", input=response.item.value)  # expect: none


        def with_azure(patients):
            docs = language.recognize_pii_entities([p.clinical_note for p in patients])
            notes = [d.redacted_text for d in docs if not d.is_error]
            return client.responses.create(model="gpt-4o", input="\\n".join(notes))  # expect: none


        def with_presidio_batch(customers, results):
            texts = batch.anonymize_list([c.email for c in customers], recognizer_results_list=results)
            return client.responses.create(model="gpt-4o", input=str(texts))  # expect: none


        def with_an_unknown_redactor(redactor, customer):
            # an object we cannot resolve: its redact() is not known to redact
            safe = redactor.redact(customer.email)
            return client.responses.create(model="gpt-4o", input=safe)  # expect: GDPR001


        def redacted_but_raw_sent(customer):
            safe = textual.redact(customer.email).redacted_text
            return client.responses.create(model="gpt-4o", input=f"{safe} / {customer.phone}")  # expect: GDPR001
    """}))


def test_llm_guard_scan_prompt_tuple(write):
    assert_marked(write({"hr/screen.py": """
        from llm_guard import scan_prompt
        from llm_guard.input_scanners import Anonymize, PromptInjection
        from llm_guard.vault import Vault
        from openai import OpenAI

        client = OpenAI()
        scanners = [Anonymize(Vault()), PromptInjection()]


        def screen(candidate):
            prompt = f"Assess {candidate.full_name} <{candidate.email}>"
            sanitized, valid, score = scan_prompt(scanners, prompt)
            if not all(valid.values()):
                return None
            client.responses.create(model="gpt-4o", input=sanitized)  # expect: none
            return client.responses.create(model="gpt-4o", input=prompt)  # expect: GDPR001
    """}))
