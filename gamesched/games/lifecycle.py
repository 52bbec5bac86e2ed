"""Scheduling, editing and cancelling games."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import msgspec
import structlog
from msgspec import UNSET

from gamesched.core.db import UnitOfWork
from gamesched.core.errors import Conflict, Forbidden, Invalid, NotFound, Problems
from gamesched.core.inputs import clean_text, convert
from gamesched.core.time_zones import zone_named
from gamesched.games import events
from gamesched.games.carry import CarriedSeat, placed_in_order
from gamesched.games.confirmations import confirmations_asked, plan_confirm_deadline
from gamesched.games.mentions import resolve_entries
from gamesched.games.models import Game, Participant
from gamesched.games.roster import SignupMethod
from gamesched.games.schedule import SCHEDULE_FIELDS
from gamesched.games.schemas import GameCreate, GameUpdate, GameView, RewardsUpdate
from gamesched.games.use_case import STATUS_SENTENCES, GameUseCase

if TYPE_CHECKING:
    from gamesched.guilds import EffectiveSettings, GuildAccess, TemplateChoice

log = structlog.get_logger(__name__)

#: Settings a game inherits (guild → channel → game) and stores with the level they came from.
INHERITED = ("max_players", "reminder_minutes", "signup_instructions", "player_role_ids")
#: Plain fields an edit may change, compared one by one to report what changed.
PLAIN_FIELDS = (
    "title",
    "description",
    "scheduled_at",
    "duration_minutes",
    "location",
    "signup_method",
    "priority_role_ids",
    "notify_role_ids",
    "channel_id",
    "host_id",
    "remind_waitlist",
    "post_at",
    "archive_delay_minutes",
    "archive_channel_id",
    "rewards",
    "remind_rewards",
)
EDIT_RETRIES = 3
#: The longest reason for cancelling (the API's ``GameCancel`` says the same).
CANCEL_REASON_MAX = 500
#: How far ahead a game may be scheduled: plenty for planning; a year 9999 is a typo, not a plan.
MAX_YEARS_AHEAD = 5
#: Role lists of a game, checked against the server's roles.
ROLE_FIELDS = ("player_role_ids", "priority_role_ids", "notify_role_ids")


@dataclass
class _NewGame:
    """A new game's parts, checked (``GameLifecycle._prepare``)."""

    access: GuildAccess
    host_id: int
    now: datetime
    title: str
    description: str
    location: str
    priority: list[int]
    settings: EffectiveSettings
    entries: list[Any]
    template: TemplateChoice | None = None
    signup_method: str = "self_signup"
    duration_minutes: int | None = None
    notify: list[int] = field(default_factory=list)
    rewards: str = ""
    archive_channel_id: int | None = None
    archive_delay_minutes: int | None = None


@dataclass
class EditPlan:
    """An edit worked out against one version of the game, applied only if that version still holds."""

    version: int
    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)


