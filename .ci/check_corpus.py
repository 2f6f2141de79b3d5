"""Score gdpr-lint on the labelled corpus and fail if any figure drops below the floor.

usage: check_corpus.py CORPUS_DIR SCORE_SCRIPT FLOOR_FILE
The floor file holds lines `CODE precision recall`; raise them as the analysis
improves, never lower them.
"""

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> int:
    corpus, score_script, floor_file = (Path(a) for a in sys.argv[1:4])
    floors = {}
    for line in floor_file.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            code, p, r = line.split()
            floors[code] = (float(p), float(r))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "corpus"
        shutil.copytree(corpus, work)
        out = Path(tmp) / "findings.json"
        proc = subprocess.run(["gdpr-lint", "check", ".", "--output-format", "json", "-o", str(out)],
                              cwd=work, capture_output=True, text=True)
        if proc.returncode not in (0, 1):
            print(proc.stderr, file=sys.stderr)
            print(f"corpus: gdpr-lint exited {proc.returncode}", file=sys.stderr)
            return 1
        json.loads(out.read_text())
        score = subprocess.run([sys.executable, str(score_script), str(work), str(out)],
                               capture_output=True, text=True, env={"SCORE_VERBOSE": "1", "PATH": ""})
        print(score.stdout)
    failed = False
    for m in re.finditer(r"^(GDPR\d+|overall): .*?precision ([\d.]+) recall ([\d.]+)", score.stdout, re.M):
        code, p, r = m.group(1), float(m.group(2)), float(m.group(3))
        floor = floors.get(code)
        if floor and (p < floor[0] or r < floor[1]):
            print(f"corpus regression: {code} precision {p:.2f} recall {r:.2f} below floor {floor[0]:.2f}/{floor[1]:.2f}")
            failed = True
    if not failed:
        print("corpus: no regression against .ci/corpus-floor.txt")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
