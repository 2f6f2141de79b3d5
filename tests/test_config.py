"""Configuration: `[tool.gdpr-lint]` in pyproject.toml or gdpr-lint.toml, closest
config wins, `extend` inherits, rule selection, per-file ignores, exclusions,
.gitignore, skipped build/venv folders, vocabulary extension, and errors.
"""

from __future__ import annotations

import json

from helpers import analyse, assert_marked, findings_of, run_cli

LEAK = """
from openai import OpenAI

client = OpenAI()


def handle(patient):
    return client.chat.completions.create(  # expect: {codes}
        model="gpt-4o",
        messages=[{{"role": "user", "content": f"{{patient.full_name}}: {{patient.diagnosis}}"}}],
    )
"""


def leak(codes: str = "GDPR001, GDPR002") -> str:
    return LEAK.format(codes=codes)


def only_error(proc, *needles):
    text = proc.stderr.decode()
    assert "Traceback" not in text, text
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    for n in needles:
        assert n in lines[0], lines[0]
    return lines[0]


def test_select_and_ignore_in_pyproject(write):
    root = write({
        "pyproject.toml": '[tool.gdpr-lint]\nselect = ["GDPR00"]\nignore = ["GDPR001"]\n',
        "clinic/handover.py": leak("GDPR002"),
    })
    assert_marked(root)


def test_gdpr_lint_toml_and_closest_config_wins(write):
    root = write({
        "pyproject.toml": '[tool.gdpr-lint]\nignore = ["GDPR002"]\n',
        "clinic/handover.py": leak("GDPR001"),
        "research/gdpr-lint.toml": 'ignore = ["GDPR001"]\n',
        "research/study.py": leak("GDPR002"),
        "billing/pyproject.toml": '[project]\nname = "billing"\n',  # no table: not a config
        "billing/invoices.py": leak("GDPR001"),
    })
    assert_marked(root)


def test_extend_inherits_and_overrides(write):
    root = write({
        "pyproject.toml": '[tool.gdpr-lint]\nignore = ["GDPR002"]\nextend-exclude = ["legacy"]\n',
        "services/clinic/gdpr-lint.toml": 'extend = "../../pyproject.toml"\nextend-ignore = ["GDPR003"]\n',
        "services/clinic/handover.py": leak("GDPR001").replace(
            'messages=[', 'user=patient.email,\n        messages=['),
        "services/clinic/legacy/old.py": leak("none"),
        "services/billing/invoice.py": leak("GDPR001").replace(
            "# expect: GDPR001", "# expect: GDPR001, GDPR003").replace(
            'messages=[', 'user=patient.email,\n        messages=['),
    })
    assert_marked(root)


def test_per_file_ignores(write):
    root = write({
        "pyproject.toml": '[tool.gdpr-lint.per-file-ignores]\n"tests/*" = ["GDPR001", "GDPR002"]\n"scripts/seed.py" = ["GDPR002"]\n',
        "tests/test_prompts.py": leak("none"),
        "scripts/seed.py": leak("GDPR001"),
        "clinic/handover.py": leak(),
    })
    assert_marked(root)


def test_exclude_and_extend_exclude(write):
    root = write({
        "gdpr-lint.toml": 'extend-exclude = ["fixtures", "generated/*.py"]\n',
        "fixtures/sample.py": leak("none"),
        "generated/client.py": leak("none"),
        "clinic/handover.py": leak(),
    })
    assert_marked(root)


def test_exclude_replaces_the_defaults(write):
    root = write({
        "gdpr-lint.toml": 'exclude = ["vendor"]\n',
        "vendor/lib.py": leak("none"),
        "build/app.py": leak(),  # build/ is excluded only by the default list
    })
    assert_marked(root)


def test_virtualenvs_build_and_site_packages_are_skipped(write):
    root = write({
        ".venv/lib/python3.12/site-packages/pkg/mod.py": leak("none"),
        "venv/lib/mod.py": leak("none"),
        "build/lib/app.py": leak("none"),
        "dist/app.py": leak("none"),
        "vendor/site-packages/x.py": leak("none"),
        "node_modules/x/y.py": leak("none"),
        "clinic/handover.py": leak(),
    })
    assert_marked(root)
    assert analyse(root).files == 1


