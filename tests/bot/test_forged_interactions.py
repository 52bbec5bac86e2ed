"""Forged and malformed buttons: a custom_id naming no game, a game of a server the clicker is not in, an
unknown action or garbage. gamesched has no HTTP interactions endpoint (interactions come over the gateway,
which Discord authenticates), and Discord only delivers clicks on components of a message the bot sent (and
form submissions of forms it opened), so the buttons are put on a message the bot sends.

Every one is answered with a sentence, in time (none "This interaction failed"), and changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from gamesched.app import SANDBOX_BOT_TOKEN, App
from tests.bot.conftest import Login, click, ephemeral_text, schedule
from tests.login import login_as
from tests.world import World


async def _bot_message(app: App, channel_id: int, custom_ids: list[str]) -> dict[str, Any]:
    buttons = [{"type": 2, "style": 1, "label": f"B{n}", "custom_id": c} for n, c in enumerate(custom_ids)]
    rows = [{"type": 1, "components": buttons[i : i + 5]} for i in range(0, len(buttons), 5)]
    async with httpx.AsyncClient(base_url=f"{app.base_url}/sandbox/discord/api/v10") as rest:
        sent = await rest.post(
            f"/channels/{channel_id}/messages",
            json={"content": "Old buttons", "components": rows},
            headers={"Authorization": f"Bot {SANDBOX_BOT_TOKEN}"},
        )
    assert sent.status_code == 200, sent.text
    return dict(sent.json())


async def test_forged_and_malformed_button_ids_get_a_sentence_and_change_nothing(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    game = await schedule(login, world, title="Catan night", max_players=3)
    other_gid = world.guild_id("Other Guild")
    async with await login_as(bot_app.base_url, "oscar") as oscar:
        theirs = await oscar.post(
            "/api/v1/games",
            json={
                "guild_id": str(other_gid),
                "channel_id": str(world.channel_id("lobby", "Other Guild")),
                "title": "Harbour heist",
                "scheduled_at": (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0).isoformat(),
            },
        )
        assert theirs.status_code == 201, theirs.text
    alice = world.user_id("alice")  # in the Sandbox Guild only
    forged = {
        f"game:join:{theirs.json()['id']}": "does not exist",  # a game of a server she is not in
        f"game:leave:{theirs.json()['id']}": "does not exist",
        "game:join:00000000-0000-4000-8000-000000000000": "does not exist",
        "game:join:not-a-uuid": "does not exist",
        "game:join:" + "9" * 80: "does not exist",
        "game:join:\u202e\u200b\U0001f3b2": "does not exist",
        f"game:confirm:{theirs.json()['id']}": "does not exist",  # a clone's Confirm, forged
        f"game:decline:{theirs.json()['id']}": "does not exist",
        f"game:confirm:{game['id']}": "no longer on this game's roster",  # nothing carried to confirm
        "game:decline:not-a-uuid": "does not exist",
        "game:explode:" + game["id"]: "",
        "game:join:": "",
        "x" * 100: "",
        "game:create:retry:no-such-form": "",
    }
    # Discord delivers clicks only on components of a message the bot sent: these are on one it sent (as
    # an older version of gamesched, or a bug, might have), through the sandbox's Discord REST API.
    message = await _bot_message(bot_app, world.channel_id("board-games"), list(forged))
    for custom_id, expected in forged.items():
        answer = await click(api, alice, message, custom_id)
        text = ephemeral_text(answer)
        assert text.endswith((".", "!")) and "Traceback" not in text, (custom_id, text)
        assert expected in text, (custom_id, text)

    failed = (await api.get("/interactions/failed")).json()
    assert failed == [], failed
    async with await login_as(bot_app.base_url, "oscar") as oscar:
        heist = (await oscar.get(f"/api/v1/games/{theirs.json()['id']}")).json()
    assert heist["participants"] == []
    alices = await login("alice")
    assert (await alices.get(f"/api/v1/games/{game['id']}")).json()["participants"] == []
