"""Each person's calendar subscription link: a secret URL that lists their games, for calendar apps that
cannot log in. Kept with the person's other settings (``preferences``); the feed itself is the games
module's (``gamesched.games.feed``), which finds whose link it is here.

The link's token is an HMAC of a random salt with the app's secret key. The database keeps the salt and the
SHA-256 of the token, never the token: a copy of the database alone opens no feed, the settings page can
show the link again (the token is worked out anew), and a request finds its owner by the hash with one
unique-index look-up. A reset draws a new salt, so the old link answers 404 at once; rotating
``GAMESCHED_SECRET_KEY`` ends every link (the page then offers a new one).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, LargeBinary, delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Mapped, mapped_column

from gamesched.core.clock import Clock
from gamesched.core.db import Base, Database
from gamesched.core.errors import NotFound

#: Where a feed is served (the games module's route); ``{token}`` is the link's secret.
FEED_PATH = "/feeds/{token}/games.ics"
FEED_NOT_FOUND = "There is no calendar feed at this link: it was reset or turned off."
SALT_BYTES = 16
#: The token's length: 160 bits of the HMAC, URL-safe base64 without padding.
TOKEN_BYTES = 20


class CalendarFeed(Base):
    """One live link per person (migration 0021); not guild-scoped."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    salt: Mapped[bytes] = mapped_column(LargeBinary)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode(errors="surrogatepass")).digest()


class CalendarFeeds:
    def __init__(self, *, db: Database, clock: Clock, secret: str, base_url: str) -> None:
        self.db = db
        self.clock = clock
        self.secret = secret
        self.base_url = base_url.rstrip("/")

    def _token(self, user_id: int, salt: bytes) -> str:
        message = b"calendar-feed:%d:" % user_id + salt
        digest = hmac.new(self.secret.encode(), message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:TOKEN_BYTES]).decode().rstrip("=")

    def url_of(self, token: str) -> str:
        return self.base_url + FEED_PATH.format(token=token)

    async def url(self, user_id: int) -> str | None:
        """The person's live link, or None when they have none (never made, turned off, or the secret key
        changed since)."""
        async with self.db.uow(bypass_rls=True) as uow:  # a person's own row; no guild to scope it to
            row = await uow.session.get(CalendarFeed, user_id)
            if row is None:
                return None
            salt, stored = row.salt, row.token_hash
        token = self._token(user_id, salt)
        return self.url_of(token) if hmac.compare_digest(token_hash(token), stored) else None

    async def reset(self, user_id: int) -> str:
        """A new link for the person (their first, or one replacing the old, which stops working now)."""
        salt = secrets.token_bytes(SALT_BYTES)
        token = self._token(user_id, salt)
        values = {
            "user_id": user_id,
            "salt": salt,
            "token_hash": token_hash(token),
            "created_at": self.clock.now(),
        }
        async with self.db.uow(bypass_rls=True) as uow:
            await uow.session.execute(
                insert(CalendarFeed)
                .values(**values)
                .on_conflict_do_update(index_elements=[CalendarFeed.user_id], set_=values)
            )
        return self.url_of(token)

    async def turn_off(self, user_id: int) -> None:
        """No link for the person any more: the old one answers 404."""
        async with self.db.uow(bypass_rls=True) as uow:
            await uow.session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user_id))

    async def owner(self, token: str) -> int:
        """Whose link ``token`` is (one look-up on the unique hash); NotFound for any other text, and for a
        link made under a secret key that has changed since."""
        async with self.db.uow(bypass_rls=True) as uow:  # the token is the credential: it names the person
            row = (
                await uow.session.execute(
                    select(CalendarFeed.user_id, CalendarFeed.salt).where(
                        CalendarFeed.token_hash == token_hash(token)
                    )
                )
            ).one_or_none()
        if row is None or not hmac.compare_digest(
            self._token(row.user_id, row.salt).encode(), token.encode(errors="surrogatepass")
        ):
            raise NotFound(FEED_NOT_FOUND)
        return int(row.user_id)