def test_gitignore_is_respected_and_can_be_switched_off(write):
    root = write({
        ".gitignore": "scratch/\n*_local.py\n!keep_local.py\n",
        "scratch/try.py": leak("none"),
        "clinic/dev_local.py": leak("none"),
        "clinic/keep_local.py": leak(),
        "clinic/handover.py": leak(),
    })
    (root / ".git").mkdir()
    assert_marked(root)
    (root / "gdpr-lint.toml").write_text("respect-gitignore = false\n")
    assert ("GDPR001", "scratch/try.py", 7) in findings_of(root)


def test_explicit_path_and_force_exclude(write):
    root = write({
        "gdpr-lint.toml": 'extend-exclude = ["migrations"]\n',
        "migrations/0001_seed.py": leak(),
    })
    proc = run_cli("check", "migrations/0001_seed.py", "--output-format", "json", cwd=root)
    assert proc.returncode == 1 and len(json.loads(proc.stdout)) == 2  # named explicitly: analysed
    proc = run_cli("check", "migrations/0001_seed.py", "--force-exclude", "--output-format", "json", cwd=root)
    assert proc.returncode == 0 and json.loads(proc.stdout) == []


def test_personal_data_vocabulary_extension(write):
    root = write({
        "pyproject.toml": '[tool.gdpr-lint.personal-data]\nnational_id = ["medlemsnummer"]\nhealth = ["plejebehov"]\n',
        "union/members.py": """
            from openai import OpenAI

            client = OpenAI()


            def letter(medlemsnummer, plejebehov):
                client.responses.create(model="gpt-4o", input=f"Brev til {medlemsnummer}")  # expect: GDPR001
                client.responses.create(model="gpt-4o", input=f"Noter: {plejebehov}")  # expect: GDPR002
        """,
    })
    assert_marked(root)
    (root / "pyproject.toml").unlink()
    assert findings_of(root) == set()


def test_config_option_and_isolated(write):
    root = write({
        "pyproject.toml": '[tool.gdpr-lint]\nignore = ["GDPR001", "GDPR002"]\n',
        "other.toml": 'select = ["GDPR002"]\n',
        "clinic/handover.py": leak(),
    })
    assert run_cli("check", cwd=root).returncode == 0
    proc = run_cli("check", "--isolated", "--output-format", "json", cwd=root)
    assert sorted(f["code"] for f in json.loads(proc.stdout)) == ["GDPR001", "GDPR002"]
    proc = run_cli("check", "--config", "other.toml", "--output-format", "json", cwd=root)
    assert [f["code"] for f in json.loads(proc.stdout)] == ["GDPR002"]


# --- configuration errors: one line, names the file and the problem, exit 2 ----------------


def test_unknown_key_is_named(write):
    root = write({"pyproject.toml": '[tool.gdpr-lint]\nselcet = ["GDPR001"]\n', "clinic/handover.py": leak()})
    proc = run_cli("check", cwd=root)
    assert proc.returncode == 2
    only_error(proc, "pyproject.toml", "selcet")


def test_extend_to_missing_file(write):
    root = write({"gdpr-lint.toml": 'extend = "../shared/gdpr-lint.toml"\n', "clinic/handover.py": leak()})
    proc = run_cli("check", cwd=root)
    assert proc.returncode == 2
    only_error(proc, "gdpr-lint.toml", "../shared/gdpr-lint.toml", "does not exist")


def test_extend_loop(write):
    root = write({
        "a/gdpr-lint.toml": 'extend = "../b/gdpr-lint.toml"\n',
        "b/gdpr-lint.toml": 'extend = "../a/gdpr-lint.toml"\n',
        "a/x.py": "x = 1\n",
    })
    proc = run_cli("check", "a", cwd=root)
    assert proc.returncode == 2
    only_error(proc, "gdpr-lint.toml", "loops")


def test_invalid_toml_and_bad_values(write):
    root = write({"gdpr-lint.toml": 'select = ["GDPR001"\n', "x.py": "x = 1\n"})
    proc = run_cli("check", cwd=root)
    assert proc.returncode == 2
    only_error(proc, "gdpr-lint.toml")

    (root / "gdpr-lint.toml").write_text('select = "GDPR001"\n')
    proc = run_cli("check", cwd=root)
    assert proc.returncode == 2
    only_error(proc, "gdpr-lint.toml", "select")

    (root / "gdpr-lint.toml").write_text('ignore = ["GDPR777"]\n')
    proc = run_cli("check", cwd=root)
    assert proc.returncode == 2
    only_error(proc, "gdpr-lint.toml", "GDPR777")


