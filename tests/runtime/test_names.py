"""Person names and postal addresses without known values (detect/names.py),
on a labelled set written for the tests (names_corpus.py), and the
gazetteer's generator."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from gdpr_lint.runtime import Conversation, PseudonymisationError
from gdpr_lint.runtime.config import Settings
from gdpr_lint.runtime.detect import detect
from gdpr_lint.runtime.stream import TokenStream

from .names_corpus import LABELLED, NEGATIVES, parse

ROOT = Path(__file__).resolve().parents[2]


def _found(text: str) -> list[tuple[int, int, str]]:
    return [(s.start, s.end, s.type) for s in detect(text, Settings()) if s.type in ("NAME", "ADDRESS")]


def _scores(lang: str) -> tuple[float, float]:
    tp = fp = fn = 0
    for marked in LABELLED[lang]:
        text, gold = parse(marked)
        got = set(_found(text))
        tp += len(got & set(gold))
        fp += len(got - set(gold))
        fn += len(set(gold) - got)
    return tp / max(tp + fp, 1), tp / max(tp + fn, 1)


@pytest.mark.parametrize("lang", sorted(LABELLED))
def test_precision_and_recall_per_language(lang: str) -> None:
    precision, recall = _scores(lang)
    assert recall >= 0.9, (lang, recall)
    assert precision >= 0.9, (lang, precision)


@pytest.mark.parametrize("text", NEGATIVES)
def test_texts_without_personal_data_yield_no_names_or_addresses(text: str) -> None:
    assert _found(text) == []


@pytest.mark.parametrize("text", [
    "og hans kone", "I will be frank", "Bo i Aarhus", "Hans bil er ny.", "Glad kunde", "Lykke er godt.",
    "Grant access", "May I ask?", "Mark the box",
])
def test_common_words_that_are_names_need_a_cue(text: str) -> None:
    assert _found(text) == []


@pytest.mark.parametrize("text, name", [
    ("Hej Bo, tak for sidst", "Bo"),
    ("Dear Will, thanks", "Will"),
    ("Navn: Hans", "Hans"),
    ("Frank Jensen ringede", "Frank Jensen"),
    ("Sehr geehrter Herr Müller", "Müller"),
    ("Patient: Anne-Marie Bøgh Lauridsen", "Anne-Marie Bøgh Lauridsen"),
    ("Dear Ms O'Connor", "O'Connor"),
    ("Geachte dhr. van der Berg", "van der Berg"),
    ("kære fru Jensen", "Jensen"),
])
def test_names_with_cues(text: str, name: str) -> None:
    assert [text[s:e] for s, e, t in _found(text) if t == "NAME"] == [name]


def test_genitive_stays_outside_and_parts_are_found_again() -> None:
    text = "Kære fru Sørensen. Sørensens søn ringede."
    assert [text[s:e] for s, e, _ in _found(text)] == ["Sørensen", "Sørensen"]


@pytest.mark.parametrize("text, address", [
    ("bor på Nørregade 12, 3. tv., 1165 København K.", "Nørregade 12, 3. tv., 1165 København K"),
    ("Drottninggatan 45, 111 21 Stockholm", "Drottninggatan 45, 111 21 Stockholm"),
    ("an Hauptstraße 5, 10115 Berlin.", "Hauptstraße 5, 10115 Berlin"),
    ("Kalverstraat 92, 1012 PH Amsterdam", "Kalverstraat 92, 1012 PH Amsterdam"),
    ("to 221B Baker Street, London NW1 6XE", "221B Baker Street, London NW1 6XE"),
    ("au 12 rue de la Paix, 75002 Paris.", "12 rue de la Paix, 75002 Paris"),
    ("Karl Johans gate 22, 0159 Oslo", "Karl Johans gate 22, 0159 Oslo"),
    ("Strandvejen 201", "Strandvejen 201"),
])
def test_addresses(text: str, address: str) -> None:
    assert [text[s:e] for s, e, t in _found(text) if t == "ADDRESS"] == [address]


def test_a_street_word_without_a_house_number_is_no_address() -> None:
    assert _found("Vi mødes på Nørregade i morgen; Baker Street is busy.") == []


def test_round_trip_and_stream() -> None:
    text = "Hej Mette Sørensen, pakken går til Egevej 14, 8210 Aarhus V."
    conv = Conversation()
    pseudo = conv.pseudonymise(text)
    assert "Sørensen" not in pseudo and "Egevej" not in pseudo
    assert "[[NAME_" in pseudo and "[[ADDRESS_" in pseudo
    assert conv.reidentify(pseudo) == text
    ts = TokenStream(lambda t: conv.reidentify_count(t))
    assert "".join([ts.feed(c) for c in pseudo] + [ts.flush()]) == text


def test_a_failing_name_detector_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    import gdpr_lint.runtime.detect as detect_module

    def boom(text: str, low: str) -> list:
        raise RuntimeError("broken")

    monkeypatch.setattr(detect_module, "find_names_and_addresses", boom)
    with pytest.raises(PseudonymisationError):
        Conversation().pseudonymise("Hej Mette Sørensen")


def test_the_gazetteer_is_read_on_first_use_only() -> None:
    code = ("import gdpr_lint.runtime, sys; from gdpr_lint.runtime.detect import names; "
            "assert names._data is None; assert 'faker' not in sys.modules; "
            "gdpr_lint.runtime.pseudonymise('Hej Mette Sørensen'); assert names._data is not None; "
            "assert 'faker' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=60)


def test_generated_gazetteer_is_up_to_date() -> None:
    """Like the endpoint catalogue: regenerate and compare, when the Faker
    version the file records is installed."""
    if importlib.util.find_spec("faker") is None:
        pytest.skip("faker is not installed")
    from gdpr_lint.runtime.detect import names_generate

    path = ROOT / "rules" / names_generate.FILE
    import faker

    recorded = names_generate.recorded_version(path.read_text(encoding="utf-8"))
    if recorded != faker.VERSION:
        pytest.skip(f"installed faker {faker.VERSION} != the gazetteer's {recorded}")
    assert names_generate.main(["--check", "--output", str(path)]) == 0


def test_check_fails_on_a_modified_copy(tmp_path: Path) -> None:
    if importlib.util.find_spec("faker") is None:
        pytest.skip("faker is not installed")
    import faker

    from gdpr_lint.runtime.detect import names_generate

    copy = tmp_path / "names.txt"
    assert names_generate.main(["--output", str(copy)]) == 0
    assert f"# faker-version = {faker.VERSION}" in copy.read_text(encoding="utf-8")
    copy.write_text(copy.read_text(encoding="utf-8").replace("\nAnders\n", "\n"), encoding="utf-8")
    assert names_generate.main(["--check", "--output", str(copy)]) == 1
