"""The games API documents itself: summaries, request examples and the pinned 422 shape."""

from __future__ import annotations

import json
from typing import Any

import httpx
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from gamesched.app import App
from tests.games.conftest import Login, create_game, game_body
from tests.world import World


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


API_METHODS = ("get", "post", "put", "patch", "delete")
SPEC_URI = "urn:gamesched:openapi"
TOO_BIG = "99999999999999999999"


def _can_be_invalid(operation: dict[str, Any]) -> bool:
    """A body, or a parameter with rules (an id, a number, a length): something a client can get wrong."""
    if "requestBody" in operation:
        return True
    for parameter in operation.get("parameters", []):
        schema = parameter["schema"]
        for variant in [schema, *schema.get("oneOf", [])]:
            if variant.get("type") in ("integer", "array") or {"maxLength", "pattern", "enum"} & set(variant):
                return True
    return False


async def test_every_api_operation_documents_its_400_and_422_error_bodies(games_app: App) -> None:
    async with httpx.AsyncClient(base_url=games_app.base_url) as client:
        schema = (await client.get("/schema/openapi.json")).json()
    operations = [
        (method, path, operation)
        for path, item in schema["paths"].items()
        if path.startswith("/api/v1/")
        for method, operation in item.items()
        if method in API_METHODS
    ]
    assert len(operations) > 20
    for method, path, operation in operations:
        responses = operation["responses"]
        if "400" in responses:  # Litestar's own shape ({status_code, detail}) would be a lie
            assert responses["400"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorBody"
            }, (method, path)
        if _can_be_invalid(operation):
            assert "400" in responses and "422" in responses, (method, path)
            assert "InvalidBody" in json.dumps(responses["422"]), (method, path)


async def test_hostile_requests_get_the_error_bodies_the_schema_documents(world: World, login: Login) -> None:
    alice = await login("alice")
    async with httpx.AsyncClient(base_url=alice.base_url) as client:
        spec = (await client.get("/schema/openapi.json")).json()
    registry: Registry[Any] = Registry().with_resource(
        SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    gid, rpg = world.guild_id(), world.channel_id("rpg")
    deep = b"[" * 100_000 + b"]" * 100_000
    game = await create_game(alice, world)
    exchanges = [
        (
            "post",
            "/api/v1/games",
            await alice.post("/api/v1/games", json=game_body(world, channel_id=TOO_BIG)),
        ),
        ("post", "/api/v1/games", await alice.post("/api/v1/games", json=game_body(world, title="\x00"))),
        (
            "post",
            "/api/v1/games",
            await alice.post("/api/v1/games", json=game_body(world, initial_participants=["@nobody"])),
        ),
        (
            "post",
            "/api/v1/games",
            await alice.post("/api/v1/games", content=deep, headers={"content-type": "application/json"}),
        ),
        ("get", "/api/v1/games", await alice.get("/api/v1/games", params={"channel_id": TOO_BIG})),
        (
            "patch",
            "/api/v1/games/{game_id}",
            await alice.patch(f"/api/v1/games/{game['id']}", json={"remind_waitlist": 0}),
        ),
        (
            "post",
            "/api/v1/games/{game_id}/participants",
            await alice.post(f"/api/v1/games/{game['id']}/participants", json={"placeholder": "a\x00"}),
        ),
        (
            "patch",
            "/api/v1/guilds/{guild_id}/channels/{channel_id}/settings",
            await alice.patch(f"/api/v1/guilds/{gid}/channels/{TOO_BIG}/settings", json={}),
        ),
        (
            "patch",
            "/api/v1/guilds/{guild_id}/channels/{channel_id}/settings",
            await alice.patch(f"/api/v1/guilds/{gid}/channels/{rpg}/settings", json={"is_active": 0}),
        ),
    ]
    for method, template, response in exchanges:
        status = str(response.status_code)
        assert status in ("400", "422"), (template, response.text[:300])
        responses = spec["paths"][template][method]["responses"]
        assert status in responses, (method, template, status)
        pointer = f"/paths/{template.replace('/', '~1')}/{method}/responses/{status}/content/application~1json/schema"
        validator = Draft202012Validator({"$ref": f"{SPEC_URI}#{pointer}"}, registry=registry)
        errors = [error.message for error in validator.iter_errors(response.json())]
        assert not errors, (method, template, response.json(), errors)


async def test_answers_schemathesis_found_undocumented_are_in_the_schema(games_app: App) -> None:
    """Found by tests/web/test_schemathesis.py: a pending item's kind was ``oneOf [enum, string]`` (so
    "reminder" matched both and no answer with a schedule was valid), and deleting the default template
    answers 409 without the schema saying so."""
    async with httpx.AsyncClient(base_url=games_app.base_url) as client:
        schema = (await client.get("/schema/openapi.json")).json()
    kind = schema["components"]["schemas"]["ScheduledItem"]["properties"]["kind"]
    assert kind.get("type") == "string" and "oneOf" not in kind, kind
    assert set(kind["enum"]) == {"post", "reminder", "start", "complete", "archive"}
    delete = schema["paths"]["/api/v1/guilds/{guild_id}/templates/{template_id}"]["delete"]
    assert "409" in delete["responses"]


async def test_a_multipart_field_that_is_no_utf8_is_a_400_with_a_sentence(world: World, login: Login) -> None:
    alice = await login("alice")
    game = await create_game(alice, world)
    for part in (
        b'Content-Disposition: form-data; name="note"\r\n\r\n\x87caf\xe9',
        b'Content-Disposition: form-data; name="note"\r\nContent-Type: text/plain; charset=no-such\r\n\r\nx',
    ):
        body = b"--XyZ\r\n" + part + b"\r\n--XyZ--\r\n"
        for kind in ("thumbnail", "banner"):
            response = await alice.put(
                f"/api/v1/games/{game['id']}/{kind}",
                content=body,
                headers={"content-type": "multipart/form-data; boundary=XyZ"},
            )
            assert response.status_code == 400, response.text
            assert response.json() == {
                "error": "bad_request",
                "message": "The form's fields must be text in UTF-8.",
            }
    assert (await alice.get(f"/api/v1/games/{game['id']}")).status_code == 200
