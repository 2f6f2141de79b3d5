"""Generate the benchmark corpora from real code: the Python standard library.

    python benchmarks/make_corpora.py WORKDIR

writes
    WORKDIR/openai_heavy/   every standard-library module, each with one realistic
                            function appended that sends data to OpenAI (six
                            templates, chosen deterministically per file);
    WORKDIR/no_openai/      the same modules unchanged;
    WORKDIR/manifest.json   which template each file got and what a linter should
                            report for it.

Test packages, `site-packages` and `venv` are left out (linters skip them by
default; this keeps every tool scanning the same files). The corpora are
generated, never committed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import sysconfig
from pathlib import Path

SKIP_DIRS = {"test", "tests", "idle_test", "site-packages", "venv", "__pycache__", "ensurepip"}

# name -> (appended source, codes gdpr-lint should report for it)
TEMPLATES: dict[str, tuple[str, list[str]]] = {
    "crm_follow_up": ('''

# --- CRM: follow-up e-mail drafted by the model ---------------------------
from openai import OpenAI as _CrmOpenAI

_crm_client = _CrmOpenAI()


def draft_follow_up(customer, last_order):
    """Ask the model for a follow-up e-mail to a customer after an order."""
    prompt = (
        f"Write a short, friendly follow-up e-mail to {customer.name} "
        f"({customer.email}) about order {last_order.number}."
    )
    response = _crm_client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": "You write customer e-mails for a webshop."},
            {"role": "user", "content": prompt},
        ],
    )
    return response.choices[0].message.content
''', ["GDPR001"]),
    "clinic_summary": ('''

# --- Clinic: consultation summary for a referral letter --------------------
import openai as _clinic_openai


def summarise_consultation(patient, notes):
    client = _clinic_openai.OpenAI()
    text = "Patient: " + patient.name + "\\nDiagnosis: " + patient.diagnosis + "\\nNotes: " + notes
    result = client.responses.create(
        model="gpt-4.1-mini",
        instructions="Summarise the consultation for a referral letter.",
        input=text,
    )
    return result.output_text
''', ["GDPR001", "GDPR002"]),
    "support_ticket": ('''

# --- Support desk: ticket triage on the whole database row -----------------
import json
from openai import OpenAI


def triage_ticket(db, ticket_id):
    row = db.execute(
        "SELECT t.subject, t.body, c.name, c.email, c.phone FROM tickets t "
        "JOIN customers c ON c.id = t.customer_id WHERE t.id = ?",
        (ticket_id,),
    ).fetchone()
    client = OpenAI()
    payload = json.dumps(dict(row))
    completion = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": "Classify the support ticket as billing, delivery or other."},
            {"role": "user", "content": payload},
        ],
    )
    return completion.choices[0].message.content
''', ["GDPR001"]),
    "redacted_complaint": ('''

# --- Complaints: pseudonymised before it leaves the building ---------------
from gdpr_lint.runtime import pseudonymise
from openai import OpenAI


def answer_complaint(customer, complaint_text):
    client = OpenAI()
    text = pseudonymise(f"Customer {customer.name} <{customer.email}> writes: {complaint_text}")
    reply = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": text}],
    )
    return reply.choices[0].message.content
''', []),
    "clean_catalogue": ('''

# --- Catalogue search: product texts only -----------------------------------
from openai import OpenAI


def index_product_descriptions(products):
    client = OpenAI()
    texts = [product.title + ": " + product.description for product in products]
    result = client.embeddings.create(model="text-embedding-3-small", input=texts)
    return [item.embedding for item in result.data]
''', []),
    "hr_screening": ('''

# --- HR: applicant screening ------------------------------------------------
from openai import OpenAI


def screen_applicant(applicant, job):
    client = OpenAI()
    prompt = f"Rate {applicant.full_name} (born {applicant.date_of_birth}) for {job.title}: {applicant.cv_text}"
    return client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": prompt}],
        user=applicant.email,
    )
''', ["GDPR001", "GDPR003"]),
}


def stdlib_files(stdlib: Path) -> list[Path]:
    out = []
    for p in sorted(stdlib.rglob("*.py")):
        rel = p.relative_to(stdlib)
        if any(part in SKIP_DIRS for part in rel.parts[:-1]):
            continue
        out.append(p)
    return out


def template_for(rel: str) -> str:
    names = list(TEMPLATES)
    return names[int(hashlib.sha1(rel.encode()).hexdigest(), 16) % len(names)]


def generate(workdir: Path, stdlib: Path | None = None, limit: int | None = None) -> dict:
    stdlib = stdlib or Path(sysconfig.get_paths()["stdlib"])
    files = stdlib_files(stdlib)
    if limit and limit < len(files):  # an evenly spread sample, not just the first folders
        step = len(files) / limit
        files = [files[int(i * step)] for i in range(limit)]
    heavy, plain = workdir / "openai_heavy", workdir / "no_openai"
    for d in (heavy, plain):
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
        # semgrep: scan everything, like the other tools (no default ignore list)
        (d / ".semgrepignore").write_text("", encoding="utf-8")
    manifest: dict = {"stdlib": sys.version.split()[0], "files": {}}
    lines = 0
    for src in files:
        rel = src.relative_to(stdlib).as_posix()
        data = src.read_bytes()
        lines += data.count(b"\n")
        name = template_for(rel)
        appended = TEMPLATES[name][0].encode()
        for root, body in ((plain, data), (heavy, data + (b"" if data.endswith(b"\n") else b"\n") + appended)):
            dst = root / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(body)
        manifest["files"][rel] = {"template": name, "expect": TEMPLATES[name][1]}
    manifest["count"] = len(files)
    manifest["lines"] = lines
    (workdir / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return manifest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workdir", type=Path)
    ap.add_argument("--limit", type=int, help="an evenly spread sample of N standard-library files (quick runs)")
    args = ap.parse_args()
    m = generate(args.workdir, limit=args.limit)
    print(f"{m['count']} files, {m['lines']} lines of standard library code -> {args.workdir}")


if __name__ == "__main__":
    main()
