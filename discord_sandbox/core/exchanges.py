"""Every answer the Discord REST API gives, handed to whoever asked to watch (a test suite's conformance check).

Observers are process-wide, because a test suite starts sandboxes in many places (its own fixtures, the
app's `--sandbox` mode) and wants to see them all. With no observer nothing is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Exchange:
    """One REST call and its answer.

    `path` is below the API root (`/channels/1/messages`, no `/v10`); `body` the parsed JSON answer, or None
    when there was none; `unknown_route` marks a call no handler of the sandbox implements; `edge` an answer
    that Discord's edge (Cloudflare) gives, not its API (a banned address), whose body is text.
    """

    method: str
    path: str
    status: int
    body: Any
    unknown_route: bool = False
    edge: bool = False


Observer = Callable[[Exchange], None]
_observers: list[Observer] = []


def observe(observer: Observer) -> Callable[[], None]:
    """Call `observer` with every Exchange from now on; returns the function that stops it."""
    _observers.append(observer)
    return lambda: _observers.remove(observer)


def watched() -> bool:
    """Whether anyone observes (the middleware keeps answers only then)."""
    return bool(_observers)


def notify(exchange: Exchange) -> None:
    """Hand an Exchange to every observer."""
    for observer in list(_observers):
        observer(exchange)
