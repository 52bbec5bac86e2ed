"""The sandbox world in memory: everything the sandbox knows, with its lookups."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .model import CHANNEL_DM, Application, Channel, Guild, Message, User
from .permissions import base_permissions, channel_permissions
from .snowflake import SnowflakeGenerator


@dataclass
class SandboxState:
    """Everything the sandbox knows: plain data plus lookups."""

    application: Application
    users: dict[int, User] = field(default_factory=dict)
    guilds: dict[int, Guild] = field(default_factory=dict)
    messages: dict[int, Message] = field(default_factory=dict)
    dm_channels: dict[int, Channel] = field(default_factory=dict)
    global_commands: dict[int, dict[str, Any]] = field(default_factory=dict)
    guild_commands: dict[int, dict[int, dict[str, Any]]] = field(default_factory=dict)
    ids: SnowflakeGenerator = field(default_factory=SnowflakeGenerator)
    #: "author:nonce" → the message created with it, for ``enforce_nonce``.
    nonces: dict[str, int] = field(default_factory=dict)
    #: Files members attached to a command's attachment options, by id: (filename, content type, bytes),
    #: served at their ``url`` as Discord's CDN serves them.
    attachments: dict[int, tuple[str, str, bytes]] = field(default_factory=dict)

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
        return self._dms_by_id().get(channel_id)

    def _dms_by_id(self) -> dict[int, Channel]:
        """DM channels by channel id. Not a field (the world file keeps ``dm_channels`` only): built on first
        use, kept up to date by ``dm_channel_for``; without it every DM sent scanned every DM channel."""
        index: dict[int, Channel] | None = self.__dict__.get("_dm_index")
        if index is None or len(index) != len(self.dm_channels):
            index = {dm.id: dm for dm in self.dm_channels.values()}
            self.__dict__["_dm_index"] = index
        return index

    def bot_guilds(self) -> list[Guild]:
        """Guilds the bot is a member of."""
        return [g for g in self.guilds.values() if self.application.bot_user_id in g.members]

    def find_user(self, name: str) -> User | None:
        """Find a user by username."""
        return next((u for u in self.users.values() if u.username == name), None)

    def permissions_for(self, guild_id: int, user_id: int) -> int:
        """Guild-level permissions: owner and ADMINISTRATOR get everything, else roles OR'ed."""
        return base_permissions(self.guilds[guild_id], user_id)

    def channel_permissions(self, channel_id: int, user_id: int) -> int:
        """A member's permissions in a guild channel, its overwrites applied (0 for unknown or DM channels)."""
        channel = self.channel(channel_id)
        if channel is None or channel.guild_id is None:
            return 0
        return channel_permissions(self.guilds[channel.guild_id], channel, user_id)

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
        if message.nonce is not None:
            self.nonces[f"{message.author_id}:{message.nonce}"] = message.id
        channel = self.channel(message.channel_id)
        if channel is not None and message.ephemeral_for is None:
            channel.last_message_id = message.id
        return message

    def message_with_nonce(self, author_id: int, nonce: str, *, since: datetime) -> Message | None:
        """The message ``author_id`` created with ``nonce`` at or after ``since``, if any."""
        message = self.messages.get(self.nonces.get(f"{author_id}:{nonce}", 0))
        if message is None or message.created_at < since:
            return None
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
            by_id = self._dms_by_id()
            channel = Channel(
                id=self.next_id(), guild_id=None, name="", type=CHANNEL_DM, recipient_id=user_id
            )
            self.dm_channels[user_id] = channel
            by_id[channel.id] = channel
        return channel

    def dm_messages(self, user_id: int) -> list[Message]:
        """Messages the bot sent to a user by DM, oldest first."""
        channel = self.dm_channels.get(user_id)
        if channel is None:
            return []
        bot_id = self.application.bot_user_id
        return [m for m in self.messages_in(channel.id) if m.author_id == bot_id]
