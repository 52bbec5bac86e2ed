"""Dashboard pages for game templates (bot managers): the list (reorder, default, delete) and the form."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromQuery, PathParameter
from litestar.response import Redirect, Template

from gamesched.core.errors import DomainError, Forbidden
from gamesched.core.inputs import convert
from gamesched.images import MAX_BYTES, ImageKind, ImageRejected, ImageStore, PreparedImage
from gamesched.web import FormData, id_in_path, render

from .models import GameTemplate
from .page_context import Page, names_for
from .pages import NOT_A_TEMPLATE_MANAGER, manager_access
from .permissions import GuildAccess
from .schemas import TemplateBody, TemplatePatch, changes_of
from .service import GuildService
from .templates import SIGNUP_METHODS

GuildId = Annotated[int, id_in_path("Discord guild id")]
TemplateId = Annotated[str, PathParameter(description="The template's id (uuid).", max_length=36)]
#: Role lists a template may lock (notify, player, priority) and the one that says who hosts with it.
ROLE_LISTS = {
    "notify_role_ids": ("Roles to ping", "Mentioned above the announcement, and pinged."),
    "player_role_ids": ("Player roles", "Only members with one of these roles may join."),
    "priority_role_ids": (
        "Priority roles",
        "With “Priority roles get seats first” (role-based): these roles are seated first.",
    ),
    "host_role_ids": (
        "Host roles",
        "Only these roles (and bot managers) see this template and host with it.",
    ),
}
METHOD_LABELS = {
    "self_signup": "Anyone can join",
    "host_selected": "Host picks the players",
    "host_selected_with_waitlist": "Players queue, host picks",
    "role_based": "Priority roles get seats first",
}


async def _manager(guilds: GuildService, page: Page, guild_id: int) -> GuildAccess:
    return await manager_access(guilds, page, guild_id, refusal=NOT_A_TEMPLATE_MANAGER)


def _list_url(guild_id: int, done: str = "") -> str:
    return f"/guilds/{guild_id}/templates" + (f"?done={done}" if done else "")


@get("/guilds/{guild_id:int}/templates")
async def templates_page(
    guild_id: GuildId,
    page: NamedDependency[Page],
    guilds: NamedDependency[GuildService],
    done: FromQuery[str] = "",
) -> Template:
    access = await _manager(guilds, page, guild_id)
    templates = await guilds.templates.visible(access)
    return render(
        page,
        "guilds/templates.html",
        guild=page.current_guild,
        templates=templates,
        channels=guilds.channel_names(guild_id),
        names=names_for(guilds, guild_id),
        done={"saved": "Saved.", "deleted": "Deleted.", "default": "Default changed.", "moved": "Moved."}.get(
            done, ""
        ),
    )


def _values(template: GameTemplate | None) -> tuple[dict[str, str], dict[str, list[str]]]:
    if template is None:
        return {"name": "", "signup_methods_mode": "all", "channel_locked": "on"}, {}
    values = {
        "name": template.name,
        "description": template.description,
        "channel_id": "" if template.channel_id is None else str(template.channel_id),
        "channel_locked": "on" if template.channel_locked else "",
        "archive_channel_id": "" if template.archive_channel_id is None else str(template.archive_channel_id),
        "archive_delay_minutes": ""
        if template.archive_delay_minutes is None
        else str(template.archive_delay_minutes),
        "max_players": "" if template.max_players is None else str(template.max_players),
        "duration_minutes": "" if template.duration_minutes is None else str(template.duration_minutes),
        "reminder_minutes": ", ".join(str(m) for m in template.reminder_minutes or []),
        "location": template.location or "",
        "signup_instructions": template.signup_instructions or "",
        "default_signup_method": template.default_signup_method or "",
    }
    lists = {"signup_methods": list(template.signup_methods or [])}
    for name in ROLE_LISTS:
        ids = getattr(template, name)
        values[f"{name}_mode"] = "set" if ids is not None else "open"
        lists[name] = [str(r) for r in ids or []]
    return values, lists


async def _form_page(
    guilds: GuildService,
    page: Page,
    guild_id: int,
    template: GameTemplate | None,
    form: FormData | None = None,
) -> Template:
    values, lists = _values(template)
    if form is not None:
        values, lists = form.values, form.lists
    every = [c for c in await guilds.list_channels(guild_id) if c.announceable]
    channels = [c for c in every if c.is_active]
    return render(
        page,
        "guilds/template_form.html",
        status_code=422 if form and form.errors else 200,
        guild=page.current_guild,
        preset=template,
        channels=channels,
        archive_channels=every,  # an archive channel need not be open for new games
        roles=guilds.pickable_roles(guild_id),
        role_lists=ROLE_LISTS,
        methods=METHOD_LABELS,
        values=values,
        lists=lists,
        errors=form.errors if form else {},
    )


@dataclass
class _Images:
    """The form's pictures: new ones (checked) and the kinds to remove; applied once the template is saved."""

    new: dict[ImageKind, PreparedImage] = field(default_factory=dict)
    removed: list[ImageKind] = field(default_factory=list)

    async def apply(
        self, guilds: GuildService, access: GuildAccess, template_id: str, store: ImageStore
    ) -> None:
        for kind, image in self.new.items():
            await guilds.templates.set_image(access, template_id, kind, image, store)
        for kind in self.removed:
            if kind not in self.new:
                await guilds.templates.set_image(access, template_id, kind, None, store)