def test_missing_config_option_file(write):
    root = write({"x.py": "x = 1\n"})
    proc = run_cli("check", "--config", "nope.toml", cwd=root)
    assert proc.returncode == 2
    only_error(proc, "nope.toml")


def test_config_error_in_a_subfolder_fails_closed(write):
    root = write({
        "clinic/handover.py": leak(),
        "research/gdpr-lint.toml": 'respect-gitignore = "yes"\n',
        "research/study.py": "x = 1\n",
    })
    proc = run_cli("check", cwd=root)
    assert proc.returncode == 2
    only_error(proc, "research/gdpr-lint.toml", "respect-gitignore")


def test_a_sink_without_content_counts_every_argument_and_an_empty_content_list_is_an_error(write):
    """`sinks = [{ function = "llm.ask" }]` (like the string form `sinks = ["llm.ask"]`): personal
    data in any argument of the wrapper is reported. `content = []` would declare a wrapper that
    sends nothing: a configuration error naming the key."""
    wrapper = {
        "llm.py": "def ask(system, prompt, *, temperature=0):\n    return prompt\n",
        "views.py": "from llm import ask\n\n\ndef reply(customer):\n"
                    "    return ask('Be brief.', prompt=customer.email, temperature=0)\n\n\n"
                    "def other(customer):\n    return ask(customer.full_name, 'hello')\n",
    }
    for sinks in ('[{ function = "llm.ask" }]', '["llm.ask"]'):
        root = write({**wrapper, "pyproject.toml": f"[tool.gdpr-lint]\nsinks = {sinks}\n"})
        assert findings_of(root) == {("GDPR001", "views.py", 5), ("GDPR001", "views.py", 9)}, sinks
    root = write({**wrapper, "pyproject.toml": '[tool.gdpr-lint]\nsinks = [{ function = "llm.ask", content = ["prompt"] }]\n'})
    assert findings_of(root) == {("GDPR001", "views.py", 5)}
    root = write({**wrapper, "pyproject.toml": '[tool.gdpr-lint]\nsinks = [{ function = "llm.ask", content = [] }]\n'})
    proc = run_cli("check", ".", cwd=root)
    assert proc.returncode == 2
    only_error(proc, "pyproject.toml: sinks[0].content: empty list (leave `content` out to count every argument")


def test_parsed_rule_data_is_kept_and_only_for_the_same_file(tmp_path, monkeypatch):
    """The parsed rule TOML is kept in the cache folder: read back for the same file, parsed
    again once the file changes, and never taken from a cache entry written for another key
    (two keys whose checksums collide)."""
    import os
    import pickle

    from gdpr_lint.config import ruledata

    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "checks.toml").write_text('[GDPR001]\nmessage = "personal data reaches a request"\n')
    monkeypatch.setattr(ruledata, "rules_dir", lambda: rules)
    monkeypatch.setenv("GDPR_LINT_RULEDATA_CACHE", str(tmp_path / "cache"))
    parsed: list = []
    real_load = ruledata.load_toml
    monkeypatch.setattr(ruledata, "load_toml", lambda path: parsed.append(path) or real_load(path))

    load = ruledata.load_rule_file.__wrapped__  # (past the process's own memo, which must stay clean)
    first = load("checks.toml")
    assert load("checks.toml") == first == {"GDPR001": {"message": "personal data reaches a request"}}
    assert len(parsed) == 1  # the second came from the cache
    (stored,) = (tmp_path / "cache" / "ruledata").iterdir()

    (rules / "checks.toml").write_text('[GDPR001]\nmessage = "customer data reaches a request"\n')
    os.utime(rules / "checks.toml", ns=(1, 1))
    assert load("checks.toml") == {"GDPR001": {"message": "customer data reaches a request"}}
    assert len(parsed) == 2

    # another key's data under this key's file name is not taken
    target, key = ruledata._cache_key(rules / "checks.toml")
    target.write_bytes(pickle.dumps((key + "|elsewhere", {"GDPR001": {"message": "stale"}})))
    assert load("checks.toml")["GDPR001"]["message"] == "customer data reaches a request"
    assert len(parsed) == 3 and stored.parent == target.parent