class GameLifecycle(GameUseCase):
    async def check_new(
        self, user_id: int, body: Mapping[str, Any], known: Mapping[str, str] | None = None
    ) -> GameCreate:
        """A new game as people typed it (a form's fields, a Discord form's text) → a ``GameCreate``, or one
        Invalid listing every problem at once: ``known`` (field → sentence: what the form already found
        wrong), the body's shape, and the rules a game must meet. Fields in error are stood in for while
        the rules are checked, so a past date or an unknown @name is not reported only after the rest is
        fixed. Passing answers only that nothing is wrong now: ``create`` checks again."""
        problems = [{"field": field, "message": message} for field, message in (known or {}).items()]
        try:
            data = convert(dict(body), GameCreate)
        except Invalid as error:  # a field the form could not read is missing from the body: said once
            problems += [p for p in error.extra["errors"] if p.get("field") not in (known or {})]
        else:
            if not problems:
                return data
        wrong = {p["field"] for p in problems}
        extra: dict[str, Any] = {}
        if not wrong & {"guild_id", "channel_id"}:
            stand_in = {k: v for k, v in body.items() if k not in wrong and v is not None}
            stand_in.setdefault("title", "-")
            stand_in.setdefault("scheduled_at", (self.clock.now() + timedelta(days=1)).isoformat())
            try:
                await self._prepare(user_id, convert(stand_in, GameCreate))
            except Invalid as error:
                problems += [p for p in error.extra.get("errors", []) if p.get("field") not in wrong]
                extra = {k: v for k, v in error.extra.items() if k != "errors"}
            except (Forbidden, NotFound):
                pass  # may they host there at all: said once what they typed reads well
        raise _together(problems, extra)

    async def check_edit(
        self, game_id: str, user_id: int, body: Mapping[str, Any], known: Mapping[str, str] | None = None
    ) -> GameUpdate:
        """``check_new`` for an edit: a ``GameUpdate``, or one Invalid listing the form's problems (``known``),
        the body's and the rules' (worked out with the fields in error left unchanged), all at once."""
        problems = [{"field": field, "message": message} for field, message in (known or {}).items()]
        try:
            data = convert(dict(body), GameUpdate)
        except Invalid as error:
            problems += error.extra["errors"]
        else:
            if not problems:
                return data
        wrong = {p["field"] for p in problems}
        try:
            gid, access = await self._enter(game_id, user_id)
            async with self.db.uow(guild_id=access.guild_id) as uow:
                game, _ = await self._load(uow.session, gid)
            stand_in = convert({k: v for k, v in body.items() if k not in wrong}, GameUpdate)
            await self._plan_edit(game, access, stand_in)
        except Invalid as error:
            problems += [p for p in error.extra.get("errors", []) if p.get("field") not in wrong]
        except (Forbidden, NotFound, Conflict):
            pass  # said once what they typed reads well
        raise _together(problems, {})

    async def _prepare(self, user_id: int, data: GameCreate) -> _NewGame:
        """The checked parts of a new game; every problem is collected, then reported together."""
        guild_id, channel_id = int(data.guild_id), int(data.channel_id)
        access = await self.guilds.access(guild_id, user_id, channel_id=channel_id)
        problems = Problems()
        template: TemplateChoice | None
        if data.template_id is not None:
            template = await self.guilds.templates.for_new_game(access, data.template_id)
        else:  # the server's default template: its locks hold whichever surface the game comes from
            template = await self.guilds.templates.for_unnamed(access)
        host_id = user_id
        with problems.check():
            host_id = await self._choose_host(access, None if data.host_id is None else int(data.host_id))
        if host_id == user_id and not access.can_host and not (template and template.governs_hosts):
            raise Forbidden(self.guilds.cannot_host(access, channel_id))
        locked = template.locked if template else {}
        for name in locked:
            with problems.check():
                _check_locked(template, name, getattr(data, name))
        signup_method = data.signup_method or (template and template.default_signup_method) or "self_signup"
        if template and template.signup_methods and signup_method not in template.signup_methods:
            problems.found.append(
                Invalid(
                    f"The template “{template.name}” allows these signup methods: "
                    f"{', '.join(m.replace('_', ' ') for m in template.signup_methods)}.",
                    field="signup_method",
                )
            )
        now = self.clock.now()
        title = description = location = ""
        with problems.check():
            title = _clean_title(data.title)
        with problems.check():
            description = _clean(data.description, "description")
        with problems.check():
            location = _clean(data.location or (template.location if template else None) or "", "location")
        with problems.check():
            _check_time(data.scheduled_at, now)
        with problems.check():
            _check_post_at(data.post_at, data.scheduled_at, now)
        if data.time_zone is not None and zone_named(data.time_zone) is None:
            problems.found.append(
                Invalid(
                    f"I don't know the time zone {data.time_zone!r}: use an IANA name such as Europe/Berlin.",
                    field="time_zone",
                )
            )
        with problems.check():
            self._check_archive_channel(guild_id, data.archive_channel_id)
        archive_channel = locked.get("archive_channel_id", data.archive_channel_id)
        archive_delay = locked.get("archive_delay_minutes", data.archive_delay_minutes)
        rewards = ""
        with problems.check():
            rewards = _clean(data.rewards, "rewards")
        priority = _ids(locked.get("priority_role_ids", data.priority_role_ids))
        notify = _ids(locked.get("notify_role_ids", data.notify_role_ids))
        with problems.check():
            _check_signup_method(signup_method, priority)
        overrides: dict[str, Any] = {
            "max_players": data.max_players,
            "reminder_minutes": data.reminder_minutes,
            "player_role_ids": None
            if "player_role_ids" in locked
            else _normalize("player_role_ids", data.player_role_ids),
        }
        with problems.check():
            overrides["signup_instructions"] = _normalize("signup_instructions", data.signup_instructions)
        roles = {name: _ids(getattr(data, name) or []) for name in ROLE_FIELDS}
        for name, ids in roles.items():
            with problems.check():
                self.guilds.check_roles(guild_id, {name: ids})
        settings = None
        with problems.check():
            settings = await self.guilds.effective_settings(
                guild_id,
                channel_id,
                game={k: v for k, v in overrides.items() if v is not None},
                template=template.settings if template else None,
            )
        entries: list[Any] = []
        with problems.check():
            entries = await resolve_entries(
                self.guilds, guild_id, data.initial_participants, form_data=msgspec.to_builtins(data)
            )
        problems.raise_any()
        assert settings is not None  # no problem was found, so the settings were resolved
        duration = data.duration_minutes
        if duration is None and template is not None:
            duration = template.duration_minutes
        return _NewGame(
            access,
            host_id,
            now,
            title,
            description,
            location,
            priority,
            settings,
            entries,
            template=template,
            signup_method=signup_method,
            duration_minutes=duration,
            notify=notify,
            rewards=rewards,
            archive_channel_id=None if archive_channel is None else int(archive_channel),
            archive_delay_minutes=archive_delay,
        )

    async def _host_zone(self, host_id: int, given: str | None) -> str | None:
        """The zone the game's time is worded in: the host's own choice, else the one the time was typed in
        (a browser's, checked in ``_prepare``), else none (UTC)."""
        chosen = await self.guilds.preferences.time_zone(host_id)
        zone = chosen or zone_named(given)
        return zone.key if zone is not None else None

    async def check_create(self, user_id: int, data: GameCreate) -> None:
        """Every rule a new game must meet, checked without creating it (a series checks its games so)."""
        await self._prepare(user_id, data)

    async def create(
        self,
        user_id: int,
        data: GameCreate,
        *,
        series_id: uuid.UUID | None = None,
        recurrence_id: datetime | None = None,
        carried: Sequence[CarriedSeat] = (),
    ) -> GameView:
        """Schedule a game; inherited settings are resolved now and stored with their sources. A series'
        game names it and its occurrence. ``carried``: places taken over from another game (a clone's
        source, clones.py; a series' previous game), ahead of the players typed on the form."""
        new = await self._prepare(user_id, data)
        access, host_id, now, settings, entries = new.access, new.host_id, new.now, new.settings, new.entries
        guild_id, channel_id = int(data.guild_id), int(data.channel_id)
        title, description, location, priority = new.title, new.description, new.location, new.priority
        values = settings.values()
        game = Game(
            id=uuid.uuid4(),
            guild_id=guild_id,
            channel_id=channel_id,
            host_id=host_id,
            title=title,
            description=description,
            scheduled_at=data.scheduled_at,
            duration_minutes=new.duration_minutes,
            max_players=int(values["max_players"]),
            reminder_minutes=list(values["reminder_minutes"]),
            signup_instructions=values["signup_instructions"],
            location=self.guilds.link_channels(guild_id, location),
            player_role_ids=list(values["player_role_ids"]),
            priority_role_ids=priority,
            notify_role_ids=new.notify,
            signup_method=new.signup_method,
            remind_waitlist=data.remind_waitlist,
            post_at=data.post_at,
            archive_delay_minutes=new.archive_delay_minutes,
            archive_channel_id=new.archive_channel_id,
            # The template's pictures, if any (the create form's uploads replace them right after).
            thumbnail_image=new.template.thumbnail_image if new.template else None,
            banner_image=new.template.banner_image if new.template else None,
            rewards=new.rewards,
            remind_rewards=data.remind_rewards,
            status="scheduled",
            settings_sources={name: settings.sources()[name] for name in INHERITED},
            template_id=new.template.id if new.template else None,
            template_name=new.template.name if new.template else None,
            locked_fields=sorted(new.template.locked) if new.template else [],
            time_zone=await self._host_zone(host_id, data.time_zone),
            series_id=series_id,
            recurrence_id=recurrence_id,
            version=1,
            created_at=now,
            updated_at=now,
        )
        participants = [
            Participant(
                id=uuid.uuid4(),
                game_id=game.id,
                guild_id=guild_id,
                user_id=seat.user_id,
                placeholder=seat.placeholder,
                position_type=seat.position_type,
                position=seat.position,
                joined_at=seat.joined_at,
                confirm_by=seat.confirm_by,
            )
            for seat in placed_in_order(carried, entries, now=now)
        ]
        async with self.db.uow(guild_id=guild_id) as uow:
            uow.session.add(game)
            await uow.session.flush()
            uow.session.add_all(participants)
            await uow.session.flush()
            await self.schedule.plan(uow.session, game)
            await plan_confirm_deadline(self.schedule.queue, uow.session, game, participants)
            if game.post_at is None:  # a deferred game is announced (and its players told) at post_at
                self._publish_scheduled(uow, game, participants)
        self._remember(game.id, guild_id)
        log.info("game_scheduled", game_id=str(game.id), guild_id=guild_id, participants=len(participants))
        return await self._render(game, participants, viewer=access)

    async def edit(self, game_id: str, user_id: int, data: GameUpdate) -> GameView:
        """Change a game's fields; seats move (and people are told) when max players or the method change."""
        gid, access = await self._enter(game_id, user_id)
        for _ in range(EDIT_RETRIES):
            async with self.db.uow(guild_id=access.guild_id) as uow:
                current, _participants = await self._load(uow.session, gid)
            self._require_manager(current, access, "edit this game")
            self._check_version(current, data.expected_version)
            plan = await self._plan_edit(current, access, data)
            async with self.db.uow(guild_id=access.guild_id) as uow:
                game, participants = await self._load(uow.session, gid, lock=True)
                self._check_version(game, data.expected_version)
                if game.version != plan.version:
                    continue  # changed while we were resolving settings: plan again on the new version
                self._require_status(game, "scheduled", "in_progress")
                before = self._roster(game, participants)
                previous_channel = game.channel_id
                changed = _apply(game, plan)
                published: list[Any] = []
                if changed:
                    self._touch(game, bump_version=True)
                    if SCHEDULE_FIELDS.intersection(changed):
                        await self.schedule.plan(uow.session, game)
                    self._publish_moves(uow, game, before, self._roster(game, participants))
                    uow.publish(
                        events.GameUpdated(
                            **self._event_base(game),
                            by_user_id=user_id,
                            changed=tuple(changed),
                            previous_channel_id=previous_channel if "channel_id" in changed else None,
                            message_id=game.message_id,
                        )
                    )
                    published = list(uow.events)
            return await self._with_told(await self._render(game, participants, viewer=access), published)
        raise Conflict("This game keeps changing; reload it and try again.")

    async def cancel(self, game_id: str, user_id: int, reason: str = "") -> GameView:
        """Cancel: the game and its roster are kept, with status ``cancelled`` and the host's optional
        ``reason`` (told to the players). Cancelling twice is a no-op."""
        reason = _clean(reason, "reason")
        if len(reason) > CANCEL_REASON_MAX:
            raise Invalid(f"Keep the reason to {CANCEL_REASON_MAX} characters or fewer.", field="reason")
        gid, access = await self._enter(game_id, user_id)
        published: list[Any] = []
        async with self.db.uow(guild_id=access.guild_id) as uow:
            game, participants = await self._load(uow.session, gid, lock=True)
            self._require_manager(game, access, "cancel this game")
            if game.status != "cancelled":
                self._require_status(game, "scheduled", "in_progress")
                game.status = "cancelled"
                game.cancelled_at = self.clock.now()
                game.cancel_reason = reason
                self._touch(game, bump_version=True)
                await self.schedule.clear(uow.session, game.id)
                if game.series_id is not None:  # a series made after the previous game: the next one now
                    await self.schedule.series_next(uow.session, game.series_id, game.guild_id)
                uow.publish(
                    events.GameCancelled(
                        **self._event_base(game),
                        by_user_id=user_id,
                        host_id=game.host_id,
                        message_id=game.message_id,
                        participant_ids=tuple(p.user_id for p in participants if p.user_id is not None),
                        reason=reason,
                    )
                )
            published = list(uow.events)
        return await self._with_told(await self._render(game, participants, viewer=access), published)

    async def transition(self, game_id: str, *, guild_id: int, to: str) -> bool:
        """Move a game along its lifecycle on schedule (system path); False when it is past that already."""
        allowed_from = {"in_progress": ("scheduled",), "completed": ("scheduled", "in_progress")}[to]
        async with self.db.uow(guild_id=guild_id) as uow:
            game, _ = await self._load(uow.session, uuid.UUID(str(game_id)), lock=True)
            if game.status not in allowed_from:
                return False
            previous, game.status = game.status, to
            self._touch(game, bump_version=False)
            if to == "completed":
                game.completed_at = self.clock.now()
                game.post_at = None  # never announced before it ended: nothing is left to announce
                await self.schedule.plan_archive(uow.session, game)
                if game.series_id is not None:
                    await self.schedule.series_next(uow.session, game.series_id, game.guild_id)
                if game.remind_rewards and not game.rewards.strip():
                    uow.publish(events.RewardsWanted(**self._event_base(game), host_id=game.host_id))
            uow.publish(
                events.GameStatusChanged(
                    **self._event_base(game), status=to, previous=previous, message_id=game.message_id
                )
            )
        log.info("game_status_changed", game_id=str(game_id), status=to, previous=previous)
        return True

    # -- deferred announcement ---------------------------------------------------------------------

    async def post(self, game_id: str, *, guild_id: int) -> bool:
        """Announce a deferred game at its ``post_at`` (system path, the ``games.post`` job). False when it was
        posted already (a second run, "post now" first) or is no longer scheduled: nothing is posted twice."""
        async with self.db.uow(guild_id=guild_id) as uow:
            game, participants = await self._load(uow.session, uuid.UUID(str(game_id)), lock=True)
            if game.post_at is None or game.status != "scheduled":
                return False
            await self._announce_now(uow, game, participants)
        log.info("game_posted", game_id=str(game_id), guild_id=guild_id)
        return True

    async def post_now(self, game_id: str, user_id: int) -> GameView:
        """ "Post now": the host or a manager announces a deferred game at once. Already announced: nothing
        to do (a second click answers the game as it is)."""
        gid, access = await self._enter(game_id, user_id)
        async with self.db.uow(guild_id=access.guild_id) as uow:
            game, participants = await self._load(uow.session, gid, lock=True)
            self._require_manager(game, access, "announce this game")
            if game.post_at is not None:
                self._require_status(game, "scheduled")
                await self._announce_now(uow, game, participants)
        log.info("game_posted", game_id=str(gid), guild_id=access.guild_id, by=user_id)
        return await self._render(game, participants, viewer=access)

    async def _announce_now(self, uow: UnitOfWork, game: Game, participants: list[Participant]) -> None:
        game.post_at = None
        self._touch(game, bump_version=True)
        await self.schedule.plan(uow.session, game)  # the post row goes; reminders from now on
        self._publish_scheduled(uow, game, participants)

    def _publish_scheduled(self, uow: UnitOfWork, game: Game, participants: list[Participant]) -> None:
        """The game is announced: the announcer posts it, the players placed on it hear of it (those carried
        over pending a confirmation are asked to confirm instead)."""
        uow.publish(
            events.GameScheduled(
                **self._event_base(game),
                host_id=game.host_id,
                scheduled_at=game.scheduled_at,
                participant_ids=tuple(
                    p.user_id for p in participants if p.user_id is not None and p.confirm_by is None
                ),
            )
        )
        uow.publish(*confirmations_asked(game, self._roster(game, participants), self._event_base(game)))

    # -- archiving and rewards ---------------------------------------------------------------------

    async def archive(self, game_id: str, *, guild_id: int) -> bool:
        """Archive a completed game when its delay is up (system path, the ``games.archive`` job). A game
        whose host asked to be reminded of the rewards waits for them: saving them archives it."""
        async with self.db.uow(guild_id=guild_id) as uow:
            game, _ = await self._load(uow.session, uuid.UUID(str(game_id)), lock=True)
            if game.status != "completed" or game.archive_delay_minutes is None:
                return False
            if game.remind_rewards and not game.rewards.strip():
                log.info("archive_waits_for_rewards", game_id=str(game_id))
                return False
            self._archive(uow, game)
        return True

    def _archive(self, uow: UnitOfWork, game: Game) -> None:
        game.status = "archived"
        self._touch(game, bump_version=True)
        uow.publish(
            events.GameStatusChanged(
                **self._event_base(game), status="archived", previous="completed", message_id=game.message_id
            )
        )
        log.info("game_status_changed", game_id=str(game.id), status="archived", previous="completed")

    async def set_rewards(self, game_id: str, user_id: int, data: RewardsUpdate) -> GameView:
        """The host's rewards and archive settings, also once the game is over (not once it is archived).
        On a completed game, ``archive_now`` archives it at once, and so does saving once its archive delay
        has passed; a new delay or channel moves the archive job."""
        gid, access = await self._enter(game_id, user_id)
        rewards = None if data.rewards is UNSET else _clean(data.rewards, "rewards")
        archive: dict[str, Any] = {}
        if data.archive_delay_minutes is not UNSET:
            archive["archive_delay_minutes"] = data.archive_delay_minutes
        if data.archive_channel_id is not UNSET:
            archive["archive_channel_id"] = (
                None if data.archive_channel_id is None else int(data.archive_channel_id)
            )
        async with self.db.uow(guild_id=access.guild_id) as uow:
            game, participants = await self._load(uow.session, gid, lock=True)
            self._require_manager(game, access, "set the rewards")
            if game.status == "cancelled":
                raise Conflict(STATUS_SENTENCES["cancelled"])
            if data.archive_now and game.status != "completed":
                raise Invalid(
                    "Only a game that is over (and not archived yet) can be archived.", field="archive_now"
                )
            changed = [name for name, value in archive.items() if value != getattr(game, name)]
            if changed and game.status == "archived":
                raise Conflict(
                    "This game is archived already: its archive settings can no longer change.",
                    field=changed[0],
                )
            problems = Problems()
            for name in changed:
                if name in (game.locked_fields or []):
                    problems.found.append(Invalid(_locked_sentence(game, name), field=name))
            if "archive_channel_id" in changed:
                with problems.check():
                    self._check_archive_channel(game.guild_id, archive["archive_channel_id"])
            problems.raise_any()
            if rewards is not None and rewards != game.rewards:
                changed.append("rewards")
            if changed:
                for name in changed:
                    setattr(game, name, rewards if name == "rewards" else archive[name])
                self._touch(game, bump_version=True)
                uow.publish(
                    events.GameUpdated(
                        **self._event_base(game),
                        by_user_id=user_id,
                        changed=tuple(changed),
                        message_id=game.message_id,
                    )
                )
                if game.status == "completed" and set(changed) & set(archive):
                    await self.schedule.plan_archive(uow.session, game)  # at the new time, or not at all
            if game.status == "completed" and (data.archive_now or self._archive_due(game)):
                await self.schedule.clear(uow.session, game.id)
                self._archive(uow, game)
        return await self._render(game, participants, viewer=access)

    def _archive_due(self, game: Game) -> bool:
        """The delay has passed, and the game does not wait for its rewards (the archive job's rule)."""
        if game.archive_delay_minutes is None or (game.remind_rewards and not game.rewards.strip()):
            return False
        completed = game.completed_at or game.updated_at
        return completed + timedelta(minutes=game.archive_delay_minutes) <= self.clock.now()

    async def record_archive_announcement(
        self, game_id: str, *, guild_id: int, message_id: int | None
    ) -> None:
        """Remember the archived announcement re-posted in the archive channel. For the bot."""
        async with self.db.uow(guild_id=guild_id) as uow:
            game, _ = await self._load(uow.session, uuid.UUID(str(game_id)), lock=True)
            game.archive_message_id = message_id

    async def record_announcement(self, game_id: str, *, guild_id: int, message_id: int | None) -> None:
        """Remember (or forget, with None) the Discord message announcing the game. For the bot."""
        async with self.db.uow(guild_id=guild_id) as uow:
            game, _ = await self._load(uow.session, uuid.UUID(str(game_id)), lock=True)
            game.message_id = message_id

    # -- helpers -----------------------------------------------------------------------------------

    def _check_archive_channel(self, guild_id: int, channel_id: Any) -> None:
        if channel_id is not None and self.guilds.channel_name(guild_id, int(channel_id)) is None:
            raise Invalid("The archive channel is not a channel of this server.", field="archive_channel_id")

    async def _choose_host(self, access: GuildAccess, requested: int | None) -> int:
        if requested is None or requested == access.user_id:
            return access.user_id
        if not access.is_manager:
            raise Forbidden("Only bot managers can choose another host.")
        try:
            await self.guilds.access(access.guild_id, requested)
        except NotFound:
            raise Invalid("The chosen host is not a member of this server.", field="host_id") from None
        return requested

    @staticmethod
    def _check_version(game: Game, expected: int | None) -> None:
        if expected is not None and game.version != expected:
            raise Conflict(
                "This game was changed by someone else; reload it and try again.",
                code="stale_version",
                current_version=game.version,
            )

    async def _plan_edit(self, game: Game, access: GuildAccess, data: GameUpdate) -> EditPlan:
        """The edit's new values; every problem with it is collected and reported together."""
        plan = EditPlan(version=game.version)
        values = plan.values
        problems = Problems()
        for name in game.locked_fields or []:
            requested = getattr(data, name, UNSET)
            if requested is not UNSET and _differs(name, requested, getattr(game, name)):
                problems.found.append(Invalid(_locked_sentence(game, name), field=name))
        with problems.check():
            if data.title is not UNSET:
                values["title"] = _clean_title(data.title)
        with problems.check():
            if data.description is not UNSET:
                values["description"] = _clean(data.description, "description")
        with problems.check():
            if data.location is not UNSET:
                location = _clean(data.location, "location")
                values["location"] = self.guilds.link_channels(game.guild_id, location)
        if data.duration_minutes is not UNSET:
            values["duration_minutes"] = data.duration_minutes
        with problems.check():
            if data.scheduled_at is not UNSET and data.scheduled_at != game.scheduled_at:
                _check_time(data.scheduled_at, self.clock.now())
                values["scheduled_at"] = data.scheduled_at
        # Roles already on the game stay acceptable (one may have been deleted since); new ones must exist.
        for name in ROLE_FIELDS:
            if getattr(data, name) is not UNSET:
                added = [r for r in _ids(getattr(data, name) or []) if r not in getattr(game, name)]
                with problems.check():
                    self.guilds.check_roles(game.guild_id, {name: added})
        if data.remind_waitlist is not UNSET:
            values["remind_waitlist"] = data.remind_waitlist
        if data.remind_rewards is not UNSET:
            values["remind_rewards"] = data.remind_rewards
        with problems.check():
            if data.rewards is not UNSET:
                values["rewards"] = _clean(data.rewards, "rewards")
        if data.archive_delay_minutes is not UNSET:
            values["archive_delay_minutes"] = data.archive_delay_minutes
        with problems.check():
            if data.archive_channel_id is not UNSET:
                archive = None if data.archive_channel_id is None else int(data.archive_channel_id)
                if archive != game.archive_channel_id:
                    self._check_archive_channel(game.guild_id, archive)
                values["archive_channel_id"] = archive
        with problems.check():
            if data.post_at is not UNSET and data.post_at != game.post_at:
                if game.post_at is None:
                    raise Invalid(
                        "This game is already announced; its announcement time cannot change.",
                        field="post_at",
                    )
                values["post_at"] = data.post_at
            post_at = values.get("post_at", game.post_at)
            if post_at is not None and ("post_at" in values or "scheduled_at" in values):
                _check_post_at(post_at, values.get("scheduled_at", game.scheduled_at), self.clock.now())
        if data.notify_role_ids is not UNSET:
            values["notify_role_ids"] = _ids(data.notify_role_ids)
        if data.priority_role_ids is not UNSET:
            values["priority_role_ids"] = _ids(data.priority_role_ids)
        if data.signup_method is not UNSET:
            values["signup_method"] = data.signup_method
        with problems.check():
            _check_signup_method(
                values.get("signup_method", game.signup_method),
                values.get("priority_role_ids", game.priority_role_ids),
            )
        if data.host_id is not UNSET and int(data.host_id) != game.host_id:
            if not access.is_manager:
                raise Forbidden("Only bot managers can hand a game to another host.")
            with problems.check():
                values["host_id"] = await self._choose_host(access, int(data.host_id))
        channel_id = game.channel_id
        if data.channel_id is not UNSET and int(data.channel_id) != game.channel_id:
            channel_id = int(data.channel_id)
            moved = await self.guilds.access(access.guild_id, access.user_id, channel_id=channel_id)
            if not (moved.is_manager or moved.can_host):
                raise Forbidden(self.guilds.cannot_host(moved, channel_id))
            values["channel_id"] = channel_id
        with problems.check():
            await self._plan_settings(game, data, channel_id, plan)
        problems.raise_any()
        return plan

    async def _plan_settings(self, game: Game, data: GameUpdate, channel_id: int, plan: EditPlan) -> None:
        """Given values override; null inherits again; moving channels re-resolves what was inherited."""
        requested: dict[str, Any] = {}
        for name in INHERITED:
            value = getattr(data, name)
            if value is not UNSET:
                requested[name] = _normalize(name, value)
        moved = channel_id != game.channel_id
        # Moving keeps the seats the host saw: max players left inheriting (the web form sends it empty)
        # is not a request to take the new channel's number; it becomes the game's own if that differs.
        keep_seats = moved and game.settings_sources.get("max_players") != "game"
        if keep_seats and requested.get("max_players") is None:
            requested.pop("max_players", None)
        else:
            keep_seats = False
        if not moved and all(v is not None for v in requested.values()):
            for name, value in requested.items():
                plan.values[name] = value
                plan.sources[name] = "game"
            return
        overrides = {}
        for name in INHERITED:
            if name in requested:
                if requested[name] is not None:
                    overrides[name] = requested[name]
            elif game.settings_sources.get(name) == "game":
                overrides[name] = getattr(game, name)
        # What the game took from its template stays, and is what "inherit again" goes back to (copied at
        # creation: the template may have changed or gone since).
        from_template = {
            name: getattr(game, name)
            for name in INHERITED
            if game.settings_sources.get(name) == "template" and requested.get(name) is None
        }
        settings = await self.guilds.effective_settings(
            game.guild_id, channel_id, game=overrides, template=from_template
        )
        resolved, sources = settings.values(), settings.sources()
        for name in INHERITED:
            if name in requested or moved:
                plan.values[name] = resolved[name]
                plan.sources[name] = sources[name]
        if keep_seats and resolved["max_players"] != game.max_players:
            plan.values["max_players"] = game.max_players
            plan.sources["max_players"] = "game"


