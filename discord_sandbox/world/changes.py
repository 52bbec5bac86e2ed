"""The world as the bot experiences it: every change to the state here dispatches the gateway events Discord
would send (messages, members, guilds, channels, roles)."""

from __future__ import annotations

from typing import Any

from ..gateway.events import (
    ALWAYS,
    INTENT_GUILD_MEMBERS,
    INTENT_GUILDS,
    member_event_payload,
    message_intent,
    without_content,
)
from ..gateway.sessions import Gateway, shard_of
from ..state.components import stored_components
from ..state.default_world import EVERYONE_PERMISSIONS
from ..state.discord_json import channel_json, guild_json, message_json, role_json, user_json
from ..state.embeds import stored_embeds
from ..state.mentions import PARSE_ALL, resolve_mentions
from ..state.model import (
    CHANNEL_TEXT,
    OVERWRITE_ROLE,
    Channel,
    Guild,
    Member,
    Message,
    Overwrite,
    Role,
    User,
    utcnow,
)
from ..state.sandbox_state import SandboxState

KEPT_FLAGS = (
    (1 << 2) | (1 << 6) | (1 << 7) | (1 << 12) | (1 << 15)
)  # suppress embeds, ephemeral, loading, silent, v2


class World:
    """The state and its gateway; the REST handlers, the control API, interactions and the viewer change the
    world through these methods so that the bot hears about it."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.gateway = Gateway(lambda: self.state)
        self.version = 0

    def touch(self) -> None:
        """Note that the world changed (pages can compare `version` to know when to refresh)."""
        self.version += 1

    # messages

    def create_message(
        self,
        channel_id: int,
        author_id: int,
        data: dict[str, Any],
        *,
        flags: int | None = None,
        message_type: int = 0,
        interaction: dict[str, Any] | None = None,
        ephemeral_for: int | None = None,
        mention_default: frozenset[str] = PARSE_ALL,
    ) -> Message:
        """Store a message and dispatch MESSAGE_CREATE (ephemeral ones stay private).

        `mention_default`: the mention types parsed when `data` has no `allowed_mentions` (every kind for
        channel messages, users only for interactions and webhooks)."""
        message = Message(
            id=self.state.next_id(),
            channel_id=channel_id,
            author_id=author_id,
            content=str(data.get("content") or ""),
            embeds=stored_embeds(data.get("embeds") or []),
            components=stored_components(list(data.get("components") or [])),
            flags=(int(data.get("flags") or 0) if flags is None else flags) & KEPT_FLAGS,
            type=message_type,
            interaction=interaction,
            ephemeral_for=ephemeral_for,
            nonce=None if data.get("nonce") is None else str(data["nonce"]),
        )
        self._resolve_mentions(message, data, mention_default)
        self.state.add_message(message)
        if ephemeral_for is None:
            self._dispatch_message("MESSAGE_CREATE", message)
        self.touch()
        return message

    def edit_message(
        self,
        message: Message,
        data: dict[str, Any],
        *,
        clear_flags: int = 0,
        mention_default: frozenset[str] = PARSE_ALL,
    ) -> Message:
        """Apply an edit payload and dispatch MESSAGE_UPDATE; new content gets its mentions anew."""
        if "content" in data:
            message.content = str(data["content"] or "")
            self._resolve_mentions(message, data, mention_default)
        if "embeds" in data:
            message.embeds = stored_embeds(data["embeds"] or [])
        if "components" in data:
            message.components = stored_components(list(data["components"] or []))
        if "flags" in data and data["flags"] is not None:
            message.flags = (message.flags & ~(1 << 2)) | (int(data["flags"]) & (1 << 2))
        message.flags &= ~clear_flags
        message.edited_at = utcnow()
        if message.ephemeral_for is None:
            self._dispatch_message("MESSAGE_UPDATE", message)
        self.touch()
        return message

    def _resolve_mentions(self, message: Message, data: dict[str, Any], default: frozenset[str]) -> None:
        found = resolve_mentions(
            self.state,
            self.state.channel(message.channel_id),
            message.author_id,
            message.content,
            data.get("allowed_mentions"),
            default_parse=default,
        )
        message.mention_users, message.mention_roles = found.users, found.roles
        message.mention_everyone = found.everyone

    def _dispatch_message(self, event: str, message: Message) -> None:
        data = message_json(self.state, message)
        self.gateway.dispatch(
            event,
            data,
            intent=message_intent(self.state, message.channel_id),
            redacted=without_content(self.state, data, message.author_id, message.channel_id),
        )

    def delete_message(self, message: Message) -> None:
        """Mark a message deleted and dispatch MESSAGE_DELETE."""
        message.deleted = True
        channel = self.state.channel(message.channel_id)
        data = {"id": str(message.id), "channel_id": str(message.channel_id)}
        if channel is not None and channel.guild_id is not None:
            data["guild_id"] = str(channel.guild_id)
        if message.ephemeral_for is None:
            self.gateway.dispatch(
                "MESSAGE_DELETE", data, intent=message_intent(self.state, message.channel_id)
            )
        self.touch()

    def delete_messages(self, channel_id: int, messages: list[Message]) -> None:
        """Delete several messages of one channel at once (a moderator's bulk delete): MESSAGE_DELETE_BULK."""
        for message in messages:
            message.deleted = True
        channel = self.state.channel(channel_id)
        data: dict[str, Any] = {"ids": [str(m.id) for m in messages], "channel_id": str(channel_id)}
        if channel is not None and channel.guild_id is not None:
            data["guild_id"] = str(channel.guild_id)
        self.gateway.dispatch("MESSAGE_DELETE_BULK", data, intent=message_intent(self.state, channel_id))
        self.touch()

    # users, members, guilds, channels, roles

    def update_guild(self, guild: Guild) -> None:
        """GUILD_UPDATE after the guild's own fields (name, owner) changed."""
        if self.state.application.bot_user_id in guild.members:
            self.gateway.dispatch("GUILD_UPDATE", guild_json(guild), intent=INTENT_GUILDS)
        self.touch()

    def create_user(self, username: str, *, global_name: str | None = None, dms_open: bool = True) -> User:
        """Create an account (not yet in any guild)."""
        user = User(id=self.state.next_id(), username=username, global_name=global_name, dms_open=dms_open)
        self.state.users[user.id] = user
        self.touch()
        return user

    def upsert_member(
        self,
        guild_id: int,
        user_id: int,
        *,
        nick: str | None = None,
        roles: list[int] | None = None,
        nick_given: bool = False,
    ) -> tuple[Member, bool]:
        """Join a guild or update a membership; dispatch GUILD_MEMBER_ADD/UPDATE. Returns (member, joined)."""
        guild = self.state.guilds[guild_id]
        member = guild.members.get(user_id)
        joined = member is None
        if member is None:
            member = Member(user_id=user_id, nick=nick, roles=list(roles or []))
            guild.members[user_id] = member
        else:
            if nick_given:
                member.nick = nick
            if roles is not None:
                member.roles = list(roles)
        event = "GUILD_MEMBER_ADD" if joined else "GUILD_MEMBER_UPDATE"
        # Discord sends the bot's own member updates whether or not it asked for the members intent.
        is_bot_update = not joined and user_id == self.state.application.bot_user_id
        self.gateway.dispatch(
            event,
            member_event_payload(self.state, guild_id, member),
            intent=ALWAYS if is_bot_update else INTENT_GUILD_MEMBERS,
        )
        if user_id == self.state.application.bot_user_id and joined:
            self.gateway.send_guild_create(guild_id)
        self.touch()
        return member, joined

    def remove_member(self, guild_id: int, user_id: int) -> None:
        """A member leaves; dispatch GUILD_MEMBER_REMOVE (and GUILD_DELETE if it is the bot)."""
        guild = self.state.guilds[guild_id]
        guild.members.pop(user_id, None)
        data = {"guild_id": str(guild_id), "user": user_json(self.state.users[user_id])}
        self.gateway.dispatch("GUILD_MEMBER_REMOVE", data, intent=INTENT_GUILD_MEMBERS)
        if user_id == self.state.application.bot_user_id:
            self.gateway.dispatch("GUILD_DELETE", {"id": str(guild_id)}, intent=INTENT_GUILDS)
        self.touch()

    def create_guild(
        self, name: str, *, owner_id: int, with_bot: bool = False, on_shard: tuple[int, int] | None = None
    ) -> Guild:
        """A new guild with @everyone and #general, owned (and joined) by `owner_id`; optionally with the bot.
        ``on_shard=(shard_id, num_shards)``: an id whose events go to that shard (the next ids are skipped)."""
        guild_id = self.state.next_id()
        while on_shard is not None and shard_of(guild_id, on_shard[1]) != on_shard[0]:
            self.state.ids.advance_past(guild_id | ((1 << 22) - 1))  # on to the next millisecond
            guild_id = self.state.next_id()
        guild = Guild(id=guild_id, name=name, owner_id=owner_id)
        guild.roles[guild.id] = Role(id=guild.id, name="@everyone", permissions=EVERYONE_PERMISSIONS)
        general = Channel(id=self.state.next_id(), guild_id=guild.id, name="general")
        guild.channels[general.id] = general
        guild.members[owner_id] = Member(user_id=owner_id)
        self.state.guilds[guild.id] = guild
        if with_bot:
            self.upsert_member(guild.id, self.state.application.bot_user_id)
        self.touch()
        return guild

    def create_channel(
        self, guild_id: int, name: str, *, type: int = CHANNEL_TEXT, parent_id: int | None = None
    ) -> Channel:
        """Create a guild channel; dispatch CHANNEL_CREATE."""
        guild = self.state.guilds[guild_id]
        channel = Channel(
            id=self.state.next_id(),
            guild_id=guild_id,
            name=name,
            type=type,
            position=len(guild.channels),
            parent_id=parent_id,
        )
        guild.channels[channel.id] = channel
        self.gateway.dispatch("CHANNEL_CREATE", channel_json(self.state, channel))
        self.touch()
        return channel

    def update_channel(self, channel: Channel) -> None:
        """Dispatch CHANNEL_UPDATE after a change."""
        self.gateway.dispatch("CHANNEL_UPDATE", channel_json(self.state, channel))
        self.touch()

    def set_overwrite(self, channel: Channel, overwrite: Overwrite) -> None:
        """Set (or replace) a channel's permission overwrite for one role or member; dispatch CHANNEL_UPDATE."""
        channel.permission_overwrites = [
            o for o in channel.permission_overwrites if (o.type, o.id) != (overwrite.type, overwrite.id)
        ] + [overwrite]
        self.update_channel(channel)

    def remove_overwrite(self, channel: Channel, target_id: int) -> bool:
        """Remove a channel's overwrite for a role or member; dispatch CHANNEL_UPDATE if there was one."""
        kept = [o for o in channel.permission_overwrites if o.id != target_id]
        if len(kept) == len(channel.permission_overwrites):
            return False
        channel.permission_overwrites = kept
        self.update_channel(channel)
        return True

    def delete_channel(self, channel: Channel) -> None:
        """Delete a guild channel; dispatch CHANNEL_DELETE."""
        assert channel.guild_id is not None
        self.state.guilds[channel.guild_id].channels.pop(channel.id, None)
        self.gateway.dispatch("CHANNEL_DELETE", channel_json(self.state, channel))
        self.touch()

    def create_role(
        self, guild_id: int, name: str, *, permissions: int = 0, color: int = 0, mentionable: bool = False
    ) -> Role:
        """Create a role; dispatch GUILD_ROLE_CREATE."""
        guild = self.state.guilds[guild_id]
        role = Role(
            id=self.state.next_id(),
            name=name,
            permissions=permissions,
            position=len(guild.roles),
            color=color,
            mentionable=mentionable,
        )
        guild.roles[role.id] = role
        self.gateway.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(guild_id), "role": role_json(role)})
        self.touch()
        return role

    def update_role(self, guild_id: int, role: Role) -> None:
        """Dispatch GUILD_ROLE_UPDATE after a change."""
        self.gateway.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(guild_id), "role": role_json(role)})
        self.touch()

    def delete_role(self, guild_id: int, role_id: int) -> None:
        """Delete a role (and take it from members); dispatch GUILD_ROLE_DELETE."""
        guild = self.state.guilds[guild_id]
        guild.roles.pop(role_id, None)
        for member in guild.members.values():
            if role_id in member.roles:
                member.roles.remove(role_id)
        self.gateway.dispatch("GUILD_ROLE_DELETE", {"guild_id": str(guild_id), "role_id": str(role_id)})
        for channel in list(guild.channels.values()):  # the role's overwrites go with it
            if any(o.type == OVERWRITE_ROLE and o.id == role_id for o in channel.permission_overwrites):
                self.remove_overwrite(channel, role_id)
        self.touch()
