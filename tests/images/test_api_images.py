"""A game's thumbnail and banner over the JSON API (multipart), and the public image URL."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import httpx

from gamesched.app import App
from gamesched.images import GRACE, ImageStore
from tests.games.conftest import Login, create_game
from tests.images.pictures import dimensions, picture
from tests.world import World


def _file(
    data: bytes, name: str = "picture.png", content_type: str = "image/png"
) -> dict[str, tuple[str, bytes, str]]:
    return {"file": (name, data, content_type)}


async def test_upload_shows_the_image_and_serves_it_cacheable_with_an_etag(
    world: World, login: Login
) -> None:
    alice = await login("alice")
    game = await create_game(alice, world)
    data = picture("PNG", (200, 100))

    response = await alice.put(f"/api/v1/games/{game['id']}/thumbnail", files=_file(data))

    assert response.status_code == 200, response.text
    url = response.json()["thumbnail_url"]
    digest = hashlib.sha256(data).hexdigest()
    assert url == f"/images/{digest}.png" and response.json()["banner_url"] is None
    assert (await alice.get(f"/api/v1/games/{game['id']}")).json()["thumbnail_url"] == url
    async with httpx.AsyncClient(base_url=str(alice.base_url)) as anyone:  # public: no login
        served = await anyone.get(url)
        assert served.status_code == 200 and served.content == data
        assert served.headers["content-type"] == "image/png"
        assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert served.headers["etag"] == f'"{digest}"'
        again = await anyone.get(url, headers={"if-none-match": served.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == f'"{digest}"'


async def test_images_are_reached_only_by_their_whole_hash(world: World, login: Login) -> None:
    alice = await login("alice")
    game = await create_game(alice, world)
    url = (await alice.put(f"/api/v1/games/{game['id']}/banner", files=_file(picture()))).json()["banner_url"]
    async with httpx.AsyncClient(base_url=str(alice.base_url)) as anyone:
        assert (await anyone.get(url)).status_code == 200
        digest = url.removeprefix("/images/").removesuffix(".png")
        for guess in (
            f"/images/{digest[:32]}.png",  # part of the hash
            f"/images/{digest}.gif",  # another type
            f"/images/{'0' * 64}.png",  # a hash of nothing stored
            f"/images/{game['id']}",  # the game's id
            "/images/",
        ):
            assert (await anyone.get(guess)).status_code == 404, guess


async def test_the_type_is_told_by_content_not_by_name(world: World, login: Login) -> None:
    alice = await login("alice")
    game = await create_game(alice, world)
    png_named_gif = await alice.put(
        f"/api/v1/games/{game['id']}/thumbnail", files=_file(picture("PNG"), "cover.gif", "image/gif")
    )
    assert png_named_gif.status_code == 200
    assert png_named_gif.json()["thumbnail_url"].endswith(".png")

    text_named_png = await alice.put(
        f"/api/v1/games/{game['id']}/thumbnail", files=_file(b"not a picture at all\n", "cover.png")
    )
    assert text_named_png.status_code == 415
    assert text_named_png.json() == {
        "error": "unsupported_image",
        "message": "The file is not a PNG, JPEG, GIF or WebP image.",
        "field": "thumbnail",
    }
    # The refused upload changed nothing.
    assert (await alice.get(f"/api/v1/games/{game['id']}")).json()["thumbnail_url"].endswith(".png")


async def test_more_than_five_megabytes_is_413_with_a_sentence(world: World, login: Login) -> None:
    alice = await login("alice")
    game = await create_game(alice, world)
    huge = picture("PNG", (16, 16)) + b"\0" * (5 * 1024 * 1024)
    response = await alice.put(f"/api/v1/games/{game['id']}/banner", files=_file(huge))
    assert response.status_code == 413
    assert response.json()["message"] == "The image is 5.0 MB; images may be at most 5 MB."


async def test_a_big_banner_is_downscaled_and_the_same_upload_is_stored_once(
    games_app: App, world: World, login: Login
) -> None:
    alice = await login("alice")
    first, second = await create_game(alice, world), await create_game(alice, world, title="Second")
    big = picture("JPEG", (4000, 2000))
    one = (
        await alice.put(f"/api/v1/games/{first['id']}/banner", files=_file(big, "b.jpg", "image/jpeg"))
    ).json()
    two = (
        await alice.put(f"/api/v1/games/{second['id']}/banner", files=_file(big, "b.jpg", "image/jpeg"))
    ).json()

    assert one["banner_url"] == two["banner_url"]
    served = await alice.get(one["banner_url"])
    assert dimensions(served.content) == ("JPEG", (1600, 800))
    async with games_app.db.uow(bypass_rls=True) as uow:
        from sqlalchemy import text

        assert await uow.session.scalar(text("SELECT count(*) FROM images")) == 1


async def test_only_the_host_or_a_manager_changes_images(world: World, login: Login) -> None:
    alice, dave = await login("alice"), await login("dave")
    game = await create_game(alice, world, host_id=str(world.user_id("dave")))
    assert (
        await dave.put(f"/api/v1/games/{game['id']}/thumbnail", files=_file(picture()))
    ).status_code == 200
    erin = await login("erin")  # a member, neither host nor manager
    refused = await erin.put(f"/api/v1/games/{game['id']}/thumbnail", files=_file(picture("GIF")))
    assert refused.status_code == 403
    assert refused.json()["message"] == "Only the host or a bot manager can change this game's thumbnail."
    assert (await erin.delete(f"/api/v1/games/{game['id']}/thumbnail")).status_code == 403
    # Alice manages the bot on this server.
    assert (await alice.delete(f"/api/v1/games/{game['id']}/thumbnail")).json()["thumbnail_url"] is None


async def test_removing_an_image_and_the_sweep_of_images_nothing_uses(
    games_app: App, world: World, login: Login
) -> None:
    alice = await login("alice")
    first, second = await create_game(alice, world), await create_game(alice, world, title="Second")
    shared, alone = picture("PNG", colour="red"), picture("PNG", colour="blue")
    shared_url = (await alice.put(f"/api/v1/games/{first['id']}/thumbnail", files=_file(shared))).json()[
        "thumbnail_url"
    ]
    await alice.put(f"/api/v1/games/{second['id']}/thumbnail", files=_file(shared))
    alone_url = (await alice.put(f"/api/v1/games/{first['id']}/banner", files=_file(alone))).json()[
        "banner_url"
    ]

    removed = await alice.delete(f"/api/v1/games/{first['id']}/banner")
    assert removed.status_code == 200 and removed.json()["banner_url"] is None
    await alice.delete(f"/api/v1/games/{first['id']}/thumbnail")  # the second game still shows it

    store = games_app.service(ImageStore)
    assert await store.sweep() == 0  # within the grace period, both stay
    # The sweep runs as a job queued one grace period after the removal.
    async with games_app.db.uow(bypass_rls=True) as uow:
        from sqlalchemy import text

        due = await uow.session.scalar(text("SELECT due_at FROM jobs WHERE kind = 'images.sweep'"))
        await uow.session.execute(
            text("UPDATE images SET last_used_at = last_used_at - make_interval(secs => :s)"),
            {"s": (GRACE + timedelta(seconds=1)).total_seconds()},
        )
    assert due is not None
    assert await store.sweep() == 1
    assert (await alice.get(alone_url)).status_code == 404
    assert (await alice.get(shared_url)).status_code == 200


async def test_bad_requests_get_a_sentence(world: World, login: Login) -> None:
    alice = await login("alice")
    game = await create_game(alice, world)
    path = f"/api/v1/games/{game['id']}/thumbnail"

    no_file = await alice.put(path, files={"other": ("x.png", picture(), "image/png")})
    assert no_file.status_code == 422 and no_file.json()["field"] == "file"
    assert no_file.json()["message"] == "Send the thumbnail as the multipart/form-data field `file`."
    empty = await alice.put(path, files=_file(b""))
    assert empty.status_code == 415
    assert empty.json()["message"] == "The file is empty: choose a PNG, JPEG, GIF or WebP image."
    json_body = await alice.put(path, json={"file": "aGVsbG8="})
    assert json_body.status_code == 415 and json_body.json()["message"] == (
        "Send the image as multipart/form-data with a field named `file` (a PNG, JPEG, GIF or WebP image of "
        "at most 5 MB)."
    )
    bare = await alice.put(path, content=picture(), headers={"content-type": "image/png"})
    assert bare.status_code == 415 and bare.json()["message"] == json_body.json()["message"]
    assert (await alice.put("/api/v1/games/not-a-game/thumbnail", files=_file(picture()))).status_code == 404

    await alice.delete(f"/api/v1/games/{game['id']}")
    cancelled = await alice.put(path, files=_file(picture()))
    assert cancelled.status_code == 409 and cancelled.json()["message"] == "This game was cancelled."
