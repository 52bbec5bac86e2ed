"""What the bot needs in a channel to keep a game's announcement there, and how to say what is missing.

The bot's permissions in each channel come from the directory (discord.py's ``channel.permissions_for(me)``
in the gateway cache, channel overwrites included); the names are the ones Discord's channel settings show.
"""

from __future__ import annotations

from collections.abc import Iterable

VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
READ_MESSAGE_HISTORY = 1 << 16

#: key (discord.py's ``Permissions`` attribute) → (bit, the name in Discord's settings), in the order to say them.
ANNOUNCEMENT_PERMISSIONS: dict[str, tuple[int, str]] = {
    "view_channel": (VIEW_CHANNEL, "View Channel"),
    "send_messages": (SEND_MESSAGES, "Send Messages"),
    "embed_links": (EMBED_LINKS, "Embed Links"),
    "read_message_history": (READ_MESSAGE_HISTORY, "Read Message History"),
}


def missing_for_announcements(bits: int) -> list[str]:
    """The keys of the permissions an announcement needs that ``bits`` lacks (empty: all there)."""
    return [key for key, (bit, _) in ANNOUNCEMENT_PERMISSIONS.items() if not bits & bit]


def permission_labels(keys: Iterable[str]) -> list[str]:
    """Keys as Discord's settings name them, in a fixed order; unknown keys are kept as they are."""
    wanted = list(keys)
    known = [label for key, (_, label) in ANNOUNCEMENT_PERMISSIONS.items() if key in wanted]
    return known + [key for key in wanted if key not in ANNOUNCEMENT_PERMISSIONS]


def spoken_list(words: Iterable[str]) -> str:
    """["A", "B", "C"] → "A, B and C"."""
    items = list(words)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def what_to_grant(keys: Iterable[str]) -> str:
    """The permissions to give, in words: "View Channel, Send Messages and Embed Links"; when Discord refused
    without the bot's cache showing why, every permission an announcement needs."""
    labels = permission_labels(keys) or permission_labels(ANNOUNCEMENT_PERMISSIONS)
    return spoken_list(labels)
