"""The app over real HTTP: health, metrics, OpenAPI and uniform error bodies."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import httpx
from litestar import Litestar, get
from litestar.di import NamedDependency, Provide
from litestar.testing import AsyncTestClient

from gamesched.app import App, bind_socket


async def test_health_reports_database_discord_and_queue(running_app: App) -> None:
    async with httpx.AsyncClient(base_url=running_app.base_url) as client:
        # The app answers before the queue's LISTEN connection is up (a loaded machine shows it).
        for _ in range(200):
            response = await client.get("/health")
            if response.json().get("queue") == "listening":
                break
            await asyncio.sleep(0.05)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["discord"] == "disabled"
    assert body["queue"] == "listening"


async def test_metrics_expose_queue_and_http_figures(running_app: App) -> None:
    async with httpx.AsyncClient(base_url=running_app.base_url) as client:
        await client.get("/health")
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'gamesched_queue_jobs{state="pending"}' in text
    assert "gamesched_queue_oldest_due_lag_seconds" in text
    assert 'gamesched_http_requests_total{method="GET",route="/health",status="200"}' in text


async def test_openapi_schema_is_served(running_app: App) -> None:
    async with httpx.AsyncClient(base_url=running_app.base_url) as client:
        response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "gamesched"
    assert "/health" in schema["paths"]


async def test_the_schema_says_every_api_operation_may_answer_503_unavailable(running_app: App) -> None:
    async with httpx.AsyncClient(base_url=running_app.base_url) as client:
        schema = (await client.get("/schema/openapi.json")).json()
    operations = [
        (path, operation)
        for path, item in schema["paths"].items()
        if path.startswith("/api/")
        for operation in item.values()
    ]
    assert len(operations) > 20
    for path, operation in operations:
        unavailable = operation["responses"].get("503")
        assert unavailable and "Retry-After" in unavailable["description"], path
    body = schema["components"]["schemas"]["UnavailableBody"]
    assert set(body["required"]) == {"error", "message"}


async def test_unknown_route_gets_the_uniform_json_error(running_app: App) -> None:
    async with httpx.AsyncClient(base_url=running_app.base_url) as client:
        response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "There is nothing here."}


async def test_accepted_connections_send_small_writes_at_once() -> None:
    """TCP_NODELAY on every connection: a response's body must not wait for the headers' ACK (~40 ms)."""
    nodelay: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        nodelay.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    listener = bind_socket("127.0.0.1", 0)
    server = await asyncio.start_server(accepted, sock=listener)
    try:
        _, writer = await asyncio.open_connection(*listener.getsockname()[:2])
        assert await asyncio.wait_for(nodelay, 5) != 0
        writer.close()
    finally:
        server.close()
        await server.wait_closed()


async def test_a_requests_dependencies_run_in_its_own_task_one_after_the_other(running_app: App) -> None:
    """The app (``build_http_app``) has Litestar resolve dependencies in turn, without a task group per
    request; cleanup of a generator dependency still runs after the response."""
    tasks: dict[str, asyncio.Task[object] | None] = {}
    cleaned: list[str] = []

    async def session() -> str:
        tasks["session"] = asyncio.current_task()
        return "viewer"

    async def service() -> AsyncIterator[str]:
        tasks["service"] = asyncio.current_task()
        yield "service"
        cleaned.append("service")

    @get("/both", dependencies={"viewer": Provide(session), "games": Provide(service)})
    async def both(viewer: NamedDependency[str], games: NamedDependency[str]) -> dict[str, object]:
        handler = asyncio.current_task()
        return {"values": [viewer, games], "own_task": [tasks[name] is handler for name in sorted(tasks)]}

    async with AsyncTestClient(Litestar([both])) as client:
        answer = (await client.get("/both")).json()
    assert answer == {"values": ["viewer", "service"], "own_task": [True, True]}
    assert cleaned == ["service"]
