"""Notifications: DMs through the durable queue, recorded once sent, with a channel fallback for closed DMs.

The DMs about games are reactions to the games module's events; ``register`` plugs the module in.
"""

from gamesched.notifications.messenger import DirectMessage, DMChannelGone, DMsClosed, Messenger
from gamesched.notifications.module import register
from gamesched.notifications.service import DMRequest, Notifier, StillRelevant

__all__ = [
    "DMChannelGone",
    "DMRequest",
    "DMsClosed",
    "DirectMessage",
    "Messenger",
    "Notifier",
    "StillRelevant",
    "register",
]
