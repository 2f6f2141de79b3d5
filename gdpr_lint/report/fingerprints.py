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

from array import array

BLOCK_SIZE = 100
_MOD = 37
_MASK = (1 << 64) - 1
_FIRST_MOD = pow(_MOD, BLOCK_SIZE, 1 << 64)
_EOF = 65535
_LF = 10


def _units(text: str) -> array:
    """The kept UTF-16 code units, line endings normalised, then EOF and padding."""
    norm = text.replace("\r\n", "\n").replace("\r", "\n").replace(" ", "").replace("\t", "")
    units = array("H")
    units.frombytes(norm.encode("utf-16-le", errors="surrogatepass"))
    if units.itemsize == 2 and array("H", [1]).tobytes() != b"\x01\x00":  # big-endian host
        units.byteswap()
    units.append(_EOF)
    units.extend([0] * BLOCK_SIZE)
    return units


def line_hashes(text: str) -> list[str]:
    """The `primaryLocationLineHash` of every line of `text`; index 0 is line 1."""
    units = _units(text)
    real = len(units) - BLOCK_SIZE  # kept characters plus the EOF marker
    # a line starts at the first unit and after every line feed
    starts = [0]
    starts.extend(i + 1 for i in range(real - 1) if units[i] == _LF)
    # rolling hash of the BLOCK_SIZE units ending at each position
    window_end: list[int] = []
    h = 0
    old = [0] * BLOCK_SIZE
    mod, first, mask = _MOD, _FIRST_MOD, _MASK
    for i, c in enumerate(units):
        h = (mod * h + c - first * old[i % BLOCK_SIZE]) & mask
        old[i % BLOCK_SIZE] = c
        window_end.append(h)
    counts: dict[str, int] = {}
    out = []
    for start in starts:
        value = format(window_end[start + BLOCK_SIZE - 1], "x")
        counts[value] = counts.get(value, 0) + 1
        out.append(f"{value}:{counts[value]}")
    return out


def line_hash(text: str, line: int) -> str | None:
    """The hash of 1-based `line` in `text` (None when the line does not exist)."""
    hashes = line_hashes(text)
    return hashes[line - 1] if 1 <= line <= len(hashes) else None
