"""`pip install .` gives a working `gdpr-lint` from any directory: the wheel carries
the rule data (rules/ as gdpr_lint/_rules) and the console script."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

FIXTURE = '''
from openai import OpenAI

client = OpenAI()


def reminder(patient):
    return client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": f"Remind {patient.full_name} of the visit. Diagnosis: {patient.diagnosis}"}],
    )
'''


def _run(*cmd, cwd=None, timeout=300):
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, timeout=timeout)
    return proc


@pytest.mark.slow
def test_wheel_installs_a_working_command(tmp_path):
    if not (REPO / "pyproject.toml").is_file():
        pytest.skip("not a source checkout")
    # Build offline when the build backend is installed (dev extra), else let pip fetch it.
    no_iso = ["--no-build-isolation"] if importlib.util.find_spec("hatchling") else []
    dist = tmp_path / "dist"
    proc = _run(sys.executable, "-m", "pip", "wheel", REPO, "--no-deps", *no_iso, "-q", "-w", dist, timeout=600)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    [wheel] = dist.glob("gdpr_lint-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for data in ("endpoints.toml", "legacy.toml", "integrations.toml", "sanitizers.toml", "checks.toml", "library_models.toml",
                 "runtime_entities.toml", "provider_retention.toml"):
        assert f"gdpr_lint/_rules/{data}" in names
    rules = REPO / "rules"
    vocabulary = sorted(p.relative_to(rules).as_posix() for p in (rules / "personal_data").glob("*.toml"))
    assert "personal_data/categories.toml" in vocabulary and "personal_data/en.toml" in vocabulary
    for data in vocabulary:  # the folder with every language file
        assert f"gdpr_lint/_rules/{data}" in names
    assert not any(n.startswith("tests/") for n in names)

    # A fresh virtualenv that reuses the already-installed dependencies.
    venv = tmp_path / "venv"
    proc = _run(sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv)
    assert proc.returncode == 0, proc.stderr.decode()
    bindir = venv / ("Scripts" if sys.platform == "win32" else "bin")
    py = bindir / ("python.exe" if sys.platform == "win32" else "python")
    proc = _run(sys.executable, "-m", "pip", "--python", py, "install", "--no-deps", "--no-index", "-q", wheel)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]

    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "clinic").mkdir(parents=True)
    (elsewhere / "clinic" / "reminders.py").write_text(textwrap.dedent(FIXTURE).lstrip())

    # The installed copy is the one that runs (not the source checkout).
    proc = _run(py, "-c", "import gdpr_lint, gdpr_lint.config.ruledata as r; print(gdpr_lint.__file__); print(r.rules_dir())",
                cwd=elsewhere)
    pkg_file, rules = proc.stdout.decode().split()
    assert Path(pkg_file).is_relative_to(venv) and Path(rules).name == "_rules", (pkg_file, rules)

    # The runtime finds its rule data there too (without importing gdpr_lint.ruledata).
    proc = _run(py, "-c", "from gdpr_lint.runtime.detect import entities as e; print(e.rules_dir(), e.category_types()['cpr'])",
                cwd=elsewhere)
    assert proc.stdout.decode().split() == [rules, "CPR"], proc.stderr.decode()

    proc = _run(py, "-m", "gdpr_lint", "--version", cwd=elsewhere)
    assert proc.returncode == 0 and proc.stdout.decode().startswith("gdpr-lint ")

    exe = bindir / ("gdpr-lint.exe" if sys.platform == "win32" else "gdpr-lint")
    proc = _run(exe, "check", "clinic", "--output-format", "json", cwd=elsewhere)
    assert proc.returncode == 1, proc.stderr.decode()
    assert sorted(f["code"] for f in json.loads(proc.stdout)) == ["GDPR001", "GDPR002"]


@pytest.mark.slow
def test_install_from_a_git_url_pinned_to_a_commit(tmp_path):
    """The documented install, `pip install "gdpr-lint @ git+URL@COMMIT"`, on a local clone."""
    import shutil

    if not (REPO / "pyproject.toml").is_file():
        pytest.skip("not a source checkout")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    if not importlib.util.find_spec("hatchling"):
        pytest.skip("the build backend (dev extra) is needed to build offline")
    repo = tmp_path / "gdpr-lint"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".gdpr_lint_cache")
    for name in ("gdpr_lint", "rules"):
        shutil.copytree(REPO / name, repo / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, repo / name)
    git = ["git", "-c", "user.name=gdpr-lint tests", "-c", "user.email=tests@example.org", "-c", "commit.gpgsign=false"]
    for args in (["init", "-q", "."], ["add", "."], ["commit", "-q", "-m", "gdpr-lint"]):
        assert _run(*git, *args, cwd=repo).returncode == 0
    commit = _run("git", "rev-parse", "HEAD", cwd=repo).stdout.decode().strip()
    (repo / "README.md").write_text("a later commit the pin must not pick up\n")
    assert _run(*git, "commit", "-q", "-am", "later", cwd=repo).returncode == 0

    # file://localhost/...: older pip versions reject a git+file URL without a host
    requirement = f"gdpr-lint @ git+file://localhost{repo.as_posix()}@{commit}"
    dist = tmp_path / "dist"
    proc = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index", "--no-build-isolation", "-q",
                "-w", dist, requirement, timeout=600)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    [wheel] = dist.glob("gdpr_lint-*.whl")
    metadata = next(n for n in zipfile.ZipFile(wheel).namelist() if n.endswith(".dist-info/METADATA"))
    described = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "Find the personal data" in described and "later commit" not in described  # the pinned commit

    venv = tmp_path / "venv"
    assert _run(sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv).returncode == 0
    bindir = venv / ("Scripts" if sys.platform == "win32" else "bin")
    py = bindir / ("python.exe" if sys.platform == "win32" else "python")
    proc = _run(sys.executable, "-m", "pip", "--python", py, "install", "--no-deps", "--no-index", "-q", wheel)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    exe = bindir / ("gdpr-lint.exe" if sys.platform == "win32" else "gdpr-lint")
    (tmp_path / "clinic").mkdir()
    (tmp_path / "clinic" / "reminders.py").write_text(textwrap.dedent(FIXTURE).lstrip())
    proc = _run(exe, "check", "clinic", "--output-format", "json", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr.decode()
    assert sorted(f["code"] for f in json.loads(proc.stdout)) == ["GDPR001", "GDPR002"]
