"""The one sentence after a host's change: what happened, and how many people were told (0, 1, many)."""

from __future__ import annotations

from gamesched.games.told import change_topic, told_sentence


def test_the_sentence_fits_none_one_and_many() -> None:
    assert told_sentence("Cancelled", 0) == "Cancelled — no one needed telling."
    assert told_sentence("Cancelled", 1) == "Cancelled — 1 person was told."
    assert (
        told_sentence("Saved", 3, " about the new time") == "Saved — 3 people were told about the new time."
    )
    assert told_sentence("Saved", None) == "Saved."  # nobody counted (no notifications module)


def test_an_edit_names_what_was_new() -> None:
    assert change_topic(["title"]) == ""
    assert change_topic(["scheduled_at"]) == " about the new time"
    assert change_topic(["channel_id"]) == " about the new channel"
    assert change_topic(["location", "scheduled_at"]) == " about the new time and place"
    assert (
        change_topic(["channel_id", "location", "scheduled_at"]) == " about the new time, place and channel"
    )