#: Locked fields as people know them.
LOCKED_LABELS = {
    "channel_id": "the channel",
    "archive_channel_id": "the archive channel",
    "archive_delay_minutes": "the archive delay",
    "notify_role_ids": "the roles to notify",
    "player_role_ids": "the player roles",
    "priority_role_ids": "the priority roles",
}


#: Locked fields holding one value (the others are role lists).
SCALAR_LOCKS = ("channel_id", "archive_channel_id", "archive_delay_minutes")


def _locked_sentence(game: Game, name: str) -> str:
    return (
        f"This game was made from the template “{game.template_name or 'a template'}”, which "
        f"sets {LOCKED_LABELS.get(name, name)}: it cannot be changed."
    )


def _differs(name: str, requested: Any, current: Any) -> bool:
    if name in SCALAR_LOCKS:
        return (None if requested is None else int(requested)) != (None if current is None else int(current))
    return requested is None or {int(r) for r in requested} != {int(r) for r in current or []}


def _check_locked(template: Any, name: str, sent: Any) -> None:
    """A new game made from ``template`` may leave a locked field out (or send the template's value)."""
    value = template.locked[name]
    if name in SCALAR_LOCKS:
        if sent is not None and int(sent) != int(value):
            raise Invalid(template.locked_message(name), field=name)
    elif sent and {int(r) for r in sent} != {int(r) for r in value}:
        raise Invalid(template.locked_message(name), field=name)


