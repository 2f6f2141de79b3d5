"""Multipart request bodies of a protected OpenAI client: file uploads
(``files.create``, so the Batch API), audio transcriptions and translations,
image edits, multi-part uploads; and batch output downloaded with
``files.content``.

* Text form fields (``prompt``, ...) are pseudonymised.
* Text files (by name or content type: JSONL, CSV, JSON, text, Markdown) are
  decoded, pseudonymised and sent re-encoded.  A batch input file (JSONL lines
  with ``custom_id`` and ``body``) gets one conversation per ``custom_id``, so
  the provider cannot link one person across requests; the protection keeps
  these conversations so that the batch output, downloaded through the same
  protected client, is re-identified line by line.
* Binary files (audio, images, PDFs) cannot be inspected: refused unless
  ``configure(allow_binary_uploads=True)``; parts of a multi-part upload
  (``uploads.parts.create``) likewise, since a value may be split between
  parts and the upload's size is fixed in advance.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any, Dict, List, Optional, Tuple

from .. import config
from ..errors import PseudonymisationError
from ..stream import reidentify_obj
from ..vault import Conversation
from .common import CallContext, RequestPseudonymiser, asks_for_json
from .inline import is_text_type, media_type_of_name, text_document

__all__ = ["BatchScopes", "pseudonymise_multipart", "is_file_content", "reidentify_batch_output"]

_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_DISPOSITION = re.compile(rb'\b(name|filename)="((?:[^"\\]|\\.)*)"', re.IGNORECASE)
_FILE_CONTENT = re.compile(r"/files/[^/]+/content$")
#: Form fields that are protocol values, never user text.
_PROTOCOL_FIELDS = frozenset({"model", "purpose", "response_format", "mime_type", "size", "quality", "n",
                              "output_format", "background", "input_fidelity", "timestamp_granularities[]"})


class BatchScopes:
    """custom_id -> the conversations (and JSON mode) its batch requests were pseudonymised in."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scopes: Dict[str, List[Tuple[Conversation, bool]]] = {}

    def add(self, custom_id: str, conv: Conversation, json_mode: bool) -> None:
        with self._lock:
            self._scopes.setdefault(custom_id, []).insert(0, (conv, json_mode))

    def get(self, custom_id: str) -> List[Tuple[Conversation, bool]]:
        with self._lock:
            return list(self._scopes.get(custom_id, ()))

    def __bool__(self) -> bool:
        return bool(self._scopes)


class _Part:
    def __init__(self, head: bytes, content: bytes) -> None:
        self.head = head
        self.content = content
        found = {k.lower(): v for k, v in _DISPOSITION.findall(head)}
        self.name = found.get(b"name", b"").decode("utf-8", "replace")
        self.filename: Optional[str] = found[b"filename"].decode("utf-8", "replace") if b"filename" in found else None
        ctype = re.search(rb"(?im)^content-type:\s*([^;\r\n]+)", head)
        self.content_type = ctype.group(1).decode("latin-1").strip().lower() if ctype else ""


def _parse(body: bytes, boundary: bytes, endpoint: str) -> List[_Part]:
    delimiter = b"--" + boundary
    chunks = body.split(delimiter)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise PseudonymisationError(f"the multipart body of {endpoint} could not be parsed; nothing was sent")
    parts = []
    for chunk in chunks[1:-1]:
        if not chunk.startswith(b"\r\n") or not chunk.endswith(b"\r\n"):
            raise PseudonymisationError(f"the multipart body of {endpoint} could not be parsed; nothing was sent")
        head, sep, content = chunk[2:-2].partition(b"\r\n\r\n")
        if not sep:
            raise PseudonymisationError(f"the multipart body of {endpoint} could not be parsed; nothing was sent")
        parts.append(_Part(head, content))
    return parts


def _build(parts: List[_Part], boundary: bytes) -> bytes:
    out = []
    for part in parts:
        out.append(b"--" + boundary + b"\r\n" + part.head + b"\r\n\r\n" + part.content + b"\r\n")
    out.append(b"--" + boundary + b"--\r\n")
    return b"".join(out)


def _batch_file(text: str, ctx: CallContext, p: RequestPseudonymiser, scopes: BatchScopes, where: str) -> Optional[str]:
    """Pseudonymise a batch input file, one conversation per custom_id; None if it is no batch file."""
    lines = text.split("\n")
    parsed: List[Any] = []
    for line in lines:
        if not line.strip():
            parsed.append(None)
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            return None
        if not isinstance(obj, dict) or not isinstance(obj.get("custom_id"), str) or "body" not in obj:
            return None
        parsed.append(obj)
    base = ctx.conversation
    done: List[Tuple[str, Conversation, bool]] = []
    for i, obj in enumerate(parsed):
        if obj is None:
            continue
        custom_id = obj["custom_id"]
        p.refuse_personal(custom_id, f"the custom_id of line {i + 1} of {where}")
        for key in ("method", "url"):
            if isinstance(obj.get(key), str):
                p.refuse_personal(obj[key], f"the {key} of line {i + 1} of {where}")
        # one scope per request, derived from the call's scope: stable when that one is
        conv = Conversation(f"{base.id}\0batch\0{custom_id}", tenant=base.tenant or None)
        line_ctx = CallContext(conv, ctx.known, ctx.policy, ctx.call_site)
        body = obj["body"]
        json_mode = asks_for_json(body)
        before = json.dumps(body, ensure_ascii=False)
        walker = RequestPseudonymiser(line_ctx)
        obj["body"] = walker.walk(body)
        if p.findings is not None and walker.findings:  # one audit record for the upload
            p.findings.extend(walker.findings)
        if json.dumps(obj["body"], ensure_ascii=False) != before:  # unchanged lines are sent as they came
            lines[i] = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
        done.append((custom_id, conv, json_mode))
    for custom_id, conv, json_mode in done:  # registered only once the whole file passed
        scopes.add(custom_id, conv, json_mode)
    return "\n".join(lines)


