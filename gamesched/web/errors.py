"""Friendly error pages for browsers: a sentence and a way back, never a stack trace."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from litestar import Request, Response
from litestar.response import Redirect
from litestar.types import Receive, Scope, Send

from .drafts import DRAFT_QUERY, DRAFT_STATE_KEY
from .render import PAGE_STATE_KEY, is_htmx, render

TITLES = {
    400: "That did not work",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    409: "That did not work",
    422: "Please check that",
    429: "Slow down",
    500: "Something went wrong",
    503: "Temporarily unavailable",
}
CSRF_MESSAGE = "This form has expired. Reload the page and try again."
#: The header's data for whoever sent a request (None: nobody logged in), from the session.
HeaderLoader = Callable[[Request[Any, Any, Any]], Awaitable[Any]]


def login_url(request: Request[Any, Any, Any]) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if draft := request.state.get(DRAFT_STATE_KEY):
        # A form kept over the login: back to its page (a GET at the same path), which fills it in again.
        return "/login?" + urlencode({"next": f"{request.url.path}?{urlencode({DRAFT_QUERY: draft})}"})
    if request.method != "GET" or is_htmx(request):
        # Back to the page the person was on, not to the form endpoint or fragment that asked.
        current = urlsplit(request.headers.get("hx-current-url") or request.headers.get("referer") or "/")
        target = (current.path or "/") + (f"?{current.query}" if current.query else "")
    return "/login?" + urlencode({"next": target})


def error_page(
    request: Request[Any, Any, Any], status: int, message: str, *, header: HeaderLoader | None = None
) -> Response[Any]:
    """401 goes to the login page; every other error is a page in the dashboard's layout, with the
    logged-in header also where no page handler ran (an unknown address): ``header`` looks it up."""
    if status == 401:
        url = login_url(request)
        if is_htmx(request):
            return Response(None, status_code=200, headers={"HX-Redirect": url})
        return Redirect(url, status_code=303)
    if status == 403 and "CSRF" in message:
        message = CSRF_MESSAGE
    page = request.state.get(PAGE_STATE_KEY)
    context = {"status": status, "title": TITLES.get(status, "That did not work"), "message": message}
    if page is None and header is not None:
        return _WithHeader(header, context, status)
    return render(page, "error.html", status_code=status, **context)


class _WithHeader(Response[Any]):
    """The error page, its header looked up from the session as it is sent: an exception handler cannot
    await, and an unknown address runs no handler (nor the ``page`` dependency) that would have found it."""

    def __init__(self, header: HeaderLoader, context: dict[str, Any], status: int) -> None:
        super().__init__(None, status_code=status)
        self._header = header
        self._context = context
        self._status = status

    def to_asgi_response(self, app: Any, request: Request[Any, Any, Any], **kwargs: Any) -> Any:
        async def send_page(scope: Scope, receive: Receive, send: Send) -> None:
            try:
                page = await self._header(request)
            except Exception:  # the page still answers, without the header (e.g. the database is down)
                page = None
            rendered = render(page, "error.html", status_code=self._status, **self._context)
            rendered.headers.update(self.headers)
            await rendered.to_asgi_response(app, request, **kwargs)(scope, receive, send)

        return send_page