async def _read_images(raw: Any, form: FormData, store: ImageStore) -> _Images:
    """A refused file is an error on its field, like any other (the rest of the form is kept)."""
    images = _Images()
    for kind in ImageKind:
        upload = raw.get(kind.value)
        if isinstance(upload, UploadFile) and upload.filename:
            try:
                images.new[kind] = await store.prepare(await upload.read(MAX_BYTES + 1), kind)
            except ImageRejected as error:
                form.errors[kind.value] = error.message
        if form.values.get(f"remove_{kind.value}") == "on":
            images.removed.append(kind)
    return images


def _body(form: FormData) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": form.text("name", max_length=100, required="Give the template a name."),
        "description": form.text("description", max_length=2000),
        "channel_id": form.values.get("channel_id") or None,
        "channel_locked": form.values.get("channel_locked") == "on",
        "archive_channel_id": form.values.get("archive_channel_id") or None,
        "archive_delay_minutes": form.optional_int(
            "archive_delay_minutes", 0, 60 * 24 * 365, "Archive after (minutes)"
        ),
        "max_players": form.optional_int("max_players", 1, 100, "Max players"),
        "duration_minutes": form.optional_int("duration_minutes", 1, 1440, "Duration (minutes)"),
        "reminder_minutes": form.int_list("reminder_minutes", 1, 10080, "Reminders"),
        "location": form.text("location", max_length=500) or None,
        "signup_instructions": form.text("signup_instructions", max_length=1000) or None,
        "signup_methods": [m for m in form.lists.get("signup_methods", []) if m in SIGNUP_METHODS] or None,
        "default_signup_method": form.values.get("default_signup_method") or None,
    }
    if body["channel_id"] is not None:
        form.snowflake("channel_id", required="Pick a channel.")
    if body["archive_channel_id"] is not None:
        form.snowflake("archive_channel_id", required="Pick an archive channel.")
    for name in ROLE_LISTS:
        body[name] = form.ids(name) if form.values.get(f"{name}_mode") == "set" else None
    return body


@get("/guilds/{guild_id:int}/templates/new")
async def new_template_page(
    guild_id: GuildId, page: NamedDependency[Page], guilds: NamedDependency[GuildService]
) -> Template:
    await _manager(guilds, page, guild_id)
    return await _form_page(guilds, page, guild_id, None)


