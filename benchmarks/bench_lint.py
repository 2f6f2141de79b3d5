"""Benchmark: gdpr-lint side by side with Semgrep and the parse floors, on real code.

    python benchmarks/bench_lint.py [--workdir DIR] [--runs 3] [--semgrep PATH] [--json]

Generates two corpora from the Python standard library (make_corpora.py): every
module with a realistic OpenAI function appended ("openai_heavy") and the same
modules unchanged ("no_openai"). On each, in one run, every tool runs as its own
process, `--runs` times round-robin, and the median is reported:

  read          read every .py file (floors.py read)
  ast.parse     read + stdlib ast.parse every file, one process
  libcst        read + libcst.parse_module every file, one process
  semgrep       semgrep scan with benchmarks/semgrep/openai-personal-data.yaml,
                --metrics=off --disable-version-check --no-git-ignore -j 2
  gdpr cold     gdpr-lint check --no-cache (default jobs: the number of cores)
  gdpr warm     gdpr-lint check with a result cache filled by an earlier run

Wall time, CPU time (user+sys of the process and its children, from wait4) and peak
memory (max RSS of the largest single process of the tree) per configuration, the
ratios of gdpr-lint to the others, the findings each linter reported against what
the appended templates should produce, and the load average during the run
(the machine may be shared: read the figures with the load in mind).

Semgrep is installed from PyPI (`pip install semgrep`, best in its own virtualenv;
pass its executable with --semgrep or put it on PATH); without it its rows are skipped.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_corpora import generate  # noqa: E402

RULE = HERE / "semgrep" / "openai-personal-data.yaml"


def gdpr_cli() -> list[str]:
    exe = shutil.which("gdpr-lint", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    return [exe] if exe else [sys.executable, "-m", "gdpr_lint"]


def snapshot_cli(work: Path) -> list[str]:
    """A copy of the checkout's package and rule data, run through a launcher like the
    console script: the code measured stays the same for the whole benchmark even
    while the working tree is being edited (the result cache key covers the code)."""
    pkg, rules = HERE.parent / "gdpr_lint", HERE.parent / "rules"
    if not pkg.is_dir():
        return gdpr_cli()
    snap = work / "snapshot"
    shutil.rmtree(snap, ignore_errors=True)
    shutil.copytree(pkg, snap / "gdpr_lint", ignore=shutil.ignore_patterns("__pycache__"))
    if rules.is_dir():
        shutil.copytree(rules, snap / "rules")
    launcher = snap / "gdpr_lint_launcher.py"
    launcher.write_text("import sys\nfrom gdpr_lint.cli.commands import main\n\nsys.exit(main())\n", encoding="utf-8")
    # byte-compile as `pip install` does: without it every run would compile the package
    # from source (and never cache it where PYTHONDONTWRITEBYTECODE is set)
    compileall.compile_dir(str(snap / "gdpr_lint"), quiet=1)
    return [sys.executable, str(launcher)]


def measure(cmd: list[str], cwd: Path, env: dict, out: Path) -> dict:
    """Run one process; wall, user+sys CPU of it and its children, peak RSS (MB)."""
    with open(out, "wb") as fh, open(out.with_suffix(".err"), "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=fh, stderr=err, stdin=subprocess.DEVNULL)
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss_mb": ru.ru_maxrss / 1024,
            "rc": proc.returncode, "load": os.getloadavg()[0]}


def configurations(corpus: Path, work: Path, semgrep: str | None, cli: list[str]) -> dict[str, dict]:
    env = dict(os.environ)
    floors = [sys.executable, str(HERE / "floors.py")]
    cache = work / f"cache-{corpus.name}"
    confs = {
        "read": {"cmd": floors + ["read", "."], "env": env, "ok": (0,)},
        "ast.parse": {"cmd": floors + ["ast", "."], "env": env, "ok": (0,)},
        "libcst": {"cmd": floors + ["libcst", "."], "env": env, "ok": (0,)},
    }
    if semgrep:
        confs["semgrep"] = {"cmd": [semgrep, "scan", "--config", str(RULE), "--metrics=off",
                                    "--disable-version-check", "--no-git-ignore", "-j", "2", "--json", "."],
                            "env": dict(env, SEMGREP_SEND_METRICS="off"), "ok": (0, 1)}
    gdpr = cli + ["check", "--output-format", "json", "."]
    confs["gdpr cold"] = {"cmd": cli + ["check", "--no-cache", "--output-format", "json", "."], "env": dict(env, GDPR_LINT_CACHE_DIR=str(cache)),
                          "ok": (0, 1)}
    confs["gdpr warm"] = {"cmd": gdpr, "env": dict(env, GDPR_LINT_CACHE_DIR=str(cache)), "ok": (0, 1),
                          "prime": True, "cache": cache}
    return confs


def expected_files(manifest: dict) -> set[str]:
    return {rel for rel, v in manifest["files"].items() if v["expect"]}


def findings_summary(name: str, out: Path, corpus: Path, manifest: dict, heavy: bool) -> dict:
    try:
        data = json.loads(out.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if name == "semgrep":
        files = {r["path"] for r in data["results"]}
        summary = {"findings": len(data["results"]), "errors": len(data.get("errors", [])),
                   "scanned": len(data.get("paths", {}).get("scanned", []))}
    else:
        files = {f["path"] for f in data}
        summary = {"findings": len(data)}
    expected = expected_files(manifest) if heavy else set()
    summary.update({"files": len(files), "expected_files": len(expected),
                    "missed": len(expected - files), "unexpected": len(files - expected)})
    return summary


def bench_corpus(corpus: Path, work: Path, runs: int, semgrep: str | None, manifest: dict,
                 cli: list[str]) -> dict:
    confs = configurations(corpus, work, semgrep, cli)
    for _name, c in confs.items():
        if c.get("prime"):
            shutil.rmtree(c["cache"], ignore_errors=True)
            measure(c["cmd"], corpus, c["env"], work / "prime.out")
    samples: dict[str, list[dict]] = {name: [] for name in confs}
    summaries: dict[str, dict] = {}
    for _ in range(runs):
        for name, c in confs.items():
            out = work / f"{corpus.name}-{name.replace(' ', '_')}.out"
            m = measure(c["cmd"], corpus, c["env"], out)
            if m["rc"] not in c["ok"]:
                err = out.with_suffix(".err").read_text(encoding="utf-8", errors="replace")[-2000:]
                raise SystemExit(f"{name} on {corpus.name} exited {m['rc']}:\n{err}")
            samples[name].append(m)
            with open(work / "samples.jsonl", "a", encoding="utf-8") as log:  # partial results survive an interrupt
                log.write(json.dumps({"corpus": corpus.name, "tool": name, **m}) + "\n")
            if name in ("semgrep", "gdpr cold", "gdpr warm"):
                summaries[name] = findings_summary(name, out, corpus, manifest, corpus.name == "openai_heavy")
    result = {}
    for name, ms in samples.items():
        result[name] = {k: statistics.median(m[k] for m in ms) for k in ("wall", "cpu", "rss_mb")}
        result[name]["walls"] = [round(m["wall"], 2) for m in ms]
        result[name]["load"] = round(statistics.mean(m["load"] for m in ms), 1)
        result[name].update(summaries.get(name, {}))
    return result


def ratios(res: dict) -> dict:
    out = {}
    for g in ("gdpr cold", "gdpr warm"):
        for ref in ("semgrep", "libcst", "ast.parse", "read"):
            if ref in res:
                out[f"{g} / {ref}"] = {k: res[g][k] / res[ref][k] for k in ("wall", "cpu")}
    return out


def render(all_results: dict, meta: dict) -> str:
    lines = [f"{meta['files']} files, {meta['lines']} lines (Python {meta['python']} standard library); "
             f"{meta['cores']} cores; {meta['runs']} runs each, medians; load average (1 min) "
             f"{meta['load_before']:.1f} before, {meta['load_after']:.1f} after.", ""]
    for corpus, res in all_results.items():
        lines += [f"### {corpus}", "",
                  "| tool | wall s | CPU s | peak RSS MB | load | findings (files) | walls |",
                  "|---|---:|---:|---:|---:|---|---|"]
        for name, r in res.items():
            found = ""
            if "findings" in r:
                found = f"{r['findings']} ({r['files']} files"
                if r["expected_files"] or r["unexpected"]:
                    found += f"; missed {r['missed']}/{r['expected_files']}, unexpected {r['unexpected']}"
                found += ")"
            lines.append(f"| {name} | {r['wall']:.2f} | {r['cpu']:.2f} | {r['rss_mb']:.0f} | {r['load']} | {found} | "
                         f"{' '.join(map(str, r['walls']))} |")
        lines += ["", "| ratio | wall | CPU |", "|---|---:|---:|"]
        for name, r in ratios(res).items():
            lines.append(f"| {name} | {r['wall']:.2f} | {r['cpu']:.2f} |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description="gdpr-lint vs Semgrep vs parse floors on the standard library")
    ap.add_argument("--workdir", type=Path, help="where corpora, caches and outputs go (default: a temp dir)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--semgrep", default=os.environ.get("SEMGREP") or shutil.which("semgrep"))
    ap.add_argument("--limit", type=int, help="an evenly spread sample of N standard-library files (quick runs)")
    ap.add_argument("--corpus", choices=["openai_heavy", "no_openai"], action="append",
                    help="only this corpus (repeatable; default both)")
    ap.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    ap.add_argument("--installed", action="store_true",
                    help="run the installed gdpr-lint instead of a snapshot of this checkout")
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="gdpr-lint-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    manifest = generate(work, limit=args.limit)
    meta = {"files": manifest["count"], "lines": manifest["lines"], "python": manifest["stdlib"],
            "cores": os.cpu_count(), "runs": args.runs, "load_before": os.getloadavg()[0],
            "semgrep": args.semgrep}
    cli = gdpr_cli() if args.installed else snapshot_cli(work)
    all_results = {}
    for name in args.corpus or ["openai_heavy", "no_openai"]:
        all_results[name] = bench_corpus(work / name, work, args.runs, args.semgrep, manifest, cli)
    meta["load_after"] = os.getloadavg()[0]
    (work / "results.json").write_text(json.dumps({"meta": meta, "results": all_results}, indent=1), encoding="utf-8")
    if args.json:
        print(json.dumps({"meta": meta, "results": all_results}, indent=1))
    else:
        print(render(all_results, meta))
        print(f"(outputs in {work})", file=sys.stderr)


if __name__ == "__main__":
    main()
