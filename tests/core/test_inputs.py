"""The one place ids and text are judged: every id that fits BIGINT and nothing else; text fit to store."""

from __future__ import annotations

import random

import msgspec
import pytest

from gamesched.core.errors import Invalid
from gamesched.core.inputs import SNOWFLAKE_MAX, Snowflake, clean_text, explain, parse_snowflake


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        ("1300000000000000001", 1300000000000000001),
        (str(2**63 - 1), 2**63 - 1),
        (str(2**63), None),
        ("99999999999999999999", None),
        ("9300000000000000000", None),
        ("0", None),
        ("007", None),
        ("-1", None),
        (" 5", None),
        ("\uff11\uff12", None),  # fullwidth digits: int() reads them, Discord never sends them
        ("", None),
    ],
)
def test_parse_snowflake_takes_exactly_the_ids_that_fit_bigint(text: str, expected: int | None) -> None:
    assert parse_snowflake(text) == expected


def test_the_snowflake_pattern_agrees_with_the_range_around_every_digit_of_the_bound() -> None:
    rng = random.Random(7)
    near = [SNOWFLAKE_MAX + delta for delta in range(-3, 4)]
    near += [SNOWFLAKE_MAX + rng.choice((-1, 1)) * 10 ** rng.randrange(0, 19) for _ in range(2000)]
    near += [rng.randrange(1, 10**20) for _ in range(2000)]
    for value in near:
        fits = 1 <= value <= SNOWFLAKE_MAX
        assert (parse_snowflake(str(value)) == value) is fits, value
        try:
            msgspec.convert(str(value), Snowflake)
            accepted = True
        except msgspec.ValidationError as error:
            accepted = False
            assert explain(str(error), "channel_id").startswith("The channel must be a Discord id")
        assert accepted is fits, value


def test_clean_text_removes_bidi_controls_and_invisible_ends_but_keeps_joiners_inside() -> None:
    assert (
        clean_text("\u200bCatan \u202enight\u202c\u2066\u2069 ", field="title", what="The title")
        == "Catan night"
    )
    assert clean_text("\u200b\u200d\u2060\ufeff \u3164", field="title", what="The title") == ""
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert clean_text(f" {family} ", field="title", what="The title") == family
    scotland = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"
    assert clean_text(scotland, field="title", what="The title") == scotland
    # Line ends become \n (issue 13: no \r is stored to show up in Discord later).
    assert clean_text("line one\r\n\tline two\rthree", field="description", what="The description") == (
        "line one\n\tline two\nthree"
    )


@pytest.mark.parametrize(("char", "named"), [("\x00", "a NUL byte"), ("\x1b", "U+001B"), ("\x85", "U+0085")])
def test_clean_text_refuses_control_characters_naming_the_field(char: str, named: str) -> None:
    with pytest.raises(Invalid) as refused:
        clean_text(f"Catan{char}night", field="title", what="The title")
    assert refused.value.field == "title"
    assert refused.value.message.startswith("The title contains") and named in refused.value.message


@pytest.mark.parametrize(
    ("message", "field", "sentence"),
    [
        ("Expected `int | null`, got `str`", "channel", "The channel must be a whole number."),
        (
            "Expected `str` of length <= 100 - at `$.placeholder`",
            "placeholder",
            "Placeholder can have at most 100 characters.",
        ),
        ("Expected `str` of length >= 1", "title", "The title can't be empty."),
        ("Expected `int` >= 1", "max_players", "Max players must be at least 1."),
        ("Expected `array` of length <= 25", "notify_role_ids", "Notify roles can hold at most 25 items."),
        ("Object missing required field `title`", "title", "The title is missing."),
        ("Invalid enum value 'x'", "signup_method", "The signup method is not one of the choices."),
        ("Something msgspec says one day", "location", "The location is not valid."),
    ],
)
def test_validator_messages_become_sentences_about_the_input(message: str, field: str, sentence: str) -> None:
    assert explain(message, field) == sentence


def test_an_unknown_field_named_like_a_list_item_is_still_a_sentence() -> None:
    """Found by Schemathesis: a made-up body field starting with "[" has no label (it was a 500)."""
    sentence = explain("Object contains unknown field `[imi`", "[imi")
    assert sentence and "Traceback" not in sentence
