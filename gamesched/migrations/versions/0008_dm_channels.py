"""DM channels: the id of each user's DM channel with the bot, so a DM costs one request to Discord.

Discord gives a user's DM channel the same id for good; asking for it (``POST /users/@me/channels``) is a
request of its own, counted against the bot's global rate limit. The table is keyed by user, not guild —
a DM channel belongs to no server — so it has no row-level security; it holds nothing but two ids.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE dm_channels (
            user_id    bigint      CONSTRAINT pk_dm_channels PRIMARY KEY,
            channel_id bigint      NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE dm_channels")
