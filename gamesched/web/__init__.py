"""The web dashboard's shared plumbing: templates and filters, page context, error pages, live streams.

The composition root imports ``gamesched.web.build.build_web`` (it pulls in every module's pages, which
import this package, so it is not re-exported here).
"""

from gamesched.web.context import GuildLink, Page, is_htmx, names_for, render
from gamesched.web.forms import FormData
from gamesched.web.live import LiveStreams
from gamesched.web.markup import Names

__all__ = ["FormData", "GuildLink", "LiveStreams", "Names", "Page", "is_htmx", "names_for", "render"]
