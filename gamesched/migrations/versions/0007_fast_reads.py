"""Reads that do not grow with the guild: ordered indexes for game lists, a prefix index for a game's
pending jobs, and per-guild game counts kept by triggers.

* ``games``: a page of a guild's (or a channel's) games, in start order, optionally of some statuses, is
  read straight off an index ending in ``(scheduled_at, id)`` — the order the API pages in — instead of
  sorting every game of the guild. The indexes they extend (``(guild_id, status, scheduled_at)``,
  ``(channel_id)``) are dropped.
* ``jobs``: a game's pending reminders and transitions are found by dedupe-key prefix (``game:{id}:``);
  ``starts_with`` can use a ``text_pattern_ops`` index whatever the database's collation.
* ``game_counts``: how many games each guild has per channel and status, kept exact by statement triggers
  on ``games`` in the same transaction as the change, so a list's ``total`` is a sum of a few rows
  instead of a count of the guild's games. Guild-scoped like the games themselves.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP INDEX ix_games_guild_status_scheduled")
    op.execute("CREATE INDEX ix_games_guild_status_scheduled ON games (guild_id, status, scheduled_at, id)")
    op.execute("CREATE INDEX ix_games_guild_scheduled ON games (guild_id, scheduled_at, id)")
    op.execute("DROP INDEX ix_games_channel_id")
    op.execute("CREATE INDEX ix_games_channel_scheduled ON games (channel_id, scheduled_at, id)")
    op.execute(
        "CREATE INDEX ix_games_channel_status_scheduled ON games (channel_id, status, scheduled_at, id)"
    )
    op.execute(
        "CREATE INDEX ix_jobs_pending_dedupe_prefix ON jobs (dedupe_key text_pattern_ops)"
        " WHERE state = 'pending' AND dedupe_key IS NOT NULL"
    )

    op.execute(
        """
        CREATE TABLE game_counts (
            guild_id    bigint NOT NULL,
            channel_id  bigint NOT NULL,
            status      text   NOT NULL,
            games       bigint NOT NULL,
            CONSTRAINT pk_game_counts PRIMARY KEY (guild_id, channel_id, status)
        )
        """
    )
    op.execute("SELECT gamesched_enable_guild_rls('game_counts')")
    # One function for the three statement triggers: each adds what its statement changed, grouped, in key
    # order (so two transactions touching the same counters lock them in the same order).
    op.execute(
        """
        CREATE FUNCTION game_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                INSERT INTO game_counts AS c (guild_id, channel_id, status, games)
                SELECT guild_id, channel_id, status, count(*) FROM new_rows
                GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
                ON CONFLICT (guild_id, channel_id, status) DO UPDATE SET games = c.games + EXCLUDED.games;
            ELSIF TG_OP = 'DELETE' THEN
                INSERT INTO game_counts AS c (guild_id, channel_id, status, games)
                SELECT guild_id, channel_id, status, -count(*) FROM old_rows
                GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
                ON CONFLICT (guild_id, channel_id, status) DO UPDATE SET games = c.games + EXCLUDED.games;
            ELSE
                INSERT INTO game_counts AS c (guild_id, channel_id, status, games)
                SELECT guild_id, channel_id, status, sum(delta) FROM (
                    SELECT guild_id, channel_id, status, 1 AS delta FROM new_rows
                    UNION ALL
                    SELECT guild_id, channel_id, status, -1 FROM old_rows
                ) AS changes
                GROUP BY 1, 2, 3 HAVING sum(delta) <> 0 ORDER BY 1, 2, 3
                ON CONFLICT (guild_id, channel_id, status) DO UPDATE SET games = c.games + EXCLUDED.games;
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER game_counts_insert AFTER INSERT ON games REFERENCING NEW TABLE AS new_rows"
        " FOR EACH STATEMENT EXECUTE FUNCTION game_counts_apply()"
    )
    op.execute(
        "CREATE TRIGGER game_counts_update AFTER UPDATE ON games"
        " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
        " FOR EACH STATEMENT EXECUTE FUNCTION game_counts_apply()"
    )
    op.execute(
        "CREATE TRIGGER game_counts_delete AFTER DELETE ON games REFERENCING OLD TABLE AS old_rows"
        " FOR EACH STATEMENT EXECUTE FUNCTION game_counts_apply()"
    )
    # Existing games, counted as the owner sees them: FORCE ROW LEVEL SECURITY applies to the owner too.
    op.execute("SELECT set_config('app.bypass_rls', 'on', true)")
    op.execute(
        "INSERT INTO game_counts (guild_id, channel_id, status, games)"
        " SELECT guild_id, channel_id, status, count(*) FROM games GROUP BY 1, 2, 3"
    )
    op.execute("SELECT set_config('app.bypass_rls', 'off', true)")


def downgrade() -> None:
    op.execute("DROP TRIGGER game_counts_delete ON games")
    op.execute("DROP TRIGGER game_counts_update ON games")
    op.execute("DROP TRIGGER game_counts_insert ON games")
    op.execute("DROP FUNCTION game_counts_apply()")
    op.execute("DROP TABLE game_counts")
    op.execute("DROP INDEX ix_jobs_pending_dedupe_prefix")
    op.execute("DROP INDEX ix_games_channel_status_scheduled")
    op.execute("DROP INDEX ix_games_channel_scheduled")
    op.execute("CREATE INDEX ix_games_channel_id ON games (channel_id)")
    op.execute("DROP INDEX ix_games_guild_scheduled")
    op.execute("DROP INDEX ix_games_guild_status_scheduled")
    op.execute("CREATE INDEX ix_games_guild_status_scheduled ON games (guild_id, status, scheduled_at)")
