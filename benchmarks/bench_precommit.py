"""Benchmark: the pre-commit scenario and start-up time.

    python benchmarks/bench_precommit.py [--workdir DIR] [--runs 5] [--installed]

A large repository (the standard-library corpus with OpenAI functions appended, see
make_corpora.py, plus a small CRM app whose personal data crosses three files) in
which three files changed; pre-commit runs

    gdpr-lint check --force-exclude app/views.py app/prompts.py app/llm.py

Wall time of the whole process (interpreter start-up included), with no result cache
(first commit) and with the cache of the previous commit, and `gdpr-lint --version`,
next to `python -c pass` (the interpreter alone). Target: < 0.5 s for the hook.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_lint import gdpr_cli, measure, snapshot_cli  # noqa: E402
from make_corpora import generate  # noqa: E402

APP = {
    "app/__init__.py": "",
    "app/llm.py": '''
        from openai import OpenAI

        _client = OpenAI()


        def complete(prompt: str) -> str:
            reply = _client.chat.completions.create(
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": prompt}],
            )
            return reply.choices[0].message.content
        ''',
    "app/prompts.py": '''
        def follow_up_prompt(customer, order) -> str:
            return (
                f"Write a follow-up to {customer.full_name} <{customer.email}> "
                f"about order {order.number}."
            )
        ''',
    "app/views.py": '''
        from app.llm import complete
        from app.prompts import follow_up_prompt


        def follow_up(request, customer, order):
            return complete(follow_up_prompt(customer, order))
        ''',
}
CHANGED = ["app/views.py", "app/prompts.py", "app/llm.py"]


def main() -> None:
    ap = argparse.ArgumentParser(description="pre-commit scenario and start-up time")
    ap.add_argument("--workdir", type=Path)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--installed", action="store_true", help="run the installed gdpr-lint, not a snapshot")
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="gdpr-lint-precommit-"))
    work.mkdir(parents=True, exist_ok=True)
    if not (work / "openai_heavy").is_dir():
        generate(work)
    repo = work / "precommit_repo"
    shutil.rmtree(repo, ignore_errors=True)
    shutil.copytree(work / "openai_heavy", repo)
    for name, text in APP.items():
        p = repo / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    files = sum(1 for _ in repo.rglob("*.py"))
    cli = gdpr_cli() if args.installed else snapshot_cli(work)
    env = {k: v for k, v in os.environ.items() if k != "GDPR_LINT_CACHE_DIR"}
    cache = repo / ".gdpr_lint_cache"
    hook = cli + ["check", "--force-exclude", *CHANGED]
    confs = {
        "python -c pass": ([sys.executable, "-c", "pass"], False, (0,)),
        "gdpr-lint --version": (cli + ["--version"], False, (0,)),
        "hook, no cache": (hook, True, (1,)),
        "hook, warm cache": (hook, False, (1,)),
    }
    measure(hook, repo, env, work / "precommit-prime.out")  # warm the file system cache
    samples: dict[str, list[dict]] = {k: [] for k in confs}
    for _ in range(args.runs):
        for name, (cmd, cold, ok) in confs.items():
            if cold:
                shutil.rmtree(cache, ignore_errors=True)
            m = measure(cmd, repo, env, work / "precommit.out")
            if m["rc"] not in ok:
                raise SystemExit(f"{name} exited {m['rc']}: {(work / 'precommit.err').read_text()[-2000:]}")
            samples[name].append(m)
    out = (work / "precommit.out").read_text(encoding="utf-8")
    print(f"repository of {files} .py files; {len(CHANGED)} changed files; {args.runs} runs, medians; "
          f"{os.cpu_count()} cores; load average (1 min) {os.getloadavg()[0]:.1f}")
    print()
    print("| command | wall s | CPU s | peak RSS MB | walls |")
    print("|---|---:|---:|---:|---|")
    for name, ms in samples.items():
        med = {k: statistics.median(m[k] for m in ms) for k in ("wall", "cpu", "rss_mb")}
        print(f"| {name} | {med['wall']:.3f} | {med['cpu']:.3f} | {med['rss_mb']:.0f} | "
              f"{' '.join('%.2f' % m['wall'] for m in ms)} |")
    print()
    print("hook output (last run):", out.strip().splitlines()[-1] if out.strip() else "(none)")


if __name__ == "__main__":
    main()
