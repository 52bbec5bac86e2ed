"""The dashboard's personal settings page (/settings): the viewer's time zone."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from gamesched.core.errors import Invalid
from gamesched.core.time_zones import local_words, zone_key, zone_names
from gamesched.web import FormData, render

from .page_context import Page
from .service import GuildService


def _settings_page(
    page: Page, guilds: GuildService, *, values: dict[str, str], errors: dict[str, str], saved: bool = False
) -> Template:
    now = guilds.clock.now()
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
    )


@get("/settings")
async def settings_page(
    page: NamedDependency[Page], guilds: NamedDependency[GuildService], saved: FromQuery[bool] = False
) -> Template:
    """The viewer's own settings: the zone they type and read times in."""
    chosen = zone_key(page.zone) if page.zone_chosen else ""
    return _settings_page(page, guilds, values={"time_zone": chosen}, errors={}, saved=saved)


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
        return _settings_page(page, guilds, values=form.values, errors=form.errors)
    return Redirect("/settings?saved=true", status_code=303)


preference_pages: list[Any] = [settings_page, save_settings]
