"""Benchmark: milliseconds per KB for the runtime pseudonymiser.

Realistic Danish and English support texts full of personal data (names,
e-mail addresses, +45 phone numbers, CPR numbers, IBANs, addresses, card
numbers, IP addresses) are pseudonymised and re-identified the way
``protect()`` does it (names come from known values and from the name and
address detectors; "without known values" from the detectors alone).  When
Presidio (``presidio-analyzer`` + ``presidio-anonymizer``) is installed, it
runs on the same texts, interleaved with the runtime, for comparison: with its
spaCy NER if an English spaCy model is installed, else its pattern
recognisers alone; without Presidio that part is skipped with a message.

    python benchmarks/bench_runtime.py                   # table
    python benchmarks/bench_runtime.py --baseline HEAD~3 # before/after, side by side
    python benchmarks/bench_runtime.py --json            # machine-readable

Target: at most 1 ms/KB for pseudonymisation.  Figures are medians of
process CPU time (``--wall`` for wall-clock time).  ``--baseline REV`` imports
the runtime package of git revision REV under a private name and runs it
interleaved with this tree's in the same process, so that both see the same
machine load; compare the ratios, not figures from different runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from typing import Any, Callable, Dict, List, Tuple

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
os.environ["GDPR_LINT_KEY"] = "5" * 64  # a fixed benchmark key (never use it for real data)

FIRST = ["Anders", "Birgitte", "Søren", "Mette", "Jens", "Line", "Mads", "Camilla", "Peter", "Ida", "Oliver", "Freja"]
LAST = ["Holm", "Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen", "Rasmussen"]
STREETS = ["Nørregade", "Vesterbrogade", "Østerbrogade", "Strandvejen", "Algade", "Jernbanegade", "Kongevejen"]
CITIES = [("1165", "København K"), ("8000", "Aarhus C"), ("5000", "Odense C"), ("9000", "Aalborg"), ("2100", "København Ø")]
CPRS = ["070761-4285", "311299-1239", "010190-1234", "150385-2742", "241272-1117"]
IBANS = ["DK50 0040 0440 1162 43", "DK97 2000 1234 5678 90", "DE89 3704 0044 0532 0130 00", "GB29 NWBK 6016 1331 9268 19"]
CARDS = ["4571 1234 5678 9115", "5200 0000 0000 0007"]

DA = [
    "Hej {name},\n\nTak for din henvendelse af {date}. Vi har registreret din klage over faktura {invoice}. "
    "Vi ringer til dig på {phone} i morgen mellem kl. 10 og 12, eller du kan skrive til os fra {email}. "
    "Beløbet på 1.250,00 kr. bliver udbetalt til din konto {iban} inden for 5 hverdage. "
    "Din adresse er registreret som {street} {no}, {zip} {city}. Dit CPR-nummer {cpr} er bekræftet.\n\n"
    "Med venlig hilsen\nKundeservice\n",
    "Sagsnotat: {name} (cpr {cpr}) kontaktede os fra IP {ip} vedrørende ordre {invoice}. "
    "Kunden bor på {street} {no}, {zip} {city} og kan træffes på tlf. {phone_dk} eller {email}. "
    "Kortet {card} blev afvist to gange; vi har sendt et nyt betalingslink. {first} ønsker svar skriftligt.\n",
]
EN = [
    "Dear {name},\n\nthank you for contacting us on {date} about invoice {invoice}. We will call you on "
    "{phone} tomorrow, or reply to {email}. The refund will be paid to {iban}. We have your address as "
    "{street} {no}, {zip} {city}. Kind regards, Customer Service\n",
    "Ticket summary: customer {name} <{email}> (phone {phone}) reported a login from {ip}. "
    "Card ending in the number {card} was blocked on request. {first} asked us not to call before 9am.\n",
]


def make_corpus(n: int, seed: int = 7) -> List[Tuple[str, Dict[str, str]]]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        zip_, city = rnd.choice(CITIES)
        values = dict(
            name=f"{first} {last}", first=first,
            email=f"{first.lower().replace('ø', 'oe')}.{last.lower().replace('ø', 'oe')}{i}@example.dk",
            phone=f"+45 {rnd.randint(20, 99)} {rnd.randint(10, 99)} {rnd.randint(10, 99)} {rnd.randint(10, 99)}",
            phone_dk=f"{rnd.randint(20, 99)}{rnd.randint(100000, 999999)}",
            cpr=rnd.choice(CPRS), iban=rnd.choice(IBANS), card=rnd.choice(CARDS),
            ip=f"{rnd.randint(11, 200)}.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}",
            street=rnd.choice(STREETS), no=str(rnd.randint(1, 150)), zip=zip_, city=city,
            date=f"{rnd.randint(1, 28)}.{rnd.randint(1, 12)}.2024", invoice=str(rnd.randint(10000000, 99999999)),
        )
        template = rnd.choice(DA if i % 2 == 0 else EN)
        text = template.format(**values)
        known = {"name": values["name"], "address": f"{values['street']} {values['no']}, {values['zip']} {values['city']}"}
        out.append((text, known))
    return out


CLOCK = time.process_time  # CPU time: on a shared, loaded machine wall-clock time mostly measures the neighbours


def median(samples: List[float]) -> float:
    return statistics.median(samples)


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Median of ``repeat`` runs."""
    samples = []
    for _ in range(repeat):
        t = CLOCK()
        fn()
        samples.append(CLOCK() - t)
    return median(samples)


