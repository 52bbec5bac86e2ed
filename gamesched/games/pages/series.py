"""Recurring games on the dashboard: the create form's Repeat section, and a series' page with its next
games and the host's actions (skip one, move one, edit the whole series, end, delete)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from gamesched.core.errors import Invalid
from gamesched.core.inputs import convert
from gamesched.games.pages.form import redirect_with_notice
from gamesched.games.recurrence import REPEAT_KINDS, WEEKDAYS, build_rule, naive_local
from gamesched.games.series_schemas import (
    DEFAULT_LEAD_MINUTES,
    OccurrenceMove,
    OccurrencePick,
    SeriesPreview,
    SeriesUpdate,
    SeriesView,
)
from gamesched.games.service import GameService
from gamesched.games.when import parse_when
from gamesched.guilds import Page
from gamesched.web import NOTICE_QUERY, FormData, render, take_notice

#: The Repeat section's choices, as people read them.
REPEAT_CHOICES = {
    "": "Does not repeat",
    "weekly": "Every week (or every few weeks) on chosen days",
    "monthly_date": "Every month on the same date",
    "monthly_position": "Every month on the same weekday (like the 3rd Thursday)",
    "monthly_last": "Every month on the last such weekday (like the last Friday)",
}
DAY_LABELS = dict(zip(WEEKDAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True))


def repeat_fields(form: FormData, start: datetime | None, zone: tzinfo | None) -> dict[str, Any] | None:
    """The series' part of a form ({rrule, lead_minutes, carry_roster}), None when the game does not
    repeat; problems go on the form's fields."""
    kind = form.values.get("repeat", "").strip()
    if not kind:
        return None
    if kind not in REPEAT_KINDS:
        form.errors["repeat"] = "Pick how the game repeats."
        return None
    interval = form.optional_int("repeat_interval", 1, 52, "Repeat every") or 1
    count = form.optional_int("repeat_count", 1, 500, "Number of games")
    until = _date(form, "repeat_until")
    if count is not None and until is not None:
        form.errors["repeat_count"] = "End the series after a number of games or on a date, not both."
    lead_minutes = lead_of(form)
    if start is None or form.errors:
        return None
    local = naive_local(start, zone or UTC)
    try:
        rule = build_rule(
            kind,
            local,
            interval=interval,
            weekdays=form.lists.get("repeat_weekdays", []),
            count=count,
            until=until,
        )
    except Invalid as error:
        form.fail(error, "repeat")
        return None
    return {
        "rrule": rule,
        "lead_minutes": lead_minutes,
        "carry_roster": form.values.get("repeat_carry") == "on",
    }


def lead_of(form: FormData) -> int | None:
    """Minutes ahead each game is made; None (left empty): when the previous one is over."""
    days = form.optional_int("repeat_lead_days", 0, 60, "Announce each game")
    return None if days is None else days * 24 * 60


def _date(form: FormData, name: str) -> date | None:
    raw = form.values.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        form.errors[name] = "Pick a date for the last game."
        return None


