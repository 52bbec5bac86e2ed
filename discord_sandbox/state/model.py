"""The sandbox world: users, guilds, channels, roles, members, messages and commands, in memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from . import discord_json
from .snowflake import SnowflakeGenerator

ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
READ_MESSAGE_HISTORY = 1 << 16
MANAGE_ROLES = 1 << 28
USE_APPLICATION_COMMANDS = 1 << 31
ALL_PERMISSIONS = (1 << 51) - 1

CHANNEL_TEXT = 0
CHANNEL_DM = 1
CHANNEL_CATEGORY = 4

EPHEMERAL = 1 << 6


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


@dataclass
class Application:
    """The bot's application."""

    id: int
    name: str
    bot_user_id: int
    owner_id: int
    description: str = ""


@dataclass
class SandboxState:
    """Everything the sandbox knows; plain data plus lookups and Discord wire shapes."""

    application: Application
    users: dict[int, User] = field(default_factory=dict)
    guilds: dict[int, Guild] = field(default_factory=dict)
    messages: dict[int, Message] = field(default_factory=dict)
    dm_channels: dict[int, Channel] = field(default_factory=dict)
    global_commands: dict[int, dict[str, Any]] = field(default_factory=dict)
    guild_commands: dict[int, dict[int, dict[str, Any]]] = field(default_factory=dict)
    ids: SnowflakeGenerator = field(default_factory=SnowflakeGenerator)

    @property
    def bot_user(self) -> User:
        """The bot's own user."""
        return self.users[self.application.bot_user_id]

    def next_id(self) -> int:
        """Allocate a snowflake."""
        return self.ids.next_id()

    # lookups

    def channel(self, channel_id: int) -> Channel | None:
        """Find a guild or DM channel by id."""
        for guild in self.guilds.values():
            if channel_id in guild.channels:
                return guild.channels[channel_id]
        for dm in self.dm_channels.values():
            if dm.id == channel_id:
                return dm
        return None

    def bot_guilds(self) -> list[Guild]:
        """Guilds the bot is a member of."""
        return [g for g in self.guilds.values() if self.application.bot_user_id in g.members]

    def find_user(self, name: str) -> User | None:
        """Find a user by username."""
        return next((u for u in self.users.values() if u.username == name), None)

    def permissions_for(self, guild_id: int, user_id: int) -> int:
        """Guild-level permissions: owner and ADMINISTRATOR get everything, else roles OR'ed."""
        guild = self.guilds[guild_id]
        if user_id == guild.owner_id:
            return ALL_PERMISSIONS
        member = guild.members.get(user_id)
        if member is None:
            return 0
        everyone = guild.roles.get(guild.id)
        bits = everyone.permissions if everyone else 0
        for role_id in member.roles:
            role = guild.roles.get(role_id)
            if role is not None:
                bits |= role.permissions
        return ALL_PERMISSIONS if bits & ADMINISTRATOR else bits

    def member_display_name(self, guild_id: int, user_id: int) -> str:
        """Nick, else global name, else username."""
        user = self.users[user_id]
        member = self.guilds[guild_id].members.get(user_id)
        if member is not None and member.nick:
            return member.nick
        return user.global_name or user.username

    # messages

    def add_message(self, message: Message) -> Message:
        """Store a message and bump its channel's last message id."""
        self.messages[message.id] = message
        channel = self.channel(message.channel_id)
        if channel is not None and message.ephemeral_for is None:
            channel.last_message_id = message.id
        return message

    def live_message(self, channel_id: int, message_id: int) -> Message | None:
        """A message of that channel that still exists."""
        message = self.messages.get(message_id)
        if message is None or message.deleted or message.channel_id != channel_id:
            return None
        return message

    def messages_in(self, channel_id: int) -> list[Message]:
        """Visible messages of a channel, oldest first."""
        found = [
            m
            for m in self.messages.values()
            if m.channel_id == channel_id and not m.deleted and m.ephemeral_for is None
        ]
        return sorted(found, key=lambda m: m.id)

    def dm_channel_for(self, user_id: int) -> Channel:
        """The bot's DM channel with a user, opened on first use."""
        channel = self.dm_channels.get(user_id)
        if channel is None:
            channel = Channel(
                id=self.next_id(), guild_id=None, name="", type=CHANNEL_DM, recipient_id=user_id
            )
            self.dm_channels[user_id] = channel
        return channel

    def dm_messages(self, user_id: int) -> list[Message]:
        """Messages the bot sent to a user by DM, oldest first."""
        channel = self.dm_channels.get(user_id)
        if channel is None:
            return []
        bot_id = self.application.bot_user_id
        return [m for m in self.messages_in(channel.id) if m.author_id == bot_id]

    # wire shapes

    def user_json(self, user: User) -> dict[str, Any]:
        """A user object as Discord sends it."""
        return discord_json.user_json(user)

    def member_json(self, guild_id: int, member: Member) -> dict[str, Any]:
        """A guild member object as Discord sends it."""
        return discord_json.member_json(self.users[member.user_id], member)

    def channel_json(self, channel: Channel) -> dict[str, Any]:
        """A channel object as Discord sends it."""
        recipient = self.users.get(channel.recipient_id) if channel.recipient_id else None
        return discord_json.channel_json(channel, recipient)

    def message_json(self, message: Message) -> dict[str, Any]:
        """A message object as Discord sends it."""
        channel = self.channel(message.channel_id)
        guild_id = channel.guild_id if channel else None
        author = self.users[message.author_id]
        member = self.guilds[guild_id].members.get(author.id) if guild_id in self.guilds else None
        data = discord_json.message_json(message, author, guild_id=guild_id, member=member)
        if message.interaction is not None:
            data["application_id"] = str(self.application.id)
            data["webhook_id"] = str(self.application.id)
        return data

    def guild_json(self, guild: Guild) -> dict[str, Any]:
        """A guild object (without channels and members) as Discord sends it."""
        return discord_json.guild_json(guild)
