"""Calendar feeds: each person's secret subscription link to their games.

One row per person who made a link (``user_id`` is the key: one live link each; a reset replaces the row).
Not guild-scoped: the feed spans every server the person plays in. The link itself is never stored: it is
an HMAC of ``salt`` with the app's secret key, so a copy of the database alone opens no feed, and
``token_hash`` (SHA-256 of the link's token, unique) finds its owner with one index look-up.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-28
"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE calendar_feeds (
            user_id    bigint      CONSTRAINT pk_calendar_feeds PRIMARY KEY,
            salt       bytea       NOT NULL,
            token_hash bytea       NOT NULL CONSTRAINT uq_calendar_feeds_token_hash UNIQUE,
            created_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        """
        DO $$
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gamesched_app') THEN
                GRANT SELECT, INSERT, UPDATE, DELETE ON calendar_feeds TO gamesched_app;
            END IF;
        END
        $$
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE calendar_feeds")
