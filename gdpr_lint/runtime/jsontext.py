"""Rewrite the values of a JSON text token by token, keeping every other byte.

Tool results and function arguments are JSON written by the caller's code.
Decoding and encoding them again would change them (``1e400`` becomes
``Infinity``, which is no JSON; of duplicate keys only the last survives;
escapes and spacing change), so :func:`rewrite` replaces only the tokens whose
value changes: a string by the JSON encoding of its new value, a number by a
JSON string (a detected number becomes a pseudonym, so its type changes).
"""

from __future__ import annotations

import json
import re
from typing import Callable, List, Optional, Tuple, Union

__all__ = ["Path", "rewrite", "format_path", "looks_like_json"]

#: A position inside a JSON document: object keys and array indexes from the root.
Path = Tuple[Union[str, int], ...]

# The tokens of a JSON text.  Anything else (NaN, Infinity, a comment, prose
# after a bracket) means the text is no JSON document: the caller treats it as text.
_TOKEN = re.compile(
    r'(?P<s>"(?:[^"\\]|\\.)*")'
    r"|(?P<n>-?(?:0|[1-9]\d*)(?P<frac>(?:\.\d+)?(?:[eE][+-]?\d+)?))"
    r"|(?P<p>[{}\[\]:,])"
    r"|(?:true|false|null)(?![\w])"
    r"|\s+",
    re.DOTALL,
)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

StringHook = Callable[[str, Path], Optional[str]]  # (value, path) -> new value, or None: unchanged
NumberHook = Callable[[str, Path], Optional[str]]  # (integer text, path) -> new string value, or None
KeyHook = Callable[[str, Path], None]


def looks_like_json(s: str) -> bool:
    """Could ``s`` be a JSON object or array?  (A cheap test before :func:`rewrite`.)"""
    stripped = s.lstrip()
    return stripped[:1] in ("{", "[") and len(stripped) > 1


def format_path(path: Path, root: str = "$") -> str:
    """``$.messages[2].content`` for ``("messages", 2, "content")``.

    Paths go into error messages and audit records, and keys of the caller's
    JSON can be data: a key that is not a plain identifier is shown as ``[*]``."""
    out = [root]
    for step in path:
        if isinstance(step, int):
            out.append(f"[{step}]")
        elif len(step) <= 40 and _IDENT.fullmatch(step):
            out.append("." + step)
        else:
            out.append("[*]")
    return "".join(out)


def _decode(token: str) -> str:
    if "\\" not in token:
        return token[1:-1]
    value: str = json.loads(token, strict=False)
    return value


def _encode(value: str, like: str) -> str:
    # keep the writer's style: \u escapes stay \u escapes
    return json.dumps(value, ensure_ascii="\\u" in like)


def rewrite(
    text: str,
    on_string: StringHook,
    on_number: Optional[NumberHook] = None,
    on_key: Optional[KeyHook] = None,
    base: Path = (),
) -> Optional[str]:
    """``text`` with the string values (and integer numbers) the hooks change
    replaced, or ``None`` if ``text`` is not a JSON object or array.

    Hooks get the value and its path (``base`` + keys and indexes); keys are
    passed to ``on_key`` and never changed.  Nothing is changed when the text
    turns out not to be JSON half-way (the hooks may have been called)."""
    if not looks_like_json(text):
        return None
    # stack of [is_object, key or index, state]: "k" a key comes next, "c" a
    # colon, "v" a value, "a" a comma or the end (after a value)
    stack: List[list] = []
    parts: List[str] = []
    pos = 0  # text[pos:] not yet copied to parts
    i, n = 0, len(text)
    started = False
    match = _TOKEN.match
    while i < n:
        m = match(text, i)
        if m is None:
            return None
        j = m.end()
        kind = m.lastgroup
        top = stack[-1] if stack else None
        if kind == "p":
            c = text[i]
            if c in "{[":
                if top is None:
                    if started:
                        return None  # a second document
                elif top[2] != "v":
                    return None
                started = True
                stack.append([c == "{", 0, "k" if c == "{" else "v"])
            elif c in "}]":
                if top is None or top[0] != (c == "}") or top[2] not in ("a", "k" if top[0] else "v"):
                    return None
                stack.pop()
                if stack:
                    stack[-1][2] = "a"
            elif c == ",":
                if top is None or top[2] != "a":
                    return None
                if top[0]:
                    top[2] = "k"
                else:
                    top[1] += 1
                    top[2] = "v"
            elif top is None or top[2] != "c":  # ":"
                return None
            else:
                top[2] = "v"
        elif kind == "s" or kind == "n":
            if top is None or top[2] in ("c", "a"):
                return None
            token = m.group()
            if top[2] == "k":  # an object key
                if kind != "s":
                    return None
                key = _decode(token)
                top[1], top[2] = key, "c"
                if on_key is not None:
                    on_key(key, base + _path(stack)[:-1] + (key,))
            else:
                new: Optional[str] = None
                if kind == "s":
                    value = _decode(token)
                    new_value = on_string(value, base + _path(stack)) if value else None
                    if new_value is not None and new_value != value:
                        new = _encode(new_value, token)
                elif on_number is not None and not m.group("frac"):
                    new_value = on_number(token, base + _path(stack))
                    if new_value is not None:
                        new = _encode(new_value, "")
                if new is not None:
                    parts.append(text[pos:i])
                    parts.append(new)
                    pos = j
                top[2] = "a"
        elif not m.group().isspace():  # true, false, null
            if top is None or top[2] != "v":
                return None
            top[2] = "a"
        i = j
    if stack or not started:
        return None
    if not parts:
        return text
    parts.append(text[pos:])
    return "".join(parts)


def _path(stack: List[list]) -> Path:
    return tuple(frame[1] for frame in stack)
