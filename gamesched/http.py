"""The Litestar application: error translation, health, metrics, OpenAPI, and the routes modules provide."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, Literal, cast

import msgspec
import structlog
from litestar import Litestar, MediaType, Request, Response, get
from litestar._kwargs.cleanup import DependencyCleanupGroup
from litestar._kwargs.dependencies import resolve_dependency
from litestar._kwargs.kwargs_model import KwargsModel
from litestar.connection import ASGIConnection
from litestar.datastructures import FormMultiDict, State
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import (
    ClientException,
    HTTPException,
    NotFoundException,
    SerializationException,
    ValidationException,
)
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.plugins import PluginProtocol
from litestar.routes import HTTPRoute
from litestar.serialization import default_deserializer
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.template import TemplateConfig
from litestar.types import ASGIApp, ControllerRouterHandler, Empty, Message, Receive, Scope, Send
from sqlalchemy import text

from gamesched import __version__
from gamesched.core.db import Database
from gamesched.core.errors import DatabaseUnavailable, DomainError
from gamesched.core.inputs import explain, field_problems
from gamesched.core.metrics import Metrics
from gamesched.security import SessionCSRF, security_headers

log = structlog.get_logger(__name__)

#: Paths that stand for outside services or machines, never behind the app's CSRF check.
CSRF_EXEMPT = ["/sandbox", "/health", "/metrics"]
_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
    429: "rate_limited",
    503: "unavailable",
}


#: How long a client should wait before trying again while the database is out of reach.
RETRY_AFTER_SECONDS = 5


class UnavailableBody(msgspec.Struct, kw_only=True):
    """503: the database cannot be reached right now."""

    error: str
    message: str


UNAVAILABLE = ResponseSpec(
    UnavailableBody,
    description="gamesched cannot reach its database right now; the `Retry-After` header says when to try "
    "again (seconds).",
    examples=[
        Example(
            summary="Database out of reach",
            value={"error": "unavailable", "message": DatabaseUnavailable.message},
        )
    ],
)

#: Renders a friendly HTML error page for a browser request: (request, status, message) -> Response.
ErrorPage = Callable[[Request[Any, Any, Any], int, str], Response[Any]]
#: Paths that always answer errors in JSON, whatever the Accept header says.
JSON_ONLY_PREFIXES = ("/api/", "/sandbox", "/health", "/metrics", "/schema")
TOO_DEEP = "The JSON body is nested too deeply."
NOT_JSON = "The request body is not valid JSON."
NOT_UTF8_FORM = "The form's fields must be text in UTF-8."
#: The largest request body read (an image upload is at most 5 MB; a game's JSON a few kB).
MAX_BODY_BYTES = 10_000_000
TOO_LARGE = "The request is too large: send at most 10 MB."


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": code, "message": message, **extra}


class ErrorBody(msgspec.Struct, kw_only=True):
    """Every error: a machine code and a sentence for people (plus details for some codes)."""

    error: str
    message: str
    field: str | None = None


class InvalidBody(msgspec.Struct, kw_only=True):
    """422: a parameter or field is not valid; ``field`` names it and ``message`` says why."""

    error: Literal["invalid"]
    message: str
    field: str | None = None
    #: For a value of the wrong type or form: each problem with where it was (``key``, ``source``).
    errors: list[dict[str, Any]] = []


#: What every API operation may answer when a request cannot be read or is not valid (OpenAPI).
BAD_REQUEST = ResponseSpec(
    ErrorBody,
    description="The request cannot be read: a JSON body that is malformed or nested too deeply.",
    generate_examples=False,
    examples=[Example(summary="Nested too deeply", value=error_body("bad_request", TOO_DEEP))],
)
INVALID = ResponseSpec(
    InvalidBody,
    description="A parameter or field is not valid: `field` names it and `message` says why.",
    generate_examples=False,
    examples=[
        Example(
            summary="An id beyond 64 bits",
            value=error_body(
                "invalid",
                explain("Expected `int` <= 9223372036854775807", "channel_id"),
                field="channel_id",
                errors=[],
            ),
        )
    ],
)


def _wants_page(request: Request[Any, Any, Any]) -> bool:
    if request.url.path.startswith(JSON_ONLY_PREFIXES):
        return False
    return "text/html" in request.headers.get("accept", "")


def _error_response(
    request: Request[Any, Any, Any], status: int, body: dict[str, Any], headers: Any = None
) -> Response[Any]:
    page: ErrorPage | None = getattr(request.app.state, "error_page", None)
    if page is not None and _wants_page(request):
        response = page(request, status, body["message"])
        if headers:
            response.headers.update(headers)
        return response
    return Response(body, status_code=status, headers=headers)


def domain_error_handler(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    extra = dict(exc.extra)
    if getattr(exc, "field", None):
        extra["field"] = exc.field  # type: ignore[attr-defined]
    return _error_response(request, exc.status_code, error_body(exc.code, exc.message, **extra))


def validation_error_handler(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    """422 listing every problem found: ``message`` says them all in sentences, ``field`` names the first,
    and ``errors`` keeps one entry per problem (``key``, ``field``, ``source``, ``message``) for programs."""
    details = [d for d in (exc.extra if isinstance(exc.extra, list) else []) if isinstance(d, dict)]
    errors = []
    for detail in details:
        key = str(detail.get("key") or "") or None
        field = re.split(r"[.\[]", key)[0] if key else None  # "player_role_ids[0]" names player_role_ids
        whole_body = key is None and detail.get("source") == "body"
        sentence = explain(str(detail.get("message") or ""), "body" if whole_body else key)
        errors.append({**detail, "field": field, "message": sentence})
    sentences = list(dict.fromkeys(e["message"] for e in errors)) or ["The request is not valid."]
    first = errors[0]["field"] if errors else None
    return _error_response(
        request, 422, error_body("invalid", " ".join(sentences), field=first, errors=errors)
    )


def http_error_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    code = _STATUS_CODES.get(status, "error")
    message = exc.detail if exc.detail and exc.detail != str(status) else code.replace("_", " ").capitalize()
    if isinstance(exc, NotFoundException) and message == "Not Found":
        message = "There is nothing here."
    if isinstance(exc, RequestEntityTooLarge):
        message = TOO_LARGE
    return _error_response(request, status, error_body(code, message), exc.headers)


def database_unavailable_handler(request: Request[Any, Any, Any], exc: DatabaseUnavailable) -> Response[Any]:
    """503 with Retry-After (a page for a browser): a warning in the log, not a traceback."""
    log.warning(
        "database_unavailable", path=request.url.path, method=request.method, error=str(exc.__cause__)
    )
    body = error_body("unavailable", exc.message)
    return _error_response(request, 503, body, {"retry-after": str(RETRY_AFTER_SECONDS)})


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled_error", path=request.url.path, method=request.method)
    body = error_body("internal_error", "Something went wrong on our side; it has been logged.")
    return _error_response(request, HTTP_500_INTERNAL_SERVER_ERROR, body)


class JSONRequest(Request[Any, Any, Any]):
    """Checks a JSON body against the handler's ``data`` type strictly: ``0`` is no ``false`` and ``"5"``
    no ``5`` (Litestar converts leniently, as query strings and forms need). A body nested deeper than
    the decoder can follow is a 400 like any other body that cannot be read, not a crash."""

    async def json(self) -> Any:
        if self._json is not Empty:
            return self._json
        try:
            value = await super().json()
        except RecursionError:
            raise ClientException(TOO_DEEP) from None
        except SerializationException:  # msgspec's "Input data was truncated" is no sentence for people
            raise ClientException(NOT_JSON) from None
        data = self.route_handler.parsed_fn_signature.parameters.get("data")
        if data is not None:
            hook = partial(default_deserializer, type_decoders=self.route_handler.resolve_type_decoders())
            try:
                value = msgspec.convert(value, data.annotation, strict=True, dec_hook=hook)
            except msgspec.ValidationError as exc:
                problems = [
                    {**p, "source": "body"} for p in field_problems(value, data.annotation, exc, hook)
                ]
                detail = f"Validation failed for {self.method} {self.url.path}"
                raise ValidationException(detail, extra=problems) from None
        self._json = self._connection_state.json = value
        return value

    async def form(self) -> FormMultiDict:
        """The form, or a 400 when a text field is not in UTF-8 (or names a charset that does not exist)."""
        try:
            return await super().form()
        except (UnicodeDecodeError, LookupError):
            raise ClientException(NOT_UTF8_FORM) from None


async def read_multipart_forms_first(request: Request[Any, Any, Any]) -> None:
    """A ``before_request`` hook: read a multipart form through ``JSONRequest.form`` before the handler's
    ``data`` is extracted, which then uses the form read here. Litestar's own extraction decodes the text
    fields without catching a bad encoding, so a field that is no UTF-8 was a 500."""
    if request.content_type[0] == RequestEncodingType.MULTI_PART:
        await request.form()


def blank_query_values_are_absent(app: ASGIApp) -> ASGIApp:
    """``?channel=&status=upcoming`` reads as ``?status=upcoming``: a form's empty choice ("All channels")
    means "no filter", so an empty value is a parameter left out, never a value to validate.

    Litestar keeps blank values (``channel=""`` then fails as an id); the query string is rewritten once
    here for every route, before any parameter is read. The sandbox (Discord's stand-in) is left alone."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        raw: bytes = scope.get("query_string", b"") if scope["type"] == "http" else b""
        if raw and not scope.get("path", "").startswith("/sandbox"):
            kept = [part for part in raw.split(b"&") if part and not part.endswith(b"=")]
            if len(kept) != raw.count(b"&") + 1:
                scope = cast(Scope, {**scope, "query_string": b"&".join(kept)})
        await app(scope, receive, send)

    return middleware


def metrics_middleware(metrics: Metrics) -> Callable[[ASGIApp], ASGIApp]:
    """Count requests per route template (not raw path, to keep label cardinality bounded)."""

    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            started = time.perf_counter()
            status = 500

            async def capture(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            try:
                await app(scope, receive, capture)
            finally:
                route = scope.get("path_template") or "unmatched"
                method = scope.get("method", "GET")
                metrics.http_requests.labels(method, route, str(status)).inc()
                metrics.http_duration.labels(method, route).observe(time.perf_counter() - started)

        return middleware

    return factory


@get("/health", tags=["operations"])
async def health(state: State) -> Response[dict[str, Any]]:
    """Liveness and readiness: database reachability, Discord connection state, queue listener."""
    db: Database = state.db
    database = "ok"
    try:
        async with db.engine.connect() as conn:
            await asyncio.wait_for(conn.execute(text("SELECT 1")), 2)
    except Exception as exc:  # any failure means "not ok"; the reason goes to the log
        log.warning("health_database_unavailable", error=str(exc))
        database = "unavailable"
    body = {
        "status": "ok" if database == "ok" else "degraded",
        "database": database,
        "discord": state.discord_status(),
        "queue": _queue_status(state.queue_listening()),
        "version": __version__,
    }
    return Response(body, status_code=200 if database == "ok" else 503)


def _queue_status(listening: bool | None) -> str:
    """None: this process runs no dispatcher (GAMESCHED_ROLES without worker)."""
    if listening is None:
        return "off"
    return "listening" if listening else "not_listening"


@get("/metrics", media_type=MediaType.TEXT, include_in_schema=False)
async def metrics_endpoint(state: State) -> Response[bytes]:
    metrics: Metrics = state.metrics
    try:
        await metrics.refresh_queue_gauges(state.db.engine, state.clock)
    except Exception as exc:
        log.warning("metrics_queue_gauges_failed", error=str(exc))
    return Response(metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")


async def _resolve_dependencies_in_turn(
    self: KwargsModel, connection: ASGIConnection[Any, Any, Any, Any], kwargs: dict[str, Any]
) -> DependencyCleanupGroup:
    cleanup_group = DependencyCleanupGroup()
    for batch in self.dependency_batches:
        for dependency in batch:
            await resolve_dependency(dependency, connection, kwargs, cleanup_group)
    return cleanup_group


def resolve_dependencies_in_turn() -> None:
    """Have Litestar resolve a request's dependencies one after the other, in the request's own task.

    Litestar resolves the dependencies that do not depend on each other concurrently, in an anyio task group
    (``KwargsModel.resolve_dependencies``; upstream issue litestar-org/litestar#4563). Ours are services
    handed out as they are and the viewer's session look-up: nothing worth overlapping, while the task
    group (two tasks, cancel scopes, async-library sniffing) is paid by every API request and page that
    takes the viewer and a service. A request with that shape cost 74 µs of CPU in Litestar alone with the
    task group and 24 µs in turn (in-process, 4,000 requests, best of 3): about 50 µs saved, some 4 % of a
    25-game list read and 6 % of one game's. Cleanup of generator dependencies and errors are as before
    (the first failing dependency's error propagates). ``KwargsModel`` is Litestar's internal: an upgrade
    that moves it fails at import, and a test checks that dependencies run in the handler's own task."""
    KwargsModel.resolve_dependencies = _resolve_dependencies_in_turn  # type: ignore[method-assign]


def build_http_app(
    *,
    state: dict[str, Any],
    secret_key: str,
    metrics: Metrics,
    route_handlers: Sequence[ControllerRouterHandler] = (),
    dependencies: dict[str, Provide] | None = None,
    template_config: TemplateConfig[Any] | None = None,
    plugins: Sequence[PluginProtocol] = (),
    error_page: ErrorPage | None = None,
    session_cookie: str,
    https_site: bool = False,
    debug: bool = False,
) -> Litestar:
    """Assemble the Litestar app; ``state`` must provide db, metrics, clock, discord_status, queue_listening.

    ``session_cookie`` names the cookie CSRF tokens are bound to; ``https_site``: the public URL is https
    (Secure cookies, HSTS)."""
    resolve_dependencies_in_turn()
    csrf = DefineMiddleware(
        SessionCSRF, secret=secret_key, session_cookie=session_cookie, secure=https_site, exclude=CSRF_EXEMPT
    )
    app = Litestar(
        route_handlers=[health, metrics_endpoint, *route_handlers],
        dependencies=dependencies or {},
        state=State({**state, "error_page": error_page}),
        template_config=template_config,
        plugins=list(plugins),
        request_class=JSONRequest,
        before_request=read_multipart_forms_first,
        request_max_body_size=MAX_BODY_BYTES,
        middleware=[metrics_middleware(metrics), blank_query_values_are_absent, csrf],
        before_send=[security_headers(https_site=https_site)],
        exception_handlers={
            DomainError: domain_error_handler,
            ValidationException: validation_error_handler,
            HTTPException: http_error_handler,
            DatabaseUnavailable: database_unavailable_handler,
            Exception: internal_error_handler,
        },
        openapi_config=OpenAPIConfig(
            title="gamesched",
            version=__version__,
            path="/schema",
            description="Schedule game sessions for Discord communities.",
        ),
        debug=debug,
        logging_config=None,
    )
    document_unavailable(app)
    return app


def document_unavailable(app: Litestar) -> None:
    """Every JSON API operation may answer 503 while the database is out of reach; say so in the schema."""
    for route in app.routes:
        if isinstance(route, HTTPRoute) and route.path.startswith("/api/"):
            for handler in route.route_handlers:
                handler.responses = {503: UNAVAILABLE, **(handler.responses or {})}
