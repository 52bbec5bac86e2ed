"""Channel references in free text, table-driven."""

from __future__ import annotations

import pytest

from gamesched.guilds.channel_links import link_channels, unlink_channels

GUILD, RPG, BOARD = 10, 111, 222
CHANNELS = {"rpg": RPG, "board-games": BOARD}


@pytest.mark.parametrize(
    ("text", "linked"),
    [
        pytest.param("#rpg voice", f"<#{RPG}> voice", id="name"),
        pytest.param("in #RPG, then #board-games", f"in <#{RPG}>, then <#{BOARD}>", id="case and dashes"),
        pytest.param("#nowhere", "#nowhere", id="unknown name kept"),
        pytest.param(f"https://discord.com/channels/{GUILD}/{BOARD}", f"<#{BOARD}>", id="link"),
        pytest.param(
            "https://discord.com/channels/99/5", "https://discord.com/channels/99/5", id="other guild"
        ),
        pytest.param(f"<#{RPG}>", f"<#{RPG}>", id="already a mention"),
        pytest.param("room#rpg", "room#rpg", id="not a channel inside a word"),
    ],
)
def test_link_channels(text: str, linked: str) -> None:
    assert link_channels(text, guild_id=GUILD, channels=CHANNELS) == linked


def test_unlink_shows_names_for_editing_and_keeps_unknown_mentions() -> None:
    names = {RPG: "rpg"}
    assert unlink_channels(f"<#{RPG}> voice, <#{BOARD}>", names=names) == f"#rpg voice, <#{BOARD}>"
