"""Uploads through a protected client: batch files, text files, audio and image
prompts, multi-part uploads (real ``openai`` client, local stand-in)."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any, Dict, List

import pytest

from gdpr_lint.runtime import Conversation, PseudonymisationError, configure, protect

from .conftest import CPR, EMAIL, NAME, PHONE, assert_no_personal, form_fields

TOKEN = re.compile(r"\[\[[A-Z_]+_[0-9a-f]{8,16}\]\]")
WAV = b"RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00D\xac\x00\x00\x88X\x01\x00\x02\x00\x10\x00data\x00\x00"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"

TEXTS = {
    "req-1": f"Skriv til {NAME} <{EMAIL}> om sagen.",
    "req-2": f"Ring til {EMAIL} på tlf {PHONE}.",
    "req-3": "Hvad er åbningstiderne i weekenden?",
}


def batch_file(texts: Dict[str, str] = TEXTS) -> bytes:
    lines = [json.dumps({"custom_id": cid, "method": "POST", "url": "/v1/chat/completions",
                         "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]}})
             for cid, text in texts.items()]
    return ("\n".join(lines) + "\n").encode("utf-8")


def uploaded(api: Any, field: str = "file") -> bytes:
    req = [r for r in api.recorder.requests if r["body"]][-1]
    ctype = {k.lower(): v for k, v in req["headers"].items()}["content-type"]
    return form_fields(req["body"], ctype)[field]


def sent_lines(api: Any) -> List[dict]:
    return [json.loads(line) for line in uploaded(api).decode("utf-8").splitlines() if line]


def test_batch_file_is_pseudonymised_and_its_output_reidentified(client: Any, api: Any) -> None:
    protected = protect(client, known={"name": NAME})
    assert protected.files.create(file=("batch.jsonl", batch_file()), purpose="batch").id == "file-1"
    assert_no_personal([uploaded(api).decode("utf-8")])
    lines = sent_lines(api)
    assert [line["custom_id"] for line in lines] == ["req-1", "req-2", "req-3"]
    assert lines[2]["body"]["messages"][0]["content"] == TEXTS["req-3"]
    # one conversation per custom_id: the same e-mail gets unrelated pseudonyms in two requests
    email_1 = TOKEN.findall(lines[0]["body"]["messages"][0]["content"])[1]
    email_2 = TOKEN.findall(lines[1]["body"]["messages"][0]["content"])[0]
    assert email_1.startswith("[[EMAIL_") and email_2.startswith("[[EMAIL_") and email_1 != email_2

    output = protected.files.content("file-out-1").text
    replies = {json.loads(line)["custom_id"]: json.loads(line)["response"]["body"]["choices"][0]["message"]["content"]
               for line in output.splitlines() if line}
    assert replies == TEXTS


def test_batch_upload_audit_record_counts_every_line(client: Any, api: Any, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    caplog.set_level(logging.INFO, logger="gdpr_lint.runtime.audit")
    protect(client, known={"name": NAME}).files.create(file=("b.jsonl", batch_file()), purpose="batch")
    records = [r.gdpr_lint for r in caplog.records if r.name == "gdpr_lint.runtime.audit"]
    upload = next(r for r in records if r["event"] == "request")
    assert upload["endpoint"] == "POST /v1/files"
    assert upload["entities"] == {"NAME": 1, "EMAIL": 2, "PHONE": 1}


def test_reused_custom_ids_restore_the_right_person(client: Any, api: Any) -> None:
    protected = protect(client)
    protected.files.create(file=("a.jsonl", batch_file({"req-1": f"Mail {EMAIL}"})), purpose="batch")
    protected.files.create(file=("b.jsonl", batch_file({"req-1": "Mail bn@example.dk"})), purpose="batch")
    output = protected.files.content("file-out-2").text  # the stand-in answers the last upload
    assert json.loads(output)["response"]["body"]["choices"][0]["message"]["content"] == "Mail bn@example.dk"


def test_batch_output_through_a_copy_and_async(api: Any) -> None:
    from openai import AsyncOpenAI

    async def main() -> str:
        protected = protect(AsyncOpenAI(base_url=api.base_url, api_key="test", max_retries=0))
        await protected.files.create(file=("b.jsonl", batch_file()), purpose="batch")
        response = await protected.with_options(timeout=30).files.content("file-out-1")
        return response.text

    output = asyncio.run(main())
    assert_no_personal([uploaded(api).decode("utf-8")])
    assert [json.loads(line)["response"]["body"]["choices"][0]["message"]["content"]
            for line in output.splitlines()] == list(TEXTS.values())


def test_batch_scopes_follow_a_stable_conversation(client: Any, api: Any) -> None:
    def upload(conversation: Any) -> bytes:
        protect(client, conversation=conversation).files.create(file=("b.jsonl", batch_file()), purpose="batch")
        return uploaded(api)

    # derived from a stable conversation, the per-request scopes are stable too
    assert upload(Conversation(id="job-7", tenant="acme")) == upload(Conversation(id="job-7", tenant="acme"))
    # and fresh ones without it: nothing links two uploads
    assert upload(None) != upload(None)


def test_harmless_batch_file_is_sent_unchanged(client: Any, api: Any) -> None:
    data = batch_file({"a": "Hvad er klokken?", "b": "Oversæt 'good morning' til dansk"})
    protect(client).files.create(file=("b.jsonl", data), purpose="batch")
    assert uploaded(api) == data


def test_personal_custom_id_or_file_name_is_refused(client: Any, api: Any) -> None:
    protected = protect(client)
    with pytest.raises(PseudonymisationError, match="custom_id"):
        protected.files.create(file=("b.jsonl", batch_file({EMAIL: "hej"})), purpose="batch")
    with pytest.raises(PseudonymisationError, match="file name"):
        protected.files.create(file=(f"{EMAIL}.jsonl", batch_file()), purpose="batch")
    assert api.recorder.requests == []


@pytest.mark.parametrize("filename,content", [
    ("kunder.csv", f"navn,email\n{NAME},{EMAIL}\n"),
    ("notat.txt", f"Patient {NAME}, CPR {CPR}, tlf {PHONE}"),
    ("kunde.json", json.dumps({"navn": NAME, "email": EMAIL})),
])
def test_text_files_are_pseudonymised(client: Any, api: Any, filename: str, content: str) -> None:
    protect(client, known={"name": NAME}).files.create(file=(filename, content.encode()), purpose="user_data")
    sent = uploaded(api).decode("utf-8")
    assert_no_personal([sent])
    assert "[[" in sent
    if filename.endswith(".json"):
        assert json.loads(sent).keys() == {"navn", "email"}


def test_audio_transcription_is_refused_unless_allowed_and_its_prompt_pseudonymised(client: Any, api: Any) -> None:
    protected = protect(client, known={"name": NAME})
    with pytest.raises(PseudonymisationError, match="file 'file' .*audio/x-wav.*cannot be inspected.*allow_binary_uploads"):
        protected.audio.transcriptions.create(file=("a.wav", WAV), model="whisper-1", prompt=f"Samtale med {NAME}")
    assert api.recorder.requests == []
    configure(allow_binary_uploads=True)
    result = protected.audio.transcriptions.create(file=("a.wav", WAV), model="whisper-1", prompt=f"Samtale med {NAME}")
    assert result.text == f"Samtale med {NAME}"  # the stand-in echoes the prompt
    assert uploaded(api, "prompt").decode().startswith("Samtale med [[NAME_")
    assert uploaded(api, "file") == WAV
    result = protected.audio.translations.create(file=("a.wav", WAV), model="whisper-1", prompt=f"Mail {EMAIL}")
    assert result.text == f"Mail {EMAIL}"
    assert_no_personal([uploaded(api, "prompt").decode()])


def test_image_edit_is_refused_unless_allowed_and_its_prompt_pseudonymised(client: Any, api: Any) -> None:
    protected = protect(client)
    with pytest.raises(PseudonymisationError, match="file 'image' .*image/png"):
        protected.images.edit(image=("photo.png", PNG), prompt=f"Tilføj navneskiltet '{NAME}'", model="gpt-image-1")
    assert api.recorder.requests == []
    configure(allow_binary_uploads=True)
    result = protected.images.edit(image=("photo.png", PNG), prompt=f"Skriv {EMAIL} på skiltet", model="gpt-image-1")
    assert result.data[0].revised_prompt == f"Skriv {EMAIL} på skiltet"
    assert uploaded(api, "prompt").decode().startswith("Skriv [[EMAIL_")
    assert uploaded(api, "model") == b"gpt-image-1"


def test_multi_part_upload_parts_are_refused(client: Any, api: Any) -> None:
    with pytest.raises(PseudonymisationError, match="multi-part upload.*files.create"):
        protect(client).uploads.parts.create(upload_id="upload_1", data=f"{NAME},{EMAIL}\n".encode())
    assert api.recorder.requests == []