def _file(part: _Part, ctx: CallContext, p: RequestPseudonymiser, scopes: BatchScopes, endpoint: str,
          purpose: str) -> bool:
    """Pseudonymise a file part in place; True if it is sent unchecked (binary, allowed)."""
    where = f"the file {part.name!r} of {endpoint}"
    if part.filename:
        p.refuse_personal(part.filename, f"the file name in {where}")
    if re.search(r"/uploads/[^/]+/parts$", endpoint):
        if not config.settings().allow_binary_uploads:
            raise PseudonymisationError(
                f"a part of a multi-part upload ({endpoint}) cannot be pseudonymised: a value may be split between "
                "parts and the upload's size is fixed in advance; nothing was sent (upload text and JSONL files "
                "with files.create, which is pseudonymised, or configure(allow_binary_uploads=True))"
            )
        return True
    media_type = media_type_of_name(part.filename)
    if media_type is None and is_text_type(part.content_type):
        media_type = part.content_type
    text: Optional[str] = None
    if media_type is not None:
        try:
            text = part.content.decode("utf-8")
        except UnicodeDecodeError:
            text = None
    if text is None:
        if not config.settings().allow_binary_uploads:
            # the file name stays out of the message: it may itself be personal (messages are logged)
            kind = part.content_type if part.content_type not in ("", "application/octet-stream") else "binary data"
            raise PseudonymisationError(
                f"{where} ({kind}) cannot be inspected for personal data; nothing was "
                "sent (send text or JSONL files, or configure(allow_binary_uploads=True) to send it unchecked; "
                "text fields such as a prompt are still pseudonymised)"
            )
        return True
    new: Optional[str] = None
    if purpose == "batch" or media_type in ("application/jsonl", "application/x-ndjson"):
        new = _batch_file(text, ctx, p, scopes, where)
    if new is None:
        new = text_document(text, media_type or "text/plain", p.text, p.json_values)
    if new != text:
        part.content = new.encode("utf-8")
    return False


def pseudonymise_multipart(body: bytes, ctype: str, ctx: CallContext, p: RequestPseudonymiser,
                           scopes: BatchScopes, endpoint: str) -> Tuple[bytes, bool]:
    """The pseudonymised multipart body and whether it holds a binary part sent unchecked."""
    m = _BOUNDARY.search(ctype)
    if m is None:
        raise PseudonymisationError(f"the multipart body of {endpoint} has no boundary; nothing was sent")
    boundary = m.group(1).encode("latin-1")
    parts = _parse(body, boundary, endpoint)
    purpose = ""
    for part in parts:
        if part.filename is None and part.name == "purpose":
            purpose = part.content.decode("utf-8", "replace")
    unchecked = False
    for part in parts:
        p.key_check(part.name, f"a form field name of {endpoint}")
        if part.filename is None:
            try:
                value = part.content.decode("utf-8")
            except UnicodeDecodeError:
                raise PseudonymisationError(
                    f"the form field {part.name!r} of {endpoint} is not UTF-8 text; nothing was sent") from None
            if part.name in _PROTOCOL_FIELDS:
                p.leak_check(value, f"the form field {part.name!r}")
            else:
                new = p.text(value)
                if new != value:
                    part.content = new.encode("utf-8")
            continue
        unchecked = _file(part, ctx, p, scopes, endpoint, purpose) or unchecked
    return _build(parts, boundary), unchecked


def is_file_content(path: str) -> bool:
    return _FILE_CONTENT.search(path) is not None


def reidentify_batch_output(content: bytes, scopes: BatchScopes) -> Tuple[bytes, int]:
    """Re-identify each line of a batch output or error file with the scope of its custom_id."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return content, 0
    lines = text.split("\n")
    total = 0
    for i, line in enumerate(lines):
        if not line.startswith("{"):
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("custom_id"), str):
            continue
        count = 0
        for conv, json_mode in scopes.get(obj["custom_id"]):
            for key in ("response", "error"):
                if obj.get(key) is not None:
                    obj[key], n = reidentify_obj(conv, obj[key], json_mode)
                    count += n
        if count:
            lines[i] = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
            total += count
    return ("\n".join(lines).encode("utf-8"), total) if total else (content, 0)
