"""Deferred announcements, archiving and rewards.

- ``post_at``: while set, the game exists but is not announced yet (hidden from plain members); a queue row
  (``games.post``) announces it then and clears it.
- ``archive_delay_minutes``: NULL = never archived; otherwise the game is archived that long after it
  completed (``completed_at``). ``archive_channel_id``: where the archived announcement is re-posted (without
  buttons, ``archive_message_id``); NULL = the announcement is only deleted.
- ``rewards``: the host's text, shown as a spoiler once the game is over; ``remind_rewards``: DM the host at
  completion when it is still empty.

Existing games keep working: every new column is NULL or has a default that means "as before".

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-28
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE games
            ADD COLUMN post_at timestamptz,
            ADD COLUMN archive_delay_minutes integer CHECK (archive_delay_minutes >= 0),
            ADD COLUMN archive_channel_id bigint,
            ADD COLUMN archive_message_id bigint,
            ADD COLUMN completed_at timestamptz,
            ADD COLUMN rewards text NOT NULL DEFAULT '',
            ADD COLUMN remind_rewards boolean NOT NULL DEFAULT false
        """
    )
    # Few games wait for their announcement at any time: a small partial index finds a guild's (the lists
    # subtract those a plain member may not see from the exact counts).
    op.execute("CREATE INDEX ix_games_not_announced ON games (guild_id) WHERE post_at IS NOT NULL")


def downgrade() -> None:
    op.execute("DROP INDEX ix_games_not_announced")
    op.execute(
        """
        ALTER TABLE games
            DROP COLUMN post_at,
            DROP COLUMN archive_delay_minutes,
            DROP COLUMN archive_channel_id,
            DROP COLUMN archive_message_id,
            DROP COLUMN completed_at,
            DROP COLUMN rewards,
            DROP COLUMN remind_rewards
        """
    )
