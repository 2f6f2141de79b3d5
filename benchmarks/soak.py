"""Soak run: analyse every Python file of the installed standard library and
site-packages, and plan (never write) the --fix rewrites of whatever is found.

Nothing may raise: every file is either analysed or named with its reason.
Prints the counts: files, analysed, unanalysable by reason, tracebacks (must be 0:
an escaped exception, or a file reported as an internal error), fix plans, wall time.

    python benchmarks/soak.py                 # stdlib + site-packages
    python benchmarks/soak.py PATH [PATH...]  # other trees
    python benchmarks/soak.py --list-errors   # also every unanalysable file with its reason

Exit status 0 when there were no tracebacks, 1 otherwise.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import sys
import sysconfig
import tempfile
import time
import traceback
from pathlib import Path


def _reason_kind(message: str) -> str:
    """Group reasons: 'syntax error at line 3, column 5: invalid syntax' -> 'syntax error: invalid syntax'."""
    m = re.match(r"syntax error(?: at line \d+(?:, column \d+)?)?: (.*)", message)
    if m:
        detail = re.sub(r"\(.*?\)|'.*?'|\".*?\"|\d+", "…", m.group(1))
        return f"syntax error: {detail}"
    m = re.match(r"(cannot decode as [\w-]+)", message)
    if m:
        return m.group(1)
    m = re.match(r"(file too large to analyse)", message)
    if m:
        return m.group(1)
    return re.sub(r"\d+(\.\d+)?", "N", message)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", type=Path)
    ap.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--no-fix-plan", action="store_true", help="skip planning --fix rewrites (LibCST)")
    ap.add_argument("--list-errors", action="store_true")
    args = ap.parse_args(argv)

    from gdpr_lint.config.settings import ConfigResolver
    from gdpr_lint.pipeline.engine import analyse_paths
    from gdpr_lint.fix.runner import plan_fixes

    paths = args.paths or sorted({Path(sysconfig.get_paths()[k]) for k in ("stdlib", "purelib", "platlib")})
    tracebacks: list[str] = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        # analyse everything: no default exclusions (site-packages, build, ...), no .gitignore
        config = Path(tmp) / "gdpr-lint.toml"
        config.write_text("exclude = []\nrespect-gitignore = false\n", encoding="utf-8")
        resolver = ConfigResolver(config_file=config, cwd=Path(tmp))
        os.environ.pop("GDPR_LINT_DEBUG", None)
        try:
            result = analyse_paths(paths, resolver, use_cache=False, jobs=args.jobs)
        except BaseException:  # noqa: BLE001 - this is what the soak looks for
            tracebacks.append(traceback.format_exc())
            result = None
        analysed_at = time.perf_counter()
        plans = fix_errors = 0
        if result is not None and not args.no_fix_plan:
            try:
                outcome = plan_fixes(result, result.findings)
                plans, fix_errors = len(outcome.files), len(outcome.errors)
            except BaseException:  # noqa: BLE001
                tracebacks.append(traceback.format_exc())
    wall = time.perf_counter() - start

    print(f"paths: {', '.join(str(p) for p in paths)}")
    if result is None:
        print("tracebacks=%d" % len(tracebacks))
        for t in tracebacks:
            print(t)
        return 1
    internal = [e for e in result.errors if e.message.startswith("internal error")]
    failed = {e.path for e in result.errors}
    kinds = collections.Counter(_reason_kind(e.message) for e in result.errors)
    print(f"files: {result.files}")
    print(f"analysed: {sum(1 for d in result.sources if d not in failed)}"
          f" (of which {result.units} held or fed an OpenAI request and were analysed in full)")
    print(f"unanalysable: {len(failed)}")
    for kind, n in kinds.most_common():
        print(f"  {n:6d}  {kind}")
    print(f"findings: {len(result.findings)}, call sites: {len(result.sites)}")
    if not args.no_fix_plan:
        print(f"fix plans: {plans} files, {fix_errors} files the fix could not rewrite")
    print(f"tracebacks={len(tracebacks) + len(internal)}")
    print(f"wall time: {wall:.1f} s (analysis {analysed_at - start:.1f} s)")
    for e in internal:
        print(f"INTERNAL {e.path}: {e.message}")
    for t in tracebacks:
        print(t)
    if args.list_errors:
        for e in result.errors:
            print(f"{e.path}: {e.message}")
    return 1 if tracebacks or internal else 0


if __name__ == "__main__":
    sys.exit(main())
