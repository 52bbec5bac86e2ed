"""What the world is made of: users, guilds, channels, roles, members, messages, the application; permission bits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
SEND_TTS_MESSAGES = 1 << 12
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
MANAGE_ROLES = 1 << 28
USE_APPLICATION_COMMANDS = 1 << 31
ALL_PERMISSIONS = (1 << 51) - 1

CHANNEL_TEXT = 0
CHANNEL_DM = 1
CHANNEL_CATEGORY = 4
#: Channel types a message can be posted in (text, voice's text chat, announcement); a category is not one.
MESSAGEABLE_CHANNEL_TYPES = frozenset({CHANNEL_TEXT, 2, 5, 13})

#: A permission overwrite's target: a role (the @everyone role has the guild's id) or a member.
OVERWRITE_ROLE = 0
OVERWRITE_MEMBER = 1

EPHEMERAL = 1 << 6

# Application flags: the privileged gateway intents switched on in the developer portal.
APP_GATEWAY_PRESENCE = 1 << 12
APP_GATEWAY_GUILD_MEMBERS = 1 << 14
APP_GATEWAY_MESSAGE_CONTENT = 1 << 18
ALL_PRIVILEGED_INTENTS_ENABLED = (
    APP_GATEWAY_PRESENCE | APP_GATEWAY_GUILD_MEMBERS | APP_GATEWAY_MESSAGE_CONTENT
)


def utcnow() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


@dataclass
class User:
    """A Discord account."""

    id: int
    username: str
    global_name: str | None = None
    avatar: str | None = None
    bot: bool = False
    dms_open: bool = True


@dataclass
class Role:
    """A guild role; the @everyone role has the guild's id."""

    id: int
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0
    managed: bool = False
    #: Whether anyone may ping it; otherwise only authors with MENTION_EVERYONE in the channel can.
    mentionable: bool = False


@dataclass
class Overwrite:
    """A channel's permission overwrite for one role or member: bits allowed and bits denied there."""

    id: int
    type: int = OVERWRITE_ROLE
    allow: int = 0
    deny: int = 0


@dataclass
class Channel:
    """A guild channel or a DM channel."""

    id: int
    guild_id: int | None
    name: str
    type: int = CHANNEL_TEXT
    position: int = 0
    parent_id: int | None = None
    recipient_id: int | None = None
    topic: str | None = None
    last_message_id: int | None = None
    permission_overwrites: list[Overwrite] = field(default_factory=list)


@dataclass
class Member:
    """A user's membership of one guild."""

    user_id: int
    nick: str | None = None
    roles: list[int] = field(default_factory=list)
    joined_at: datetime = field(default_factory=utcnow)


@dataclass
class Guild:
    """A guild with its channels, roles and members."""

    id: int
    name: str
    owner_id: int
    channels: dict[int, Channel] = field(default_factory=dict)
    roles: dict[int, Role] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    #: Custom emoji: id → name (``:name:`` in a message is written ``<:name:id>``).
    emojis: dict[int, str] = field(default_factory=dict)


@dataclass
class Message:
    """A message; ephemeral ones belong to one user and are never listed in the channel."""

    id: int
    channel_id: int
    author_id: int
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    created_at: datetime = field(default_factory=utcnow)
    edited_at: datetime | None = None
    flags: int = 0
    type: int = 0
    interaction: dict[str, Any] | None = None
    ephemeral_for: int | None = None
    deleted: bool = False
    #: The sender's nonce (create requests only); with ``enforce_nonce`` a repeat returns this message.
    nonce: str | None = None
    #: Who the message pings (``state/mentions.py``): users, roles, and @everyone/@here.
    mention_users: list[int] = field(default_factory=list)
    mention_roles: list[int] = field(default_factory=list)
    mention_everyone: bool = False


@dataclass
class Application:
    """The bot's application."""

    id: int
    name: str
    bot_user_id: int
    owner_id: int
    description: str = ""
    #: Which privileged intents the application may ask for (a development app with all three switched on).
    flags: int = ALL_PRIVILEGED_INTENTS_ENABLED
