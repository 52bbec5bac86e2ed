"""Guild use cases: following Discord, who may do what, settings and their inheritance, members."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert

from gamesched.core.clock import Clock
from gamesched.core.db import Database
from gamesched.core.errors import Forbidden, Invalid, NotFound
from gamesched.core.inputs import check_length, clean_text
from gamesched.core.live import LiveHub
from gamesched.guilds import members as member_lookup
from gamesched.guilds.calendar_feeds import CalendarFeeds
from gamesched.guilds.channel_links import (
    at_names,
    link_at_names,
    link_channels,
    link_emojis,
    unlink_channels,
)
from gamesched.guilds.directory import ChannelInfo, DiscordDirectory, GuildInfo, MemberInfo
from gamesched.guilds.members import MemberDisplay, MentionResolution
from gamesched.guilds.models import (
    ANNOUNCEABLE_CHANNEL_TYPES,
    RECORDED_CHANNEL_TYPES,
    Channel,
    Guild,
    GuildMember,
    GuildRole,
)
from gamesched.guilds.permissions import GuildAccess, compute_access
from gamesched.guilds.preferences import PreferenceService
from gamesched.guilds.projection import PROJECTION_TOPIC
from gamesched.guilds.settings import EffectiveSettings, resolve_settings
from gamesched.guilds.templates import TemplateService

log = structlog.get_logger(__name__)

GUILD_NOT_FOUND = "That server does not exist, or you are not a member of it."
#: Every request's permission check reads the guild's record (manager and host roles): this process keeps
#: each for this long, and forgets it at once when it changes the record itself. A change made by another
#: process sharing the database shows here within this time (members' roles are cached for 60 s already).
GUILD_RECORD_TTL_SECONDS = 5.0
#: Members recorded per INSERT (PostgreSQL takes at most 32767 parameters in one statement; five a row).
MEMBER_ROWS_PER_STATEMENT = 1000
GUILD_SETTING_FIELDS = (
    "max_players",
    "reminder_minutes",
    "signup_instructions",
    "manager_role_ids",
    "host_role_ids",
    "player_role_ids",
)
#: Role lists as people know them, for sentences about a role that does not belong.
ROLE_LABELS = {
    "manager_role_ids": "Manager roles",
    "host_role_ids": "Host roles",
    "player_role_ids": "Player roles",
    "priority_role_ids": "Priority roles",
    "notify_role_ids": "Roles to notify",
}
CHANNEL_SETTING_FIELDS = (
    "is_active",
    "category",
    "max_players",
    "reminder_minutes",
    "signup_instructions",
    "host_role_ids",
    "player_role_ids",
)


class GuildService:
    def __init__(
        self,
        *,
        db: Database,
        directory: DiscordDirectory,
        clock: Clock,
        live: LiveHub | None = None,
        secret: str = "",
        base_url: str = "",
    ) -> None:
        self.db = db
        self.directory = directory
        self.clock = clock
        #: Told after guild structure is written, so other processes' projections refresh at once.
        self.live = live
        #: guild id → (kept until, its record, the host roles that count in some channel open for games)
        self._records: dict[int, tuple[datetime, Guild | None, frozenset[int]]] = {}
        #: guild id → the read of its record under way: the clicks of a storm that all find the record
        #: expired wait for one read instead of each making their own.
        self._record_reads: dict[int, asyncio.Task[tuple[Guild | None, frozenset[int]]]] = {}
        self.templates = TemplateService(self)
        #: Each person's own settings (their time zone), the same in every server.
        self.preferences = PreferenceService(db=db, clock=clock)
        #: Each person's secret calendar subscription link (``secret`` signs it, ``base_url`` prefixes it).
        self.calendar_feeds = CalendarFeeds(db=db, clock=clock, secret=secret, base_url=base_url)

    # --- following Discord (trusted system paths: explicit RLS bypass) ---

    async def sync_guild(self, info: GuildInfo) -> None:
        """Record a guild the bot is in, with its channels; channels gone from Discord are marked absent."""
        now = self.clock.now()
        async with self.db.uow(bypass_rls=True) as uow:
            values = {
                "id": info.id,
                "name": info.name,
                "owner_id": info.owner_id,
                "icon_url": info.icon_url,
                "bot_present": True,
                "left_at": None,
                "emojis": dict(info.emojis),
                "updated_at": now,
            }
            await uow.session.execute(
                insert(Guild).values(**values).on_conflict_do_update(index_elements=[Guild.id], set_=values)
            )
            channels = [c for c in info.channels.values() if c.type in RECORDED_CHANNEL_TYPES]
            for channel in channels:
                await self._upsert_channel(uow.session, channel, now)
            await uow.session.execute(
                update(Channel)
                .where(Channel.guild_id == info.id, Channel.id.not_in([c.id for c in channels] or [0]))
                .values(present=False, updated_at=now)
            )
            await self._replace_roles(uow.session, info)
        self._forget_record(info.id)
        await self._projection_written()
        await self.templates.ensure_default(info)
        log.info("guild_synced", guild_id=info.id, channels=len(channels))

    async def guild_left(self, guild_id: int) -> None:
        """The bot left or was removed: keep the history, stop treating the guild as live."""
        async with self.db.uow(bypass_rls=True) as uow:
            await uow.session.execute(
                update(Guild)
                .where(Guild.id == guild_id)
                .values(bot_present=False, left_at=self.clock.now(), updated_at=self.clock.now())
            )
        self._forget_record(guild_id)
        await self._projection_written()
        log.info("guild_left", guild_id=guild_id)

    async def _projection_written(self) -> None:
        if self.live is not None:
            await self.live.publish(PROJECTION_TOPIC)

    async def channel_changed(self, info: ChannelInfo) -> None:
        if info.type not in RECORDED_CHANNEL_TYPES:
            return
        now = self.clock.now()
        async with self.db.uow(bypass_rls=True) as uow:
            # The guild's row first, as ``sync_guild`` does: the same lock order, no deadlock between them.
            known = await uow.session.scalar(
                update(Guild).where(Guild.id == info.guild_id).values(updated_at=now).returning(Guild.id)
            )
            if known is not None:
                await self._upsert_channel(uow.session, info, now)
        await self._projection_written()

    async def channel_deleted(self, guild_id: int, channel_id: int) -> None:
        now = self.clock.now()
        async with self.db.uow(bypass_rls=True) as uow:
            await uow.session.execute(update(Guild).where(Guild.id == guild_id).values(updated_at=now))
            await uow.session.execute(
                update(Channel).where(Channel.id == channel_id).values(present=False, updated_at=now)
            )
        await self._projection_written()

    async def _replace_roles(self, session: Any, info: GuildInfo) -> None:
        """The guild's roles in the projection become exactly ``info``'s (two statements)."""
        await session.execute(
            delete(GuildRole).where(
                GuildRole.guild_id == info.id, GuildRole.id.not_in(list(info.roles) or [0])
            )
        )
        if info.roles:
            rows = [
                {
                    "id": r.id,
                    "guild_id": info.id,
                    "name": r.name,
                    "permissions": r.permissions,
                    "position": r.position,
                    "managed": r.managed,
                }
                for r in info.roles.values()
            ]
            stmt = insert(GuildRole).values(rows)
            await session.execute(
                stmt.on_conflict_do_update(
                    index_elements=[GuildRole.id],
                    set_={k: stmt.excluded[k] for k in ("name", "permissions", "position", "managed")},
                )
            )

    async def members_seen(self, guild_id: int, members: Sequence[MemberInfo]) -> None:
        """Record who is in a guild and which roles they hold (ids only: names are never stored)."""
        if not members:
            return
        now = self.clock.now()
        rows = {
            m.user_id: {
                "guild_id": guild_id,
                "user_id": m.user_id,
                "role_ids": sorted(m.role_ids),
                "bot": m.bot,
                "updated_at": now,
            }
            for m in members
        }
        values = list(rows.values())
        async with self.db.uow(bypass_rls=True) as uow:
            if await uow.session.get(Guild, guild_id) is None:
                return
            for start in range(0, len(values), MEMBER_ROWS_PER_STATEMENT):
                stmt = insert(GuildMember).values(values[start : start + MEMBER_ROWS_PER_STATEMENT])
                await uow.session.execute(
                    stmt.on_conflict_do_update(
                        index_elements=[GuildMember.guild_id, GuildMember.user_id],
                        set_={k: stmt.excluded[k] for k in ("role_ids", "bot", "updated_at")},
                    )
                )

    async def member_left(self, guild_id: int, user_id: int) -> None:
        async with self.db.uow(bypass_rls=True) as uow:
            await uow.session.execute(
                delete(GuildMember).where(GuildMember.guild_id == guild_id, GuildMember.user_id == user_id)
            )

    async def _upsert_channel(self, session: Any, channel: ChannelInfo, now: Any) -> None:
        discord_values = {
            "name": channel.name,
            "type": channel.type,
            "position": channel.position,
            "parent_id": channel.parent_id,
            "bot_permissions": channel.bot_permissions,
            "present": True,
            "updated_at": now,
        }
        await session.execute(
            insert(Channel)
            .values(id=channel.id, guild_id=channel.guild_id, **discord_values)
            .on_conflict_do_update(index_elements=[Channel.id], set_=discord_values)
        )

    # --- access ---

    async def access(self, guild_id: int, user_id: int, *, channel_id: int | None = None) -> GuildAccess:
        """The user's standing in a guild; NotFound when the bot or the user is not in it."""
        guild = self.directory.guild(guild_id)
        if guild is None:
            raise NotFound(GUILD_NOT_FOUND)
        member = await self.directory.member(guild_id, user_id)
        if member is None:
            raise NotFound(GUILD_NOT_FOUND)
        if channel_id is None:
            record, hosting = await self._guild_standing(guild_id)
            return self._access(guild, member, record, None, hosting)
        async with self.db.uow(guild_id=guild_id) as uow:
            record = await uow.session.get(Guild, guild_id)
            channel = await uow.session.get(Channel, channel_id)
        return self._access(guild, member, record, channel)

    async def _guild_standing(self, guild_id: int) -> tuple[Guild | None, frozenset[int]]:
        """The guild's record for permission checks, and every host role that lets someone host in at least
        one channel open for games (channels may set their own); kept GUILD_RECORD_TTL_SECONDS (read-only:
        detached). Callers that find it expired while it is being read wait for that read."""
        hit = self._records.get(guild_id)
        if hit is not None and hit[0] > self.clock.now():
            return hit[1], hit[2]
        read = self._record_reads.get(guild_id)
        if read is None:
            read = asyncio.create_task(self._read_standing(guild_id), name=f"guild-record:{guild_id}")
            self._record_reads[guild_id] = read
            read.add_done_callback(lambda done: self._record_read_done(guild_id, done))
        # Shielded: a caller that gives up (its click was cancelled) does not cancel the others' read.
        return await asyncio.shield(read)

    def _record_read_done(
        self, guild_id: int, read: asyncio.Task[tuple[Guild | None, frozenset[int]]]
    ) -> None:
        failed = read.cancelled() or read.exception() is not None  # its callers hear why
        if self._record_reads.get(guild_id) is not read:
            return  # forgotten while it ran (the guild changed): its result may predate the change
        del self._record_reads[guild_id]
        if not failed:
            record, hosting = read.result()
            kept_until = self.clock.now() + timedelta(seconds=GUILD_RECORD_TTL_SECONDS)
            self._records[guild_id] = (kept_until, record, hosting)

    async def _read_standing(self, guild_id: int) -> tuple[Guild | None, frozenset[int]]:
        async with self.db.uow(guild_id=guild_id) as uow:
            record = await uow.session.get(Guild, guild_id)
            overrides = (
                await uow.session.scalars(
                    select(Channel.host_role_ids).where(
                        Channel.guild_id == guild_id,
                        Channel.present.is_(True),
                        Channel.is_active.is_(True),
                        Channel.type.in_(ANNOUNCEABLE_CHANNEL_TYPES),
                    )
                )
            ).all()
        server_roles = list(record.host_role_ids or []) if record else []
        hosting = frozenset(
            role for roles in (overrides or [None]) for role in (server_roles if roles is None else roles)
        )
        return record, hosting

    def _forget_record(self, guild_id: int) -> None:
        self._records.pop(guild_id, None)
        self._record_reads.pop(guild_id, None)  # a read under way may have read it before the change

    async def guilds_for_user(self, user_id: int) -> list[tuple[GuildInfo, GuildAccess]]:
        """Every guild shared by the user and the bot, with the user's standing in each."""
        shared: list[tuple[GuildInfo, MemberInfo]] = []
        # The projection answers for every guild at once; the bot's directory guild by guild from memory.
        memberships = getattr(self.directory, "memberships", None)
        known: dict[int, MemberInfo] = await memberships(user_id) if memberships is not None else {}
        for guild_id in sorted(self.directory.guild_ids()):
            guild = self.directory.guild(guild_id)
            member = known.get(guild_id)
            if member is None and guild is not None:
                member = await self.directory.member(guild_id, user_id)
            if guild is not None and member is not None:
                shared.append((guild, member))
        if not shared:
            return []
        result = []
        for guild, member in shared:
            record, hosting = await self._guild_standing(guild.id)
            result.append((guild, self._access(guild, member, record, None, hosting)))
        return sorted(result, key=lambda pair: pair[0].name.casefold())

    async def manager_ids(self, guild_id: int) -> list[int]:
        """Who manages the bot in a guild, as far as the bot can tell: the owner always; with every member
        cached (the members intent), also those with a manager role, Administrator or Manage Server."""
        guild = self.directory.guild(guild_id)
        if guild is None:
            return []
        async with self.db.uow(guild_id=guild_id) as uow:
            record = await uow.session.get(Guild, guild_id)
        managers = [
            member.user_id
            for member in self.directory.cached_members(guild_id)
            if not member.bot and self._access(guild, member, record, None).is_manager
        ]
        return list(dict.fromkeys([guild.owner_id, *managers]))

    def bot_missing(self, guild_id: int, channel_id: int) -> list[str] | None:
        """What the bot lacks to announce games in a channel (``bot_access`` keys; empty: nothing), or None
        when the bot does not know the channel."""
        guild = self.directory.guild(guild_id)
        channel = guild.channels.get(channel_id) if guild else None
        return channel.bot_missing if channel else None

    def _access(
        self,
        guild: GuildInfo,
        member: MemberInfo,
        record: Guild | None,
        channel: Channel | None,
        hosting: frozenset[int] | None = None,
    ) -> GuildAccess:
        """``hosting``: for the server as a whole, the host roles of any channel (see ``_guild_standing``)."""
        manager_roles = record.manager_role_ids if record else []
        host_roles: Iterable[int] = resolve_settings(
            guild=record.settings() if record else None, channel=channel.settings() if channel else None
        ).host_role_ids.value
        if channel is None and hosting is not None:
            host_roles = hosting
        return compute_access(guild, member, manager_role_ids=manager_roles, host_role_ids=host_roles)

    # --- settings ---

    async def get_guild(self, guild_id: int) -> Guild:
        async with self.db.uow(guild_id=guild_id) as uow:
            record = await uow.session.get(Guild, guild_id)
        if record is None:
            raise NotFound(GUILD_NOT_FOUND)
        return record

    async def list_channels(self, guild_id: int, *, include_absent: bool = False) -> list[Channel]:
        async with self.db.uow(guild_id=guild_id) as uow:
            query = select(Channel).where(Channel.guild_id == guild_id).order_by(Channel.position, Channel.id)
            if not include_absent:
                query = query.where(Channel.present.is_(True))
            return list((await uow.session.scalars(query)).all())

    async def effective_settings(
        self,
        guild_id: int,
        channel_id: int | None,
        *,
        game: Mapping[str, Any] | None = None,
        template: Mapping[str, Any] | None = None,
    ) -> EffectiveSettings:
        """guild → channel → template → game, each value with the level it came from (``settings.py``)."""
        async with self.db.uow(guild_id=guild_id) as uow:
            record = await uow.session.get(Guild, guild_id)
            channel = await uow.session.get(Channel, channel_id) if channel_id is not None else None
        if record is None:
            raise NotFound(GUILD_NOT_FOUND)
        if channel_id is not None:
            if channel is None or channel.guild_id != guild_id:
                raise NotFound("That channel does not exist in this server.")
            if not channel.present or channel.type not in ANNOUNCEABLE_CHANNEL_TYPES:
                raise Invalid(
                    "Games can only be posted in text or announcement channels.", field="channel_id"
                )
            if not channel.is_active:
                raise Invalid(
                    f"#{channel.name} is not open for games; pick another channel.", field="channel_id"
                )
        return resolve_settings(
            guild=record.settings(),
            channel=channel.settings() if channel else None,
            game=game,
            template=template,
        )

    async def update_guild_settings(self, access: GuildAccess, changes: Mapping[str, Any]) -> Guild:
        """Managers only. ``changes`` maps a field to its new value; None clears it back to the default."""
        if not access.is_manager:
            raise Forbidden("Only bot managers can change this server's settings.")
        values = _checked_changes(changes, GUILD_SETTING_FIELDS)
        for name in ("manager_role_ids", "host_role_ids"):
            if name in values and values[name] is None:
                values[name] = []
        async with self.db.uow(guild_id=access.guild_id) as uow:
            record = await uow.session.get(Guild, access.guild_id, with_for_update=True)
            if record is None:
                raise NotFound(GUILD_NOT_FOUND)
            self.check_roles(access.guild_id, _added_roles(values, record))
            for name, value in values.items():
                setattr(record, name, value)
            record.updated_at = self.clock.now()
        self._forget_record(access.guild_id)
        log.info("guild_settings_updated", guild_id=access.guild_id, fields=sorted(values))
        return record

    async def update_channel_settings(
        self, access: GuildAccess, channel_id: int, changes: Mapping[str, Any]
    ) -> Channel:
        """Managers or members with Manage Channels. None clears an override (inherit from the server)."""
        if not access.can_manage_channels:
            raise Forbidden("You need Manage Channels (or to be a bot manager) to change channel settings.")
        values = _checked_changes(changes, CHANNEL_SETTING_FIELDS)
        if values.get("is_active", True) is None:
            values["is_active"] = True
        async with self.db.uow(guild_id=access.guild_id) as uow:
            channel = await uow.session.get(Channel, channel_id, with_for_update=True)
            if channel is None or channel.guild_id != access.guild_id:
                raise NotFound("That channel does not exist in this server.")
            self.check_roles(access.guild_id, _added_roles(values, channel))
            for name, value in values.items():
                setattr(channel, name, value)
            channel.updated_at = self.clock.now()
        self._forget_record(access.guild_id)  # who may host somewhere in the server may have changed
        return channel

    def check_roles(self, guild_id: int, values: Mapping[str, Iterable[int] | None]) -> None:
        """Invalid, naming the field, when a ``*_role_ids`` list holds a role the guild does not have (as the
        bot sees it): another server's role, or one deleted since; or one nobody can be given (an
        integration's, such as the bot's own), or @everyone where it means nothing (``pickable_roles``)."""
        guild = self.directory.guild(guild_id)
        known = guild.roles if guild else {}
        for name, value in values.items():
            if name.endswith("_role_ids") and value:
                label = ROLE_LABELS.get(name, name)
                unknown = [role for role in value if role not in known]
                if unknown:
                    raise Invalid(f"{label}: role {unknown[0]} is not a role of this server.", field=name)
                for role in value:
                    if known[role].managed:
                        raise Invalid(
                            f"{label}: @{known[role].name} belongs to an integration (such as this bot) and "
                            "nobody can be given it; pick another role.",
                            field=name,
                        )
                    if role == guild_id and name != "notify_role_ids":
                        raise Invalid(
                            f"{label}: @everyone is every member; leave the roles empty instead.", field=name
                        )

    def pickable_roles(self, guild_id: int) -> list[dict[str, str]]:
        """The roles a form offers (highest first): not @everyone, not one managed by an integration."""
        guild = self.directory.guild(guild_id)
        if guild is None:
            return []
        return [
            {"id": str(r.id), "name": r.name}
            for r in sorted(guild.roles.values(), key=lambda r: -r.position)
            if r.id != guild_id and not r.managed
        ]

    # --- members ---

    def link_channels(self, guild_id: int, text: str) -> str:
        """``#name`` and channel links of this guild → ``<#id>`` mentions (as stored and shown in Discord)."""
        guild = self.directory.guild(guild_id)
        if guild is None:
            return text
        by_name = {c.name.casefold(): c.id for c in sorted(guild.channels.values(), key=lambda c: -c.id)}
        return link_channels(text, guild_id=guild_id, channels=by_name)

    async def link_markup(self, guild_id: int, *texts: str) -> list[str]:
        """Free text as Discord should show it: ``#name`` → the channel, ``:name:`` → the guild's custom
        emoji, ``@name`` → the member (or else the role) called exactly that. What matches nothing, or more
        than one, stays as typed. Names are looked up once for all ``texts``."""
        guild = self.directory.guild(guild_id)
        if guild is None:
            return list(texts)
        by_name = {c.name.casefold(): c.id for c in sorted(guild.channels.values(), key=lambda c: -c.id)}
        names = {n.casefold() for text in texts for n in at_names(text)}
        mentions: dict[str, str] = {}
        for name in names:
            members = [
                m
                for m in await self.directory.search_members(guild_id, name, limit=25)
                if not m.bot and name in {n.casefold() for n in (m.username, m.global_name, m.nick) if n}
            ]
            roles = [r for r in guild.roles.values() if r.name.casefold() == name and r.id != guild_id]
            if len(members) == 1:
                mentions[name] = f"<@{members[0].user_id}>"
            elif not members and len(roles) == 1:
                mentions[name] = f"<@&{roles[0].id}>"
        return [
            link_at_names(
                link_emojis(link_channels(text, guild_id=guild_id, channels=by_name), emojis=guild.emojis),
                mentions=mentions,
            )
            for text in texts
        ]

    def unlink_channels(self, guild_id: int, text: str) -> str:
        """``<#id>`` → ``#name``, for editing."""
        guild = self.directory.guild(guild_id)
        names = {c.id: c.name for c in guild.channels.values()} if guild else {}
        return unlink_channels(text, names=names)

    async def guild_name(self, guild_id: int) -> str | None:
        """The server's name as Discord has it now (as last recorded when the bot cannot see it)."""
        guild = self.directory.guild(guild_id)
        if guild is not None:
            return guild.name
        record, _ = await self._guild_standing(guild_id)
        return None if record is None else record.name

    def channel_name(self, guild_id: int, channel_id: int) -> str | None:
        return self.channel_names(guild_id).get(channel_id)

    def role_name(self, guild_id: int, role_id: int) -> str | None:
        """A role's name from the bot's view of the guild (``@everyone`` for the guild's own id)."""
        guild = self.directory.guild(guild_id)
        role = guild.roles.get(role_id) if guild else None
        return role.name if role else None

    def only_roles_can(self, guild_id: int, role_ids: Iterable[int], doing: str) -> str:
        """The refusal for someone without the roles, naming them: "Only @Game Host members can join." (the
        same sentence on the web and in Discord; a role the bot no longer sees is left out)."""
        names = [f"@{name}" for role_id in role_ids if (name := self.role_name(guild_id, role_id))]
        if not names:
            return f"Only members with one of this game's player roles can {doing}."
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        return f"Only {listed} members can {doing}."

    def cannot_host(self, access: GuildAccess, channel_id: int | None = None) -> str:
        """Why ``access`` may not host (in a channel, or anywhere in the server), naming the roles that would
        allow it — or, when none are set, the setting a bot manager would change."""
        channel = self.channel_name(access.guild_id, channel_id) if channel_id is not None else None
        where = f"#{channel}" if channel else "this server"
        names = [f"@{n}" for r in sorted(access.host_role_ids) if (n := self.role_name(access.guild_id, r))]
        if names:
            listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
            return f"Only {listed} members and bot managers can host games in {where}."
        if channel:
            return (
                f"Only bot managers can host games in #{channel}: no host roles are set for it. A bot manager "
                f"can add one under Host roles in the server settings or #{channel}'s channel settings."
            )
        return (
            "Only bot managers can host games in this server: no host roles are set. A bot manager can add "
            "one under Host roles in the server settings."
        )

    def may_host_in(self, access: GuildAccess, channel: Channel, server_roles: Iterable[int]) -> bool:
        """Whether ``access`` may host in ``channel``, given the server's host roles (for listing channels)."""
        roles = channel.host_role_ids if channel.host_role_ids is not None else list(server_roles)
        return access.is_manager or access.has_any_role(roles)

    def channel_names(self, guild_id: int) -> dict[int, str]:
        """Every channel's name in a guild, from one look at the bot's view of it (for rendering many games)."""
        guild = self.directory.guild(guild_id)
        return {c.id: c.name for c in guild.channels.values()} if guild else {}

    async def display_members(self, guild_id: int, user_ids: Iterable[int]) -> dict[int, MemberDisplay]:
        return await member_lookup.display_members(self.directory, guild_id, user_ids)

    async def resolve_mentions(self, guild_id: int, entries: Sequence[str]) -> MentionResolution:
        return await member_lookup.resolve_mentions(self.directory, guild_id, entries)

    async def search_members(self, guild_id: int, query: str, *, limit: int = 10) -> list[MemberInfo]:
        query = query.strip().lstrip("@")
        if not query:
            return []
        return [m for m in await self.directory.search_members(guild_id, query, limit=limit) if not m.bot]


def _added_roles(values: Mapping[str, Any], current: Guild | Channel) -> dict[str, list[int]]:
    """The role ids each change adds: those already set stay acceptable, even if deleted in Discord since."""
    return {
        name: [r for r in value if r not in (getattr(current, name) or [])]
        for name, value in values.items()
        if name.endswith("_role_ids") and value
    }


def _checked_changes(changes: Mapping[str, Any], allowed: Sequence[str]) -> dict[str, Any]:
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise Invalid(f"{unknown[0]} is not a setting that can be changed here.", field=unknown[0])
    return {name: _normalize(name, value) for name, value in changes.items()}


def _normalize(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "reminder_minutes":
        return sorted({int(m) for m in value}, reverse=True)
    if name.endswith("_role_ids"):
        return list(dict.fromkeys(int(r) for r in value))
    if name in ("signup_instructions", "category"):
        what = "The signup instructions" if name == "signup_instructions" else "The category"
        limit = 1000 if name == "signup_instructions" else 100  # as the API's schemas say
        return check_length(clean_text(str(value), field=name, what=what), limit, field=name) or None
    return value
