"""The cache in PostgreSQL: sessions, login states, notices and drafts when no Redis is configured.

Without Redis these lived in process memory, so a second web process (or a restart) logged people out and
lost a login that started on one process and came back to another. ``cache_entries`` holds the same keys
and values the Redis cache holds (keys are digests or random ids, never a cookie's value), each with the
time it expires: reads ignore expired rows, and the queue housekeeping job deletes them.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-28
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE cache_entries (
            key        text        CONSTRAINT pk_cache_entries PRIMARY KEY,
            value      bytea       NOT NULL,
            expires_at timestamptz NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX ix_cache_entries_expires_at ON cache_entries (expires_at)")
    op.execute(
        """
        DO $$
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gamesched_app') THEN
                GRANT SELECT, INSERT, UPDATE, DELETE ON cache_entries TO gamesched_app;
            END IF;
        END
        $$
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE cache_entries")
