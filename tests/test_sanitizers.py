"""Redaction steps stop a flow only for the value actually sent, on every path.
Each recognised sanitizer has a clean fixture; each false-positive trap (redaction
that looks right but leaks) has its own test.
"""

from __future__ import annotations

import pytest
from helpers import assert_marked, check_json, write_files

# --- sanitizers that work ------------------------------------------------------------


def test_runtime_pseudonymise(write):
    assert_marked(write({"crm/followup.py": """
        from openai import OpenAI
        from gdpr_lint.runtime import pseudonymise

        client = OpenAI()


        def follow_up(customer):
            text = pseudonymise(f"Write a follow-up to {customer.name} <{customer.email}>")
            return client.chat.completions.create(  # expect: none
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": text}],
            )
    """}))


def test_runtime_module_import_pseudonymise(write):
    assert_marked(write({"crm/followup.py": """
        import gdpr_lint.runtime as gr
        from openai import OpenAI

        client = OpenAI()


        def follow_up(customer):
            return client.responses.create(model="gpt-4o-mini", input=gr.pseudonymise(customer.email))  # expect: none
    """}))


def test_protect_around_a_call_and_around_a_client(write):
    # names are found by the runtime's detectors; a diagnosis is not: it is sent as it is
    assert_marked(write({"clinic/letters.py": """
        from openai import OpenAI
        from gdpr_lint.runtime import protect

        client = OpenAI()
        safe = protect(OpenAI())


        def letter(patient):
            protect(client.chat.completions.create)(  # expect: GDPR004
                model="gpt-4o",
                messages=[{"role": "user", "content": f"Letter for {patient.name}, diagnosis {patient.diagnosis}"}],
            )
            return safe.chat.completions.create(  # expect: GDPR004
                model="gpt-4o",
                messages=[{"role": "user", "content": f"Letter for {patient.name}, diagnosis {patient.diagnosis}"}],
            )


        def greeting(patient):
            return safe.chat.completions.create(  # expect: none
                model="gpt-4o",
                messages=[{"role": "user", "content": f"Greet {patient.name} <{patient.email}>"}],
            )
    """}))


def test_protect_covers_what_known_hands_over(write):
    # a category key, a word of the vocabulary for it, a mapping that cannot be read here
    # (taken to cover everything), and known= that hands over something else
    assert_marked(write({"clinic/notes.py": """
        from openai import OpenAI
        from gdpr_lint.runtime import protect, pseudonymise

        client = OpenAI()


        def by_category(patient):
            return protect(client.chat.completions.create, known={"health": [patient.diagnosis]})(  # expect: none
                model="gpt-4o",
                messages=[{"role": "user", "content": f"{patient.name}: {patient.diagnosis}"}],
            )


        def by_word(patient):
            return protect(client.chat.completions.create, known={"diagnosis": patient.diagnosis})(  # expect: none
                model="gpt-4o",
                messages=[{"role": "user", "content": f"{patient.name}: {patient.diagnosis}"}],
            )


        def by_variable(patient, values):
            return protect(client.chat.completions.create, known=values)(  # expect: none
                model="gpt-4o",
                messages=[{"role": "user", "content": f"{patient.name}: {patient.diagnosis}"}],
            )


        def something_else(patient):
            return protect(client.chat.completions.create, known={"name": [patient.name]})(  # expect: GDPR004
                model="gpt-4o",
                messages=[{"role": "user", "content": f"{patient.name}: {patient.diagnosis}"}],
            )


        def pseudonymised_text(patient):
            text = pseudonymise(f"{patient.name}: {patient.diagnosis}", known={"health": [patient.diagnosis]})
            return client.responses.create(model="gpt-4o", input=text)  # expect: none


        def pseudonymised_text_without_known(applicant):
            text = pseudonymise(f"{applicant.full_name}, born {applicant.date_of_birth}, {applicant.religion}")
            return client.responses.create(model="gpt-4o", input=text)  # expect: GDPR004
    """}))


