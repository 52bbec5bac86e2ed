"""Mentions as Discord resolves them: `allowed_mentions` refused like Discord when malformed, and who a message
really pings (the message object's `mentions`, `mention_roles`, `mention_everyone`; the control API's `pinged`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import discord
import httpx
import pytest

from discord_sandbox.interactions.drafts import component_draft
from discord_sandbox.state.model import MENTION_EVERYONE

from .conftest import SandboxServer, StartClient, eventually

BOT = {"Authorization": "Bot sandbox-bot-token"}

#: allowed_mentions -> (error path, Discord's error code)
MALFORMED: list[tuple[Any, str, str]] = [
    ({"parse": ["users"], "users": ["1"]}, "allowed_mentions", "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE"),
    ({"parse": ["roles"], "roles": ["1"]}, "allowed_mentions", "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE"),
    ({"users": [str(n) for n in range(1, 102)]}, "allowed_mentions.users", "BASE_TYPE_MAX_LENGTH"),
    ({"roles": [str(n) for n in range(1, 102)]}, "allowed_mentions.roles", "BASE_TYPE_MAX_LENGTH"),
    ({"parse": ["admins"]}, "allowed_mentions.parse.0", "BASE_TYPE_CHOICES"),
    ({"parse": ["users", "users"]}, "allowed_mentions.parse.1", "SET_TYPE_ALREADY_CONTAINS_VALUE"),
    ({"users": ["1", "1"]}, "allowed_mentions.users.1", "SET_TYPE_ALREADY_CONTAINS_VALUE"),
    ({"users": ["bob"]}, "allowed_mentions.users.0", "NUMBER_TYPE_COERCE"),
    ({"roles": "1"}, "allowed_mentions.roles", "LIST_TYPE_CONVERT"),
    ({"replied_user": "yes"}, "allowed_mentions.replied_user", "BASE_TYPE_BOOLEAN"),
    ("everyone", "allowed_mentions", "MODEL_TYPE_CONVERT"),
]


def _error_at(body: dict[str, Any], path: str) -> list[str]:
    node = body["errors"]
    for key in path.split("."):
        node = node[key]
    return [e["code"] for e in node["_errors"]]


def _pings(message: dict[str, Any]) -> tuple[list[str], list[str], bool]:
    """(user ids, role ids, everyone) from a Discord message object."""
    return [u["id"] for u in message["mentions"]], message["mention_roles"], message["mention_everyone"]


@pytest.fixture
async def rest(sandbox_server: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=f"{sandbox_server.base_url}/sandbox/discord/api/v10", headers=BOT
    ) as client:
        yield client


async def _set_role(server: SandboxServer, role: str, **fields: Any) -> None:
    ids = server.ids()
    answer = await server.api.patch(f"/guilds/{ids['Sandbox Guild']}/roles/{ids[role]}", json=fields)
    assert answer.status_code == 200, answer.text


async def _give_bot_mention_everyone(server: SandboxServer) -> None:
    bot_role = server.sandbox.state.guilds[server.ids()["Sandbox Guild"]].roles[server.ids()["@gamesched"]]
    await _set_role(server, "@gamesched", permissions=bot_role.permissions | MENTION_EVERYONE)


@pytest.mark.parametrize(("allowed", "path", "code"), MALFORMED)
async def test_malformed_allowed_mentions_are_400_invalid_form_body(
    sandbox_server: SandboxServer, rest: httpx.AsyncClient, allowed: Any, path: str, code: str
) -> None:
    answer = await rest.post(
        f"/channels/{sandbox_server.ids()['#general']}/messages",
        json={"content": "hi <@1>", "allowed_mentions": allowed},
    )
    assert answer.status_code == 400 and answer.json()["code"] == 50035, answer.text
    assert code in _error_at(answer.json(), path), answer.json()


async def test_an_empty_list_beside_parse_is_no_conflict(
    sandbox_server: SandboxServer, rest: httpx.AsyncClient
) -> None:
    ids = sandbox_server.ids()
    answer = await rest.post(
        f"/channels/{ids['#general']}/messages",
        json={
            "content": f"@everyone <@{ids['bob']}> <@&{ids['@Player']}>",
            "allowed_mentions": {"parse": ["users", "roles"], "users": []},
        },
    )
    assert answer.status_code == 200, answer.text
    assert _pings(answer.json()) == ([str(ids["bob"])], [], False)  # Player is not mentionable


async def test_without_allowed_mentions_a_message_pings_members_and_only_mentionable_roles(
    sandbox_server: SandboxServer, rest: httpx.AsyncClient
) -> None:
    ids = sandbox_server.ids()
    general = ids["#general"]
    content = f"<@{ids['bob']}> <@!{ids['carol']}> <@{ids['oscar']}> <@&{ids['@Player']}> @everyone @here"

    plain = await rest.post(f"/channels/{general}/messages", json={"content": content})
    await _set_role(sandbox_server, "@Player", mentionable=True)
    mentionable = await rest.post(f"/channels/{general}/messages", json={"content": content})

    # oscar is not in the guild; Player is not mentionable and the bot lacks MENTION_EVERYONE
    assert _pings(plain.json()) == ([str(ids["bob"]), str(ids["carol"])], [], False)
    member = plain.json()["mentions"][0]["member"]
    assert member["nick"] == "Bobby" and "user" not in member
    assert _pings(mentionable.json()) == ([str(ids["bob"]), str(ids["carol"])], [str(ids["@Player"])], False)
    seen = (await sandbox_server.api.get(f"/channels/{general}/messages")).json()
    assert [m["pinged"] for m in seen[-2:]] == [
        {"users": [str(ids["bob"]), str(ids["carol"])], "roles": [], "everyone": False},
        {"users": [str(ids["bob"]), str(ids["carol"])], "roles": [str(ids["@Player"])], "everyone": False},
    ]


async def test_mention_everyone_lets_the_author_ping_everyone_and_any_role(
    sandbox_server: SandboxServer, rest: httpx.AsyncClient
) -> None:
    ids = sandbox_server.ids()
    await _give_bot_mention_everyone(sandbox_server)
    content = f"<@&{ids['@Player']}> @here"

    everything = await rest.post(f"/channels/{ids['#general']}/messages", json={"content": content})
    no_everyone = await rest.post(
        f"/channels/{ids['#general']}/messages",
        json={"content": content, "allowed_mentions": {"parse": ["roles"]}},
    )

    assert _pings(everything.json()) == ([], [str(ids["@Player"])], True)
    assert _pings(no_everyone.json()) == ([], [str(ids["@Player"])], False)


async def test_listed_ids_ping_only_when_the_content_mentions_them(
    sandbox_server: SandboxServer, rest: httpx.AsyncClient
) -> None:
    ids = sandbox_server.ids()
    await _set_role(sandbox_server, "@Player", mentionable=True)
    await _set_role(sandbox_server, "@Game Host", mentionable=True)
    content = f"<@{ids['bob']}> <@{ids['carol']}> <@&{ids['@Player']}> <@&{ids['@Game Host']}>"

    listed = await rest.post(
        f"/channels/{ids['#general']}/messages",
        json={
            "content": content,
            "allowed_mentions": {
                "users": [str(ids["bob"]), str(ids["dave"])],
                "roles": [str(ids["@Player"])],
            },
        },
    )
    silent = await rest.post(
        f"/channels/{ids['#general']}/messages", json={"content": content, "allowed_mentions": {"parse": []}}
    )

    assert _pings(listed.json()) == ([str(ids["bob"])], [str(ids["@Player"])], False)
    assert _pings(silent.json()) == ([], [], False)


async def test_an_edit_resolves_the_mentions_of_its_new_content_with_its_own_allowed_mentions(
    sandbox_server: SandboxServer, rest: httpx.AsyncClient
) -> None:
    ids = sandbox_server.ids()
    path = f"/channels/{ids['#general']}/messages"
    bob = f"<@{ids['bob']}>"
    posted = await rest.post(path, json={"content": bob, "allowed_mentions": {"parse": []}})
    message = f"{path}/{posted.json()['id']}"

    defaults = await rest.patch(message, json={"content": f"{bob} again"})
    embeds_only = await rest.patch(message, json={"embeds": [{"title": "t"}]})
    silenced = await rest.patch(message, json={"content": bob, "allowed_mentions": {"parse": []}})
    refused = await rest.patch(message, json={"content": bob, "allowed_mentions": {"parse": ["x"]}})

    assert _pings(posted.json()) == ([], [], False)
    assert _pings(defaults.json()) == ([str(ids["bob"])], [], False)
    assert _pings(embeds_only.json()) == ([str(ids["bob"])], [], False)  # content untouched: mentions kept
    assert _pings(silenced.json()) == ([], [], False)
    assert refused.status_code == 400 and "BASE_TYPE_CHOICES" in _error_at(
        refused.json(), "allowed_mentions.parse.0"
    )


async def test_a_dm_pings_only_its_recipient(sandbox_server: SandboxServer, rest: httpx.AsyncClient) -> None:
    ids = sandbox_server.ids()
    dm = await rest.post("/users/@me/channels", json={"recipient_id": str(ids["bob"])})
    answer = await rest.post(
        f"/channels/{dm.json()['id']}/messages",
        json={"content": f"<@{ids['bob']}> <@{ids['carol']}> <@&{ids['@Player']}> @everyone"},
    )
    assert _pings(answer.json()) == ([str(ids["bob"])], [], False)
    assert "member" not in answer.json()["mentions"][0]


async def test_interaction_responses_and_followups_parse_only_users_unless_told(
    sandbox_server: SandboxServer,
) -> None:
    sandbox, ids = sandbox_server.sandbox, sandbox_server.ids()
    await _set_role(sandbox_server, "@Player", mentionable=True)
    await _give_bot_mention_everyone(sandbox_server)
    clicked = sandbox.create_message(
        ids["#general"],
        ids["gamesched"],
        {"content": "game", "components": [{"type": 1, "components": [_button("join")]}]},
    )
    draft = component_draft(
        sandbox.state,
        {
            "user_id": str(ids["bob"]),
            "channel_id": str(ids["#general"]),
            "message_id": str(clicked.id),
            "custom_id": "join",
        },
    )
    pending = sandbox.interactions.start(draft)
    app = sandbox.state.application.id
    content = f"<@{ids['carol']}> <@&{ids['@Player']}> @everyone"
    async with httpx.AsyncClient(base_url=f"{sandbox_server.base_url}/sandbox/discord/api/v10") as client:
        callback = f"/interactions/{pending.id}/{pending.token}/callback?with_response=true"
        exclusive = await client.post(
            callback,
            json={
                "type": 4,
                "data": {"content": content, "allowed_mentions": {"parse": ["users"], "users": ["1"]}},
            },
        )
        response = await client.post(callback, json={"type": 4, "data": {"content": content}})
        followup = await client.post(
            f"/webhooks/{app}/{pending.token}?wait=true",
            json={"content": content, "allowed_mentions": {"parse": ["roles", "everyone"]}},
        )
        refused = await client.post(
            f"/webhooks/{app}/{pending.token}", json={"content": "x", "allowed_mentions": {"roles": 5}}
        )

    assert exclusive.status_code == 400 and _error_at(exclusive.json(), "allowed_mentions") == [
        "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE"
    ]
    assert _pings(response.json()["resource"]["message"]) == ([str(ids["carol"])], [], False)
    assert _pings(followup.json()) == ([], [str(ids["@Player"])], True)
    assert refused.status_code == 400 and "LIST_TYPE_CONVERT" in _error_at(
        refused.json(), "allowed_mentions.roles"
    )


def _button(custom_id: str) -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": "Go", "custom_id": custom_id}


async def test_the_real_client_sees_mentionable_roles_and_who_was_mentioned(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    ids = sandbox_server.ids()
    client = await start_client()
    guild = client.get_guild(ids["Sandbox Guild"])
    assert guild is not None
    player = guild.get_role(ids["@Player"])
    assert player is not None and not player.mentionable

    await _set_role(sandbox_server, "@Player", mentionable=True)
    await eventually(lambda: player.mentionable)
    channel = client.get_channel(ids["#general"])
    assert isinstance(channel, discord.TextChannel)
    message = await channel.send(
        f"<@{ids['bob']}> <@{ids['carol']}> {player.mention}",
        allowed_mentions=discord.AllowedMentions(users=[discord.Object(ids["carol"])], roles=True),
    )

    assert [u.id for u in message.mentions] == [ids["carol"]]
    assert message.role_mentions == [player] and message.mention_everyone is False
    assert message.raw_mentions == [ids["bob"], ids["carol"]]  # the content still names bob
