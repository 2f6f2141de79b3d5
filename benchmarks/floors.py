"""Reference floors for bench_lint.py, each run as its own process:

    python benchmarks/floors.py read   ROOT   # read every .py file under ROOT
    python benchmarks/floors.py ast    ROOT   # ... and ast.parse it
    python benchmarks/floors.py libcst ROOT   # ... and libcst.parse_module it (one process)

Prints the number of files and lines handled.
"""

from __future__ import annotations

import os
import sys


def files(root: str):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(".py"):
                yield os.path.join(dirpath, name)


def main() -> None:
    mode, root = sys.argv[1], sys.argv[2]
    if mode == "libcst":
        import libcst

        parse = libcst.parse_module
    elif mode == "ast":
        import ast

        parse = ast.parse
    elif mode == "read":
        parse = None
    else:
        raise SystemExit(f"unknown mode {mode!r}: read, ast or libcst")
    count = lines = 0
    for path in files(root):
        with open(path, "rb") as fh:
            data = fh.read()
        count += 1
        lines += data.count(b"\n")
        if parse is not None:
            parse(data)
    print(f"{mode}: {count} files, {lines} lines")


if __name__ == "__main__":
    main()
