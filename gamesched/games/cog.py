"""Slash commands for games (/list-games, /my-games, /game create, /game cancel) and the watch on announcements.

Thin edges: parse what Discord sends, call the games service, render an ephemeral answer. Errors go to the
one handler in gamesched/discord/errors.py.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import discord
import msgspec
from discord import app_commands
from discord.ext import commands

from gamesched.core.cache import Cache
from gamesched.core.clock import Clock
from gamesched.core.errors import Conflict, Forbidden, Invalid, NotFound
from gamesched.core.inputs import convert
from gamesched.core.time_zones import local_words, place_time, zone_key
from gamesched.discord_kit import Answer, format_when, reply, respond
from gamesched.games.announcement import game_page_url
from gamesched.games.lifecycle import CANCEL_REASON_MAX
from gamesched.games.recurrence import build_rule, naive_local
from gamesched.games.schemas import GameCreate, GameList, GameView
from gamesched.games.series_schemas import SeriesCreate
from gamesched.games.service import GameService
from gamesched.games.told import told_sentence
from gamesched.games.views import CREATE_CONFIRM, CREATE_FORM, CREATE_RETRY, TEMPLATE_PART
from gamesched.games.when import is_exact, parse_when
from gamesched.images import MAX_BYTES, ImageKind, ImageRejected, ImageTooLarge, PreparedImage

if TYPE_CHECKING:
    from gamesched.games.announcement_check import AnnouncementCheck
    from gamesched.games.announcer import Announcer
    from gamesched.guilds import GuildService, TemplateChoice

LIST_LIMIT = 10
SNIPPET = 100
#: How long the values of a refused /game create form are kept for its "Edit and try again" button.
RETRY_TTL_SECONDS = 30 * 60
#: /game create's repeat choices: kind (recurrence.build_rule) and, after a colon, every how many.
REPEAT_OPTIONS = {
    "weekly": "Every week",
    "weekly:2": "Every 2 weeks",
    "monthly_date": "Every month, same date",
    "monthly_position": "Every month, same weekday (like the 3rd Thursday)",
    "monthly_last": "Every month, last such weekday (like the last Friday)",
}
RETRY_EXPIRED = "Your answers are no longer kept (after 30 minutes). Please run /game create again."
HOSTING_COLOUR = 0x2ECC71
JOINED_COLOUR = 0x3498DB
#: Games looked through for /game cancel's name (and offered as you type).
CANCEL_CHOICES = 100


class GameCommands(commands.Cog, name="GameCommands"):
    game = app_commands.Group(name="game", description="Schedule and manage games", guild_only=True)

    def __init__(
        self, *, games: GameService, guilds: GuildService, clock: Clock, base_url: str, cache: Cache
    ) -> None:
        self.games = games
        self.guilds = guilds
        self.clock = clock
        self.base_url = base_url
        self.cache = cache

    @app_commands.command(name="list-games", description="Scheduled games in this channel or the server")
    @app_commands.guild_only()
    @app_commands.describe(
        channel="Show this channel's games instead of this one's", show_all="Show games of every channel"
    )
    async def list_games(
        self,
        interaction: discord.Interaction[Any],
        channel: discord.TextChannel | None = None,
        show_all: bool = False,
    ) -> None:
        channel_id = None if show_all else (channel.id if channel else interaction.channel_id)
        await respond(interaction, self._list_games(interaction, channel_id))

    @app_commands.command(name="my-games", description="Games you host or joined in this server")
    @app_commands.guild_only()
    async def my_games(self, interaction: discord.Interaction[Any]) -> None:
        await respond(interaction, self._my_games(interaction))

    @game.command(name="create", description="Schedule a game in this channel")
    @app_commands.describe(
        template="A template of this server: its channel, roles and defaults (none: the server's default one)",
        thumbnail="A picture shown small at the top right of the announcement (PNG, JPEG, GIF or WebP, ≤ 5 MB)",
        banner="A picture shown wide under the announcement (PNG, JPEG, GIF or WebP, ≤ 5 MB)",
        repeat="Make it a series: each game is announced 3 days before it (the series' page changes the rest)",
    )
    @app_commands.choices(
        repeat=[app_commands.Choice(name=label, value=value) for value, label in REPEAT_OPTIONS.items()]
    )
    async def create(
        self,
        interaction: discord.Interaction[Any],
        template: str | None = None,
        thumbnail: discord.Attachment | None = None,
        banner: discord.Attachment | None = None,
        repeat: app_commands.Choice[str] | None = None,
    ) -> None:
        guild_id, channel_id = _guild_id(interaction), interaction.channel_id or 0
        # The pictures first: a file we don't take is said now, before the form is filled in.
        pictures = await self._pictures({ImageKind.THUMBNAIL: thumbnail, ImageKind.BANNER: banner})
        # Check before the form is filled in, not after (the service checks again on submit).
        access = await self.guilds.access(guild_id, interaction.user.id, channel_id=channel_id)
        template_id = None
        chosen = (
            await self.guilds.templates.for_new_game(access, template.strip())
            if template
            else await self.guilds.templates.for_unnamed(access)  # the default one, so its locks hold
        )
        if chosen is not None:
            template_id = str(chosen.id) if template else None
            channel_id = int(chosen.locked.get("channel_id") or channel_id)
            if not chosen.governs_hosts:  # the host roles of the channel it announces in
                access = await self.guilds.access(guild_id, interaction.user.id, channel_id=channel_id)
                if not access.can_host:
                    raise Forbidden(self.guilds.cannot_host(access, channel_id))
        elif not access.can_host:
            raise Forbidden(self.guilds.cannot_host(access, channel_id))
        await self._keep_pictures(interaction, pictures)
        # Like the pictures, until the form is submitted: whichever process gets the submission reads it.
        repeat_key = _repeat_key(guild_id, interaction.user.id)
        if repeat is not None:
            await self.cache.set(repeat_key, repeat.value.encode(), ttl_seconds=RETRY_TTL_SECONDS)
        else:
            await self.cache.delete(repeat_key)
        zone = await self.guilds.preferences.time_zone(interaction.user.id)
        await interaction.response.send_modal(CreateGameModal(template_id=template_id, zone=zone))

    async def _pictures(self, given: Mapping[ImageKind, discord.Attachment | None]) -> dict[str, Any]:
        """The attached pictures, checked and downscaled by the same image service as the web's uploads;
        Invalid with a sentence naming the option for a file we don't take."""
        kept: dict[str, Any] = {}
        for kind, attachment in given.items():
            if attachment is None:
                continue
            try:
                if attachment.size > MAX_BYTES:  # said from Discord's figure, without fetching the file
                    raise ImageTooLarge(
                        f"The image is {attachment.size / (1024 * 1024):.1f} MB; images may be at most 5 MB.",
                        field=kind.value,
                    )
                image = await self.games.images.check(await attachment.read(), kind)
            except ImageRejected as error:
                raise Invalid(
                    f"The {kind.value} ({attachment.filename}): {error.message}", field=kind.value
                ) from None
            except discord.HTTPException:
                raise Invalid(
                    f"The {kind.value} ({attachment.filename}) could not be fetched from Discord; attach it again.",
                    field=kind.value,
                ) from None
            kept[kind.value] = _picture_fields(image)
        return kept

    async def _keep_pictures(self, interaction: discord.Interaction[Any], pictures: dict[str, Any]) -> None:
        """Until the form is submitted (and while a refused one is fixed): one set per member and server."""
        key = _pictures_key(_guild_id(interaction), interaction.user.id)
        if pictures:
            await self.cache.set(key, msgspec.msgpack.encode(pictures), ttl_seconds=RETRY_TTL_SECONDS)
        else:
            await self.cache.delete(key)  # a form opened without pictures leaves none from an earlier one

    async def _apply_pictures(self, interaction: discord.Interaction[Any], game: GameView) -> None:
        key = _pictures_key(_guild_id(interaction), interaction.user.id)
        raw = await self.cache.get(key)
        if raw is None:
            return
        await self.cache.delete(key)
        for kind_name, fields in msgspec.msgpack.decode(raw).items():
            image = PreparedImage(**fields)
            await self.games.images.set(game.id, interaction.user.id, ImageKind(kind_name), image)

    @create.autocomplete("template")
    async def template_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """The templates the member may host with (the default first), those whose name holds what is typed."""
        access = await self.guilds.access(_guild_id(interaction), interaction.user.id)
        typed = current.strip().casefold()
        return [
            app_commands.Choice(name=(t.name + (" (default)" if t.is_default else ""))[:100], value=str(t.id))
            for t in await self.guilds.templates.visible(access)
            if typed in t.name.casefold()
        ][:25]

    @game.command(name="cancel", description="Cancel a game you host (or manage) and tell its players")
    @app_commands.describe(
        game="The game's title (or its id, from the address of its page)",
        reason="Why: shown on the game and told to the players",
    )
    async def cancel(
        self,
        interaction: discord.Interaction[Any],
        game: app_commands.Range[str, 1, 200],
        reason: app_commands.Range[str, 1, CANCEL_REASON_MAX] | None = None,
    ) -> None:
        await respond(interaction, self._cancel(interaction, game, reason or ""))

    @cancel.autocomplete("game")
    async def _cancel_choices(
        self, interaction: discord.Interaction[Any], typed: str
    ) -> list[app_commands.Choice[str]]:
        games = await self._cancellable(interaction)
        zone = await self.guilds.preferences.time_zone(interaction.user.id)
        wanted = typed.casefold().strip()
        return [
            app_commands.Choice(name=_choice_name(g, zone), value=g.id)
            for g in games
            if wanted in g.title.casefold()
        ][:25]

    async def _cancel(self, interaction: discord.Interaction[Any], named: str, reason: str) -> str:
        game = await self._one_cancellable(interaction, named.strip())
        cancelled = await self.games.lifecycle.cancel(game.id, interaction.user.id, reason)
        told = None if cancelled.told is msgspec.UNSET else cancelled.told
        return told_sentence(f"Cancelled **{cancelled.title}** ({format_when(cancelled.scheduled_at)})", told)

    async def _cancellable(self, interaction: discord.Interaction[Any]) -> list[GameView]:
        """The games here that the user may cancel: upcoming or running, theirs (or any, for a manager)."""
        found = await self.games.queries.list(
            interaction.user.id,
            guild_id=_guild_id(interaction),
            statuses=["scheduled", "in_progress"],
            limit=CANCEL_CHOICES,
        )
        return [g for g in found.items if g.can_manage]

    async def _one_cancellable(self, interaction: discord.Interaction[Any], named: str) -> GameView:
        games = await self._cancellable(interaction)
        by_id = [g for g in games if g.id == named]
        matches = by_id or [g for g in games if g.title.casefold() == named.casefold()]
        if len(matches) > 1:  # the same title twice: the one in this channel, if only one is
            here = [g for g in matches if g.channel_id == str(interaction.channel_id)]
            matches = here if len(here) == 1 else matches
        if not matches:
            raise NotFound(
                f"No upcoming game called {named!r} here is yours to cancel. /my-games lists the games you host."
            )
        if len(matches) > 1:
            raise Conflict(
                f"{len(matches)} games are called {named!r}: pick one from the list as you type, or give "
                "the id from the address of its page."
            )
        return matches[0]

    @game.command(
        name="post", description="Announce now a game of yours that waits for its announcement time"
    )
    @app_commands.describe(game="The game's title (or its id, from the address of its page)")
    async def post(
        self, interaction: discord.Interaction[Any], game: app_commands.Range[str, 1, 200]
    ) -> None:
        await respond(interaction, self._post(interaction, game))

    @post.autocomplete("game")
    async def _post_choices(
        self, interaction: discord.Interaction[Any], typed: str
    ) -> list[app_commands.Choice[str]]:
        zone = await self.guilds.preferences.time_zone(interaction.user.id)
        wanted = typed.casefold().strip()
        return [
            app_commands.Choice(name=_choice_name(g, zone), value=g.id)
            for g in await self._waiting(interaction)
            if wanted in g.title.casefold()
        ][:25]

    async def _waiting(self, interaction: discord.Interaction[Any]) -> list[GameView]:
        """The games here not announced yet that the user may post: theirs (or any, for a manager)."""
        found = await self.games.queries.list(
            interaction.user.id, guild_id=_guild_id(interaction), statuses=["scheduled"], limit=CANCEL_CHOICES
        )
        return [g for g in found.items if g.can_manage and g.post_at is not None]

    async def _post(self, interaction: discord.Interaction[Any], named: str) -> str:
        """ "Post now", as on the game's page: the game is announced at once and its players told."""
        named = named.strip()
        games = await self._waiting(interaction)
        matches = [g for g in games if g.id == named] or [
            g for g in games if g.title.casefold() == named.casefold()
        ]
        if not matches:
            raise NotFound(
                f"No game called {named!r} here is yours and waiting for its announcement. "
                "/my-games lists the games you host."
            )
        if len(matches) > 1:
            raise Conflict(
                f"{len(matches)} games are called {named!r}: pick one from the list as you type, or give "
                "the id from the address of its page."
            )
        posted = await self.games.lifecycle.post_now(matches[0].id, interaction.user.id)
        return (
            f"Posting **{posted.title}** ({format_when(posted.scheduled_at)}): the announcement will appear in "
            f"<#{posted.channel_id}> in a moment."
        )

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        data: dict[str, Any] = dict(interaction.data or {})
        custom_id = str(data.get("custom_id") or "")
        if interaction.type == discord.InteractionType.modal_submit and (
            custom_id == CREATE_FORM or custom_id.startswith(CREATE_FORM + TEMPLATE_PART)
        ):
            values = form_values(data.get("components") or [])
            template_id = (
                custom_id.removeprefix(CREATE_FORM + TEMPLATE_PART) if TEMPLATE_PART in custom_id else ""
            )
            if template_id:
                values["template_id"] = template_id
            await respond(interaction, self._create(interaction, values))
        elif interaction.type == discord.InteractionType.component and custom_id.startswith(CREATE_RETRY):
            await self._reopen(interaction, custom_id.removeprefix(CREATE_RETRY))
        elif interaction.type == discord.InteractionType.component and custom_id.startswith(CREATE_CONFIRM):
            await self._confirmed(interaction, custom_id.removeprefix(CREATE_CONFIRM))

    async def _create(self, interaction: discord.Interaction[Any], values: dict[str, str]) -> Answer:
        known: dict[str, str] = {}
        guild_id, channel_id = _guild_id(interaction), interaction.channel_id or 0
        # A template that sets the channel announces there (the default one when none was named).
        access = await self.guilds.access(guild_id, interaction.user.id)
        chosen: TemplateChoice | None
        if values.get("template_id"):
            try:
                chosen = await self.guilds.templates.for_new_game(access, values["template_id"])
            except Invalid as error:
                return error.message  # deleted since the form was opened
        else:
            chosen = await self.guilds.templates.for_unnamed(access)
        if chosen is not None:
            channel_id = int(chosen.locked.get("channel_id") or channel_id)
        zone = await self.guilds.preferences.time_zone(interaction.user.id)
        body = game_create_body(
            guild_id=guild_id,
            channel_id=channel_id,
            values=values,
            known=known,
            now=self.clock.now(),
            zone=zone or UTC,
        )
        try:
            data = await self.games.lifecycle.check_new(interaction.user.id, body, known=known)
            natural = [
                f for f in ("when", "post_at") if values.get(f, "").strip() and not is_exact(values[f])
            ]
            if natural:  # words dateparser interpreted: say what was understood, and create on "Create"
                return await self._confirm(interaction, values, body, natural, zone)
            repeat = await self.cache.get(_repeat_key(guild_id, interaction.user.id))
            if repeat is not None:
                return await self._create_series(interaction, data, repeat.decode(), zone)
            game = await self.games.lifecycle.create(interaction.user.id, data)
        except Invalid as error:
            return await self._refused(interaction, error, values, body)
        await self._apply_pictures(interaction, game)
        if game.post_at is not None:
            return (
                f"Scheduled **{game.title}** for {format_when(game.scheduled_at, game.time_zone)}. It will be announced in "
                f"<#{game.channel_id}> {format_when(game.post_at)}; until then only you and the bot managers "
                f"see it. Post it sooner with /game post, or from its page: {game_page_url(self.base_url, game.id)}"
            )
        return (
            f"Scheduled **{game.title}** for {format_when(game.scheduled_at, game.time_zone)}. "
            f"The announcement will appear in <#{game.channel_id}> in a moment."
        )

    async def _create_series(
        self, interaction: discord.Interaction[Any], data: GameCreate, repeat: str, zone: ZoneInfo | None
    ) -> Answer:
        """/game create with ``repeat``: a series from the form's game, at its local time in the host's zone."""
        kind, _, every = repeat.partition(":")
        start = naive_local(data.scheduled_at, zone or UTC)
        rule = build_rule(kind, start, interval=int(every or 1))
        body = {**msgspec.to_builtins(data), "rrule": rule, "time_zone": zone.key if zone else "UTC"}
        series = await self.games.series.create(interaction.user.id, convert(body, SeriesCreate))
        await self.cache.delete(_repeat_key(_guild_id(interaction), interaction.user.id))
        return (
            f"Scheduled **{series.title}**: {series.summary} ({series.time_zone}), from "
            f"{format_when(series.starts_at, series.time_zone)}. Each game is announced in <#{series.channel_id}> "
            f"3 days before it. Skip, move or change games on the series' page: "
            f"{self.base_url.rstrip('/')}/series/{series.id}"
        )

    async def _refused(
        self,
        interaction: discord.Interaction[Any],
        error: Invalid,
        values: dict[str, str],
        body: Mapping[str, Any],
    ) -> Answer:
        """What was wrong, the time as understood, and a button that reopens the form with every answer kept
        (Discord cannot show a form in answer to a form, so the button is the way back to it)."""
        key = secrets.token_urlsafe(12)
        kept = {"user_id": interaction.user.id, "values": values}
        await self.cache.set(_retry_key(key), msgspec.json.encode(kept), ttl_seconds=RETRY_TTL_SECONDS)
        lines = [error.message]
        if "scheduled_at" in body:
            understood = datetime.fromisoformat(body["scheduled_at"])
            lines.append(f"I read the time {values.get('when', '').strip()!r} as {format_when(understood)}.")
        lines.append("Your answers are kept: press **Edit and try again** to fix them.")
        view = discord.ui.View(timeout=None)
        view.add_item(
            discord.ui.Button(
                label="Edit and try again", style=discord.ButtonStyle.primary, custom_id=CREATE_RETRY + key
            )
        )
        view.stop()  # answered by ``on_interaction`` in whichever process gets the click
        return {"content": "\n".join(lines)[:2000], "view": view}

    async def _confirm(
        self,
        interaction: discord.Interaction[Any],
        values: dict[str, str],
        body: Mapping[str, Any],
        natural: Sequence[str],
        zone: ZoneInfo | None,
    ) -> Answer:
        """The time as understood, with Create (the game, with those exact times) and Change (the form again,
        as typed). Nothing is created until Create is pressed."""
        key = secrets.token_urlsafe(12)
        exact = dict(values)
        lines = []
        for name, field in (("when", "scheduled_at"), ("post_at", "post_at")):
            if name not in natural:
                continue
            understood = datetime.fromisoformat(body[field])
            exact[name] = understood.isoformat()  # read again on Create as this very moment
            what = "The game starts" if name == "when" else "It is announced"
            lines.append(
                f"{what} {format_when(understood)} — I read {values[name].strip()!r} as "
                f"{place_time(understood, zone)}."
            )
        if zone is None:
            lines.append("Times are read in UTC: choose your time zone with /settings timezone.")
        lines.append("Press **Create** to schedule the game, or **Change** to edit your answers.")
        user_id = interaction.user.id
        await self.cache.set(
            _retry_key(key),
            msgspec.json.encode({"user_id": user_id, "values": values}),
            ttl_seconds=RETRY_TTL_SECONDS,
        )
        await self.cache.set(
            _confirm_key(key),
            msgspec.json.encode({"user_id": user_id, "values": exact}),
            ttl_seconds=RETRY_TTL_SECONDS,
        )
        view = discord.ui.View(timeout=None)
        view.add_item(
            discord.ui.Button(
                label="Create", style=discord.ButtonStyle.success, custom_id=CREATE_CONFIRM + key
            )
        )
        view.add_item(
            discord.ui.Button(
                label="Change", style=discord.ButtonStyle.secondary, custom_id=CREATE_RETRY + key
            )
        )
        view.stop()  # answered by ``on_interaction`` in whichever process gets the click
        return {"content": "\n".join(lines)[:2000], "view": view}

    async def _confirmed(self, interaction: discord.Interaction[Any], key: str) -> None:
        """Create pressed: the game, with the times as they were shown (once: a second press finds nothing)."""
        raw = await self.cache.get(_confirm_key(key)) if len(key) <= 64 else None
        kept: dict[str, Any] = msgspec.json.decode(raw) if raw is not None else {}
        if kept.get("user_id") != interaction.user.id:
            await reply(interaction, RETRY_EXPIRED)
            return
        await self.cache.delete(_confirm_key(key))
        await respond(interaction, self._create(interaction, dict(kept.get("values") or {})))

    async def _reopen(self, interaction: discord.Interaction[Any], key: str) -> None:
        """The form again, filled in with what was typed last time."""
        raw = await self.cache.get(_retry_key(key)) if len(key) <= 64 else None
        kept: dict[str, Any] = msgspec.json.decode(raw) if raw is not None else {}
        if kept.get("user_id") != interaction.user.id:
            await reply(interaction, RETRY_EXPIRED)
            return
        values = kept.get("values") or {}
        zone = await self.guilds.preferences.time_zone(interaction.user.id)
        await interaction.response.send_modal(
            CreateGameModal(values, template_id=values.get("template_id"), zone=zone)
        )

    async def _list_games(
        self, interaction: discord.Interaction[Any], channel_id: int | None
    ) -> dict[str, Any]:
        found = await self.games.queries.list(
            interaction.user.id,
            guild_id=_guild_id(interaction),
            channel_id=channel_id,
            statuses=["scheduled"],
            limit=LIST_LIMIT,
        )
        if not found.items:
            where = "in this server" if channel_id is None else f"in <#{channel_id}>"
            return {"content": f"No scheduled games {where}."}
        title = "Scheduled games" if channel_id is None else "Scheduled games in this channel"
        return {"embeds": [self._list_embed(title, found, HOSTING_COLOUR)]}

    async def _my_games(self, interaction: discord.Interaction[Any]) -> dict[str, Any]:
        guild_id, user_id = _guild_id(interaction), interaction.user.id
        hosting = await self.games.queries.list(
            user_id, guild_id=guild_id, role="host", statuses=["scheduled"], limit=LIST_LIMIT
        )
        joined = await self.games.queries.list(
            user_id, guild_id=guild_id, role="participant", statuses=["scheduled"], limit=LIST_LIMIT
        )
        joined.items = [g for g in joined.items if g.host.discord_id != str(user_id)]
        if not hosting.items and not joined.items:
            return {"content": "You're not hosting or playing in any scheduled game here."}
        embeds = []
        if hosting.items:
            embeds.append(self._list_embed("Games you host", hosting, HOSTING_COLOUR))
        if joined.items:
            embeds.append(self._list_embed("Games you joined", joined, JOINED_COLOUR, show_seat=True))
        return {"embeds": embeds}

    def _list_embed(
        self, title: str, found: GameList, colour: int, *, show_seat: bool = False
    ) -> discord.Embed:
        embed = discord.Embed(title=title, colour=colour)
        for game in found.items:
            embed.add_field(name=game.title[:256], value=self._summary(game, show_seat), inline=False)
        shown = len(found.items)
        embed.set_footer(
            text=f"Showing {shown} of {found.total} games"
            if found.total > shown
            else f"{found.total} game(s)"
        )
        return embed

    def _summary(self, game: GameView, show_seat: bool) -> str:
        lines = [f"{format_when(game.scheduled_at)} in <#{game.channel_id}>"]
        seat = ""
        if show_seat and game.viewer_status == "confirmed":
            seat = f" · you have seat {game.viewer_position}"
        elif show_seat and game.viewer_status == "waitlisted":
            seat = f" · you're #{game.viewer_position} on the waitlist"
        lines.append(f"{game.confirmed_count}/{game.max_players} players{seat}")
        if game.description.strip():
            snippet = " ".join(game.description.split())  # one line: no \n, nor a \r stored before inputs.py
            lines.append(snippet if len(snippet) <= SNIPPET else snippet[: SNIPPET - 1] + "…")
        lines.append(f"[Open]({game_page_url(self.base_url, game.id)})")
        return "\n".join(lines)[:1024]


