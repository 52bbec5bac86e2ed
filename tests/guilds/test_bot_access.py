"""What the bot needs in a channel to announce games there, and how the missing part is worded."""

from __future__ import annotations

from gamesched.guilds.bot_access import (
    EMBED_LINKS,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    missing_for_announcements,
    permission_labels,
    what_to_grant,
)
from gamesched.guilds.cog import bot_line
from gamesched.guilds.directory import ChannelInfo

EVERYTHING = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | READ_MESSAGE_HISTORY


def channel(bits: int | None) -> ChannelInfo:
    return ChannelInfo(id=7, guild_id=1, name="rpg", type=0, bot_permissions=bits)


def test_the_bot_lacks_nothing_with_the_four_permissions() -> None:
    assert channel(EVERYTHING).bot_missing == []
    assert channel(EVERYTHING | (1 << 13)).bot_missing == []


def test_missing_permissions_are_named_as_discord_shows_them_in_a_fixed_order() -> None:
    assert channel(VIEW_CHANNEL | READ_MESSAGE_HISTORY).bot_missing == ["send_messages", "embed_links"]
    assert missing_for_announcements(0) == [
        "view_channel",
        "send_messages",
        "embed_links",
        "read_message_history",
    ]
    assert permission_labels(["embed_links", "view_channel"]) == ["View Channel", "Embed Links"]
    assert what_to_grant(["send_messages", "embed_links"]) == "Send Messages and Embed Links"
    assert what_to_grant(["view_channel", "send_messages", "embed_links"]) == (
        "View Channel, Send Messages and Embed Links"
    )


def test_a_refusal_the_cache_cannot_explain_asks_for_everything() -> None:
    assert what_to_grant([]) == "View Channel, Send Messages, Embed Links and Read Message History"


def test_config_channel_says_whether_the_bot_can_post() -> None:
    assert bot_line(None, 7) == ""  # a channel the bot does not know: nothing to say
    assert bot_line([], 7) == "\nI can post in <#7>."
    assert bot_line(["send_messages", "embed_links"], 7) == (
        "\n⚠ I can't post in <#7>: give me Send Messages and Embed Links there."
    )
    assert channel(None).bot_missing is None
