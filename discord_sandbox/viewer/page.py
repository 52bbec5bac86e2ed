"""The viewer page: channels, messages and DMs of the sandbox, with buttons you can click as any member."""

from __future__ import annotations

import secrets
import weakref
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from litestar import Request, get, post
from litestar.datastructures import Cookie, State
from litestar.di import NamedDependency
from litestar.response import Redirect, Response

from ..core.sandbox import Sandbox
from ..pages.render import PageRenderer
from ..state.errors import ControlError
from ..state.model import CHANNEL_TEXT, Channel, Guild, Message
from ..state.sandbox_state import SandboxState
from .commands import filled_options, find_command, option_fields, registered_commands
from .models import (
    channel_groups,
    display_name,
    initials,
    interaction_outcome,
    member_rows,
    message_view,
)

AS_COOKIE = "sandbox_as"
MAX_OUTCOMES = 100
render_html = PageRenderer("discord_sandbox.viewer")

# ---------------------------------------------------------------- the page


class ViewerRequest:
    """What the page shows: who is looking, and at which guild, channel or DMs."""

    def __init__(self, state: SandboxState, request: Request[Any, Any, State]) -> None:
        query = request.query_params
        self.state = state
        self.path = request.url.path
        self.me = _int(query.get("as", request.cookies.get(AS_COOKIE)))
        if self.me is not None and (self.me not in state.users or state.users[self.me].bot):
            self.me = None
        self.dms = query.get("dms") == "1"
        self.live = query.get("live") == "1"
        self.guild = self._guild(_int(query.get("guild")))
        self.channel = self._channel(_int(query.get("channel")))

    def visible_guilds(self) -> list[Guild]:
        """The guilds of the member looking (all of them when nobody is picked)."""
        guilds = sorted(self.state.guilds.values(), key=lambda g: g.id)
        return [g for g in guilds if self.me is None or self.me in g.members]

    def _guild(self, guild_id: int | None) -> Guild | None:
        if self.dms:
            return None
        visible = self.visible_guilds()
        chosen = next((g for g in visible if g.id == guild_id), None)
        return chosen or (visible[0] if visible else None)

    def _channel(self, channel_id: int | None) -> Channel | None:
        if self.guild is None:
            return None
        texts = sorted(
            (c for c in self.guild.channels.values() if c.type == CHANNEL_TEXT),
            key=lambda c: (c.position, c.id),
        )
        return next((c for c in texts if c.id == channel_id), texts[0] if texts else None)

    def link(self, **params: Any) -> str:
        """A link to the page keeping who is looking and whether it follows changes live."""
        base = {"as": self.me, "live": 1 if self.live else None}
        query = {k: v for k, v in (base | params).items() if v is not None}
        return f"{self.path}?{urlencode(query)}" if query else self.path

    def messages(self) -> list[Message]:
        """The channel's messages (plus the viewer's own ephemeral ones), or the bot's DMs to the viewer."""
        if self.dms:
            return self.state.dm_messages(self.me) if self.me is not None else []
        if self.channel is None:
            return []
        listed = self.state.messages_in(self.channel.id)
        if self.me is None:
            return listed
        mine = [
            m
            for m in self.state.messages.values()
            if m.channel_id == self.channel.id and m.ephemeral_for == self.me and not m.deleted
        ]
        return sorted([*listed, *mine], key=lambda m: m.id)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


_outcomes: weakref.WeakKeyDictionary[Sandbox, dict[str, dict[str, Any]]] = weakref.WeakKeyDictionary()


def _outcomes_of(sandbox: Sandbox) -> dict[str, dict[str, Any]]:
    """What the bot answered to recent clicks in the viewer, by a key carried in the redirect."""
    return _outcomes.setdefault(sandbox, {})


def _failures(sandbox: Sandbox) -> list[str]:
    """Interactions the bot did not answer in time, newest first."""
    state = sandbox.state
    lines = []
    for failure in reversed(sandbox.interactions.failed[-20:]):
        user_id = _int(str(failure.get("user_id")))
        who = display_name(state, user_id, None) if user_id else "someone"
        lines.append(
            f"{failure.get('at', '')[11:19]} · {who} · {failure.get('label')} · {failure.get('reason')}"
            f" after {failure.get('elapsed_ms')} ms"
        )
    return lines