class CreateGameModal(discord.ui.Modal, title="Schedule a game"):
    """The /game create form's layout; its submission is read by ``GameCommands.on_interaction``."""

    game_title: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="Title", custom_id="title", max_length=200
    )
    when: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="When",
        custom_id="when",
        placeholder="tomorrow 8pm, Dec 5 19:30 — in UTC unless you add a zone like Europe/Berlin",
        max_length=60,
    )
    description: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="Description",
        custom_id="description",
        style=discord.TextStyle.paragraph,
        required=False,
        max_length=2000,
    )
    max_players: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="Max players",
        custom_id="max_players",
        placeholder="Leave empty for this channel's default",
        required=False,
        max_length=3,
    )

    post_at: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="Announce at (empty: now)",
        custom_id="post_at",
        placeholder="tomorrow 9am — before the game starts",
        required=False,
        max_length=60,
    )

    def __init__(
        self,
        values: Mapping[str, str] | None = None,
        *,
        template_id: str | None = None,
        zone: ZoneInfo | None = None,
    ) -> None:
        # The template travels in the form's id: whichever process gets the submission reads it there.
        custom_id = CREATE_FORM + TEMPLATE_PART + template_id if template_id else CREATE_FORM
        super().__init__(timeout=None, custom_id=custom_id)
        if zone is not None:  # the member's own zone (/settings timezone), named where they type the time
            self.when.placeholder = f"tomorrow 8pm, Dec 5 19:30 — read as {zone.key} time"[:100]
        for field in (self.game_title, self.when, self.description, self.max_players, self.post_at):
            typed = (values or {}).get(str(field.custom_id))
            if typed:  # what was typed last time, cut to what the field takes
                field.default = typed[: field.max_length or None]
        # With several processes, the one that wins the submission's claim answers it, which need not be
        # the one that sent the form: a stopped form is not kept in memory, and every process reads the
        # submission alike.
        self.stop()


