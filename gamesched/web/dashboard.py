"""The dashboard's serving parts — templates, static files, the htmx plugin, the error page and live
streams — around the page handlers the modules contribute."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.di import Provide
from litestar.plugins import PluginProtocol
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from .errors import error_page
from .markup import FILTERS
from .streams import LiveStreams

#: This package's directory, holding templates/ and static/ (package data in pyproject.toml, so a wheel
#: carries them). gamesched is installed as files, not zipped, so the resource is a real directory.
WEB_DIR = Path(str(resources.files("gamesched.web")))
STATIC_PATH = "/static"
STATIC_MAX_AGE = 3600


@dataclass(frozen=True, slots=True)
class DashboardParts:
    """Hand these to ``build_http_app``; call ``streams.stop()`` before the server shuts down."""

    route_handlers: list[Any]
    template_config: TemplateConfig[JinjaTemplateEngine]
    plugins: list[PluginProtocol]
    error_page: Any
    streams: LiveStreams


def create_environment(web_dir: Path = WEB_DIR) -> Environment:
    env = Environment(
        loader=FileSystemLoader(web_dir / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        # The templates ship with the package: no look at their files' times on every render (1.3 % of a
        # game page's CPU). A changed template shows after a restart, as changed code does.
        auto_reload=False,
    )
    env.filters.update(FILTERS)
    env.globals["static"] = lambda path: f"{STATIC_PATH}/{path}"
    return env


def build_dashboard(page_handlers: list[Any], *, web_dir: Path = WEB_DIR) -> DashboardParts:
    """The modules' pages (left out of the API schema, with ``streams``), static files, templates, the htmx
    plugin and the HTML error page. The ``page`` dependency itself comes from the guilds module."""
    streams = LiveStreams()
    pages = Router(
        path="/",
        route_handlers=page_handlers,
        dependencies={"streams": Provide(lambda: streams, use_cache=True, sync_to_thread=False)},
        include_in_schema=False,
    )
    static = create_static_files_router(
        path=STATIC_PATH,
        directories=[web_dir / "static"],
        cache_control=CacheControlHeader(max_age=STATIC_MAX_AGE),
        include_in_schema=False,
    )
    environment = create_environment(web_dir)
    return DashboardParts(
        route_handlers=[pages, static],
        template_config=TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment)),
        plugins=[HTMXPlugin()],
        error_page=error_page,
        streams=streams,
    )
