"""The HTML shell of the sandbox's pages (the OAuth consent screen, the viewer): the base template, the
stylesheet and the avatar filters, under which each package renders its own templates."""

from __future__ import annotations

from typing import Any

from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape
from litestar.enums import MediaType
from litestar.response import Response

AVATAR_COLORS = ["#5865f2", "#757e8a", "#3ba55c", "#faa61a", "#ed4245", "#eb459f"]


def avatar_color(user_id: int | str) -> str:
    """Discord's default-avatar colour for an id."""
    return AVATAR_COLORS[(int(user_id) >> 22) % len(AVATAR_COLORS)]


def initial(name: str | None) -> str:
    """The letter shown in an avatar circle."""
    return (name or "?").strip()[:1].upper() or "?"


class PageRenderer:
    """Renders the templates of one package (its `templates/` directory), which extend `base.html` from here."""

    def __init__(self, package: str) -> None:
        loader = ChoiceLoader([PackageLoader(package), PackageLoader("discord_sandbox.pages")])
        self.env = Environment(loader=loader, autoescape=select_autoescape(["html"]))
        self.env.filters |= {"avatar_color": avatar_color, "initial": initial}

    def __call__(self, template: str, context: dict[str, Any], *, status_code: int = 200) -> Response[str]:
        """A rendered template as an HTML response."""
        body = self.env.get_template(template).render(**context)
        return Response(body, status_code=status_code, media_type=MediaType.HTML)
