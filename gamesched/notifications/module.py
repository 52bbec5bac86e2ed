"""The notifications module's registration: DMs about games (seats, changes, reminders, the announcement) as
reactions to the games module's events, and — where the bot runs — their delivery."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from gamesched.core.modules import Contribution, ModuleContext, Subscription
from gamesched.games import GameService, ReminderDue
from gamesched.guilds import GuildService
from gamesched.notifications.announcement_dms import AnnouncementDMs
from gamesched.notifications.confirmation_dms import ConfirmationDMs
from gamesched.notifications.game_dms import GameDMs
from gamesched.notifications.messenger import Messenger
from gamesched.notifications.reminders import REMINDER_BATCH, ReminderDMs
from gamesched.notifications.rewards_dms import RewardsDMs
from gamesched.notifications.service import Notifier


def register(context: ModuleContext) -> Contribution:
    """Needs the games and guilds; delivers DMs when a ``Messenger`` is provided (the bot's)."""
    notifier = Notifier(
        db=context.db, queue=context.queue, clock=context.clock, messenger=context.find(Messenger)
    )
    context.provide(Notifier, notifier)
    games = context.get(GameService)
    dms = GameDMs(
        games=games,
        notifier=notifier,
        db=context.db,
        clock=context.clock,
        base_url=context.base_url,
        join_dm_delay=timedelta(seconds=context.settings.join_dm_delay_seconds),
        guilds=context.get(GuildService),
    )
    announcement_dms = AnnouncementDMs(
        games=games,
        guilds=context.get(GuildService),
        notifier=notifier,
        db=context.db,
        base_url=context.base_url,
    )
    reminders = ReminderDMs(
        games=games,
        guilds=context.get(GuildService),
        notifier=notifier,
        db=context.db,
        clock=context.clock,
        base_url=context.base_url,
    )
    # After a host's change, the games module says how many people were told: with these DMs' rules.
    games.telling.use(dms)
    subscriptions = [
        *dms.subscriptions(),
        *announcement_dms.subscriptions(),
        *RewardsDMs(
            games=games,
            guilds=context.get(GuildService),
            notifier=notifier,
            db=context.db,
            base_url=context.base_url,
        ).subscriptions(),
        Subscription(ReminderDue, reminders.send_reminders, batch_size=REMINDER_BATCH),
        *ConfirmationDMs(
            games=games,
            guilds=context.get(GuildService),
            notifier=notifier,
            db=context.db,
            base_url=context.base_url,
        ).subscriptions(),
    ]
    # Writing a DM reads the server's names (the server, its roles and members, #channel links) from the
    # gateway view: with sharding, the process holding the guild's shard writes it. Sending it (delivery)
    # is REST only and runs in any process with the bot.
    return Contribution(
        name="notifications",
        jobs=[*notifier.delivery_jobs(), *dms.jobs()],
        subscriptions=[dataclasses.replace(s, gateway=True) for s in subscriptions],
    )
