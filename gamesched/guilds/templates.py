"""Game templates: named presets of a server that bot managers keep, and hosts pick when creating a game.

A template has **locked** fields — announcement channel, archive channel and delay, roles to notify, player
roles, host roles, priority roles — which a game made from it takes and cannot change (None: that field is
not locked), and **pre-filled** defaults — max players, duration, reminders, location, signup instructions,
the signup methods allowed and the default one, the thumbnail and banner — which the host may change (None:
the channel's or the server's value). The channel is locked unless ``channel_locked`` is off: then it is only
the channel the create form proposes (the default template made for each server is so).
Games copy what they take at creation, so editing or deleting a template changes no existing game.

A game created without naming a template takes the server's default template when its host may use it
(``for_unnamed``): its locks hold on every surface, so leaving the template out is no way around them.

Who sees a template: bot managers see all; others see those whose host roles they hold, or — for a template
without host roles of its own — those they could host with under the server's and channels' host roles.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert

from gamesched.core.errors import Conflict, Forbidden, Invalid, NotFound, Problems
from gamesched.core.inputs import check_length, clean_text
from gamesched.guilds.models import ANNOUNCEABLE_CHANNEL_TYPES, Channel, GameTemplate
from gamesched.guilds.permissions import GuildAccess
from gamesched.images import ImageKind, ImageStore, PreparedImage

if TYPE_CHECKING:
    from gamesched.guilds.directory import GuildInfo
    from gamesched.guilds.service import GuildService

log = structlog.get_logger(__name__)

TEMPLATE_NOT_FOUND = "That template does not exist in this server."
SIGNUP_METHODS = ("self_signup", "host_selected", "host_selected_with_waitlist", "role_based")
#: Fields a template locks, as a game names them.
LOCKABLE = (
    "channel_id",
    "archive_channel_id",
    "archive_delay_minutes",
    "notify_role_ids",
    "player_role_ids",
    "priority_role_ids",
)
TEMPLATE_FIELDS = (
    "name",
    "description",
    "channel_id",
    "channel_locked",
    "archive_channel_id",
    "archive_delay_minutes",
    "notify_role_ids",
    "player_role_ids",
    "host_role_ids",
    "priority_role_ids",
    "max_players",
    "duration_minutes",
    "reminder_minutes",
    "location",
    "signup_instructions",
    "signup_methods",
    "default_signup_method",
)
#: Fields people know by name, for the sentences about a locked one.
FIELD_LABELS = {
    "channel_id": "the channel",
    "archive_channel_id": "the archive channel",
    "archive_delay_minutes": "the archive delay",
    "notify_role_ids": "the roles to notify",
    "player_role_ids": "the player roles",
    "priority_role_ids": "the priority roles",
}
DEFAULT_NAME = "Default"


@dataclass(frozen=True, slots=True)
class TemplateChoice:
    """What a new game takes from its template (``TemplateService.for_new_game``)."""

    id: uuid.UUID
    name: str
    #: Locked fields and their values (the game's own names: ``channel_id``, ``*_role_ids``).
    locked: dict[str, Any]
    #: Pre-filled settings that join the inheritance (``resolve_settings(template=…)``).
    settings: dict[str, Any]
    duration_minutes: int | None
    location: str | None
    signup_methods: tuple[str, ...] | None
    default_signup_method: str | None
    #: The template has host roles of its own: they, not the channel's, say who may host with it.
    governs_hosts: bool = False
    #: The channel the template proposes without locking it (None: none, or it is locked).
    proposed_channel_id: int | None = None
    #: Pictures a new game starts with (image names; the host may replace or remove them).
    thumbnail_image: str | None = None
    banner_image: str | None = None
    #: The host did not name it: it is the server's default, applied so its locks hold.
    unnamed: bool = False

    def locked_message(self, field: str) -> str:
        if self.unnamed:
            return (
                f"Games made without naming a template follow this server's template “{self.name}”, which sets "
                f"{FIELD_LABELS.get(field, field)}: a game made from it cannot change it."
            )
        return (
            f"The template “{self.name}” sets {FIELD_LABELS.get(field, field)}: a game made from it cannot "
            "change it."
        )


class TemplateService:
    def __init__(self, guilds: GuildService) -> None:
        self.guilds = guilds
        self.db = guilds.db
        self.clock = guilds.clock

    # --- reading ---

    async def visible(self, access: GuildAccess) -> list[GameTemplate]:
        """The templates ``access`` may see (all, for a manager), default first, then in their order."""
        async with self.db.uow(guild_id=access.guild_id) as uow:
            rows = list(
                (
                    await uow.session.scalars(
                        select(GameTemplate)
                        .where(GameTemplate.guild_id == access.guild_id)
                        .order_by(GameTemplate.is_default.desc(), GameTemplate.position, GameTemplate.name)
                    )
                ).all()
            )
        if access.is_manager:
            return rows
        return [t for t in rows if await self._may_use(access, t)]

    async def get(self, access: GuildAccess, template_id: uuid.UUID | str) -> GameTemplate:
        """One template ``access`` may see; NotFound otherwise (another server's, or one they cannot use)."""
        template = await self._load(access.guild_id, template_id)
        if template is None or not (access.is_manager or await self._may_use(access, template)):
            raise NotFound(TEMPLATE_NOT_FOUND)
        return template

    async def _load(self, guild_id: int, template_id: uuid.UUID | str) -> GameTemplate | None:
        try:
            tid = uuid.UUID(str(template_id))
        except ValueError:
            return None
        async with self.db.uow(guild_id=guild_id) as uow:
            template = await uow.session.get(GameTemplate, tid)
        return template if template is not None and template.guild_id == guild_id else None

    async def _may_use(self, access: GuildAccess, template: GameTemplate) -> bool:
        if access.is_manager:
            return True
        if template.host_role_ids:
            return access.has_any_role(template.host_role_ids)
        if template.channel_id is not None and template.channel_locked:
            here = await self.guilds.access(access.guild_id, access.user_id, channel_id=template.channel_id)
            return here.can_host
        return access.can_host

    async def for_new_game(self, access: GuildAccess, template_id: str) -> TemplateChoice:
        """The template a host picked for a new game: NotFound when they cannot see it, Forbidden when its host
        roles leave them out."""
        template = await self._load(access.guild_id, template_id)
        if template is None:
            raise Invalid(TEMPLATE_NOT_FOUND, field="template_id")
        if not await self._may_use(access, template):
            raise Forbidden(self._cannot_use(template))
        return self._choice(template)

    async def for_unnamed(self, access: GuildAccess) -> TemplateChoice | None:
        """The template of a game created without naming one: the server's default, when this host may use
        it. None otherwise (no default yet, or host roles of its own that leave them out): then the channel's
        host roles decide, as without templates — a template's locks bind those who may use it."""
        async with self.db.uow(guild_id=access.guild_id) as uow:
            default = await uow.session.scalar(
                select(GameTemplate).where(
                    GameTemplate.guild_id == access.guild_id, GameTemplate.is_default.is_(True)
                )
            )
        if default is None or not await self._may_use(access, default):
            return None
        return replace(self._choice(default), unnamed=True)

    @staticmethod
    def _choice(template: GameTemplate) -> TemplateChoice:
        locked = {name: getattr(template, name) for name in LOCKABLE if getattr(template, name) is not None}
        if not template.channel_locked:
            locked.pop("channel_id", None)
        settings = {
            name: getattr(template, name)
            for name in ("max_players", "reminder_minutes", "signup_instructions", "player_role_ids")
            if getattr(template, name) is not None
        }
        return TemplateChoice(
            id=template.id,
            name=template.name,
            locked=locked,
            settings=settings,
            duration_minutes=template.duration_minutes,
            location=template.location,
            signup_methods=tuple(template.signup_methods) if template.signup_methods else None,
            default_signup_method=template.default_signup_method,
            governs_hosts=bool(template.host_role_ids),
            proposed_channel_id=None if template.channel_locked else template.channel_id,
            thumbnail_image=template.thumbnail_image,
            banner_image=template.banner_image,
        )

    def _cannot_use(self, template: GameTemplate) -> str:
        names = [
            f"@{n}"
            for r in template.host_role_ids or []
            if (n := self.guilds.role_name(template.guild_id, r))
        ]
        if names:
            listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
            return (
                f"Only {listed} members and bot managers can host games with the template “{template.name}”."
            )
        return f"You can't host games with the template “{template.name}”."

    # --- managing (bot managers) ---

    async def create(self, access: GuildAccess, values: Mapping[str, Any]) -> GameTemplate:
        self.require_manager(access)
        checked = await self._check(access.guild_id, values, current=None)
        async with self.db.uow(guild_id=access.guild_id) as uow:
            last = await uow.session.scalar(
                select(func.max(GameTemplate.position)).where(GameTemplate.guild_id == access.guild_id)
            )
            now = self.clock.now()
            template = GameTemplate(
                id=uuid.uuid4(),
                guild_id=access.guild_id,
                position=(last + 1) if last is not None else 0,
                is_default=False,
                created_at=now,
                updated_at=now,
                **{"description": "", **checked},
            )
            uow.session.add(template)
        log.info("template_created", guild_id=access.guild_id, template_id=str(template.id))
        return template

    async def update(self, access: GuildAccess, template_id: str, changes: Mapping[str, Any]) -> GameTemplate:
        """``changes``: the fields sent; None clears one (not locked, or the channel's and server's value)."""
        self.require_manager(access)
        current = await self._load(access.guild_id, template_id)
        if current is None:
            raise NotFound(TEMPLATE_NOT_FOUND)
        checked = await self._check(access.guild_id, changes, current=current)
        async with self.db.uow(guild_id=access.guild_id) as uow:
            template = await uow.session.get(GameTemplate, current.id, with_for_update=True)
            if template is None:
                raise NotFound(TEMPLATE_NOT_FOUND)
            for name, value in checked.items():
                setattr(template, name, value)
            template.updated_at = self.clock.now()
        return template

    async def delete(self, access: GuildAccess, template_id: str) -> None:
        self.require_manager(access)
        template = await self._load(access.guild_id, template_id)
        if template is None:
            raise NotFound(TEMPLATE_NOT_FOUND)
        if template.is_default:
            raise Conflict(
                f"“{template.name}” is the default template and can't be deleted; make another one the "
                "default first.",
                code="default_template",
            )
        async with self.db.uow(guild_id=access.guild_id) as uow:
            await uow.session.delete(await uow.session.get(GameTemplate, template.id))

    async def set_default(self, access: GuildAccess, template_id: str) -> GameTemplate:
        self.require_manager(access)
        template = await self._load(access.guild_id, template_id)
        if template is None:
            raise NotFound(TEMPLATE_NOT_FOUND)
        async with self.db.uow(guild_id=access.guild_id) as uow:
            await uow.session.execute(
                update(GameTemplate)
                .where(GameTemplate.guild_id == access.guild_id, GameTemplate.is_default.is_(True))
                .values(is_default=False)
            )
            await uow.session.flush()
            await uow.session.execute(
                update(GameTemplate).where(GameTemplate.id == template.id).values(is_default=True)
            )
        template.is_default = True
        return template

    async def reorder(self, access: GuildAccess, template_ids: Sequence[str]) -> list[GameTemplate]:
        """The templates in this order (those left out keep their relative order, after them)."""
        self.require_manager(access)
        rows = await self.visible(access)
        by_id = {str(t.id): t for t in rows}
        unknown = [i for i in template_ids if i not in by_id]
        if unknown:
            raise Invalid(TEMPLATE_NOT_FOUND, field="template_ids")
        ordered = list(dict.fromkeys(template_ids))
        ordered += [str(t.id) for t in sorted(rows, key=lambda t: t.position) if str(t.id) not in ordered]
        async with self.db.uow(guild_id=access.guild_id) as uow:
            for position, tid in enumerate(ordered):
                await uow.session.execute(
                    update(GameTemplate).where(GameTemplate.id == uuid.UUID(tid)).values(position=position)
                )
        return await self.visible(access)

    async def set_image(
        self,
        access: GuildAccess,
        template_id: str,
        kind: ImageKind,
        image: PreparedImage | None,
        store: ImageStore,
    ) -> GameTemplate:
        """The picture games made from the template start with (checked by ``store.prepare``); None removes
        it. Games made before keep theirs."""
        self.require_manager(access)
        current = await self._load(access.guild_id, template_id)
        if current is None:
            raise NotFound(TEMPLATE_NOT_FOUND)
        column = f"{kind.value}_image"
        async with self.db.uow(guild_id=access.guild_id) as uow:
            template = await uow.session.get(GameTemplate, current.id, with_for_update=True)
            if template is None:
                raise NotFound(TEMPLATE_NOT_FOUND)
            previous = getattr(template, column)
            name = None if image is None else await store.keep(uow.session, image)
            if name != previous:
                setattr(template, column, name)
                template.updated_at = self.clock.now()
                if previous is not None:
                    await store.let_go(uow.session)
        log.info("template_image_set", template_id=str(current.id), kind=kind.value, image=name)
        return template

    async def ensure_default(self, info: GuildInfo) -> None:
        """A server without templates gets a default one, pointing at the first channel the bot can post in
        (system path: the bot joined, or the guild was synced)."""
        async with self.db.uow(guild_id=info.id) as uow:
            if await uow.session.scalar(
                select(GameTemplate.id).where(GameTemplate.guild_id == info.id).limit(1)
            ):
                return
            open_ids = set(
                (
                    await uow.session.scalars(
                        select(Channel.id).where(
                            Channel.guild_id == info.id,
                            Channel.present.is_(True),
                            Channel.is_active.is_(True),
                            Channel.type.in_(ANNOUNCEABLE_CHANNEL_TYPES),
                        )
                    )
                ).all()
            )
            candidates = sorted(
                (c for c in info.channels.values() if c.id in open_ids), key=lambda c: (c.position, c.id)
            )
            postable = [c for c in candidates if not c.bot_missing]
            first = next(iter(postable or candidates), None)
            now = self.clock.now()
            # Two syncs of one guild at once (ready and available, two processes) make one default.
            created = await uow.session.scalar(
                insert(GameTemplate)
                .values(
                    id=uuid.uuid4(),
                    guild_id=info.id,
                    name=DEFAULT_NAME,
                    description="",
                    position=0,
                    is_default=True,
                    channel_id=first.id if first else None,
                    channel_locked=False,  # proposed, not locked: managers lock it if they want
                    created_at=now,
                    updated_at=now,
                )
                .on_conflict_do_nothing(index_elements=["guild_id"], index_where=text("is_default"))
                .returning(GameTemplate.id)
            )
        if created is None:
            return
        log.info("template_default_created", guild_id=info.id)

    # --- checks ---

    @staticmethod
    def require_manager(access: GuildAccess) -> None:
        if not access.is_manager:
            raise Forbidden("Only bot managers can manage this server's templates.")

    async def _check(
        self, guild_id: int, values: Mapping[str, Any], *, current: GameTemplate | None
    ) -> dict[str, Any]:
        unknown = sorted(set(values) - set(TEMPLATE_FIELDS))
        if unknown:
            raise Invalid(f"{unknown[0]} is not a field of a template.", field=unknown[0])
        problems = Problems()
        checked: dict[str, Any] = {}
        with problems.check():
            if "name" in values or current is None:
                name = clean_text(str(values.get("name") or ""), field="name", what="The name")
                if not name:
                    raise Invalid("A template needs a name.", field="name")
                checked["name"] = check_length(name, 100, field="name")
        with problems.check():
            if "description" in values:
                described = clean_text(
                    str(values["description"] or ""), field="description", what="The description"
                )
                checked["description"] = check_length(described, 2000, field="description")
        for name, limit, what in (
            ("location", 500, "The location"),
            ("signup_instructions", 1000, "The signup instructions"),
        ):
            with problems.check():
                if name in values:
                    raw = values[name]
                    cleaned = "" if raw is None else clean_text(str(raw), field=name, what=what)
                    checked[name] = check_length(cleaned, limit, field=name) if cleaned else None
        with problems.check():
            if values.get("channel_id") is not None:
                checked["channel_id"] = await self._check_channel(guild_id, int(values["channel_id"]))
            elif "channel_id" in values:
                checked["channel_id"] = None
        if "channel_locked" in values:
            checked["channel_locked"] = bool(values["channel_locked"])
        with problems.check():
            if values.get("archive_channel_id") is not None:
                checked["archive_channel_id"] = await self._check_archive_channel(
                    guild_id, int(values["archive_channel_id"])
                )
            elif "archive_channel_id" in values:
                checked["archive_channel_id"] = None
        if "archive_delay_minutes" in values:
            checked["archive_delay_minutes"] = values["archive_delay_minutes"]
        for name in ("notify_role_ids", "player_role_ids", "host_role_ids", "priority_role_ids"):
            if name in values:
                ids = None if values[name] is None else list(dict.fromkeys(int(r) for r in values[name]))
                before = (getattr(current, name) or []) if current is not None else []
                with problems.check():
                    self.guilds.check_roles(guild_id, {name: [r for r in ids or [] if r not in before]})
                checked[name] = ids
        for name in ("max_players", "duration_minutes"):
            if name in values:
                checked[name] = values[name]
        if "reminder_minutes" in values:
            raw = values["reminder_minutes"]
            checked["reminder_minutes"] = None if raw is None else sorted({int(m) for m in raw}, reverse=True)
        if "signup_methods" in values:
            raw = values["signup_methods"]
            checked["signup_methods"] = list(dict.fromkeys(raw)) if raw else None
        if "default_signup_method" in values:
            checked["default_signup_method"] = values["default_signup_method"]
        with problems.check():
            self._check_methods(checked, current)
        problems.raise_any()
        return checked

    @staticmethod
    def _check_methods(checked: Mapping[str, Any], current: GameTemplate | None) -> None:
        def merged(name: str) -> Any:
            return checked[name] if name in checked else getattr(current, name, None)

        methods, default, priority = (
            merged("signup_methods"),
            merged("default_signup_method"),
            merged("priority_role_ids"),
        )
        for method in [*(methods or []), *([default] if default else [])]:
            if method not in SIGNUP_METHODS:
                raise Invalid(f"{method!r} is not a signup method.", field="signup_methods")
        if default and methods and default not in methods:
            raise Invalid(
                "The default signup method must be one of the signup methods allowed.",
                field="default_signup_method",
            )
        wrong_method = (default or "self_signup") != "role_based" or (methods and methods != ["role_based"])
        if priority and wrong_method:
            raise Invalid(
                "Priority roles only apply to the role-based signup method: make it the default (and the "
                "only one allowed), or remove the priority roles.",
                field="priority_role_ids",
            )

    async def _check_archive_channel(self, guild_id: int, channel_id: int) -> int:
        async with self.db.uow(guild_id=guild_id) as uow:
            channel = await uow.session.get(Channel, channel_id)
        if channel is None or channel.guild_id != guild_id or not channel.present:
            raise Invalid("The archive channel is not a channel of this server.", field="archive_channel_id")
        if channel.type not in ANNOUNCEABLE_CHANNEL_TYPES:
            raise Invalid(
                "Archived games can only be posted in text or announcement channels.",
                field="archive_channel_id",
            )
        return channel_id

    async def _check_channel(self, guild_id: int, channel_id: int) -> int:
        async with self.db.uow(guild_id=guild_id) as uow:
            channel = await uow.session.get(Channel, channel_id)
        if channel is None or channel.guild_id != guild_id:
            raise Invalid("That channel does not exist in this server.", field="channel_id")
        if not channel.present or channel.type not in ANNOUNCEABLE_CHANNEL_TYPES:
            raise Invalid("Games can only be posted in text or announcement channels.", field="channel_id")
        if not channel.is_active:
            raise Invalid(f"#{channel.name} is not open for games; pick another channel.", field="channel_id")
        return channel_id
