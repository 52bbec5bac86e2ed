"""The Join/Leave buttons under an announcement: persistent, because the game id lives in the custom id.

``GameButton`` is registered once at startup (``bot.add_dynamic_items``), so a click on any announcement —
even one posted before a restart — is parsed, handed to the games service and answered ephemerally.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from gamesched.discord_kit import EXPIRED_FORM, SOMETHING_WENT_WRONG, STALE_COMPONENT, reply, respond
from gamesched.games.announcement import Buttons
from gamesched.games.confirmations import Confirmed
from gamesched.games.schemas import GameView
from gamesched.games.signup_batches import Seat

if TYPE_CHECKING:
    from gamesched.games.service import GameService

#: Loose on purpose: a malformed id still reaches the service, which answers "This game does not exist."
TEMPLATE = r"game:(?P<action>join|leave):(?P<game_id>[^:\s]{1,80})"
#: Confirm / Decline under the DM asking a carried-over player to confirm their place in a clone.
PLACE_TEMPLATE = r"game:(?P<action>confirm|decline):(?P<game_id>[^:\s]{1,80})"
#: The /game create form: read by whichever process answers its submission (see GameCommands).
CREATE_FORM = "game:create"
#: The button on a refused form's reply that reopens it filled in (+ the key its answers are kept under).
CREATE_RETRY = "game:create:retry:"
#: The Create button under the time /game create understood from natural input (+ the key of the answers).
CREATE_CONFIRM = "game:create:confirm:"
#: The /game create form made from a template: CREATE_FORM + this + the template's id.
TEMPLATE_PART = ":template:"
#: How long an unknown button or form waits for another handler before we answer it ourselves.
UNCLAIMED_GRACE_SECONDS = 1.5


class GameButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=TEMPLATE):
    """Join or Leave for one game."""

    def __init__(
        self, action: str, game_id: str, *, disabled: bool = False, label: str | None = None
    ) -> None:
        join = action == "join"
        super().__init__(
            discord.ui.Button(
                label=label or ("Join" if join else "Leave"),
                style=discord.ButtonStyle.success if join else discord.ButtonStyle.danger,
                custom_id=f"game:{action}:{game_id}",
                disabled=disabled,
            )
        )
        self.action = action
        self.game_id = game_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> GameButton:
        return cls(match["action"], match["game_id"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        games = games_of(interaction.client)
        if games is None:
            await reply(interaction, SOMETHING_WENT_WRONG)
            return
        user_id = interaction.user.id
        if self.action == "join":
            await respond(interaction, _seated(games.signups.take_seat(self.game_id, user_id)))
        else:
            await respond(interaction, _left(games.signups.leave(self.game_id, user_id)))


class PlaceButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=PLACE_TEMPLATE):
    """Confirm or Decline a place a clone carried over (in a DM: the game id is in the custom id, so any
    process answers it, before or after a restart)."""

    def __init__(self, action: str, game_id: str) -> None:
        confirm = action == "confirm"
        super().__init__(
            discord.ui.Button(
                label="Confirm" if confirm else "Decline",
                style=discord.ButtonStyle.success if confirm else discord.ButtonStyle.secondary,
                custom_id=f"game:{action}:{game_id}",
            )
        )
        self.action = action
        self.game_id = game_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> PlaceButton:
        return cls(match["action"], match["game_id"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        games = games_of(interaction.client)
        if games is None:
            await reply(interaction, SOMETHING_WENT_WRONG)
            return
        user_id = interaction.user.id
        if self.action == "confirm":
            await respond(interaction, _confirmed(games.confirmations.confirm(self.game_id, user_id)))
        else:
            await respond(interaction, _declined(games.confirmations.decline(self.game_id, user_id)))


def confirmation_components(game_id: str) -> list[dict[str, Any]]:
    """The Confirm / Decline buttons of the DM asking a carried-over player to confirm (Discord's JSON)."""
    view = discord.ui.View(timeout=None)
    view.add_item(PlaceButton("confirm", game_id))
    view.add_item(PlaceButton("decline", game_id))
    return view.to_components()


class ButtonsHost(commands.Cog, name="GameButtons"):
    """Holds the games service for the buttons, and answers clicks and forms nobody else claims."""

    def __init__(self, *, games: GameService) -> None:
        self.games = games

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        data: dict[str, Any] = dict(interaction.data or {})
        if interaction.type == discord.InteractionType.component:
            custom_id = str(data.get("custom_id", ""))
            if any(
                item.__discord_ui_compiled_template__.fullmatch(custom_id)
                for item in (GameButton, PlaceButton)
            ) or custom_id.startswith((CREATE_RETRY, CREATE_CONFIRM)):
                return
            text = STALE_COMPONENT
        elif interaction.type == discord.InteractionType.modal_submit:
            if str(data.get("custom_id", "")).startswith(CREATE_FORM):  # with a template: + TEMPLATE_PART
                return
            text = EXPIRED_FORM
        else:
            return
        # Views and forms held in memory answer first; anything still unanswered is stale (e.g. a restart).
        await asyncio.sleep(UNCLAIMED_GRACE_SECONDS)
        if not interaction.response.is_done():
            await reply(interaction, text)


def games_of(client: discord.Client) -> GameService | None:
    cog = client.get_cog("GameButtons") if isinstance(client, commands.Bot) else None
    return cog.games if isinstance(cog, ButtonsHost) else None


def announcement_view(buttons: Buttons) -> discord.ui.View:
    """The buttons as a discord.py view; it holds only dynamic items, so nothing is kept per message."""
    view = discord.ui.View(timeout=None)
    view.add_item(
        GameButton("join", buttons.game_id, disabled=not buttons.join_enabled, label=buttons.join_label)
    )
    view.add_item(GameButton("leave", buttons.game_id, disabled=not buttons.leave_enabled))
    view.add_item(discord.ui.Button(label="Details", style=discord.ButtonStyle.link, url=buttons.page_url))
    return view


def announcement_components(buttons: Buttons) -> list[dict[str, Any]]:
    """The JSON Discord receives for the view that is sent."""
    return announcement_view(buttons).to_components()


def left_sentence(game: GameView) -> str:
    return f"You left **{game.title}**."


def seat_sentence(seat: Seat) -> str:
    if seat.status == "confirmed":
        return f"You're in **{seat.title}** — seat {seat.position}/{seat.max_players}."
    return f"**{seat.title}** is full — you're #{seat.position} on the waitlist."


async def _seated(call: Awaitable[Seat]) -> str:
    return seat_sentence(await call)


async def _left(call: Awaitable[GameView]) -> str:
    return left_sentence(await call)


def confirmed_sentence(done: Confirmed) -> str:
    already = "" if done.changed else "Already confirmed: "
    if done.status == "confirmed":
        return (
            f"{already or 'Confirmed: '}you're in **{done.title}** — seat {done.position}/{done.max_players}."
        )
    return f"{already or 'Confirmed: '}you keep #{done.position} on the waitlist of **{done.title}**."


async def _confirmed(call: Awaitable[Confirmed]) -> str:
    return confirmed_sentence(await call)


async def _declined(call: Awaitable[str]) -> str:
    return f"You declined **{await call}**: your place goes to the next player on the waitlist."
