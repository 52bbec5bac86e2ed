"""The one Discord error handler: every failure becomes an ephemeral sentence, never silence or a trace.

Domain errors carry their own sentence; Discord-side check failures get ours; the database out of reach gets
"try again in a moment"; anything else is logged and answered with a generic apology. ``respond`` also keeps Discord's 3-second rule: slow work is deferred.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import Any

import aiohttp
import discord
import structlog
from discord import app_commands

from gamesched.core.errors import DatabaseUnavailable, DomainError
from gamesched.core.foreground import Foreground

log = structlog.get_logger(__name__)

SOMETHING_WENT_WRONG = "Something went wrong on our side. Please try again in a moment."
STALE_COMPONENT = "This button doesn't work any more. The game may have been removed; try /list-games."
EXPIRED_FORM = "This form has expired. Please run the command again."
#: Discord wants an answer within 3 s; work still running after this long is deferred first.
DEFER_AFTER_SECONDS = 2.0
PERMISSION_NAMES = {
    "manage_guild": "Manage Server",
    "manage_channels": "Manage Channels",
    "administrator": "Administrator",
}


def user_message(error: BaseException) -> str | None:
    """The sentence to show for ``error``, or None when it is a bug (log it, apologise)."""
    if isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError):
        cause = error.__cause__ if isinstance(error, app_commands.TransformerError) else error.original
        if isinstance(cause, DomainError | DatabaseUnavailable):
            return cause.message
        if isinstance(error, app_commands.TransformerError):
            return f"{error.value!r} is not a valid value here."
        return user_message(error.original)
    if isinstance(error, DomainError | DatabaseUnavailable):
        return error.message
    if isinstance(error, app_commands.MissingPermissions):
        names = ", ".join(
            PERMISSION_NAMES.get(p, p.replace("_", " ").title()) for p in error.missing_permissions
        )
        return f"You need the {names} permission to do that."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command only works in a server."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {error.retry_after:.0f} seconds."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use this command here."
    return None


async def report_error(interaction: discord.Interaction[Any], error: BaseException) -> None:
    """Tell the user what went wrong, ephemerally; log what they cannot fix."""
    text = user_message(error)
    if text is None:
        cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        log.error(
            "discord_interaction_failed",
            interaction=_describe(interaction),
            user_id=interaction.user.id,
            exc_info=cause,
        )
        text = SOMETHING_WENT_WRONG
    elif isinstance(cause := _unwrapped(error), DatabaseUnavailable):
        log.warning(
            "discord_interaction_unavailable", interaction=_describe(interaction), error=str(cause.__cause__)
        )
    else:
        log.info("discord_interaction_refused", interaction=_describe(interaction), reason=text)
    await reply(interaction, text)


#: What a use case answers with: a sentence, or message fields (``content``, ``embeds``).
Answer = str | dict[str, Any]


#: Discord takes the first answer to an interaction within 3 s of its creation; later answers need its token
#: (15 minutes), and are tried again for this long.
ANSWER_WINDOW_SECONDS = 3.0
FOLLOWUP_RETRY_SECONDS = 10.0
#: A first answer discord.py has not delivered after this long is waiting out its own pause after a 5xx
#: (1 s, then 3 s: past Discord's window); it is cut short and sent again while the window lasts.
FIRST_ANSWER_ATTEMPT_SECONDS = 0.5
RETRY_PAUSE_SECONDS = 0.1
ALREADY_ACKNOWLEDGED = 40060


async def reply(interaction: discord.Interaction[Any], answer: Answer) -> None:
    """An ephemeral answer: the response; after a deferral, the edited "thinking" message; else a followup.

    Discord turns the first followup after a deferral into an edit of the loading message and keeps the
    deferral's flags, ignoring the followup's ``ephemeral``. ``respond`` defers ephemerally, and we answer by
    editing that original response, so the answer stays private whatever the deferral was.

    A 429 or 5xx from Discord, or a broken connection, is tried again while the answer can still land: discord.py alone gives up
    after five 429s in half a second, and waits 1 s and then 3 s after a 5xx, which lets "This interaction
    failed" through (``make reliability``, Discord faults).
    """
    fields: dict[str, Any] = {"content": answer} if isinstance(answer, str) else dict(answer)
    loop = asyncio.get_running_loop()
    first = not interaction.response.is_done()
    if first:
        age = (discord.utils.utcnow() - interaction.created_at).total_seconds()
        deadline = loop.time() + ANSWER_WINDOW_SECONDS - min(max(age, 0.0), ANSWER_WINDOW_SECONDS)
    else:
        deadline = loop.time() + FOLLOWUP_RETRY_SECONDS
    while True:
        try:
            if first and not interaction.response.is_done():
                # Cut discord.py's long pause after a 5xx; a first answer sent twice is refused (40060).
                budget = min(FIRST_ANSWER_ATTEMPT_SECONDS, deadline - loop.time())
                await asyncio.wait_for(_send(interaction, fields), max(budget, 0.05))
            else:
                await _send(interaction, fields)
            return
        except discord.HTTPException as exc:
            if exc.code == ALREADY_ACKNOWLEDGED:  # an attempt cut short had gone through after all
                return
            error: str = str(exc)
            retryable = exc.status == 429 or exc.status >= 500
        except TimeoutError:
            error, retryable = "no answer from Discord in time", True
        except (aiohttp.ClientError, OSError) as exc:
            # The connection broke (a keep-alive connection Discord had just closed, a network blip): the
            # call may not have reached Discord; a first answer sent twice is refused (40060) above.
            error, retryable = repr(exc), True
        if not retryable or loop.time() + RETRY_PAUSE_SECONDS >= deadline:
            # Expired token, Discord down: nobody is left to tell.
            log.warning("discord_reply_failed", interaction=_describe(interaction), error=error)
            return
        log.info("discord_reply_retry", interaction=_describe(interaction), error=error)
        await asyncio.sleep(RETRY_PAUSE_SECONDS)


async def _send(interaction: discord.Interaction[Any], fields: dict[str, Any]) -> None:
    if interaction.response.type == discord.InteractionResponseType.deferred_channel_message:
        await interaction.edit_original_response(**fields)
    elif interaction.response.is_done():
        await interaction.followup.send(ephemeral=True, **fields)
    else:
        await interaction.response.send_message(ephemeral=True, **fields)


async def respond(interaction: discord.Interaction[Any], work: Awaitable[Answer]) -> None:
    """Run ``work`` (a service call, rendered) and answer ephemerally with its result or its error.

    While it runs, the process's ``Foreground`` (the client's ``foreground``, when it has one) counts it:
    work nobody waits for steps aside until the answers are out (core/foreground.py)."""
    foreground: Foreground | None = getattr(interaction.client, "foreground", None)
    with foreground.answering() if foreground is not None else contextlib.nullcontext():
        await _respond(interaction, work)


async def _respond(interaction: discord.Interaction[Any], work: Awaitable[Answer]) -> None:
    task = asyncio.ensure_future(work)
    try:
        try:
            answer = await asyncio.wait_for(asyncio.shield(task), DEFER_AFTER_SECONDS)
        except TimeoutError:
            with contextlib.suppress(discord.HTTPException):
                await interaction.response.defer(ephemeral=True, thinking=True)
            answer = await task
    except Exception as exc:
        await report_error(interaction, exc)
        return
    await reply(interaction, answer)


def install_error_handler(tree: app_commands.CommandTree[Any]) -> None:
    """Route every slash command error through ``report_error``."""

    async def on_app_command_error(
        interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        await report_error(interaction, error)

    tree.error(on_app_command_error)


def _unwrapped(error: BaseException) -> BaseException:
    if isinstance(error, app_commands.CommandInvokeError):
        return _unwrapped(error.original)
    if isinstance(error, app_commands.TransformerError) and error.__cause__ is not None:
        return error.__cause__
    return error


def _describe(interaction: discord.Interaction[Any]) -> str:
    if interaction.command is not None:
        return f"/{interaction.command.qualified_name}"
    data: dict[str, Any] = dict(interaction.data or {})
    return str(data.get("custom_id") or interaction.type.name)