def _choice_name(game: GameView, zone: ZoneInfo | None = None) -> str:
    """A game offered as one types (plain text: no ``<t:…>`` there), its time in the member's own zone."""
    return f"{game.title[:70]} · {local_words(game.scheduled_at, zone, 'short')}"[:100]


def form_values(components: Sequence[dict[str, Any]]) -> dict[str, str]:
    """A submitted form's text inputs by custom id (inside action rows or labels, as Discord sends them)."""
    values: dict[str, str] = {}
    for component in components:
        inner = component.get("components") or ([component["component"]] if "component" in component else [])
        values.update(form_values(inner))
        if "custom_id" in component and isinstance(component.get("value"), str):
            values[str(component["custom_id"])] = component["value"]
    return values


class AnnouncementWatch(commands.Cog, name="AnnouncementWatch"):
    """Notices announcements deleted in Discord, so the game is not silently lost: as they are deleted, and
    — for what happened while the bot was away — by checking each guild when the bot is ready or joins it."""

    def __init__(self, *, announcer: Announcer, check: AnnouncementCheck) -> None:
        self.announcer = announcer
        self.check = check

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        if self.announcer.bot is not None:
            for guild in self.announcer.bot.guilds:
                await self.check.schedule(guild.id)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.check.schedule(guild.id)

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        await self._deleted(
            payload.guild_id, payload.channel_id, [payload.message_id], payload.cached_message
        )

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        await self._deleted(payload.guild_id, payload.channel_id, sorted(payload.message_ids), None)

    async def _deleted(
        self,
        guild_id: int | None,
        channel_id: int,
        message_ids: Sequence[int],
        cached: discord.Message | None,
    ) -> None:
        me = self.announcer.bot.user if self.announcer.bot is not None else None
        if guild_id is None or (cached is not None and me is not None and cached.author.id != me.id):
            return  # DMs, and messages someone else wrote, never announce a game
        for message_id in message_ids:
            await self.announcer.message_deleted(
                guild_id=guild_id, channel_id=channel_id, message_id=message_id
            )