def _together(problems: list[dict[str, Any]], extra: dict[str, Any]) -> Invalid:
    """One Invalid for every problem found (``Problems.raise_any``'s shape)."""
    return Invalid(
        " ".join(dict.fromkeys(p["message"] for p in problems)),
        field=problems[0]["field"],
        code="invalid_mentions" if "invalid_mentions" in extra else None,
        errors=problems,
        **extra,
    )


def _apply(game: Game, plan: EditPlan) -> list[str]:
    changed = []
    for name, value in plan.values.items():
        new: Any = list(value) if isinstance(value, tuple | list) else value
        if name == "max_players":
            new = int(value)
        if getattr(game, name) != new:
            setattr(game, name, new)
            changed.append(name)
    if plan.sources:
        sources = {**game.settings_sources, **plan.sources}
        if sources != game.settings_sources:
            game.settings_sources = sources
            if "settings_sources" not in changed:
                changed.append("settings_sources")
    order = {name: i for i, name in enumerate((*PLAIN_FIELDS, *INHERITED, "settings_sources"))}
    return sorted(changed, key=lambda name: order.get(name, len(order)))


def _clean(text: str, field: str) -> str:
    return clean_text(text, field=field, what=f"The {field.replace('_', ' ')}")


def _clean_title(title: str) -> str:
    cleaned = _clean(title, "title")
    if not cleaned:
        raise Invalid("A game needs a title.", field="title")
    return cleaned


