"""Channel permission overwrites against a real discord.py client: what the REST routes answer, and how the
overwrites reach the bot (GUILD_CREATE, CHANNEL_UPDATE) and are set through the control API."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from discord_sandbox.state.model import (
    EMBED_LINKS,
    MANAGE_MESSAGES,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    VIEW_CHANNEL,
)

from .conftest import SandboxServer, StartClient, eventually


async def overwrite(
    server: SandboxServer, channel: str, target: str, *, allow: int = 0, deny: int = 0
) -> dict[str, Any]:
    """PUT an overwrite through the control API; ``target`` is "@Role" or a username."""
    ids = {**server.ids(), "@everyone": server.ids()["Sandbox Guild"]}
    kind = 0 if target.startswith("@") else 1
    response = await server.api.put(
        f"/channels/{ids[channel]}/permissions/{ids[target]}",
        json={"type": kind, "allow": str(allow), "deny": str(deny)},
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def text_channel(client: discord.Client, server: SandboxServer, name: str) -> discord.TextChannel:
    channel = client.get_channel(server.ids()[name])
    assert isinstance(channel, discord.TextChannel)
    return channel


async def test_send_messages_denied_is_403_missing_permissions(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    await overwrite(sandbox_server, "#rpg", "@gamesched", deny=SEND_MESSAGES)
    client = await start_client()
    with pytest.raises(discord.Forbidden) as refused:
        await text_channel(client, sandbox_server, "#rpg").send("Game night")
    assert (refused.value.status, refused.value.code, refused.value.text) == (
        403,
        50013,
        "Missing Permissions",
    )
    await text_channel(client, sandbox_server, "#general").send("still fine here")


async def test_a_hidden_channel_is_403_missing_access(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    await overwrite(sandbox_server, "#rpg", "@everyone", deny=VIEW_CHANNEL)
    client = await start_client()
    rpg = text_channel(client, sandbox_server, "#rpg")
    for attempt in (rpg.send("hi"), rpg.fetch_message(1), client.fetch_channel(rpg.id)):
        with pytest.raises(discord.Forbidden) as refused:
            await attempt
        assert (refused.value.code, refused.value.text) == (50001, "Missing Access")


async def test_a_category_takes_no_messages(sandbox_server: SandboxServer, start_client: StartClient) -> None:
    await start_client()
    category = sandbox_server.ids()["#Games"]
    rest = f"{sandbox_server.base_url}/sandbox/discord/api/v10/channels/{category}/messages"
    answer = await sandbox_server.api.post(
        rest, json={"content": "hi"}, headers={"Authorization": "Bot sandbox-bot-token"}
    )
    assert (answer.status_code, answer.json()) == (
        400,
        {"code": 50008, "message": "Cannot send messages in a non-text channel"},
    )


async def test_without_embed_links_embeds_are_dropped_or_the_message_refused(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    await overwrite(sandbox_server, "#rpg", "@gamesched", deny=EMBED_LINKS)
    client = await start_client()
    rpg = text_channel(client, sandbox_server, "#rpg")
    card = discord.Embed(title="Gloomhaven")

    posted = await rpg.send("Game night", embed=card)
    assert posted.content == "Game night" and posted.embeds == []
    stored = (await sandbox_server.api.get(f"/channels/{rpg.id}/messages")).json()
    assert stored[-1]["embeds"] == []
    with pytest.raises(discord.Forbidden) as refused:
        await rpg.send(embed=card)  # nothing left to post
    assert refused.value.code == 50013
    with pytest.raises(discord.HTTPException) as emptied:
        await posted.edit(content="", embed=card)
    assert (emptied.value.status, emptied.value.code) == (400, 50006)


async def test_the_bot_edits_and_deletes_its_own_posts_without_send_messages(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    client = await start_client()
    rpg = text_channel(client, sandbox_server, "#rpg")
    posted = await rpg.send("Game night")
    await overwrite(sandbox_server, "#rpg", "@gamesched", deny=SEND_MESSAGES)

    edited = await posted.edit(content="Game night (moved to 8pm)")
    assert edited.content == "Game night (moved to 8pm)"

    await overwrite(sandbox_server, "#rpg", "@gamesched", deny=VIEW_CHANNEL)
    with pytest.raises(discord.Forbidden) as refused:
        await posted.edit(content="again")
    assert refused.value.code == 50001
    await sandbox_server.api.delete(f"/channels/{rpg.id}/permissions/{sandbox_server.ids()['@gamesched']}")
    await posted.delete()


async def test_deleting_someone_elses_message_needs_manage_messages(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    ids = sandbox_server.ids()
    client = await start_client()
    rpg = text_channel(client, sandbox_server, "#rpg")
    written = await sandbox_server.api.post(
        f"/channels/{rpg.id}/messages", json={"user_id": str(ids["dave"]), "content": "hello"}
    )
    theirs = rpg.get_partial_message(int(written.json()["id"]))
    await overwrite(sandbox_server, "#rpg", "gamesched", deny=MANAGE_MESSAGES)

    with pytest.raises(discord.Forbidden) as refused:
        await theirs.delete()
    assert refused.value.code == 50013
    await (await rpg.send("mine")).delete()

    await overwrite(sandbox_server, "#rpg", "gamesched")  # an empty overwrite changes nothing
    await theirs.delete()


async def test_without_read_message_history_the_bot_reads_nothing(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    client = await start_client()
    rpg = text_channel(client, sandbox_server, "#rpg")
    posted = await rpg.send("Game night")
    await overwrite(sandbox_server, "#rpg", "@everyone", deny=READ_MESSAGE_HISTORY)

    assert [m async for m in rpg.history(limit=10)] == []
    with pytest.raises(discord.Forbidden) as refused:
        await rpg.fetch_message(posted.id)
    assert refused.value.code == 50013


async def test_overwrites_reach_the_bot_in_guild_create_and_channel_update(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    ids = sandbox_server.ids()
    await overwrite(sandbox_server, "#rpg", "@Player", allow=EMBED_LINKS, deny=SEND_MESSAGES)
    client = await start_client()
    guild = client.get_guild(ids["Sandbox Guild"])
    assert guild is not None
    rpg = text_channel(client, sandbox_server, "#rpg")
    player = guild.get_role(ids["@Player"])
    assert player is not None
    allow, deny = rpg.overwrites_for(player).pair()
    assert (allow.value, deny.value) == (EMBED_LINKS, SEND_MESSAGES)  # from GUILD_CREATE

    await overwrite(sandbox_server, "#board-games", "@gamesched", deny=SEND_MESSAGES)
    board_games = text_channel(client, sandbox_server, "#board-games")
    await eventually(lambda: not board_games.permissions_for(guild.me).send_messages)
    computed = await sandbox_server.api.get(f"/channels/{board_games.id}/permissions/{ids['gamesched']}")
    assert int(computed.json()["permissions"]) == board_games.permissions_for(guild.me).value
    assert "SEND_MESSAGES" not in computed.json()["names"]

    removed = await sandbox_server.api.delete(f"/channels/{board_games.id}/permissions/{ids['@gamesched']}")
    assert removed.status_code == 204
    await eventually(lambda: board_games.permissions_for(guild.me).send_messages)
    again = await sandbox_server.api.delete(f"/channels/{board_games.id}/permissions/{ids['@gamesched']}")
    assert (again.status_code, again.json()["error"]) == (404, "unknown_overwrite")


async def test_control_api_refuses_bad_overwrites(sandbox_server: SandboxServer) -> None:
    ids = sandbox_server.ids()
    path = f"/channels/{ids['#rpg']}/permissions"
    cases = [
        (f"{path}/{ids['@Player']}", {"type": 2}, 400, "invalid_overwrite_type"),
        (f"{path}/{ids['@Player']}", {"type": 0, "allow": "lots"}, 400, "invalid_permissions"),
        (f"{path}/{ids['oscar']}", {"type": 1}, 404, "unknown_member"),
        (f"{path}/{ids['dave']}", {"type": 0}, 404, "unknown_role"),
        (f"/channels/1/permissions/{ids['dave']}", {"type": 1}, 404, "unknown_channel"),
    ]
    for url, body, status, error in cases:
        answer = await sandbox_server.api.put(url, json=body)
        assert (answer.status_code, answer.json()["error"]) == (status, error), url


async def test_deleting_a_role_takes_its_overwrites_and_the_bot_hears_its_own_role_changes(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    ids = sandbox_server.ids()
    await overwrite(sandbox_server, "#rpg", "@Player", deny=SEND_MESSAGES)
    client = await start_client()  # without the members intent
    rpg = text_channel(client, sandbox_server, "#rpg")
    await sandbox_server.api.delete(f"/guilds/{ids['Sandbox Guild']}/roles/{ids['@Player']}")
    await eventually(lambda: not rpg.overwrites)

    guild = rpg.guild
    moderator = ids["@Moderator"]
    await sandbox_server.api.put(
        f"/guilds/{guild.id}/members/{ids['gamesched']}",
        json={"roles": [str(ids["@gamesched"]), str(moderator)]},
    )
    await eventually(lambda: any(r.id == moderator for r in guild.me.roles))
    assert client.seen("member_update")  # type: ignore[attr-defined]


async def test_the_viewer_shows_a_lock_on_restricted_channels(sandbox_server: SandboxServer) -> None:
    ids = sandbox_server.ids()
    viewer = f"{sandbox_server.base_url}/sandbox/"
    lock = 'title="Permission overwrites restrict this channel"'
    before = (await sandbox_server.api.get(viewer, params={"channel": ids["#rpg"]})).text
    await overwrite(sandbox_server, "#rpg", "@everyone", deny=SEND_MESSAGES)
    after = (await sandbox_server.api.get(viewer, params={"channel": ids["#rpg"]})).text
    assert lock not in before and after.count(lock) == 1