def load_runtime(rev: str | None) -> Any:
    """The ``gdpr_lint.runtime`` package of this work tree, or of git revision
    ``rev`` imported under a private name, so that both run side by side in
    one process (same load, same CPU state)."""
    if rev is None:
        import gdpr_lint.runtime as runtime

        return runtime
    import importlib
    import io
    import subprocess
    import tarfile
    import tempfile

    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    sha = subprocess.run(["git", "rev-parse", "--short", rev], cwd=root, capture_output=True, text=True)
    if sha.returncode != 0:
        sys.exit(f"bench_runtime.py: --baseline {rev}: not a git revision of this repository")
    archive = subprocess.run(["git", "archive", "--format=tar", rev, "gdpr_lint/runtime", "rules"], cwd=root, capture_output=True, check=True).stdout
    name = "_baseline_runtime_" + sha.stdout.strip()
    tmp = tempfile.mkdtemp(prefix="bench-runtime-")
    package = "gdpr_lint/runtime/"
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            if member.name.startswith(package) and member.name.endswith(".py"):  # sub-packages included
                target = os.path.join(tmp, name, *member.name[len(package):].split("/"))
            elif member.name.startswith("rules/") and member.name.endswith((".toml", ".txt")):
                # the rule data beside the copy, where an installed runtime finds it (gdpr_lint/_rules)
                target = os.path.join(tmp, "_rules", *member.name[len("rules/"):].split("/"))
            else:
                continue
            data = tar.extractfile(member).read()  # type: ignore[union-attr]
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as fh:
                fh.write(data)
    sys.path.insert(0, tmp)
    return importlib.import_module(name)


