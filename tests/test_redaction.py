"""The redactor's cheap test before its full masking pass gives exactly the full pass's result."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from verizon_sdk._redaction import MASK, Redactor, _secret_pattern


def full_pass(secrets: frozenset[str], text: str) -> str:
    """The masking pattern run over the whole text, with no test before it."""
    known = sorted(secrets, key=len, reverse=True)
    return re.compile("|".join(_secret_pattern(s) for s in known)).sub(MASK, text)


def spellings(char: str) -> list[str]:
    """The ways a JSON or URL echo may write ``char``."""
    units = char.encode("utf-16-be", "surrogatepass")
    pairs = [units[i : i + 2].hex() for i in range(0, len(units), 2)]
    utf8 = char.encode("utf-8", "surrogatepass")
    out = [
        char,
        "".join(f"\\u{pair}" for pair in pairs),
        "".join(f"\\u{pair.upper()}" for pair in pairs),
        "".join(f"%{b:02X}" for b in utf8),
        "".join(f"%{b:02x}" for b in utf8),
        json.dumps(char)[1:-1],
    ]
    if char == "/":
        out.append("\\/")
    if char == " ":
        out.append("+")
    return out


CHARS = st.characters(blacklist_categories=("Cs",)) | st.sampled_from('\\%+ /"\n\U0001f600')
SECRET = st.text(CHARS, min_size=4, max_size=12).filter(lambda s: "*" not in s)


@st.composite
def echoed(draw: Any, secret: str) -> str:
    """``secret`` spelled with a random style per character, or cut short."""
    pieces = [draw(st.sampled_from(spellings(char))) for char in secret]
    if draw(st.booleans()):
        pieces = pieces[: draw(st.integers(0, len(pieces) - 1))]
    return "".join(pieces)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), secrets=st.lists(SECRET, min_size=1, max_size=3))
def test_the_result_is_the_full_pass_result(data: st.DataObject, secrets: list[str]) -> None:
    filler = st.text(st.sampled_from('ab\\%+ u0"{}:,'), max_size=30) | st.text(max_size=8)
    parts = data.draw(
        st.lists(filler | st.sampled_from(secrets).flatmap(echoed), max_size=8), label="parts"
    )
    text = "".join(parts)
    redactor = Redactor(*secrets)
    assert redactor(text) == full_pass(redactor.secrets, text)


class _CountingPattern:
    """Stands in for the full pattern and counts how often the whole text is masked."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.subs = 0

    def sub(self, mask: str, text: str) -> str:
        self.subs += 1
        return self.pattern.sub(mask, text)

    def search(self, text: str, start: int, end: int) -> re.Match[str] | None:
        return self.pattern.search(text, start, end)


def test_an_answer_holding_no_secret_skips_the_full_pass() -> None:
    secret = "s3cr/et+Value"
    redactor = Redactor(secret)
    counting = _CountingPattern(redactor._compiled.pattern)  # type: ignore[union-attr]
    redactor._compiled.pattern = counting  # type: ignore[union-attr, assignment]
    devices = [{"deviceId": f"{990000000000000 + i:015d}", "status": "OK"} for i in range(1000)]
    page = json.dumps({"deviceList": devices, "url": "https:\\/\\/x.test\\/a%20b"})

    assert redactor(page) == page
    assert counting.subs == 0
    for echo in (secret, json.dumps(secret)[1:-1], "".join(f"\\u{ord(c):04X}" for c in secret)):
        masked = redactor(page[:5000] + echo + page[5000:])
        assert masked == page[:5000] + MASK + page[5000:]
    assert counting.subs == 3


def test_each_style_alone_is_masked_where_no_other_lead_is_near() -> None:
    secret = "pass word/\U0001f600"
    redactor = Redactor(secret)
    cases = [
        "pass+word/\U0001f600",  # form-encoded space, nothing else escaped
        "pass word\\/\U0001f600",  # only the slash escaped
        "pass word/%F0%9F%98%80",  # only the emoji URL-encoded
        "pass word/\\ud83d\\ude00",  # only the emoji as a surrogate pair
        "".join(f"\\u{ord(c):04x}" for c in "pass word/") + "\\uD83D\\uDE00",
    ]
    for echo in cases:
        text = "x" * 500 + echo + "y" * 500
        assert redactor(text) == "x" * 500 + MASK + "y" * 500, echo


def test_a_secret_ending_in_a_backslash_is_masked_with_its_whole_escape() -> None:
    # JSON spells the secret's last backslash as two: masking only the first would leave the
    # second to escape the closing quote, and the body would no longer be JSON
    secret = "000`0\\"
    body = json.dumps({"errorMessage": f"echo {secret}", "errorCode": "E1"})
    shown = Redactor(secret)(body)
    assert json.loads(shown) == {"errorMessage": f"echo {MASK}", "errorCode": "E1"}
    escaped_slash = json.dumps({"m": "a/b\\"}).replace("/", "\\/")  # PHP's \/ as well
    assert json.loads(Redactor("a/b\\")(escaped_slash)) == {"m": MASK}