def _check_post_at(post_at: datetime | None, scheduled_at: datetime, now: datetime) -> None:
    if post_at is None:
        return
    if post_at <= now:
        raise Invalid(
            "The announcement time must be in the future (or leave it empty to post now).", field="post_at"
        )
    if post_at >= scheduled_at:
        raise Invalid("The announcement must be posted before the game starts.", field="post_at")


def _check_time(when: datetime, now: datetime) -> None:
    if when <= now:
        raise Invalid("The game must be scheduled in the future.", field="scheduled_at")
    latest = now + timedelta(days=365 * MAX_YEARS_AHEAD)
    if when > latest:
        raise Invalid(
            f"A game can be scheduled at most {MAX_YEARS_AHEAD} years ahead (until {latest:%-d %B %Y}).",
            field="scheduled_at",
        )


def _ids(values: Any) -> list[int]:
    return [int(v) for v in values]


def _check_signup_method(method: str, priority_role_ids: Any) -> None:
    if method not in set(SignupMethod):
        raise Invalid("Unknown signup method.", field="signup_method")
    if priority_role_ids and method != SignupMethod.ROLE_BASED:
        raise Invalid("Priority roles only apply to the role-based signup method.", field="priority_role_ids")


def _normalize(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "player_role_ids":
        return _ids(value)
    if name == "reminder_minutes":
        return sorted({int(m) for m in value}, reverse=True)
    if name == "signup_instructions":
        return _clean(value, name)
    return value