def runtime_workloads(runtime: Any, corpus: List[Tuple[str, Dict[str, str]]]) -> Dict[str, Callable[[], object]]:
    """The measured operations, for one copy of the runtime package."""
    import importlib

    mod = {m: importlib.import_module(f"{runtime.__name__}.{m}") for m in ("config", "detect", "stream", "vault")}
    Conversation = mod["vault"].Conversation
    KnownValues = mod["detect"].KnownValues
    detect = mod["detect"].detect
    settings = mod["config"].settings
    TokenStream = mod["stream"].TokenStream
    Conversation().pseudonymise(corpus[0][0])  # warm up: lazy imports, regex compilation

    state: Dict[str, List[Tuple[Any, str]]] = {}

    def pseudonymise_all() -> None:
        results = []
        for text, known in corpus:
            conv = Conversation()  # a fresh scope per call, as protect() does by default
            results.append((conv, conv.pseudonymise_text(text, KnownValues(known))))
        state["p"] = results

    pseudonymise_all()
    known_values = [KnownValues(known) for _, known in corpus]

    def pseudonymise_detectors_only() -> None:
        # no known values: names and addresses come from the detectors alone
        for text, _ in corpus:
            Conversation().pseudonymise_text(text)

    def detect_all() -> None:
        s = settings()
        for (text, _), known in zip(corpus, known_values):
            detect(text, s, known)

    def reidentify_all() -> None:
        for conv, pseudo in state["p"]:
            conv.reidentify(pseudo)

    def stream_all() -> None:
        for conv, pseudo in state["p"]:
            ts = TokenStream(lambda t, c=conv: c.reidentify_count(t))
            for i in range(0, len(pseudo), 4):  # ~1 token of text per chunk
                ts.feed(pseudo[i:i + 4])
            ts.flush()

    # A chat request carries several messages: ten texts per request, one
    # conversation and one set of known values per request.
    requests = [corpus[i:i + 10] for i in range(0, len(corpus), 10)]

    def pseudonymise_requests() -> None:
        for req in requests:
            conv = Conversation()
            known = KnownValues({"name": [k["name"] for _, k in req], "address": [k["address"] for _, k in req]})
            for text, _ in req:
                conv.pseudonymise_text(text, known)

    def names_left() -> int:
        return sum(known["name"] in pseudo for (_, known), (_, pseudo) in zip(corpus, state["p"]))

    return {
        "pseudonymise": pseudonymise_all,
        "pseudonymise_requests": pseudonymise_requests,
        "pseudonymise_detectors_only": pseudonymise_detectors_only,
        "detect": detect_all,
        "reidentify": reidentify_all,
        "stream_reidentify": stream_all,
        "_names_left": names_left,
        "_outputs": lambda: [p for _, p in state["p"]],
    }


MEASURED = ("pseudonymise", "pseudonymise_requests", "pseudonymise_detectors_only", "detect", "reidentify", "stream_reidentify")


def bench_runtime(corpus: List[Tuple[str, Dict[str, str]]], repeat: int, baseline: str | None = None) -> Dict[str, Any]:
    """ms/KB (median of ``repeat``) per operation; with ``baseline``, the same
    operations of that git revision, interleaved run by run with this tree's."""
    kb = sum(len(t.encode()) for t, _ in corpus) / 1024
    copies = {"current": runtime_workloads(load_runtime(None), corpus)}
    if baseline is not None:
        copies["baseline"] = runtime_workloads(load_runtime(baseline), corpus)
    samples: Dict[str, Dict[str, List[float]]] = {c: {op: [] for op in MEASURED} for c in copies}
    order = list(copies)
    for i in range(repeat):
        for op in MEASURED:
            for copy in order if i % 2 == 0 else order[::-1]:  # alternate who runs first
                t = CLOCK()
                copies[copy][op]()
                samples[copy][op].append(CLOCK() - t)
    result: Dict[str, Any] = {"kb": round(kb, 1)}
    for copy, workloads in copies.items():
        row = {f"{op}_ms_per_kb": median(samples[copy][op]) * 1000 / kb for op in MEASURED}
        row["names_left"] = workloads["_names_left"]()
        result[copy] = row
    if baseline is not None:
        result["baseline_rev"] = baseline
        # Paired: each repeat ran both copies back to back, so the ratio within
        # a repeat cancels most of the load that varies between repeats.
        result["ratio"] = {
            op: median([a / b for a, b in zip(samples["current"][op], samples["baseline"][op])]) for op in MEASURED
        }
        # Same detections? Pseudonyms differ (fresh random conversation ids), so
        # compare the outputs with every pseudonym reduced to its type.
        import re

        shape = re.compile(r"\[\[([A-Z][A-Z0-9_]*?)_(?:[0-9a-f]{8,16}|REDACTED_\d+)\]\]")
        cur = [shape.sub(r"[[\1]]", t) for t in copies["current"]["_outputs"]()]  # type: ignore[operator]
        base = [shape.sub(r"[[\1]]", t) for t in copies["baseline"]["_outputs"]()]  # type: ignore[operator]
        result["outputs_differ"] = sum(a != b for a, b in zip(cur, base))
    return result


