"""View models of the viewer page: messages, embeds, components, members and interaction outcomes as plain dicts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ..state.model import CHANNEL_CATEGORY, CHANNEL_TEXT, SEND_MESSAGES, VIEW_CHANNEL, Channel, Guild, Message
from ..state.sandbox_state import SandboxState
from .markup import MessageMarkup, format_timestamp

BUTTON_STYLES = {1: "primary", 2: "secondary", 3: "success", 4: "danger", 5: "link", 6: "premium"}
SELECT_TYPES = {3, 5, 6, 7, 8}
MODAL_RESPONSE, UPDATE_MESSAGE, DEFERRED_UPDATE = 9, 7, 6
TEXT_INPUT, LABEL = 4, 18
ACTION_ROW, BUTTON, SECTION, CONTAINER = 1, 2, 9, 17


def display_name(state: SandboxState, user_id: int, guild_id: int | None) -> str:
    """The name Discord shows: the guild nick if there is one, else global name, else username."""
    user = state.users.get(user_id)
    if user is None:
        return "Unknown User"
    if guild_id is not None and guild_id in state.guilds and user_id in state.guilds[guild_id].members:
        return state.member_display_name(guild_id, user_id)
    return user.global_name or user.username


def message_markup(state: SandboxState, guild_id: int | None, now: datetime) -> MessageMarkup:
    """A renderer that resolves mentions as seen from one guild (or a DM when `guild_id` is None)."""

    def role_name(role_id: int) -> str | None:
        for guild in state.guilds.values():
            if role_id in guild.roles:
                return guild.roles[role_id].name.lstrip("@")
        return None

    def channel_name(channel_id: int) -> str | None:
        channel = state.channel(channel_id)
        return channel.name if channel is not None and channel.guild_id is not None else None

    return MessageMarkup(
        user_name=lambda uid: display_name(state, uid, guild_id) if uid in state.users else None,
        role_name=role_name,
        channel_name=channel_name,
        now=now,
    )


def clock_time(moment: datetime, now: datetime) -> str:
    """A message time as Discord writes it: "Today at 18:30" or a date."""
    moment = moment.astimezone(UTC)
    if moment.date() == now.date():
        return moment.strftime("Today at %H:%M")
    return moment.strftime("%d/%m/%Y %H:%M")


def embed_view(embed: dict[str, Any], markup: MessageMarkup, now: datetime) -> dict[str, Any]:
    """An embed with its texts rendered."""
    timestamp = embed.get("timestamp")
    when = datetime.fromisoformat(timestamp) if isinstance(timestamp, str) else None
    color = embed.get("color")
    footer, author = embed.get("footer") or {}, embed.get("author") or None
    return {
        "color": f"#{color:06x}" if isinstance(color, int) else "#1e1f22",
        "author": author,
        "title": embed.get("title"),
        "url": embed.get("url"),
        "description": markup(embed.get("description")),
        "fields": [
            {"name": markup(f.get("name")), "value": markup(f.get("value")), "inline": bool(f.get("inline"))}
            for f in embed.get("fields") or []
        ],
        "footer": footer.get("text"),
        "footer_icon": footer.get("icon_url"),
        "timestamp": format_timestamp(when, "f", now) if when else None,
        "thumbnail": _media(embed.get("thumbnail")),
        "image": _media(embed.get("image")),
    }


def _media(media: Any) -> dict[str, Any] | None:
    """An embed image as the media proxy left it: its URL and size, or broken (fetched, 0x0)."""
    if not isinstance(media, dict) or not media.get("url"):
        return None
    width, height = media.get("width"), media.get("height")
    return {"url": media["url"], "width": width, "height": height, "broken": width == 0 and height == 0}


def component_view(component: dict[str, Any]) -> dict[str, Any]:
    """A button (or a select menu, shown but not usable)."""
    if component.get("type") in SELECT_TYPES:
        return {"kind": "select", "placeholder": component.get("placeholder") or "Make a selection"}
    emoji = component.get("emoji") or {}
    return {
        "kind": "button",
        "style": BUTTON_STYLES.get(component.get("style", 2), "secondary"),
        "label": component.get("label") or "",
        "emoji": emoji.get("name"),
        "custom_id": component.get("custom_id"),
        "url": component.get("url"),
        "disabled": bool(component.get("disabled")),
    }


def component_rows(components: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Rows of buttons and selects; containers and sections (components v2) are searched for them."""
    rows: list[list[dict[str, Any]]] = []
    for component in components:
        kind = component.get("type")
        if kind == ACTION_ROW:
            rows.append([component_view(c) for c in component.get("components") or []])
        elif kind == CONTAINER:
            rows.extend(component_rows(component.get("components") or []))
        elif kind == SECTION and component.get("accessory", {}).get("type") == BUTTON:
            rows.append([component_view(component["accessory"])])
        elif kind == BUTTON or kind in SELECT_TYPES:
            rows.append([component_view(component)])
    return rows


