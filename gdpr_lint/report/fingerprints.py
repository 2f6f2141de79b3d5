"""GitHub code scanning's `primaryLocationLineHash`, computed the way the
codeql-action computes it when it uploads SARIF (a rolling hash over the first
100 non-blank characters from the start of each line; MIT-licensed algorithm,
re-implemented here from its description).

Why we compute it ourselves: when the upload action has to fill it in, it needs
the checked-out sources at upload time; shipping it in the SARIF makes alerts
track code that moves within a file even when the SARIF is uploaded elsewhere.

The algorithm, per file:

* the text is read as UTF-16 code units (what JavaScript's `charCodeAt` sees);
* spaces and tabs are skipped everywhere; `\\r\\n` and a lone `\\r` count as `\\n`;
* an end-of-file marker (65535) follows the last character, then enough zeros
  to fill a window of 100;
* the hash of a line is the polynomial rolling hash (base 37, signed 64-bit
  wrap-around arithmetic) of the 100 characters that start at the line's first
  kept character, printed as unsigned hexadecimal, followed by `:N` where N
  counts how often that hash value has been seen so far in the file.

Every line gets a hash, including an empty last "line" after a final newline.
"""

from __future__ import annotations

from typing import Iterator

BLOCK_SIZE = 100
_MOD = 37
_MASK = (1 << 64) - 1
_FIRST_MOD = pow(_MOD, BLOCK_SIZE, 1 << 64)
_EOF = 65535
_TAB, _SPACE, _LF, _CR = 9, 32, 10, 13


def _code_units(text: str) -> Iterator[int]:
    for ch in text:
        cp = ord(ch)
        if cp > 0xFFFF:  # a UTF-16 surrogate pair, as JavaScript strings hold it
            cp -= 0x10000
            yield 0xD800 + (cp >> 10)
            yield 0xDC00 + (cp & 0x3FF)
        else:
            yield cp


def line_hashes(text: str) -> list[str]:
    """The `primaryLocationLineHash` of every line of `text`; index 0 is line 1."""
    window = [0] * BLOCK_SIZE
    line_at = [-1] * BLOCK_SIZE  # line number whose first kept character sits at this window slot
    counts: dict[str, int] = {}
    out: dict[int, str] = {}
    state = {"hash": 0, "index": 0, "line": 0, "line_start": True, "prev_cr": False}

    def emit() -> None:
        value = format(state["hash"], "x")
        counts[value] = counts.get(value, 0) + 1
        out[line_at[state["index"]]] = f"{value}:{counts[value]}"
        line_at[state["index"]] = -1

    def update(current: int) -> None:
        i = state["index"]
        begin = window[i]
        window[i] = current
        state["hash"] = (_MOD * state["hash"] + current - _FIRST_MOD * begin) & _MASK
        state["index"] = (i + 1) % BLOCK_SIZE

    def process(current: int) -> None:
        if current in (_SPACE, _TAB) or (state["prev_cr"] and current == _LF):
            state["prev_cr"] = False
            return
        if current == _CR:
            current = _LF
            state["prev_cr"] = True
        else:
            state["prev_cr"] = False
        if line_at[state["index"]] != -1:
            emit()
        if state["line_start"]:
            state["line_start"] = False
            state["line"] += 1
            line_at[state["index"]] = state["line"]
        if current == _LF:
            state["line_start"] = True
        update(current)

    for unit in _code_units(text):
        process(unit)
    process(_EOF)
    for _ in range(BLOCK_SIZE):
        if line_at[state["index"]] != -1:
            emit()
        update(0)
    return [out[n] for n in sorted(out)]


def line_hash(text: str, line: int) -> str | None:
    """The hash of 1-based `line` in `text` (None when the line does not exist)."""
    hashes = line_hashes(text)
    return hashes[line - 1] if 1 <= line <= len(hashes) else None
