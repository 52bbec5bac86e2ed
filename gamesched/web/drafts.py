"""What someone typed into a form whose session had ended, kept until they have logged in again.

A form posted without a live session (logged out elsewhere, the session expired) would otherwise be lost
on the way through the login. The routes that opt in (``opt={"keep_draft": True}``, a form whose page is a
GET at the same path) have the posted fields stashed in the cache under a random one-time key, the login
returns to that page with ``?draft=<key>``, and the page fills the form from it once (``take_draft``).
Only that browser knows the key; the CSRF token is not kept; a draft not taken is gone after an hour.
"""

from __future__ import annotations

import secrets
from typing import Any

import msgspec

from gamesched.core.cache import Cache
from gamesched.web.forms import FormData

#: Set on a route whose posted form is kept over a login (its GET twin at the same path restores it).
KEEP_DRAFT = "keep_draft"
#: Where the key of a kept draft waits on the request for the login redirect (``errors.login_url``).
DRAFT_STATE_KEY = "kept_draft"
DRAFT_QUERY = "draft"
DRAFT_TTL_SECONDS = 3600
_NOT_KEPT = frozenset({"_csrf_token"})


def _cache_key(key: str) -> str:
    return f"web:draft:{key}"


async def keep_draft(cache: Cache, form: FormData) -> str:
    """Stash ``form``'s fields; the one-time key to take them back with."""
    key = secrets.token_urlsafe(18)
    kept = {
        "values": {k: v for k, v in form.values.items() if k not in _NOT_KEPT},
        "lists": {k: v for k, v in form.lists.items() if k not in _NOT_KEPT},
    }
    await cache.set(_cache_key(key), msgspec.json.encode(kept), ttl_seconds=DRAFT_TTL_SECONDS)
    return key


async def take_draft(cache: Cache, key: str | None) -> FormData | None:
    """The kept form (once: the key is then spent), or None for an unknown, spent or expired key."""
    if not key or len(key) > 64:
        return None
    raw = await cache.pop(_cache_key(key))
    if raw is None:
        return None
    try:
        kept: dict[str, Any] = msgspec.json.decode(raw)
        return FormData(kept["values"], kept["lists"])
    except (msgspec.DecodeError, KeyError, TypeError, AttributeError):
        return None
