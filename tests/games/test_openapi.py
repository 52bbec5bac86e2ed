"""The games API documents itself: summaries, request examples and the pinned 422 shape."""

from __future__ import annotations

import httpx

from gamesched.app import App


async def test_openapi_documents_game_routes_with_examples(games_app: App) -> None:
    async with httpx.AsyncClient(base_url=games_app.base_url) as client:
        response = await client.get("/schema/openapi.json")
    assert response.status_code == 200, response.text[:500]
    schema = response.json()
    paths = schema["paths"]
    for path in (
        "/api/v1/games",
        "/api/v1/games/{game_id}",
        "/api/v1/games/{game_id}/join",
        "/api/v1/games/{game_id}/leave",
        "/api/v1/games/{game_id}/participants",
        "/api/v1/games/{game_id}/participants/order",
        "/api/v1/games/{game_id}/participants/{participant_id}",
        "/api/v1/games/{game_id}/calendar.ics",
    ):
        assert path in paths, path
        assert all(operation.get("summary") for operation in paths[path].values()), path
    create = paths["/api/v1/games"]["post"]
    body = create["requestBody"]["content"]["application/json"]
    examples = body.get("examples") or body["schema"]["examples"]  # media-type or JSON-schema examples
    values = [e.get("value", e) for e in (examples.values() if isinstance(examples, dict) else examples)]
    assert any(value.get("title") for value in values)
    assert "422" in create["responses"]
    components = schema["components"]["schemas"]
    assert {"GameCreate", "GameView", "InvalidMentionsBody"} <= set(components)
    title = components["GameCreate"]["properties"]["title"]
    assert title.get("maxLength") == 200 or any(s.get("maxLength") == 200 for s in title.get("oneOf", []))
