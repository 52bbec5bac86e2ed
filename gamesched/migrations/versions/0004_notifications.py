"""Notifications: every DM (and its channel fallback) recorded once it is sent.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE notifications (
            id                 bigint      GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_notifications PRIMARY KEY,
            guild_id           bigint      NOT NULL,
            channel_id         bigint,
            game_id            text,
            user_id            bigint      NOT NULL,
            kind               text        NOT NULL,
            dedupe_key         text        NOT NULL CONSTRAINT uq_notifications_dedupe_key UNIQUE,
            outcome            text        NOT NULL
                               CONSTRAINT ck_notifications_outcome CHECK (outcome IN ('sent', 'dms_closed', 'failed')),
            error              text,
            fallback_summary   text        NOT NULL DEFAULT '',
            created_at         timestamptz NOT NULL DEFAULT now(),
            fallback_posted_at timestamptz
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_notifications_fallback ON notifications (channel_id, game_id)"
        " WHERE outcome = 'dms_closed' AND fallback_posted_at IS NULL"
    )
    op.execute("CREATE INDEX ix_notifications_user_id ON notifications (user_id)")
    op.execute("SELECT gamesched_enable_guild_rls('notifications')")


def downgrade() -> None:
    op.execute("DROP TABLE notifications")