def _presidio_engines() -> Tuple[Any, Any, str]:
    """Presidio's analyzer and anonymizer, and what the analyzer runs: its NER
    with an installed spaCy English model if there is one, else its pattern
    recognisers alone (e-mail, phone, card, IBAN, IP, URL ...) on spaCy's
    blank English tokenizer -- no model download either way."""
    import logging

    import spacy
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_anonymizer import AnonymizerEngine

    # its e-mail recogniser asks tldextract, which tries to refresh the suffix
    # list over the network and falls back to its bundled copy
    logging.getLogger("tldextract").setLevel(logging.CRITICAL)
    models = sorted(m for m in spacy.util.get_installed_models() if m.startswith("en_core_web"))
    if models:
        engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": models[0]}])
        mode = f"NER ({models[0]}) + pattern recognisers"
    else:
        class BlankEngine(SpacyNlpEngine):  # type: ignore[misc]
            def load(self) -> None:
                self.nlp = {"en": spacy.blank("en")}

        engine = BlankEngine(models=[{"lang_code": "en", "model_name": "blank"}])
        mode = "pattern recognisers only (no spaCy English model installed)"
    engine.load()
    registry = RecognizerRegistry()
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=engine)
    analyzer = AnalyzerEngine(nlp_engine=engine, registry=registry, supported_languages=["en"])
    return analyzer, AnonymizerEngine(), mode


