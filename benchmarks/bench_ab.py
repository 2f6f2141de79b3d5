"""A/B: this checkout against another revision, interleaved in one run, as ratios.

    python benchmarks/bench_ab.py --baseline REV [--runs 5] [--limit 240] [--jobs 2]

Both versions run as separate processes (`python -m gdpr_lint check --no-cache`) on the
benchmark corpora (make_corpora.py), alternating A and B so that a change in the
machine's load falls on both. Reports per corpus the median wall time and CPU time
(user+sys of the process tree) of each side and the ratio new/baseline, and whether
the two sides printed the same findings (a refactoring must not change them).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def export_revision(rev: str, dest: Path) -> Path:
    """The package and rule data of `rev`, unpacked under dest (git archive)."""
    archive = dest / "rev.tar"
    subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", "-o", str(archive), rev,
                    "gdpr_lint", "rules"], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(dest / "tree", filter="data")
    return dest / "tree"


def snapshot_checkout(dest: Path) -> Path:
    """This checkout's package and rules as they are now (edits made during the run do not count)."""
    import shutil

    tree = dest / "tree"
    shutil.copytree(REPO / "gdpr_lint", tree / "gdpr_lint", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "rules", tree / "rules")
    return tree


def run_once(tree: Path, corpus: Path, jobs: int) -> tuple[float, float, bytes]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "gdpr_lint", "check", "--no-cache", "--exit-zero", "-j", str(jobs),
                           "--output-format", "json", str(corpus)], env=env, capture_output=True, cwd=corpus.parent)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"{tree}: exit {proc.returncode}: {proc.stderr.decode()[-500:]}")
    return wall, cpu, proc.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", required=True, help="git revision to compare against")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--limit", type=int, default=240)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="gdpr-lint-ab-"))
    corpora = work / "corpora"
    if not (corpora / "openai_heavy").is_dir():
        subprocess.run([sys.executable, str(HERE / "make_corpora.py"), str(corpora), "--limit", str(args.limit)], check=True)
    import shutil

    for side in ("a", "b"):  # a reused work directory gets fresh copies of both versions
        shutil.rmtree(work / side, ignore_errors=True)
        (work / side).mkdir()
    base = export_revision(args.baseline, work / "a")
    new = snapshot_checkout(work / "b")
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    for name in ("openai_heavy", "no_openai"):
        corpus = corpora / name
        for tree in (base, new):  # warm the OS file cache and byte-compile both sides
            run_once(tree, corpus, args.jobs)
        walls: dict[str, list[float]] = {"baseline": [], "new": []}
        cpus: dict[str, list[float]] = {"baseline": [], "new": []}
        outputs: dict[str, bytes] = {}
        for i in range(args.runs):
            order = [("baseline", base), ("new", new)] if i % 2 == 0 else [("new", new), ("baseline", base)]
            for side, tree in order:
                wall, cpu, out = run_once(tree, corpus, args.jobs)
                walls[side].append(wall)
                cpus[side].append(cpu)
                outputs[side] = out
        mw = {s: statistics.median(v) for s, v in walls.items()}
        mc = {s: statistics.median(v) for s, v in cpus.items()}
        same = outputs["baseline"] == outputs["new"]
        print(f"{name}: wall {mw['baseline']:.2f} s -> {mw['new']:.2f} s ({mw['new'] / mw['baseline']:.2f}x), "
              f"CPU {mc['baseline']:.2f} s -> {mc['new']:.2f} s ({mc['new'] / mc['baseline']:.2f}x), "
              f"findings {'identical' if same else 'DIFFERENT'}")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