def test_runtime_blind_spot_names_the_known_entry_to_add(tmp_path):
    write_files(tmp_path, {"claims/fnol.py": """
        from gdpr_lint.runtime import protect
        from openai import OpenAI

        client = OpenAI()


        def fnol(claim):
            details = f"Claimant: {claim.claimant_name}\\nInjury: {claim.injury}"
            return protect(client.chat.completions.create)(
                model="gpt-4o", messages=[{"role": "user", "content": details}])
    """})
    [finding] = check_json(tmp_path)
    assert finding["code"] == "GDPR004"
    assert finding["severity"] == "high"  # health data
    assert finding["data"] == ["claim.injury (health data)"]
    assert finding["fixable"] is True  # --fix adds it to the protect(...) call
    assert 'known={"health": [claim.injury]}' in finding["fix_hint"]


def test_presidio_anonymizer_text(write):
    assert_marked(write({"insurance/claims.py": """
        from openai import OpenAI
        from presidio_analyzer import AnalyzerEngine
        from presidio_anonymizer import AnonymizerEngine

        client = OpenAI()
        analyzer = AnalyzerEngine()
        anonymizer = AnonymizerEngine()


        def summarise(claimant):
            text = f"Claim by {claimant.full_name}, phone {claimant.phone}"
            results = analyzer.analyze(text=text, language="en")
            clean = anonymizer.anonymize(text=text, analyzer_results=results).text
            return client.responses.create(model="gpt-4o", input=clean)  # expect: none
    """}))


def test_scrubadub_clean_and_scrubber(write):
    assert_marked(write({"support/tickets.py": """
        import scrubadub
        from openai import OpenAI

        client = OpenAI()
        scrubber = scrubadub.Scrubber()


        def triage(ticket, customer):
            body = scrubadub.clean(f"From {customer.email}: {ticket.body}")
            client.responses.create(model="gpt-4o-mini", input=body)  # expect: none
            return client.responses.create(model="gpt-4o-mini", input=scrubber.clean(customer.phone))  # expect: none
    """}))


def test_llm_guard_anonymize_scanner(write):
    assert_marked(write({"hr/screening.py": """
        from llm_guard.input_scanners import Anonymize
        from llm_guard.vault import Vault
        from openai import OpenAI

        client = OpenAI()
        scanner = Anonymize(Vault())


        def screen(candidate):
            prompt = f"Assess {candidate.full_name}, {candidate.email}"
            sanitized, is_valid, score = scanner.scan(prompt)
            return client.responses.create(model="gpt-4o", input=sanitized)  # expect: none
    """}))


def test_hashes_for_user_identifier(write):
    assert_marked(write({"shop/assistant.py": """
        import hashlib
        import hmac
        import os

        from openai import OpenAI
        from gdpr_lint.runtime import pseudonymous_id

        client = OpenAI()
        KEY = os.environ["USER_ID_KEY"].encode()
        MSGS = [{"role": "user", "content": "Where is my order?"}]


        def ask(customer):
            client.chat.completions.create(  # expect: none
                model="gpt-4o-mini", messages=MSGS, user=hashlib.sha256(customer.email.encode()).hexdigest()
            )
            client.chat.completions.create(  # expect: none
                model="gpt-4o-mini", messages=MSGS, user=hmac.new(KEY, customer.email.encode(), "sha256").hexdigest()
            )
            client.responses.create(model="gpt-4o-mini", input="hi", safety_identifier=pseudonymous_id(customer.email))  # expect: none
    """}))