def game_create_body(
    *,
    guild_id: int,
    channel_id: int,
    values: Mapping[str, str],
    known: dict[str, str],
    now: datetime | None = None,
    zone: tzinfo = UTC,
) -> dict[str, Any]:
    """The form's text as a new game's fields (times read in ``zone``, the member's own; checked with the API's limits by ``check_new``); what cannot
    be read at all goes into ``known`` (field → sentence), so every problem is answered at once."""
    body: dict[str, Any] = {
        "guild_id": str(guild_id),
        "channel_id": str(channel_id),
        "title": values.get("title", "").strip(),
        "description": values.get("description", "").strip(),
    }
    if values.get("template_id"):
        body["template_id"] = values["template_id"]
    if zone is not UTC:
        body["time_zone"] = zone_key(zone)
    try:
        body["scheduled_at"] = parse_when(values.get("when", ""), zone=zone, now=now).isoformat()
    except Invalid as error:
        known["scheduled_at"] = error.message
    post_at = values.get("post_at", "").strip()
    if post_at:
        try:
            body["post_at"] = parse_when(post_at, zone=zone, now=now).isoformat()
        except Invalid as error:
            known["post_at"] = error.message
    max_players = values.get("max_players", "").strip()
    if max_players:
        if max_players.isdigit() and 1 <= int(max_players) <= 100:
            body["max_players"] = int(max_players)
        else:
            known["max_players"] = "Max players must be a whole number from 1 to 100."
    return body


def _picture_fields(image: PreparedImage) -> dict[str, Any]:
    return {
        "data": image.data,
        "media_type": image.media_type,
        "extension": image.extension,
        "width": image.width,
        "height": image.height,
    }


def _repeat_key(guild_id: int, user_id: int) -> str:
    return f"discord:create-repeat:{guild_id}:{user_id}"


def _pictures_key(guild_id: int, user_id: int) -> str:
    return f"discord:create-pictures:{guild_id}:{user_id}"


def _confirm_key(key: str) -> str:
    return f"discord:create-confirm:{key}"


def _retry_key(key: str) -> str:
    return f"discord:create-form:{key}"


def _guild_id(interaction: discord.Interaction[Any]) -> int:
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    return interaction.guild_id
