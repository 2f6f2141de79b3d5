"""Personal data written into string literals, judged with the runtime's own
validators (one implementation of what a valid CPR number or IBAN is)."""

from __future__ import annotations

import datetime
import subprocess
import sys
import textwrap

from gdpr_lint.analysis.literals import find_personal_literals
from gdpr_lint.runtime.config import settings
from gdpr_lint.runtime.detect import detect


def categories(text: str) -> list[str]:
    return [c for c, _ in find_personal_literals(text)]


def test_a_cpr_number_with_a_real_date_and_a_hyphen_or_label():
    assert categories("Patient 070761-4285 was admitted") == ["national_id"]
    assert categories("CPR: 0707614285") == ["national_id"]
    assert categories("order 0707614285 shipped") == []  # a bare number is usually an order number


def test_a_cpr_number_the_runtime_would_not_accept_is_not_reported():
    assert categories("Patient 320161-4285") == []  # no 32nd day
    assert categories("Patient 290201-1234") == []  # 2001 was not a leap year
    next_year = (datetime.date.today().year + 1) % 100
    if next_year < 58:  # the seventh digit 5 puts years below 58 in this century
        assert categories(f"Patient 0101{next_year:02d}-5000") == []  # born in the future
    assert categories("Patient 010190-4000") == ["national_id"]


def test_iban_literals_need_a_valid_check_and_format():
    assert categories("Pay to DK50 0040 0440 1162 43 today") == ["bank"]
    assert categories("Pay to DK51 0040 0440 1162 43 today") == []  # wrong check digits
    assert categories("Pay to GB82 WEST 1234 5698 7654 32") == ["bank"]


def test_the_linter_and_the_runtime_agree_on_cpr_numbers_and_ibans():
    kinds = {"national_id": "CPR", "bank": "IBAN"}
    for text in ("CPR 070761-4285", "DK50 0040 0440 1162 43", "CPR 320161-4285", "DK51 0040 0440 1162 43",
                 "CPR 290201-1234", "GB82 WEST 1234 5698 7654 32"):
        linter_says = {kinds[c] for c, _ in find_personal_literals(text)}
        runtime_says = {s.type for s in detect(text, settings())} & {"CPR", "IBAN"}
        assert linter_says == runtime_says, text


def test_placeholder_and_demo_addresses_are_not_people():
    for text in ("Contact: Abc Company, abc@gmail.com", "Send it to john.doe@gmail.com", "xxx@yahoo.com",
                 "write to test@outlook.com", "noreply@shop.dk"):
        assert categories(text) == [], text
    assert categories("Kunden skrev fra mette.hansen78@gmail.com i går") == ["email"]
    assert categories("Reply to karl.svensson@telia.se") == ["email"]


def test_the_runtime_is_loaded_only_for_a_literal_shaped_like_a_cpr_number_or_an_iban():
    # nearly every program has literals with digits; loading the runtime's detectors for
    # them cost every run 25-30 ms
    code = textwrap.dedent('''
        import sys
        from gdpr_lint.analysis.literals import find_personal_literals

        for text in ("gpt-4o-mini", "0123456789ABCDEF", "order 9913450000 shipped", "2024-05-01T12:00:00Z",
                     "call +45 12 34 56 78", "ticket CPR-2024-001"):
            assert find_personal_literals(text) == (), text
        print("gdpr_lint.runtime" in sys.modules)
        print(find_personal_literals("Patient 070761-4285 was admitted"), "gdpr_lint.runtime" in sys.modules)
        ''')
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.splitlines() == ["False", "(('national_id', '070761-4285'),) True"], out.stderr