def bench_presidio(corpus: List[Tuple[str, Dict[str, str]]], repeat: int) -> Dict[str, Any] | None:
    """Presidio's analyzer + anonymizer and this runtime on the same texts,
    interleaved run by run; None if Presidio is not installed."""
    try:
        import presidio_analyzer  # noqa: F401
        import presidio_anonymizer  # noqa: F401
    except ImportError:
        return None
    try:
        analyzer, anonymizer, mode = _presidio_engines()
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    kb = sum(len(t.encode()) for t, _ in corpus) / 1024
    workloads = runtime_workloads(load_runtime(None), corpus)

    def presidio() -> None:
        for text, _ in corpus:
            results = analyzer.analyze(text=text, language="en")
            anonymizer.anonymize(text=text, analyzer_results=results)

    presidio()  # warm up
    ours: Dict[str, List[float]] = {"pseudonymise": [], "pseudonymise_detectors_only": []}
    theirs: List[float] = []
    for _ in range(max(3, repeat // 3)):
        t = CLOCK()
        presidio()
        theirs.append(CLOCK() - t)
        for op in ours:
            t = CLOCK()
            workloads[op]()
            ours[op].append(CLOCK() - t)
    return {
        "mode": mode,
        "runs": len(theirs),
        "analyze_anonymize_ms_per_kb": median(theirs) * 1000 / kb,
        **{f"{op}_ms_per_kb": median(v) * 1000 / kb for op, v in ours.items()},
        # paired: each run measured both back to back
        **{f"ratio_{op}": median([p / o for p, o in zip(theirs, v)]) for op, v in ours.items()},
    }


def bench_import(repeat: int) -> float:
    """Milliseconds for ``import gdpr_lint.runtime`` in a fresh interpreter (best of ``repeat``)."""
    import subprocess

    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    code = "import time; t = time.perf_counter(); import gdpr_lint.runtime; print(time.perf_counter() - t)"
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure with bytecode caches, as installed
    samples = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True)
        samples.append(float(out.stdout))
    return min(samples) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--texts", type=int, default=400, help="number of texts (default 400, about 135 KB)")
    ap.add_argument("--repeat", type=int, default=9, help="runs per operation; the median is reported (default 9)")
    ap.add_argument("--baseline", metavar="REV", help="also run the runtime of git revision REV, interleaved, and print before/after")
    ap.add_argument("--json", action="store_true")
    clock = ap.add_mutually_exclusive_group()
    clock.add_argument("--cpu", action="store_true", help="process CPU time (the default)")
    clock.add_argument("--wall", action="store_true", help="wall-clock time instead of CPU time")
    args = ap.parse_args()
    global CLOCK
    if args.wall:
        CLOCK = time.perf_counter
    corpus = make_corpus(args.texts)
    load_before = os.getloadavg()[0]
    runtime = bench_runtime(corpus, args.repeat, args.baseline)
    load_after = os.getloadavg()[0]
    result: Dict[str, Any] = {"gdpr_lint.runtime": runtime, "presidio": bench_presidio(corpus, args.repeat)}
    runtime["import_ms"] = bench_import(max(3, args.repeat))
    runtime["clock"] = "wall" if args.wall else "cpu"
    runtime["load_average"] = [round(load_before, 2), round(load_after, 2)]
    runtime["cpus"] = os.cpu_count()
    if args.json:
        print(json.dumps(result, indent=2))
        return
    cur = runtime["current"]
    base = runtime.get("baseline")
    clock_name = "wall-clock" if args.wall else "CPU"
    print(f"corpus: {args.texts} Danish/English texts, {runtime['kb']} KB, Python {sys.version.split()[0]}, "
          f"{clock_name} time, median of {args.repeat}, load average {load_before:.1f} -> {load_after:.1f} on {os.cpu_count()} CPUs")
    labels = {
        "pseudonymise": "pseudonymise (per text)",
        "pseudonymise_requests": "  ... in 10-message requests",
        "pseudonymise_detectors_only": "  ... without known values",
        "detect": "  detection alone",
        "reidentify": "reidentify",
        "stream_reidentify": "stream reidentify",
    }
    if base is None:
        print(f"{'gdpr_lint.runtime':32} {'ms/KB':>8}")
        for op, label in labels.items():
            print(f"{label:32} {cur[op + '_ms_per_kb']:8.3f}")
    else:
        print(f"{'gdpr_lint.runtime':32} {args.baseline + ' (before)':>14} {'this tree (after)':>18} {'after/before':>13}")
        print(f"{'':32} {'(median ms/KB)':>14} {'(median ms/KB)':>18} {'(paired runs)':>13}")
        for op, label in labels.items():
            b, a = base[op + "_ms_per_kb"], cur[op + "_ms_per_kb"]
            print(f"{label:32} {b:14.3f} {a:18.3f} {runtime['ratio'][op]:13.2f}")
        if runtime["outputs_differ"]:
            print(f"WARNING: {runtime['outputs_differ']} texts are pseudonymised differently by the two versions")
        else:
            print("both versions pseudonymise every text the same way")
    verdict = "meets" if cur["pseudonymise_ms_per_kb"] <= 1.0 else "misses"
    print(f"target: pseudonymisation <= 1 ms/KB: {cur['pseudonymise_ms_per_kb']:.3f} ms/KB {verdict} it ({clock_name} time)")
    if cur["names_left"]:
        print(f"WARNING: {cur['names_left']} texts still contain the known name")
    print(f"{'import gdpr_lint.runtime':32} {runtime['import_ms']:8.1f} ms")
    p = result["presidio"]
    if p is None:
        print("presidio: not installed, skipped (pip install presidio-analyzer presidio-anonymizer to compare)")
    elif "error" in p:
        print(f"presidio: unavailable: {p['error']}")
    else:
        print(f"presidio analyzer + anonymizer, {p['mode']}, {p['runs']} runs interleaved with this runtime:")
        print(f"{'  presidio':32} {p['analyze_anonymize_ms_per_kb']:8.3f} ms/KB")
        print(f"{'  gdpr_lint pseudonymise':32} {p['pseudonymise_ms_per_kb']:8.3f} ms/KB   presidio/gdpr_lint {p['ratio_pseudonymise']:6.1f}x")
        print(f"{'  ... without known values':32} {p['pseudonymise_detectors_only_ms_per_kb']:8.3f} ms/KB   "
              f"presidio/gdpr_lint {p['ratio_pseudonymise_detectors_only']:6.1f}x")

if __name__ == "__main__":
    main()
