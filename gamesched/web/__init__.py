"""The dashboard toolkit every module's pages use: rendering, forms, markup filters, live streams, error
pages, the ``Viewer`` type, and the serving parts (templates, static files) the composition root mounts."""

from gamesched.web.drafts import DRAFT_QUERY, DRAFT_STATE_KEY, KEEP_DRAFT, keep_draft, take_draft
from gamesched.web.forms import FormData
from gamesched.web.markup import Names
from gamesched.web.notices import NOTICE_QUERY, take_notice, with_notice
from gamesched.web.params import id_in_path, id_in_query
from gamesched.web.render import PAGE_STATE_KEY, is_htmx, render
from gamesched.web.streams import LiveStreams
from gamesched.web.viewer import Viewer

__all__ = [
    "DRAFT_QUERY",
    "DRAFT_STATE_KEY",
    "KEEP_DRAFT",
    "NOTICE_QUERY",
    "PAGE_STATE_KEY",
    "FormData",
    "LiveStreams",
    "Names",
    "Viewer",
    "id_in_path",
    "id_in_query",
    "is_htmx",
    "keep_draft",
    "render",
    "take_draft",
    "take_notice",
    "with_notice",
]
