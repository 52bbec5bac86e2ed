"""What happened, said on the page a form's redirect lands on ("Cancelled — 5 people were told.").

A form that redirects after doing its work (post → redirect → get) keeps its one sentence in the cache under
a random one-time key and redirects to ``…?notice=<key>``; the page it lands on takes the sentence once
(``take_notice``) and shows it at the top. Only that browser knows the key; a notice not taken is gone after
a few minutes, and a reload shows it no more.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit, urlunsplit

from gamesched.core.cache import Cache

NOTICE_QUERY = "notice"
NOTICE_TTL_SECONDS = 300
#: Longer than any notice a page words; a longer cached value is not shown.
NOTICE_MAX = 500


def _cache_key(key: str) -> str:
    return f"web:notice:{key}"


async def with_notice(cache: Cache, url: str, sentence: str) -> str:
    """``url`` carrying a one-time key to ``sentence`` (kept before any ``#fragment``)."""
    key = secrets.token_urlsafe(12)
    await cache.set(_cache_key(key), sentence.encode(), ttl_seconds=NOTICE_TTL_SECONDS)
    parts = urlsplit(url)
    query = f"{parts.query}&{NOTICE_QUERY}={key}" if parts.query else f"{NOTICE_QUERY}={key}"
    return urlunsplit(parts._replace(query=query))


async def take_notice(cache: Cache, key: str | None) -> str | None:
    """The sentence kept under ``key`` (once), or None for an unknown, spent or expired key."""
    if not key or len(key) > 64:
        return None
    raw = await cache.pop(_cache_key(key))
    if raw is None or len(raw) > NOTICE_MAX * 4:
        return None
    return raw.decode(errors="replace")