def test_configured_sanitizer(write):
    root = write({
        "pyproject.toml": """
            [tool.gdpr-lint]
            sanitizers = ["crm.privacy.mask_pii"]
        """,
        "crm/__init__.py": "",
        "crm/privacy.py": """
            import re


            def mask_pii(text):
                return re.sub(r"\\S+@\\S+", "<email>", text)
        """,
        "crm/followup.py": """
            from openai import OpenAI

            from crm.privacy import mask_pii

            client = OpenAI()


            def follow_up(customer):
                client.responses.create(model="gpt-4o-mini", input=mask_pii(f"Reply to {customer.email}"))  # expect: none
                return client.responses.create(model="gpt-4o-mini", input=f"Reply to {customer.email}")  # expect: GDPR001
        """,
    })
    assert_marked(root)


def test_homemade_scrubber_does_not_cover_what_its_pattern_misses(write):
    # a CPR mask (tests/test_project_scrubbers.py: what the project's own scrubbers cover)
    assert_marked(write({"crm/followup.py": """
        import re

        from openai import OpenAI

        client = OpenAI()


        def mask_pii(text):
            return re.sub(r"\\d{6}-\\d{4}", "<cpr>", text)


        def follow_up(customer):
            return client.responses.create(model="gpt-4o-mini", input=mask_pii(f"Reply to {customer.email}"))  # expect: GDPR001
    """}))


# --- traps: looks redacted, still leaks ------------------------------------------------


def test_trap_redacted_copy_not_sent(write):
    assert_marked(write({"clinic/summary.py": """
        from openai import OpenAI
        from gdpr_lint.runtime import pseudonymise

        client = OpenAI()


        def summarise(patient):
            note = f"{patient.name}: {patient.diagnosis}"
            safe_note = pseudonymise(note)
            print("redacted:", safe_note)
            return client.chat.completions.create(  # expect: GDPR001, GDPR002
                model="gpt-4o",
                messages=[{"role": "user", "content": note}],
            )
    """}))


def test_trap_redaction_on_one_branch_only(write):
    assert_marked(write({"municipality/cases.py": """
        import os

        import scrubadub
        from openai import OpenAI

        client = OpenAI()


        def assist(borger, case_text):
            prompt = f"Borger {borger.fornavn} {borger.efternavn}: {case_text}"
            if os.environ.get("ENV") == "prod":
                prompt = scrubadub.clean(prompt)
            return client.responses.create(model="gpt-4o", input=prompt)  # expect: GDPR001
    """}))


def test_redaction_on_every_branch_is_clean(write):
    assert_marked(write({"municipality/cases.py": """
        import scrubadub
        from openai import OpenAI
        from gdpr_lint.runtime import pseudonymise

        client = OpenAI()


        def assist(borger, strict):
            prompt = f"Borger {borger.fornavn} {borger.efternavn}"
            if strict:
                prompt = scrubadub.clean(prompt)
            else:
                prompt = pseudonymise(prompt)
            return client.responses.create(model="gpt-4o", input=prompt)  # expect: none
    """}))


def test_trap_raw_data_added_beside_redacted_text(write):
    assert_marked(write({"support/escalation.py": """
        from openai import OpenAI
        from gdpr_lint.runtime import pseudonymise

        client = OpenAI()


        def escalate(ticket, customer):
            body = pseudonymise(ticket.body)
            return client.chat.completions.create(  # expect: GDPR001
                model="gpt-4o-mini",
                messages=[
                    {"role": "system", "content": f"Customer phone: {customer.phone}"},
                    {"role": "user", "content": body},
                ],
            )
    """}))


def test_trap_hash_computed_but_raw_identifier_sent(write):
    assert_marked(write({"travel/assistant.py": """
        import hashlib

        from openai import OpenAI

        client = OpenAI()


        def ask(traveller, question):
            hashed = hashlib.sha256(traveller.email.encode()).hexdigest()
            return client.chat.completions.create(  # expect: GDPR003
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": question}],
                user=traveller.email,
                metadata={"h": hashed},
            )
    """}))


def test_trap_normalising_an_identifier_is_not_hashing(write):
    assert_marked(write({"travel/assistant.py": """
        from openai import OpenAI

        client = OpenAI()


        def ask(traveller, question):
            return client.chat.completions.create(  # expect: GDPR003
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": question}],
                user=traveller.email.strip().lower(),
            )
    """}))


