"""The dashboard's personal settings page (/settings): the viewer's time zone and calendar feed link."""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from gamesched.core.errors import Invalid
from gamesched.core.time_zones import local_words, zone_key, zone_names
from gamesched.web import FormData, render

from .page_context import Page
from .service import GuildService

FeedNotice = Literal["new", "off"]


async def _settings_page(
    page: Page,
    guilds: GuildService,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    saved: bool = False,
    feed: FeedNotice | None = None,
) -> Template:
    now = guilds.clock.now()
    feed_url = await guilds.calendar_feeds.url(page.viewer.user_id)
    return render(
        page,
        "settings.html",
        status_code=422 if errors else 200,
        zones=zone_names(),
        values=values,
        errors=errors,
        saved=saved,
        current=zone_key(page.zone) if page.zone else None,
        now_there=local_words(now, page.zone, "time") if page.zone else None,
        feed_url=feed_url,
        feed_links=_subscribe_links(feed_url) if feed_url else None,
        feed_notice=feed,
    )


def _subscribe_links(url: str) -> dict[str, str]:
    """Where the link opens as a subscription: ``webcal:`` for Apple Calendar and Outlook, Google
    Calendar's "add by URL" (which fetches the feed from Google's servers: the site must be public)."""
    webcal = "webcal://" + url.split("://", 1)[1]
    return {
        "webcal": webcal,
        "google": f"https://calendar.google.com/calendar/r?cid={quote(webcal, safe='')}",
    }


@get("/settings")
async def settings_page(
    page: NamedDependency[Page],
    guilds: NamedDependency[GuildService],
    saved: FromQuery[bool] = False,
    feed: FromQuery[str] = "",
) -> Template:
    """The viewer's own settings: the zone they type and read times in, and their calendar feed."""
    chosen = zone_key(page.zone) if page.zone_chosen else ""
    notice: FeedNotice | None = "new" if feed == "new" else "off" if feed == "off" else None
    return await _settings_page(
        page, guilds, values={"time_zone": chosen}, errors={}, saved=saved, feed=notice
    )


@post("/settings", status_code=303)
async def save_settings(
    request: Request[Any, Any, Any], page: NamedDependency[Page], guilds: NamedDependency[GuildService]
) -> Response[Any]:
    form = FormData.of(await request.form())
    typed = form.text("time_zone", max_length=64)
    if form.ok:
        try:
            await guilds.preferences.set_time_zone(page.viewer.user_id, typed or None)
        except Invalid as error:
            form.fail(error)
    if not form.ok:
        return await _settings_page(page, guilds, values=form.values, errors=form.errors)
    return Redirect("/settings?saved=true", status_code=303)


@post("/settings/calendar-feed", status_code=303)
async def reset_calendar_feed(page: NamedDependency[Page], guilds: NamedDependency[GuildService]) -> Redirect:
    """A new calendar feed link for the viewer (their first, or one replacing the old: that one stops)."""
    await guilds.calendar_feeds.reset(page.viewer.user_id)
    return Redirect("/settings?feed=new#calendar-feed", status_code=303)


@post("/settings/calendar-feed/off", status_code=303)
async def turn_off_calendar_feed(
    page: NamedDependency[Page], guilds: NamedDependency[GuildService]
) -> Redirect:
    """No calendar feed link for the viewer any more."""
    await guilds.calendar_feeds.turn_off(page.viewer.user_id)
    return Redirect("/settings?feed=off#calendar-feed", status_code=303)


preference_pages: list[Any] = [settings_page, save_settings, reset_calendar_feed, turn_off_calendar_feed]
