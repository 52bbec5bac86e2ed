"""Rendering a dashboard page or an htmx fragment with the header's context."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template

#: Where the page context is kept on the request, so the error page can show the same header.
PAGE_STATE_KEY = "dashboard_page"


def render(page: Any, template: str, *, status_code: int = 200, **context: Any) -> Template:
    """A full page (or an htmx fragment); ``page`` is the header's data (None on the login page)."""
    return Template(template_name=template, context={"page": page, **context}, status_code=status_code)


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"
