"""Notifications: DMs through the durable queue, recorded once sent, with a channel fallback for closed DMs."""

from gamesched.notifications.messenger import DirectMessage, DMsClosed, Messenger
from gamesched.notifications.service import DMRequest, Notifier

__all__ = ["DMRequest", "DMsClosed", "DirectMessage", "Messenger", "Notifier"]
