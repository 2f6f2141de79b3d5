"""Inline content in a request: data URLs and base64 payloads.

Text formats (plain text, CSV, Markdown, JSON, JSON Lines, XML ...) are
decoded, pseudonymised and encoded again the way they came; binary media
(images, audio, PDF ...) cannot be inspected and is refused unless
``configure(allow_inline_binary=True)``.  A string that merely starts with
``data:`` but is no data URL is ordinary text.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any, Callable, Optional, Tuple
from urllib.parse import quote, unquote_to_bytes

from .. import config
from ..errors import PseudonymisationError

__all__ = ["data_url", "base64_payload", "text_document", "is_text_type", "media_type_of_name"]

# RFC 2397: data:[<mediatype>][;base64],<data>
_DATA_URL = re.compile(
    r"data:(?P<type>[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+)?"
    r"(?P<params>(?:;[A-Za-z0-9!#$&^_.+-]+=[^;,\s]*)*)(?P<b64>;base64)?,",
    re.IGNORECASE,
)
# line breaks are allowed (MIME wraps base64), spaces are not: a sentence is no base64
_BASE64 = re.compile(r"[A-Za-z0-9+/\r\n]*={0,2}[\r\n]*")

_TEXT_TYPES = frozenset({
    "application/json", "application/jsonl", "application/x-jsonlines", "application/json-lines",
    "application/x-ndjson", "application/ndjson", "application/csv", "application/xml", "application/yaml",
    "application/x-yaml", "application/javascript", "application/x-javascript", "application/sql",
    "application/x-sh", "application/x-python", "application/toml", "application/x-tex",
})
_JSON_TYPES = frozenset({"application/json"})
_JSONL_TYPES = frozenset({
    "application/jsonl", "application/x-jsonlines", "application/json-lines", "application/x-ndjson",
    "application/ndjson",
})
_TEXT_SUFFIXES = {
    ".txt": "text/plain", ".text": "text/plain", ".csv": "text/csv", ".tsv": "text/tab-separated-values",
    ".md": "text/markdown", ".markdown": "text/markdown", ".json": "application/json",
    ".jsonl": "application/jsonl", ".ndjson": "application/x-ndjson", ".xml": "application/xml",
    ".html": "text/html", ".htm": "text/html", ".yaml": "application/yaml", ".yml": "application/yaml",
    ".log": "text/plain", ".py": "text/x-python", ".js": "application/javascript", ".sql": "application/sql",
}


def is_text_type(media_type: str) -> bool:
    mt = media_type.lower()
    return mt.startswith("text/") or mt in _TEXT_TYPES or mt.endswith("+json") or mt.endswith("+xml")


def media_type_of_name(filename: Optional[str]) -> Optional[str]:
    """The text media type a file name's extension stands for, else None."""
    if not filename or "." not in filename:
        return None
    return _TEXT_SUFFIXES.get(filename[filename.rfind("."):].lower())


def text_document(text: str, media_type: str, pseudonymise: Callable[[str], str],
                  json_values: Callable[[Any], Tuple[Any, bool]]) -> str:
    """Pseudonymise a decoded text document; JSON and JSON Lines inside their values."""
    mt = media_type.lower()
    if mt in _JSON_TYPES or mt.endswith("+json"):
        try:
            obj = json.loads(text)
        except ValueError:
            return pseudonymise(text)
        new, changed = json_values(obj)
        return json.dumps(new, ensure_ascii=False) if changed else text
    if mt in _JSONL_TYPES:
        lines = text.split("\n")
        for i, line in enumerate(lines):
            if line.strip():
                lines[i] = text_document(line, "application/json", pseudonymise, json_values)
        return "\n".join(lines)
    return pseudonymise(text)


def _refuse_binary(what: str, where: str) -> None:
    if not config.settings().allow_inline_binary:
        raise PseudonymisationError(
            f"{where} holds inline {what} that cannot be inspected for personal data; nothing was sent "
            "(send text formats, or configure(allow_inline_binary=True) to send images, audio and PDFs unchecked)"
        )


def _decode_text(raw: bytes, charset: str, where: str) -> str:
    try:
        return raw.decode(charset)
    except (LookupError, UnicodeDecodeError):
        raise PseudonymisationError(
            f"{where} holds a text document that is not valid {charset}; nothing was sent"
        ) from None


def _b64decode(payload: str) -> Optional[bytes]:
    if not _BASE64.fullmatch(payload):
        return None
    try:
        return base64.b64decode("".join(payload.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def data_url(s: str, where: str, pseudonymise: Callable[[str], str],
             json_values: Callable[[Any], Tuple[Any, bool]]) -> Optional[str]:
    """The data URL ``s`` with its text pseudonymised; None if ``s`` is no data URL
    (then it is ordinary text).  Binary media is refused unless allowed."""
    m = _DATA_URL.match(s)
    if m is None:
        return None
    media_type = (m.group("type") or "text/plain").lower()
    payload = s[m.end():]
    charset = "utf-8"
    for param in (m.group("params") or "").split(";")[1:]:
        name, _, value = param.partition("=")
        if name.lower() == "charset" and value:
            charset = value.strip('"')
    if m.group("b64"):
        raw = _b64decode(payload)
        if raw is None:
            return None  # not base64 after all: inspect the whole string as text
    else:
        raw = unquote_to_bytes(payload)
    if not is_text_type(media_type):
        _refuse_binary(f"{media_type} content", where)
        return s
    text = _decode_text(raw, charset, where)
    new = text_document(text, media_type, pseudonymise, json_values)
    if new == text:
        return s
    encoded = new.encode(charset, "strict")
    if m.group("b64"):
        body = base64.b64encode(encoded).decode("ascii")
    elif "%" in payload:  # percent-encoded: keep it so (pseudonyms stay readable)
        body = quote(encoded, safe="!$&'()*+,;=:@/?~-._[]")
    else:
        body = new

    return s[:m.end()] + body


def base64_payload(s: str, where: str, filename: Optional[str], binary_hint: bool,
                   pseudonymise: Callable[[str], str],
                   json_values: Callable[[Any], Tuple[Any, bool]]) -> Optional[str]:
    """Bare base64 data (``input_audio.data``, ``file_data`` without a data URL).
    None if ``s`` is not base64 (then it is ordinary text).  Text files, known by
    their name or by decoding as UTF-8 text, are inspected; the rest is binary."""
    raw = _b64decode(s)
    if raw is None or not raw:
        return None
    media_type = media_type_of_name(filename)
    if filename and "." in filename and media_type is None:
        binary_hint = True  # report.pdf, photo.png: never read as text
    text: Optional[str] = None
    if not binary_hint:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None and media_type is None and any(c < " " and c not in "\t\r\n" for c in text):
            text = None  # control characters: binary that happens to be valid UTF-8
    if text is None:
        if media_type is not None and not binary_hint:
            raise PseudonymisationError(f"{where} holds a text document that is not valid utf-8; nothing was sent")
        _refuse_binary("binary data (base64)", where)
        return s
    new = text_document(text, media_type or "text/plain", pseudonymise, json_values)
    return s if new == text else base64.b64encode(new.encode("utf-8")).decode("ascii")