def repeat_defaults(values: dict[str, str]) -> None:
    values.setdefault("repeat_interval", "1")
    values.setdefault("repeat_lead_days", str(DEFAULT_LEAD_MINUTES // (24 * 60)))


def preview_series(
    games: GameService, body: dict[str, Any], repeat: dict[str, Any], zone: tzinfo | None
) -> Any:
    """The next games the form's rule gives (nothing saved)."""
    key = getattr(zone, "key", "UTC")
    return games.series.preview(
        convert(
            {"rrule": repeat["rrule"], "scheduled_at": body["scheduled_at"].isoformat(), "time_zone": key},
            SeriesPreview,
        )
    )


def series_page(page: Page, series: SeriesView, **context: Any) -> Template:
    page.guild_id = int(series.guild_id)
    context.setdefault("errors", {})
    context.setdefault("values", _edit_values(series))
    context.setdefault("lists", {})
    return render(
        page,
        "games/series.html",
        series=series,
        repeat_choices=REPEAT_CHOICES,
        day_labels=DAY_LABELS,
        local_input=lambda moment: moment.astimezone(page.zone or UTC).strftime("%Y-%m-%d %H:%M"),
        **context,
    )


def _edit_values(series: SeriesView) -> dict[str, Any]:
    local = series.starts_at.astimezone(ZoneInfo(series.time_zone))
    return {
        "title": series.title,
        "time": local.strftime("%H:%M"),
        "repeat_lead_days": "" if series.lead_minutes is None else str(series.lead_minutes // (24 * 60)),
        "repeat_carry": "on" if series.carry_roster else "",
    }


@get("/series/{series_id:str}")
async def series_detail(
    request: Request[Any, Any, Any],
    series_id: FromPath[str],
    page: NamedDependency[Page],
    games: NamedDependency[GameService],
    notice: Annotated[str | None, QueryParameter(name=NOTICE_QUERY)] = None,
) -> Template:
    series = await games.series.get(series_id, page.viewer.user_id)
    return series_page(page, series, notice=await take_notice(request.app.state.cache, notice))


@post("/series/{series_id:str}/skip", status_code=303)
async def skip_occurrence(
    request: Request[Any, Any, Any],
    series_id: FromPath[str],
    page: NamedDependency[Page],
    games: NamedDependency[GameService],
) -> Redirect:
    form = FormData.of(await request.form())
    pick = convert({"occurrence": form.values.get("occurrence", "")}, OccurrencePick)
    await games.series.skip(series_id, page.viewer.user_id, pick)
    return await redirect_with_notice(request, f"/series/{series_id}", "That game is skipped.")


@post("/series/{series_id:str}/move", status_code=303)
async def move_occurrence(
    request: Request[Any, Any, Any],
    series_id: FromPath[str],
    page: NamedDependency[Page],
    games: NamedDependency[GameService],
) -> Redirect | Template:
    form = FormData.of(await request.form())
    try:
        when = parse_when(form.values.get("when", ""), zone=page.zone or UTC, now=games.clock.now())
        move = convert(
            {"occurrence": form.values.get("occurrence", ""), "scheduled_at": when.isoformat()},
            OccurrenceMove,
        )
        await games.series.move(series_id, page.viewer.user_id, move)
    except Invalid as error:
        series = await games.series.get(series_id, page.viewer.user_id)
        return series_page(
            page, series, move_error=error.message, move_occurrence=form.values.get("occurrence")
        )
    return await redirect_with_notice(
        request, f"/series/{series_id}", "That game is moved; the series is unchanged."
    )


@post("/series/{series_id:str}/edit", status_code=303)
async def edit_series(
    request: Request[Any, Any, Any],
    series_id: FromPath[str],
    page: NamedDependency[Page],
    games: NamedDependency[GameService],
) -> Redirect | Template:
    form = FormData.of(await request.form())
    series = await games.series.get(series_id, page.viewer.user_id)
    zone = ZoneInfo(series.time_zone)  # the time is typed in the series' zone (the form says which)
    body: dict[str, Any] = {"title": form.text("title", max_length=200, required="Give the game a title.")}
    body["expected_version"] = series.version
    start = _start_at(form, series, zone)
    if start is not None:
        body["scheduled_at"] = start.isoformat()
    repeat = repeat_fields(form, start, zone)  # none chosen: the rule stays
    if repeat is not None:
        body["rrule"] = repeat["rrule"]
    body["lead_minutes"] = lead_of(form)
    body["carry_roster"] = form.values.get("repeat_carry") == "on"
    if form.ok:
        try:
            await games.series.edit(series_id, page.viewer.user_id, convert(body, SeriesUpdate))
            return await redirect_with_notice(
                request, f"/series/{series_id}", "The series is changed, and its games ahead with it."
            )
        except Invalid as error:
            form.fail(error, "repeat")
    return series_page(
        page, series, values=form.values, lists=form.lists, errors=form.errors, status_code=422
    )


def _start_at(form: FormData, series: SeriesView, zone: ZoneInfo) -> datetime | None:
    """The series' first day at the time typed (HH:MM, the viewer's zone)."""
    raw = form.values.get("time", "").strip()
    try:
        moment = time.fromisoformat(raw)
    except ValueError:
        form.errors["time"] = "Write the time like 19:00."
        return None
    day = series.starts_at.astimezone(zone).date()
    return datetime.combine(day, moment, zone)


@post("/series/{series_id:str}/end", status_code=303)
async def end_series(
    request: Request[Any, Any, Any],
    series_id: FromPath[str],
    page: NamedDependency[Page],
    games: NamedDependency[GameService],
) -> Redirect:
    await games.series.end(series_id, page.viewer.user_id)
    return await redirect_with_notice(
        request, f"/series/{series_id}", "The series is ended: no more games will be made."
    )


@post("/series/{series_id:str}/delete", status_code=303)
async def delete_series(
    request: Request[Any, Any, Any],
    series_id: FromPath[str],
    page: NamedDependency[Page],
    games: NamedDependency[GameService],
) -> Redirect:
    series = await games.series.get(series_id, page.viewer.user_id)
    await games.series.delete(series_id, page.viewer.user_id)
    return await redirect_with_notice(
        request, f"/guilds/{series.guild_id}", "The series is deleted; its games ahead are cancelled."
    )


routes: list[Any] = [series_detail, skip_occurrence, move_occurrence, edit_series, end_series, delete_series]
