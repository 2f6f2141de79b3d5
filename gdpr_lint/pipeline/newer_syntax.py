"""Telling a file that uses newer Python syntax from a broken one.

The analysis parses with the standard library's `ast`, so it accepts exactly the syntax
of the Python that runs gdpr-lint. Under Python 3.11 a file with Python 3.12 syntax
(PEP 701 f-strings such as `f"{row["name"]}"` or a backslash inside the braces, PEP 695
`def first[T](items: list[T])` and `type` statements) fails with a message such as
"expected '('" that says nothing about versions. When a file does not parse, LibCST's
parser, which accepts the newer grammar whatever the interpreter, gets a second look: if
it parses the file, the error says the file needs a newer Python and which one runs
gdpr-lint.

Analysing such files would need a parse tree in the shape of `ast` for syntax the running
`ast` cannot produce; the run fails closed instead (exit 2, the file named), and the
message says how to fix it: run gdpr-lint with the Python the project uses. The most
common case is an exception: an f-string that reuses its quotes inside the braces is
respelled with the other quote (`older_spelling`), which moves nothing, and parsed.

LibCST's parser is native code that can overflow its stack on pathological input (deeply
nested brackets), so it runs in a forked child: a crash or a hang there costs the hint,
never the run. Only files whose text shows one of the newer constructs are looked at.
"""

from __future__ import annotations

import os
import re
import sys
import time

# Newer constructs worth a second look: f-strings (PEP 701) and t-strings (PEP 750), type
# parameter lists (PEP 695/696), `type X = ...`, `except A, B:` without brackets (PEP 758).
_MARKERS = re.compile(
    r"""(?ix) (?<![\w.]) (?:[rb]?[ft][rb]?) ['"]          # f"..", rf'..', t".."
    | ^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+\w+[ \t]*\[  # def f[T](), class C[T]
    | ^[ \t]*type[ \t]+\w+[ \t]*[\[=]                       # type X = ..., type X[T] = ...
    | ^[ \t]*except\*?[ \t]+[^:(\n]+,                       # except A, B:
    """,
    re.M,
)
NEWEST_KNOWN = (3, 14)  # LibCST's grammar goes no further; on such an interpreter there is nothing newer to tell
MAX_BYTES = 2_000_000
WAIT_SECONDS = 20.0  # the child's parse normally takes milliseconds; past this the hint is dropped


def newer_python_note(text: str) -> str | None:
    """For a text that failed to parse: why, when it is newer syntax; else None."""
    here = sys.version_info
    if (here.major, here.minor) >= NEWEST_KNOWN or len(text) > MAX_BYTES or not _MARKERS.search(text):
        return None
    if not _parses_as_newer_python(text):
        return None
    return (f"newer syntax: this file needs Python {here.major}.{here.minor + 1} or later, and gdpr-lint runs on "
            f"Python {here.major}.{here.minor}.{here.micro} at {sys.executable}; run gdpr-lint with a newer Python")


def _parses_as_newer_python(text: str) -> bool:
    if not hasattr(os, "fork"):
        return False
    try:
        import libcst
    except ImportError:  # pragma: no cover - a dependency
        return False
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child; its exit status is the answer
        code = 1
        try:
            _quiet_child()
            libcst.parse_module(text)
            code = 0
        except BaseException:  # noqa: BLE001 - any failure means "not newer Python"
            code = 1
        finally:
            os._exit(code)
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            return False
        time.sleep(0.002)


def _quiet_child() -> None:  # pragma: no cover - runs in the child
    """A crash of the child leaves no core file and prints nothing (not even faulthandler's
    report when the parent enabled it)."""
    import faulthandler

    faulthandler.disable()
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)


# --------------------------------------------------------------------------- f-strings

_FSTRING_REUSE = re.compile(r"""(?i)(?<![\w.])[rb]?f[rb]?(["'])(?!\1\1)[^\n]*?\{[^}\n]*\1""")


def older_spelling(text: str) -> str | None:
    """The same file in the running Python's syntax, when the only newer construct is an
    f-string that reuses its own quotes inside the braces (PEP 701, Python 3.12:
    `f"Hi {row["name"]}"`): the inner strings get the other quote character
    (`f"Hi {row['name']}"`). Nothing moves (each quote is replaced by one character), so
    every position in the tree is the file's own. None when that is not enough."""
    here = sys.version_info
    if (here.major, here.minor) >= (3, 12) or len(text) > MAX_BYTES or not _FSTRING_REUSE.search(text):
        return None
    if not hasattr(os, "fork"):
        return None
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child; it writes the new text to the pipe
        code = 1
        try:
            os.close(read_end)
            _quiet_child()
            new = _requote(text)
            if new is not None:
                data = new.encode("utf-8")
                view = memoryview(data)
                while view:
                    view = view[os.write(write_end, view):]
                code = 0
        except BaseException:  # noqa: BLE001 - no rewrite, the parse error stands
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    chunks = []
    deadline = time.monotonic() + WAIT_SECONDS
    try:
        import select

        while True:
            ready, _, _ = select.select([read_end], [], [], 0.05)
            if ready:
                chunk = os.read(read_end, 1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
            elif time.monotonic() > deadline:
                os.kill(pid, 9)
                break
    finally:
        os.close(read_end)
        _, status = os.waitpid(pid, 0)
    if not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0):
        return None
    new = b"".join(chunks).decode("utf-8")
    return new if len(new) == len(text) and new != text else None


def _requote(text: str) -> str | None:  # pragma: no cover - runs in the forked child
    import libcst as cst

    module = cst.parse_module(text)
    failed = []

    class Requote(cst.CSTTransformer):
        def __init__(self) -> None:
            self.quotes: list[str] = []

        def visit_FormattedString(self, node: cst.FormattedString) -> bool:
            self.quotes.append(node.quote)
            return True

        def leave_FormattedString(self, original, updated):
            self.quotes.pop()
            return self._swap(updated, updated.quote, lambda q: updated.with_changes(start=updated.start[:-len(updated.quote)] + q, end=q))

        def leave_SimpleString(self, original, updated):
            prefix_len = len(updated.value) - len(updated.value.lstrip("rbuRBU"))
            quote = updated.value[prefix_len:prefix_len + 3]
            quote = quote if quote in ('"""', "'''") else quote[0]
            body = updated.value[prefix_len + len(quote):-len(quote)]
            return self._swap(updated, quote, lambda q: updated.with_changes(
                value=updated.value[:prefix_len] + q + body + q), body=body)

        def _swap(self, node, quote, rebuilt, body=None):
            enclosing = [q for q in self.quotes if len(q) == 1]
            if not enclosing or len(quote) != 1 or quote not in enclosing:
                return node
            other = "'" if quote == '"' else '"'
            if other in enclosing or (body is not None and (other in body or "\\" in body)):
                failed.append(node)
                return node
            return rebuilt(other)

    new = module.visit(Requote()).code
    return None if failed else new
