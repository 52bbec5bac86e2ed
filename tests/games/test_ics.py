"""RFC 5545 details of the calendar file: text escaping and line folding."""

from __future__ import annotations

import pytest

from gamesched.games.ics import escape_text, fold


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        pytest.param("a;b,c", "a\\;b\\,c", id="semicolon-and-comma"),
        pytest.param("back\\slash", "back\\\\slash", id="backslash-first"),
        pytest.param("one\r\ntwo\nthree", "one\\ntwo\\nthree", id="newlines"),
        pytest.param("plain", "plain", id="nothing-to-escape"),
    ],
)
def test_escape_text(raw: str, escaped: str) -> None:
    assert escape_text(raw) == escaped


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("SUMMARY:" + "x" * 200, id="ascii"),
        pytest.param("SUMMARY:" + "é🎲" * 60, id="multibyte-never-split"),
        pytest.param("SUMMARY:short", id="short-stays-whole"),
    ],
)
def test_fold_keeps_lines_within_75_octets_and_unfolds_back(line: str) -> None:
    folded = fold(line)
    assert all(len(piece.encode()) <= 75 for piece in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line
