"""The Discord announcement of a game: role pings above an embed, and the Join/Leave buttons.

Pure rendering (GameView in, Discord JSON out), always inside Discord's limits: a big roster is spread over
columns and cut with "… and N more" linking to the game page when it would not fit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from gamesched.discord_kit import format_when
from gamesched.games.schemas import GameView, ParticipantView

#: Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
EMBED_TOTAL = 6000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_VALUE_LIMIT = 1024
CONTENT_LIMIT = 2000
#: A big roster is shown in up to this many side-by-side columns.
MAX_COLUMNS = 3
#: Up to this much room is kept for the roster by shortening a long description.
ROSTER_RESERVE = 3500
#: More open seats than this are summarised on one line instead of listed.
LISTED_OPEN_SEATS = 5
BLANK = "\u200b"
ELLIPSIS = "…"

STATUS_COLOURS = {
    "scheduled": 0x2ECC71,
    "in_progress": 0x3498DB,
    "completed": 0xF1C40F,
    "cancelled": 0xE74C3C,
    "archived": 0x95A5A6,
}
STATUS_LABELS = {
    "scheduled": "Scheduled",
    "in_progress": "In progress",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "archived": "Archived",
}
STATUS_BANNERS = {
    "in_progress": "**This game has started.**",
    "completed": "**This game is over.**",
    "archived": "**This game is over.**",
    "cancelled": "**This game was cancelled.**",
}
#: The host's reason for cancelling, as much as the announcement shows of it (the rest is on the game page).
CANCEL_REASON_SHOWN = 300
#: Statuses in which the announcement is kept up (posted again if it goes missing).
LIVE_STATUSES = frozenset({"scheduled", "in_progress"})


@dataclass(frozen=True, slots=True)
class Buttons:
    """What the buttons under the announcement say; ``views.announcement_view`` turns them into the
    discord.py view that is sent (tests read that same view's JSON)."""

    game_id: str
    join_enabled: bool
    leave_enabled: bool
    page_url: str
    #: "Join waitlist" once every seat is taken (as on the game page), else "Join".
    join_label: str = "Join"


@dataclass(frozen=True, slots=True)
class Announcement:
    content: str | None
    embed: dict[str, Any]
    buttons: Buttons
    #: Roles pinged in ``content`` (and whether that includes @everyone), for allowed_mentions.
    role_ids: list[int] = field(default_factory=list)
    mentions_everyone: bool = False


def join_label(game: GameView) -> str:
    """What the Join button says: a full game's puts you on the waitlist."""
    return "Join waitlist" if game.confirmed_count >= game.max_players else "Join"


def game_page_url(base_url: str, game_id: str) -> str:
    return f"{base_url.rstrip('/')}/games/{game_id}"


def render_announcement(
    game: GameView, *, base_url: str, calendar: tuple[str, str] | None = None
) -> Announcement:
    """The message announcing ``game``: notify-role pings, the embed and the buttons. ``calendar``: the
    game's signed (.ics, Google Calendar) links (games/calendar.py); without them, no calendar field."""
    page = game_page_url(base_url, game.id)
    role_ids = [int(r) for r in game.notify_role_ids]
    everyone = str(game.guild_id) in game.notify_role_ids
    pings = ["@everyone" if str(r) == game.guild_id else f"<@&{r}>" for r in role_ids]
    content = " ".join(pings)[:CONTENT_LIMIT] or None
    live = game.status == "scheduled"
    buttons = Buttons(
        game_id=game.id,
        join_enabled=live and game.signup_method != "host_selected",
        leave_enabled=live,
        page_url=page,
        join_label=join_label(game),
    )
    return Announcement(
        content=content,
        embed=render_embed(game, page_url=page, calendar=calendar, base_url=base_url),
        buttons=buttons,
        role_ids=[r for r in role_ids if str(r) != game.guild_id],
        mentions_everyone=everyone,
    )


def render_embed(
    game: GameView, *, page_url: str, calendar: tuple[str, str] | None, base_url: str = ""
) -> dict[str, Any]:
    fields: list[dict[str, Any]] = [
        {"name": "When", "value": format_when(game.scheduled_at), "inline": False},
        {"name": "Host", "value": f"<@{game.host.discord_id}>", "inline": True},
    ]
    if game.duration_minutes:
        fields.append({"name": "Duration", "value": format_duration(game.duration_minutes), "inline": True})
    if game.location.strip():
        fields.append(
            {"name": "Where", "value": _cut(game.location.strip(), FIELD_VALUE_LIMIT), "inline": False}
        )
    tail: list[dict[str, Any]] = []
    if game.signup_instructions.strip():
        tail.append(
            {
                "name": "Signup instructions",
                "value": _cut(game.signup_instructions.strip(), FIELD_VALUE_LIMIT),
                "inline": False,
            }
        )
    if game.rewards.strip() and game.status in ("completed", "archived"):
        # A spoiler: players click to see what they won.
        rewards = _cut(game.rewards.strip().replace("|", "\\|"), FIELD_VALUE_LIMIT - 4)
        tail.append({"name": "Rewards", "value": f"||{rewards}||", "inline": False})
    if calendar is not None and game.status in LIVE_STATUSES:
        ics, google = calendar
        links = f"[Google Calendar]({google}) · [Download .ics]({ics})"
        tail.append({"name": "Add to calendar", "value": links, "inline": False})

    title = _cut(game.title, TITLE_LIMIT)
    footer = f"Status: {STATUS_LABELS.get(game.status, game.status.title())}"
    banner = STATUS_BANNERS.get(game.status, "")
    if game.status == "cancelled" and game.cancel_reason.strip():
        banner += f"\nReason: {_cut(game.cancel_reason.strip(), CANCEL_REASON_SHOWN)}"
    description = "\n\n".join(part for part in (banner, game.description.strip()) if part)
    confirmed, waitlist = game.confirmed, game.waitlist
    player_lines = [_line(p) for p in confirmed] + _open_seat_lines(len(confirmed), game.max_players)
    roster_need = sum(len(line) + 1 for line in player_lines) + sum(len(_line(p)) + 1 for p in waitlist) + 100
    fixed = len(title) + len(footer) + _fields_size(fields) + _fields_size(tail)
    room_for_description = max(0, EMBED_TOTAL - fixed - min(ROSTER_RESERVE, roster_need))
    description = _cut(description, min(DESCRIPTION_LIMIT, room_for_description))

    budget = EMBED_TOTAL - fixed - len(description)
    more = f"[{ELLIPSIS} and {{n}} more]({page_url})"
    # The waitlist keeps some room even when the players' columns are long.
    waitlist_budget = min(budget // 3, 1500) if waitlist else 0
    player_fields = _column_fields(
        f"Players ({len(confirmed)}/{game.max_players})", player_lines, budget - waitlist_budget, more
    )
    roster_fields = player_fields
    if waitlist:
        used = _fields_size(player_fields)
        roster_fields = player_fields + _column_fields(
            f"Waitlist ({len(waitlist)})", [_line(p) for p in waitlist], budget - used, more
        )
    embed: dict[str, Any] = {
        "title": title,
        "url": page_url,
        "color": STATUS_COLOURS.get(game.status, 0x95A5A6),
        "fields": fields + roster_fields + tail,
        "footer": {"text": footer},
        "timestamp": game.scheduled_at.astimezone(UTC).isoformat(),
    }
    if description:
        embed["description"] = description
    # Discord fetches these through its media proxy: they must be absolute and reachable from the internet.
    base = base_url.rstrip("/")
    if game.thumbnail_url:
        embed["thumbnail"] = {"url": base + game.thumbnail_url}
    if game.banner_url:
        embed["image"] = {"url": base + game.banner_url}
    return embed


def embed_size(embed: dict[str, Any]) -> int:
    """Characters Discord counts towards the 6000 limit."""
    return (
        len(embed.get("title") or "")
        + len(embed.get("description") or "")
        + _fields_size(embed.get("fields") or [])
        + len((embed.get("footer") or {}).get("text") or "")
        + len((embed.get("author") or {}).get("name") or "")
    )


def format_duration(minutes: int) -> str:
    hours, rest = divmod(int(minutes), 60)
    if hours and rest:
        return f"{hours}h {rest}m"
    return f"{hours}h" if hours else f"{rest}m"


# -- helpers ---------------------------------------------------------------------------------------


def _line(p: ParticipantView) -> str:
    who = f"<@{p.discord_id}>" if p.discord_id is not None else _escape(p.display_name)
    if p.confirm_by is not None:  # carried over from a clone, holding the place until they confirm
        return f"{p.position}. {who} *(to confirm by <t:{int(p.confirm_by.timestamp())}:f>)*"
    return f"{p.position}. {who}"


def _open_seat_lines(taken: int, seats: int) -> list[str]:
    open_seats = seats - taken
    if open_seats <= 0:
        return []
    if open_seats <= LISTED_OPEN_SEATS:
        return [f"{n}. *open seat*" for n in range(taken + 1, seats + 1)]
    return [f"{taken + 1}-{seats}. *{open_seats} open seats*"]


def _column_fields(name: str, lines: Sequence[str], budget: int, more: str) -> list[dict[str, Any]]:
    """``lines`` in one field, or up to MAX_COLUMNS inline columns; cut with a "more" line if too long."""
    if not lines:
        return []
    budget = min(budget, MAX_COLUMNS * FIELD_VALUE_LIMIT) - len(name) - 2 * MAX_COLUMNS
    # Start from the longest prefix that could fit, then drop lines until the columns really fit.
    kept, used = [], 0
    for line in lines:
        used += len(line) + 1
        if used > budget:
            break
        kept.append(line)
    columns = None
    while True:
        omitted = len(lines) - len(kept)
        shown = [*kept, more.format(n=omitted)] if omitted else list(kept)
        columns = _columns(shown)
        if columns is not None and sum(len(c) for c in columns) <= budget:
            break
        if not kept:
            columns = None
            break
        kept.pop()
    if columns is None:  # not even the "more" line fits: keep the count only
        columns = [_cut(more.format(n=len(lines)), FIELD_VALUE_LIMIT)]
    if len(columns) == 1:
        return [{"name": name, "value": columns[0], "inline": False}]
    columns += [BLANK] * (MAX_COLUMNS - len(columns))  # a full row, so the next field starts below it
    return [
        {"name": name if index == 0 else BLANK, "value": value, "inline": True}
        for index, value in enumerate(columns)
    ]


def _columns(lines: list[str]) -> list[str] | None:
    """Split lines into at most MAX_COLUMNS values of ≤1024 characters, balanced; None if impossible."""
    if not lines:
        return None
    single = "\n".join(lines)
    if len(single) <= FIELD_VALUE_LIMIT:
        return [single]
    for count in range(2, MAX_COLUMNS + 1):
        per = math.ceil(len(lines) / count)
        values = ["\n".join(lines[i : i + per]) for i in range(0, len(lines), per)]
        if all(len(v) <= FIELD_VALUE_LIMIT for v in values):
            return values
    return None


def _fields_size(fields: Sequence[dict[str, Any]]) -> int:
    return sum(len(f.get("name") or "") + len(f.get("value") or "") for f in fields)


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + ELLIPSIS if limit > 0 else ""


def _escape(text: str) -> str:
    for char in ("\\", "*", "_", "~", "`", "|", ">", "[", "]"):
        text = text.replace(char, "\\" + char)
    return text