@post("/guilds/{guild_id:int}/templates/new", status_code=303)
async def create_template(
    request: Request[Any, Any, Any],
    guild_id: GuildId,
    page: NamedDependency[Page],
    guilds: NamedDependency[GuildService],
    images: NamedDependency[ImageStore],
) -> Response[Any]:
    access = await _manager(guilds, page, guild_id)
    raw = await request.form()
    form = FormData.of(raw)
    body = _body(form)
    pictures = await _read_images(raw, form, images)
    if form.ok:
        try:
            made = await guilds.templates.create(access, changes_of(convert(body, TemplateBody)))
            await pictures.apply(guilds, access, str(made.id), images)
        except DomainError as error:
            if isinstance(error, Forbidden):
                raise
            form.fail(error)
    if not form.ok:
        return await _form_page(guilds, page, guild_id, None, form)
    return Redirect(_list_url(guild_id, "saved"), status_code=303)


@get("/guilds/{guild_id:int}/templates/{template_id:str}")
async def edit_template_page(
    guild_id: GuildId,
    template_id: TemplateId,
    page: NamedDependency[Page],
    guilds: NamedDependency[GuildService],
) -> Template:
    access = await _manager(guilds, page, guild_id)
    return await _form_page(guilds, page, guild_id, await guilds.templates.get(access, template_id))


@post("/guilds/{guild_id:int}/templates/{template_id:str}", status_code=303)
async def save_template(
    request: Request[Any, Any, Any],
    guild_id: GuildId,
    template_id: TemplateId,
    page: NamedDependency[Page],
    guilds: NamedDependency[GuildService],
    images: NamedDependency[ImageStore],
) -> Response[Any]:
    access = await _manager(guilds, page, guild_id)
    template = await guilds.templates.get(access, template_id)
    raw = await request.form()
    form = FormData.of(raw)
    body = _body(form)
    pictures = await _read_images(raw, form, images)
    if form.ok:
        try:
            await guilds.templates.update(access, template_id, changes_of(convert(body, TemplatePatch)))
            await pictures.apply(guilds, access, template_id, images)
        except DomainError as error:
            if isinstance(error, Forbidden):
                raise
            form.fail(error)
    if not form.ok:
        return await _form_page(guilds, page, guild_id, template, form)
    return Redirect(_list_url(guild_id, "saved"), status_code=303)


@post("/guilds/{guild_id:int}/templates/{template_id:str}/default", status_code=303)
async def make_default(
    guild_id: GuildId,
    template_id: TemplateId,
    page: NamedDependency[Page],
    guilds: NamedDependency[GuildService],
) -> Response[Any]:
    access = await _manager(guilds, page, guild_id)
    await guilds.templates.set_default(access, template_id)
    return Redirect(_list_url(guild_id, "default"), status_code=303)


@post("/guilds/{guild_id:int}/templates/{template_id:str}/delete", status_code=303)
async def delete_template(
    guild_id: GuildId,
    template_id: TemplateId,
    page: NamedDependency[Page],
    guilds: NamedDependency[GuildService],
) -> Response[Any]:
    access = await _manager(guilds, page, guild_id)
    await guilds.templates.delete(access, template_id)
    return Redirect(_list_url(guild_id, "deleted"), status_code=303)


@post("/guilds/{guild_id:int}/templates/{template_id:str}/move", status_code=303)
async def move_template(
    request: Request[Any, Any, Any],
    guild_id: GuildId,
    template_id: TemplateId,
    page: NamedDependency[Page],
    guilds: NamedDependency[GuildService],
) -> Response[Any]:
    """One place up or down in the order people pick from (the default is always offered first)."""
    access = await _manager(guilds, page, guild_id)
    form = FormData.of(await request.form())
    ids = [str(t.id) for t in sorted(await guilds.templates.visible(access), key=lambda t: t.position)]
    current = await guilds.templates.get(access, template_id)
    index = ids.index(str(current.id))
    other = index - 1 if form.values.get("direction") == "up" else index + 1
    if 0 <= other < len(ids):
        ids[index], ids[other] = ids[other], ids[index]
        await guilds.templates.reorder(access, ids)
    return Redirect(_list_url(guild_id, "moved"), status_code=303)


template_pages: list[Any] = [
    templates_page,
    new_template_page,
    create_template,
    edit_template_page,
    save_template,
    make_default,
    delete_template,
    move_template,
]