def test_trap_protect_wraps_a_different_client(write):
    assert_marked(write({"clinic/letters.py": """
        from openai import OpenAI
        from gdpr_lint.runtime import protect

        client = OpenAI()
        safe = protect(OpenAI())


        def letter(patient):
            return client.chat.completions.create(  # expect: GDPR001, GDPR002
                model="gpt-4o",
                messages=[{"role": "user", "content": f"Letter for {patient.name}, diagnosis {patient.diagnosis}"}],
            )
    """}))


def test_trap_sanitised_then_raw_appended(write):
    assert_marked(write({"hr/review.py": """
        from openai import OpenAI
        from gdpr_lint.runtime import pseudonymise

        client = OpenAI()


        def review(employee):
            text = pseudonymise(employee.manager_notes)
            text += f"\\nEmployee: {employee.full_name}"
            return client.responses.create(model="gpt-4o", input=text)  # expect: GDPR001
    """}))


def test_runtime_sanitizers_analysed_from_source_still_count(write):
    """Linting a tree that contains the runtime itself (this repository, a vendored
    copy): its pseudonymise/protect/pseudonymous_id are still sanitizers, not
    ordinary functions whose result carries their input."""
    assert_marked(write({
        "gdpr_lint/__init__.py": "",
        "gdpr_lint/runtime/__init__.py": """
            def pseudonymise(text, *, known=None):
                return text.replace("@", " at ")


            def pseudonymous_id(value):
                return "u-" + value


            def protect(target, *, known=None):
                return target
        """,
        "clinic/letters.py": """
            from openai import OpenAI
            from gdpr_lint.runtime import protect, pseudonymise, pseudonymous_id

            client = OpenAI()


            def letter(patient):
                client.responses.create(model="gpt-4o", input=pseudonymise(patient.email))  # expect: none
                client.responses.create(model="gpt-4o", input="hi", user=pseudonymous_id(patient.email))  # expect: none
                protect(client.responses.create)(model="gpt-4o", input=patient.email)  # expect: none
                return client.responses.create(model="gpt-4o", input=patient.email)  # expect: GDPR001
        """,
    }))


@pytest.mark.parametrize("call, covered", [
    # LangChain: the chain's call protected with and without the diagnosis handed over
    ('protect(chain.invoke, known={"health": [patient.diagnosis]})({"text": text})', True),
    ('protect(chain.invoke)({"text": text})', False),
    # a LiteLLM router
    ('protect(router.completion, known={"health": [patient.diagnosis]})('
     'model="gpt-4o-mini", messages=[{"role": "user", "content": text}])', True),
    ('protect(router).completion(model="gpt-4o-mini", messages=[{"role": "user", "content": text}])', False),
    # an Agents SDK run
    ('protect(Runner.run_sync, known={"health": [patient.diagnosis]})(agent, text)', True),
    ('protect(Runner.run_sync)(agent, text)', False),
])
def test_what_known_hands_over_counts_for_every_library(call, covered, write):
    marker = "none" if covered else "GDPR004"
    assert_marked(write({"clinic/letters.py": f"""
        from agents import Agent, Runner
        from langchain_core.prompts import ChatPromptTemplate
        from langchain_openai import ChatOpenAI
        from litellm import Router

        from gdpr_lint.runtime import protect

        chain = ChatPromptTemplate.from_template("Summarise: {{text}}") | ChatOpenAI(model="gpt-4o-mini")
        router = Router(model_list=[{{"model_name": "gpt-4o-mini", "litellm_params": {{"model": "gpt-4o-mini"}}}}])
        agent = Agent(name="clinic", instructions="Summarise the case.")


        def letter(patient):
            text = f"{{patient.name}}: {{patient.diagnosis}}"
            return {call}  # expect: {marker}
    """}))