def message_view(
    state: SandboxState, message: Message, guild_id: int | None, now: datetime
) -> dict[str, Any]:
    """A message as the template shows it."""
    markup = message_markup(state, guild_id, now)
    author = state.users.get(message.author_id)
    used = message.interaction or {}
    used_by = (used.get("user") or {}).get("id")
    return {
        "id": str(message.id),
        "channel_id": str(message.channel_id),
        "author_id": message.author_id,
        "author_name": display_name(state, message.author_id, guild_id),
        "is_bot": bool(author and author.bot),
        "created": clock_time(message.created_at, now),
        "created_iso": message.created_at.isoformat(),
        "created_full": format_timestamp(message.created_at, "F", now),
        "edited": format_timestamp(message.edited_at, "F", now) if message.edited_at else None,
        "content": markup(message.content),
        "embeds": [embed_view(e, markup, now) for e in message.embeds],
        "rows": component_rows(message.components),
        "ephemeral": message.ephemeral_for is not None,
        "interaction": (
            f"{display_name(state, int(used_by), guild_id)} used /{used['name']}"
            if used_by and used.get("name") and used.get("type") == 2
            else None
        ),
    }


def channel_groups(guild: Guild, link: Callable[..., str]) -> list[dict[str, Any]]:
    """Text channels by category, in position order, each with its link; `locked` when an overwrite takes View
    Channel or Send Messages from someone there (the viewer shows a lock, as Discord does)."""
    by_position = sorted(guild.channels.values(), key=lambda c: (c.position, c.id))
    texts = [c for c in by_position if c.type == CHANNEL_TEXT]
    groups: list[tuple[str | None, list[Channel]]] = [(None, [c for c in texts if c.parent_id is None])]
    for category in (c for c in by_position if c.type == CHANNEL_CATEGORY):
        groups.append((category.name, [c for c in texts if c.parent_id == category.id]))
    return [
        {
            "name": name,
            "channels": [
                {
                    "id": c.id,
                    "name": c.name,
                    "url": link(guild=c.guild_id, channel=c.id),
                    "locked": any(o.deny & (VIEW_CHANNEL | SEND_MESSAGES) for o in c.permission_overwrites),
                }
                for c in channels
            ],
        }
        for name, channels in groups
        if channels
    ]


def member_rows(state: SandboxState, guild: Guild) -> list[dict[str, Any]]:
    """The member list: the bot first, then people by display name, with their roles."""
    rows = []
    for member in guild.members.values():
        user = state.users[member.user_id]
        roles = sorted(
            (guild.roles[r] for r in member.roles if r in guild.roles and not guild.roles[r].managed),
            key=lambda r: -r.position,
        )
        rows.append(
            {
                "id": user.id,
                "name": state.member_display_name(guild.id, user.id),
                "bot": user.bot,
                "owner": guild.owner_id == user.id,
                "dms_open": user.dms_open,
                "roles": [r.name for r in roles],
            }
        )
    return sorted(rows, key=lambda r: (not r["bot"], r["name"].lower()))


def initials(name: str) -> str:
    """A guild icon's letters: "Sandbox Guild" → "SG"."""
    return "".join(word[0] for word in name.split()[:3]).upper() or "?"


def modal_view(data: dict[str, Any]) -> dict[str, Any]:
    """The text inputs of a modal the bot opened, old (action row) and new (label) layouts alike."""
    inputs = []
    for item in data.get("components") or []:
        if item.get("type") == LABEL:
            found = [(item.get("label"), item.get("component") or {})]
        else:
            found = [(c.get("label"), c) for c in item.get("components") or []]
        for label, field in found:
            if field.get("type") == TEXT_INPUT:
                inputs.append(
                    {**field, "label": label or field.get("custom_id"), "paragraph": field.get("style") == 2}
                )
    return {"title": data.get("title"), "custom_id": data.get("custom_id"), "inputs": inputs}


def interaction_outcome(state: SandboxState, report: dict[str, Any], guild_id: int | None) -> dict[str, Any]:
    """What the clicking member should see: ephemeral replies, a note, or a modal to fill in."""
    now = datetime.now(UTC)
    markup = message_markup(state, guild_id, now)
    response = report.get("response") or {}
    kind = response.get("type")
    candidates = (
        [] if kind in (UPDATE_MESSAGE, DEFERRED_UPDATE) else [report.get("message"), *report["followups"]]
    )
    replies = [m for m in candidates if m and m.get("ephemeral") and (m.get("content") or m.get("embeds"))]
    note = None
    public = report.get("message")
    if kind == UPDATE_MESSAGE:
        note = "The bot updated the message."
    elif public and not public.get("ephemeral") and kind != DEFERRED_UPDATE:
        note = "The bot answered in the channel."
    elif not replies and kind != MODAL_RESPONSE:
        note = "The bot acknowledged the interaction."
    return {
        "failed": False,
        "latency_ms": report.get("latency_ms"),
        "replies": [
            {
                "content": markup(m.get("content")),
                "embeds": [embed_view(e, markup, now) for e in m.get("embeds") or []],
                "rows": component_rows(m.get("components") or []),
                "id": str(m["id"]),
                "channel_id": str(m.get("channel_id") or ""),
                "ephemeral": True,
            }
            for m in replies
        ],
        "reply_ids": [m["id"] for m in replies],
        "note": note,
        "modal": modal_view(response.get("data") or {}) if kind == MODAL_RESPONSE else None,
    }