@get("/", name="sandbox_viewer", sync_to_thread=False)
def viewer_page(request: Request[Any, Any, State], sandbox: NamedDependency[Sandbox]) -> Response[str]:
    """The sandbox as a member sees it."""
    state = sandbox.state
    view = ViewerRequest(state, request)
    now = datetime.now(UTC)
    guild_id = view.guild.id if view.guild else None
    me = state.users.get(view.me) if view.me is not None else None
    outcome = _outcomes_of(sandbox).get(request.query_params.get("outcome", ""))
    if outcome is not None and outcome["user_id"] != view.me:
        outcome = None  # ephemeral: only the member who clicked sees it
    shown = set(outcome["reply_ids"]) if outcome else set()
    messages = [message_view(state, m, guild_id, now) for m in view.messages() if str(m.id) not in shown]
    bot = state.bot_user
    back = (
        view.link(dms=1)
        if view.dms
        else view.link(guild=guild_id, channel=view.channel.id if view.channel else None)
    )
    heading = "Direct messages" if view.dms else f"#{view.channel.name}" if view.channel else "Sandbox"
    commands = registered_commands(state, view.guild, me.id) if view.guild and view.channel and me else []
    picked = find_command(commands, request.query_params.get("command"))
    context = {
        "heading": heading,
        "page_url": view.path,
        # a reload would lose what is typed into a modal or the command box
        "live": view.live and not (outcome and outcome.get("modal")) and picked is None,
        "version": sandbox.version,
        "changes_url": request.app.route_reverse("sandbox_viewer_changes"),
        "me": {
            "id": me.id,
            "name": me.global_name or me.username,
            "display": display_name(state, me.id, guild_id),  # the nick in this guild, if any
        }
        if me
        else None,
        "users": [
            {"id": u.id, "name": u.global_name or u.username, "username": u.username, "dms_open": u.dms_open}
            for u in state.users.values()
            if not u.bot
        ],
        "bot": {"id": bot.id, "name": bot.global_name or bot.username},
        "dms": view.dms,
        "guild": view.guild,
        "channel": view.channel,
        "guilds": [
            {"id": g.id, "name": g.name, "initials": initials(g.name), "url": view.link(guild=g.id)}
            for g in view.visible_guilds()
        ],
        "channel_groups": channel_groups(view.guild, view.link) if view.guild else [],
        "members": member_rows(state, view.guild) if view.guild else [],
        "messages": messages,
        "links": {"dms": view.link(dms=1)},
        "flash": outcome,
        "flash_placed": outcome is not None
        and (outcome["message_id"] == "" or any(m["id"] == outcome["message_id"] for m in messages)),
        "commands": commands,
        "command": picked
        and {
            "path": picked["path"],
            "description": picked["description"],
            "fields": option_fields(state, view.guild, picked["options"]) if view.guild else [],
        },
        "failures": _failures(sandbox),
        "ctx": {
            "me": {"id": me.id} if me else None,
            "interact_url": request.app.route_reverse("sandbox_viewer_interact"),
            "modal_url": request.app.route_reverse("sandbox_viewer_modal"),
            "command_url": request.app.route_reverse("sandbox_viewer_command"),
            "autocomplete_url": request.app.route_reverse("sandbox_viewer_autocomplete"),
            "back": back,
            "bot": {"id": bot.id, "name": bot.global_name or bot.username},
        },
    }
    response = render_html("viewer.html", context)
    if me is not None:
        response.set_cookie(Cookie(key=AS_COOKIE, value=str(me.id), path="/", samesite="lax", httponly=True))
    return response


@get("/viewer/changes", name="sandbox_viewer_changes", sync_to_thread=False)
def viewer_changes(sandbox: NamedDependency[Sandbox]) -> dict[str, int]:
    """The world's version; the page polls it and reloads when it moves."""
    return {"version": sandbox.version}


# ---------------------------------------------------------------- clicking a button, submitting a modal


async def _run(sandbox: Sandbox, interaction: dict[str, Any]) -> dict[str, Any]:
    channel = sandbox.state.channel(_int(interaction["channel_id"]) or 0)
    guild_id = channel.guild_id if channel else None
    try:
        report = await sandbox.interactions.run(interaction)
    except ControlError as error:
        detail = (
            "the bot did not answer within 3 seconds"
            if error.error == "interaction_timeout"
            else error.error.replace("_", " ")
        )
        named = error.extra.get("options") or error.extra.get("option")
        if named:
            detail += ": " + (", ".join(named) if isinstance(named, list) else str(named))
        return {"failed": True, "detail": detail, "reply_ids": []}
    return interaction_outcome(sandbox.state, report, guild_id)


def _back(request: Request[Any, Any, State], form: Any) -> str:
    back = str(form.get("back") or "")
    if not back.startswith("/") or urlsplit(back).netloc:  # only ever go back to the viewer itself
        back = request.app.route_reverse("sandbox_viewer")
    return back


def _remember(
    sandbox: Sandbox, outcome: dict[str, Any], *, user_id: int, channel_id: str, message_id: str
) -> str:
    outcome |= {"user_id": user_id, "channel_id": channel_id, "message_id": message_id}
    key = secrets.token_urlsafe(8)
    outcomes = _outcomes_of(sandbox)
    outcomes[key] = outcome
    while len(outcomes) > MAX_OUTCOMES:
        outcomes.pop(next(iter(outcomes)))
    return key


