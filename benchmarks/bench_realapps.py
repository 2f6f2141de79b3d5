"""Benchmark: gdpr-lint side by side with Semgrep on real OpenAI-using applications.

    python benchmarks/bench_realapps.py fetch WORKDIR [--source NAME=PATH|URL ...] [--app NAME ...]
    python benchmarks/bench_realapps.py run WORKDIR [--runs 3] [--semgrep PATH] [--baseline REV]
                                            [--app NAME ...] [--large] [--jobs N] [--json]

`fetch` exports every application pinned in realapps.toml into WORKDIR/apps/<name>
(never into this repository): a `repo` entry is exported at its commit with
`git archive` (its Python files) from, in this order, `--source NAME=PATH|URL`, a git directory
`$REALAPPS_MIRROR/<owner>+<name>` (bare, or holding `repo/` or `repo/.git`), or a
clone of https://github.com/<owner>/<name>.git; a `package` entry is the wheel of
that pinned version (`pip download --no-deps`), or a copy of the folder given with
`--source NAME=DIR`. `subdir` keeps only that folder.

`run` times, in one interleaved run (the order of the tools rotates from run to run,
so a change in the machine's load falls on all of them), on each application:

  semgrep       semgrep scan with semgrep/openai-personal-data.yaml (-j 2)
  gdpr cold     gdpr-lint check --no-cache (a snapshot of this checkout)
  gdpr warm     gdpr-lint check, result cache filled by an earlier run
  base cold/warm  the same for another revision (--baseline REV), for before/after

Wall time, CPU time (user+sys of the process tree, from wait4), peak RSS of the
largest single process of the tree (a gdpr-lint worker, or Semgrep's core), the
number of findings, and the ratios to Semgrep. Entries marked `large` (LiteLLM) run
only with --large, once each, without Semgrep's warm counterpart being needed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_lint import measure, snapshot_cli  # noqa: E402

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

RULE = HERE / "semgrep" / "openai-personal-data.yaml"
# Only the Python files are exported (both linters look at nothing else; mirrors may lack
# the large data files of a repository).
PATHSPEC = ("*.py",)


def load_apps(only: list[str] | None) -> list[dict]:
    apps = tomllib.loads((HERE / "realapps.toml").read_text(encoding="utf-8"))["app"]
    if only:
        unknown = set(only) - {a["name"] for a in apps}
        if unknown:
            raise SystemExit(f"unknown application(s): {', '.join(sorted(unknown))}")
        apps = [a for a in apps if a["name"] in only]
    return apps


# ------------------------------------------------------------------------------- fetch

def _git_dir(path: Path) -> Path | None:
    for cand in (path / "repo" / ".git", path / "repo", path / ".git", path):
        if (cand / "HEAD").is_file() and (cand / "objects").is_dir():
            return cand
    return None


def _export_git(source: str, commit: str, dest: Path) -> None:
    local = Path(source)
    tmp = dest.parent / (dest.name + ".tar")
    if local.exists():
        git_dir = _git_dir(local)
        if git_dir is None:
            raise SystemExit(f"{source}: no git directory")
        subprocess.run(["git", f"--git-dir={git_dir}", "archive", "--format=tar", "-o", str(tmp), commit, *PATHSPEC],
                       check=True)
    else:  # a URL: fetch only that commit
        clone = Path(tempfile.mkdtemp(prefix="realapp-clone-"))
        try:
            subprocess.run(["git", "init", "-q", "--bare", str(clone)], check=True)
            subprocess.run(["git", f"--git-dir={clone}", "fetch", "-q", "--depth", "1", source, commit], check=True)
            subprocess.run(["git", f"--git-dir={clone}", "archive", "--format=tar", "-o", str(tmp), commit,
                            *PATHSPEC], check=True)
        finally:
            shutil.rmtree(clone, ignore_errors=True)
    with tarfile.open(tmp) as tar:
        tar.extractall(dest, filter="data")
    tmp.unlink()


def _export_package(source: str | None, spec: str, dest: Path) -> None:
    if source:
        shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        return
    dl = Path(tempfile.mkdtemp(prefix="realapp-wheel-"))
    try:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                        "-d", str(dl), spec], check=True)
        wheel = next(dl.glob("*.whl"))
        with zipfile.ZipFile(wheel) as zf:
            zf.extractall(dest)
    finally:
        shutil.rmtree(dl, ignore_errors=True)


def fetch(work: Path, apps: list[dict], sources: dict[str, str]) -> None:
    mirror = os.environ.get("REALAPPS_MIRROR")
    for app in apps:
        dest = work / "apps" / app["name"]
        if dest.is_dir():
            print(f"{app['name']}: already in {dest}")
            continue
        raw = dest.parent / (app["name"] + ".raw")
        shutil.rmtree(raw, ignore_errors=True)
        raw.parent.mkdir(parents=True, exist_ok=True)
        source = sources.get(app["name"])
        if "package" in app:
            _export_package(source, app["package"], raw)
        else:
            if source is None and mirror:
                cand = Path(mirror) / app["repo"].replace("/", "+")
                source = str(cand) if cand.exists() else None
            source = source or f"https://github.com/{app['repo']}.git"
            raw.mkdir()
            _export_git(source, app["commit"], raw)
        tree = raw / app["subdir"] if app.get("subdir") else raw
        if app.get("subdir"):
            tree.rename(dest)
            shutil.rmtree(raw)
        else:
            raw.rename(dest)
        (dest / ".semgrepignore").write_text("", encoding="utf-8")  # both linters scan the same files
        files, lines = count(dest)
        print(f"{app['name']}: {files} files, {lines} lines in {dest}")


def count(root: Path) -> tuple[int, int]:
    files = lines = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.endswith(".py"):
                files += 1
                with open(os.path.join(dirpath, name), "rb") as fh:
                    lines += fh.read().count(b"\n")
    return files, lines


# --------------------------------------------------------------------------------- run

def baseline_cli(rev: str, work: Path) -> list[str]:
    """Another revision's package and rules (git archive), run like snapshot_cli."""
    import compileall

    dest = work / "baseline"
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    archive = dest / "rev.tar"
    subprocess.run(["git", "-C", str(HERE.parent), "archive", "--format=tar", "-o", str(archive), rev,
                    "gdpr_lint", "rules"], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
    compileall.compile_dir(str(dest / "gdpr_lint"), quiet=1)
    launcher = dest / "gdpr_lint_launcher.py"
    launcher.write_text("import sys\nsys.path.insert(0, %r)\nfrom gdpr_lint.cli.commands import main\n\n"
                        "sys.exit(main())\n" % str(dest), encoding="utf-8")
    return [sys.executable, str(launcher)]


def configurations(app_dir: Path, work: Path, semgrep: str | None, clis: dict[str, list[str]],
                   jobs: int | None) -> dict[str, dict]:
    env = dict(os.environ)
    confs: dict[str, dict] = {}
    if semgrep:
        confs["semgrep"] = {"cmd": [semgrep, "scan", "--config", str(RULE), "--metrics=off",
                                    "--disable-version-check", "--no-git-ignore", "-j", "2", "--json", "."],
                            "env": dict(env, SEMGREP_SEND_METRICS="off"), "ok": (0, 1)}
    extra = ["-j", str(jobs)] if jobs else []
    for label, cli in clis.items():
        cache = work / "caches" / f"{label}-{app_dir.name}"
        genv = dict(env, GDPR_LINT_CACHE_DIR=str(cache))
        confs[f"{label} cold"] = {"cmd": cli + ["check", "--no-cache", "--output-format", "json", *extra, "."],
                                  "env": genv, "ok": (0, 1, 2)}
        confs[f"{label} warm"] = {"cmd": cli + ["check", "--output-format", "json", *extra, "."], "env": genv,
                                  "ok": (0, 1, 2), "prime": True, "cache": cache}
    return confs


def findings_count(name: str, out: Path) -> int | None:
    try:
        data = json.loads(out.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return len(data["results"]) if name == "semgrep" else len(data)


def bench_app(app_dir: Path, work: Path, runs: int, semgrep: str | None, clis: dict[str, list[str]],
              jobs: int | None) -> dict:
    confs = configurations(app_dir, work, semgrep, clis, jobs)
    outdir = work / "out"
    outdir.mkdir(exist_ok=True)
    for c in confs.values():
        if c.get("prime"):
            shutil.rmtree(c["cache"], ignore_errors=True)
            measure(c["cmd"], app_dir, c["env"], outdir / "prime.out")
    names = list(confs)
    samples: dict[str, list[dict]] = {n: [] for n in names}
    found: dict[str, int | None] = {}
    for i in range(runs):
        k = i % len(names)
        for name in names[k:] + names[:k]:  # rotate the order
            c = confs[name]
            out = outdir / f"{app_dir.name}-{name.replace(' ', '_')}.out"
            m = measure(c["cmd"], app_dir, c["env"], out)
            if m["rc"] not in c["ok"]:
                err = out.with_suffix(".err").read_text(encoding="utf-8", errors="replace")[-2000:]
                raise SystemExit(f"{name} on {app_dir.name} exited {m['rc']}:\n{err}")
            samples[name].append(m)
            found[name] = findings_count(name, out)
            with open(work / "samples.jsonl", "a", encoding="utf-8") as log:
                log.write(json.dumps({"app": app_dir.name, "tool": name, **m}) + "\n")
    res: dict[str, dict] = {}
    for name, ms in samples.items():
        r = {k: statistics.median(m[k] for m in ms) for k in ("wall", "cpu", "rss_mb")}
        r["walls"] = [round(m["wall"], 2) for m in ms]
        r["load"] = round(statistics.mean(m["load"] for m in ms), 1)
        r["findings"] = found.get(name)
        res[name] = r
    return res


def render(results: dict, meta: dict) -> str:
    lines = [f"{meta['cores']} cores; {meta['runs']} runs each (interleaved), medians; load average "
             f"{meta['load_before']:.1f} before, {meta['load_after']:.1f} after; Semgrep {meta['semgrep_version']}.",
             "", "| app | files | lines | tool | wall s | CPU s | peak RSS MB | findings | / semgrep wall | walls |",
             "|---|---:|---:|---|---:|---:|---:|---:|---:|---|"]
    for app, r in results.items():
        sg = r["tools"].get("semgrep")
        for name, t in r["tools"].items():
            ratio = f"{t['wall'] / sg['wall']:.2f}" if sg and name != "semgrep" else ""
            lines.append(f"| {app} | {r['files']} | {r['lines']} | {name} | {t['wall']:.2f} | {t['cpu']:.2f} | "
                         f"{t['rss_mb']:.0f} | {t['findings']} | {ratio} | {' '.join(map(str, t['walls']))} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fetch", help="export the pinned applications into WORKDIR/apps")
    f.add_argument("workdir", type=Path)
    f.add_argument("--source", action="append", default=[], metavar="NAME=PATH|URL")
    f.add_argument("--app", action="append")
    r = sub.add_parser("run", help="time gdpr-lint and Semgrep on the fetched applications")
    r.add_argument("workdir", type=Path)
    r.add_argument("--runs", type=int, default=3)
    r.add_argument("--semgrep", default=os.environ.get("SEMGREP") or shutil.which("semgrep")
                   or shutil.which("semgrep", path=os.path.dirname(sys.executable)))
    r.add_argument("--baseline", help="also time this git revision of gdpr-lint (before/after in one run)")
    r.add_argument("--app", action="append")
    r.add_argument("--large", action="store_true", help="include the entries marked large (LiteLLM)")
    r.add_argument("--jobs", type=int, help="gdpr-lint -j (default: its own, the number of cores)")
    r.add_argument("--dir", action="append", default=[], metavar="NAME=PATH",
                   help="also time this folder (e.g. make_corpora.py's no_openai corpus: code without OpenAI)")
    r.add_argument("--json", action="store_true")
    args = ap.parse_args()
    apps = load_apps(args.app)
    work = args.workdir.resolve()
    if args.cmd == "fetch":
        sources = dict(s.split("=", 1) for s in args.source)
        fetch(work, apps, sources)
        return
    if not args.app:
        apps = [a for a in apps if args.large or not a.get("large")]
    clis = {"gdpr": snapshot_cli(work)}
    if args.baseline:
        clis = {"base": baseline_cli(args.baseline, work), **clis}
    version = "-"
    if args.semgrep:
        version = subprocess.run([args.semgrep, "--version"], capture_output=True, text=True).stdout.strip()
    meta = {"cores": os.cpu_count(), "runs": args.runs, "load_before": os.getloadavg()[0],
            "semgrep_version": version, "baseline": args.baseline}
    results = {}
    targets = [(app, work / "apps" / app["name"]) for app in apps]
    for spec in args.dir:
        name, _, path = spec.partition("=")
        targets.append(({"name": name}, Path(path).resolve()))
    for app, app_dir in targets:
        if not app_dir.is_dir():
            raise SystemExit(f"{app_dir} is missing: run `fetch` first")
        files, lines = count(app_dir)
        runs = 1 if app.get("large") else args.runs
        results[app["name"]] = {"files": files, "lines": lines,
                                "tools": bench_app(app_dir, work, runs, args.semgrep, clis, args.jobs)}
        rows = render({app["name"]: results[app["name"]]}, {**meta, "load_after": os.getloadavg()[0]})
        print("\n".join(rows.splitlines()[4:]), file=sys.stderr, flush=True)  # progress: this app's rows
    meta["load_after"] = os.getloadavg()[0]
    (work / "results.json").write_text(json.dumps({"meta": meta, "results": results}, indent=1), encoding="utf-8")
    print(json.dumps({"meta": meta, "results": results}, indent=1) if args.json else render(results, meta))


if __name__ == "__main__":
    main()
