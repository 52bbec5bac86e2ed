"""#channel, @member and :emoji: in a game's description and signup instructions become Discord mentions and
the guild's emoji in the announcement (they were plain text; only the location was resolved), while the
game keeps the text as typed (the edit form shows it) and the web and calendars show names."""

from __future__ import annotations

import httpx
import icalendar

from gamesched.app import App
from tests.bot.conftest import (
    TEST_JOIN_DM_DELAY,
    Login,
    announcement,
    click,
    dms,
    eventually,
    field,
    schedule,
)
from tests.world import World


async def test_channels_members_and_emoji_in_the_texts_are_linked_in_the_announcement(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    [guild] = [g for g in (await api.get("/world")).json()["guilds"] if g["id"] == str(world.guild_id())]
    [dice] = [e for e in guild["emojis"] if e["name"] == "dice"]
    game = await schedule(
        login,
        world,
        description="Talk in #general first, ask @carol or @Bobby, bring your :dice:. Mail me@home.example.",
        signup_instructions="Questions to @heidi in #rpg :dice: :nosuch:",
    )
    message = await announcement(api, game)
    embed = message["embeds"][0]
    general, rpg = world.channel_id("general"), world.channel_id("rpg")
    carol, bob, heidi = world.user_id("carol"), world.user_id("bob"), world.user_id("heidi")
    assert embed["description"] == (
        f"Talk in <#{general}> first, ask <@{carol}> or <@{bob}>, bring your <:dice:{dice['id']}>. "
        "Mail me@home.example."
    )
    instructions = field(message, "Signup instructions")["value"]  # type: ignore[index]
    assert instructions == f"Questions to <@{heidi}> in <#{rpg}> <:dice:{dice['id']}> :nosuch:"
    assert message["pinged"]["users"] == []  # an embed names people without pinging them

    alice = await login("alice")
    stored = (await alice.get(f"/api/v1/games/{game['id']}")).json()
    assert stored["description"].startswith("Talk in #general first, ask @carol")  # as typed
    ics = await alice.get(f"/api/v1/games/{game['id']}/calendar.ics")
    [event] = icalendar.Calendar.from_ical(ics.content).walk("VEVENT")
    assert "Questions to @heidi in #rpg :dice:" in str(event["DESCRIPTION"])


async def test_the_join_dm_links_the_signup_instructions_too(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    game = await schedule(login, world, signup_instructions="Ask @heidi in #rpg first :dice:")
    message = await announcement(api, game)
    carol = world.user_id("carol")
    await click(api, carol, message, f"game:join:{game['id']}")

    [joined] = await eventually(lambda: dms(api, carol), within=TEST_JOIN_DM_DELAY + 5)
    assert (
        f"Ask <@{world.user_id('heidi')}> in <#{world.channel_id('rpg')}> first <:dice:" in joined["content"]
    )