def _redirect(back: str, key: str, message_id: str) -> Redirect:
    separator = "&" if "?" in back else "?"
    anchor = f"m{message_id}" if message_id else "command-reply"  # a command's answer shows by the box
    return Redirect(f"{back}{separator}outcome={key}#{anchor}", status_code=303)


@post("/viewer/interact", name="sandbox_viewer_interact")
async def viewer_interact(request: Request[Any, Any, State], sandbox: NamedDependency[Sandbox]) -> Redirect:
    """Click a button as the chosen member, then show what the bot answered."""
    form = await request.form()
    user_id, channel_id, message_id = (str(form.get(k, "")) for k in ("as", "channel_id", "message_id"))
    outcome = await _run(
        sandbox,
        {
            "type": "component",
            "user_id": user_id,
            "channel_id": channel_id,
            "message_id": message_id,
            "custom_id": str(form.get("custom_id", "")),
        },
    )
    key = _remember(
        sandbox, outcome, user_id=_int(user_id) or 0, channel_id=channel_id, message_id=message_id
    )
    return _redirect(_back(request, form), key, message_id)


@post("/viewer/modal", name="sandbox_viewer_modal")
async def viewer_modal(request: Request[Any, Any, State], sandbox: NamedDependency[Sandbox]) -> Redirect:
    """Submit the modal the bot opened, as the member who opened it."""
    form = await request.form()
    user_id, channel_id, message_id = (str(form.get(k, "")) for k in ("as", "channel_id", "message_id"))
    values = {k.removeprefix("value:"): str(v) for k, v in form.items() if k.startswith("value:")}
    outcome = await _run(
        sandbox,
        {
            "type": "modal",
            "user_id": user_id,
            "channel_id": channel_id,
            "custom_id": str(form.get("custom_id", "")),
            "values": values,
        },
    )
    key = _remember(
        sandbox, outcome, user_id=_int(user_id) or 0, channel_id=channel_id, message_id=message_id
    )
    return _redirect(_back(request, form), key, message_id)


def _command_request(sandbox: Sandbox, form: Any) -> tuple[dict[str, Any], str]:
    """A control API command request from the command box's form (and the command's path)."""
    user_id, channel_id, path = (str(form.get(k, "")) for k in ("as", "channel_id", "command"))
    channel = sandbox.state.channel(_int(channel_id) or 0)
    guild = sandbox.state.guilds.get(channel.guild_id) if channel and channel.guild_id else None
    known = registered_commands(sandbox.state, guild, _int(user_id) or 0) if guild else []
    command = find_command(known, path)
    options = filled_options({k: str(v) for k, v in form.items()}, command["options"] if command else [])
    request = {
        "type": "command",
        "user_id": user_id,
        "channel_id": channel_id,
        "name": path,
        "options": options,
    }
    return request, path


@post("/viewer/command", name="sandbox_viewer_command")
async def viewer_command(request: Request[Any, Any, State], sandbox: NamedDependency[Sandbox]) -> Redirect:
    """Run a slash command as the chosen member, as a Discord client would, then show the bot's answer."""
    form = await request.form()
    interaction, path = _command_request(sandbox, form)
    outcome = await _run(sandbox, interaction)
    outcome["command"] = path
    key = _remember(
        sandbox,
        outcome,
        user_id=_int(interaction["user_id"]) or 0,
        channel_id=interaction["channel_id"],
        message_id="",
    )
    return _redirect(_back(request, form), key, "")


@post("/viewer/autocomplete", name="sandbox_viewer_autocomplete")
async def viewer_autocomplete(
    request: Request[Any, Any, State], sandbox: NamedDependency[Sandbox]
) -> dict[str, Any]:
    """The bot's suggestions for the option being typed (the command box asks as the member types)."""
    form = await request.form()
    interaction, _ = _command_request(sandbox, form)
    interaction |= {"type": "autocomplete", "focused": str(form.get("focused", ""))}
    interaction["options"] = {
        k.removeprefix("option:"): str(v) for k, v in form.items() if k.startswith("option:") and str(v)
    }
    try:
        report = await sandbox.interactions.run(interaction)
    except ControlError as error:
        return {"choices": [], "error": error.error}
    data = (report.get("response") or {}).get("data") or {}
    return {
        "choices": [{"name": c.get("name"), "value": str(c.get("value"))} for c in data.get("choices") or []]
    }


VIEWER_HANDLERS = [
    viewer_page,
    viewer_changes,
    viewer_interact,
    viewer_modal,
    viewer_command,
    viewer_autocomplete,
]
