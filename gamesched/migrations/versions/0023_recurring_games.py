"""Recurring games: a series repeats a game by an RFC 5545 rule; each occurrence is a normal game.

``game_series`` holds the rule (RRULE text, expanded on local wall-clock times from ``dtstart_local`` in
``time_zone``), when the next game is made (``lead_minutes`` before it; NULL: when the previous one is over),
whether confirmed players carry over, the occurrences skipped (UTC starts), and the fields every game of the
series is made with (``game``: the create body without its time). ``games.series_id`` and
``games.recurrence_id`` (the occurrence's start by the rule, UTC) tie a game to its series; one game per
occurrence, enforced by a unique index, so two processes never make the same one.

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-28
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE game_series (
            id              uuid        NOT NULL DEFAULT gen_random_uuid(),
            guild_id        bigint      NOT NULL,
            channel_id      bigint      NOT NULL,
            host_id         bigint      NOT NULL,
            title           text        NOT NULL,
            rrule           text        NOT NULL,
            dtstart_local   timestamp   NOT NULL,
            time_zone       text        NOT NULL,
            lead_minutes    integer,
            carry_roster    boolean     NOT NULL DEFAULT false,
            skipped         timestamptz[] NOT NULL DEFAULT '{}',
            game            jsonb       NOT NULL,
            status          text        NOT NULL DEFAULT 'active',
            version         integer     NOT NULL DEFAULT 1,
            created_at      timestamptz NOT NULL DEFAULT now(),
            updated_at      timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_game_series PRIMARY KEY (id),
            CONSTRAINT fk_game_series_guild_id_guilds FOREIGN KEY (guild_id)
                REFERENCES guilds (id) ON DELETE CASCADE,
            CONSTRAINT ck_game_series_status CHECK (status IN ('active', 'ended')),
            CONSTRAINT ck_game_series_lead CHECK (lead_minutes IS NULL OR lead_minutes >= 0)
        )
        """
    )
    op.execute("CREATE INDEX ix_game_series_guild_host ON game_series (guild_id, host_id)")
    op.execute("SELECT gamesched_enable_guild_rls('game_series')")
    op.execute(
        """
        ALTER TABLE games
            ADD COLUMN series_id uuid
                CONSTRAINT fk_games_series_id_game_series REFERENCES game_series (id) ON DELETE SET NULL,
            ADD COLUMN recurrence_id timestamptz
        """
    )
    op.execute(
        "CREATE UNIQUE INDEX uq_games_series_occurrence ON games (series_id, recurrence_id)"
        " WHERE series_id IS NOT NULL"
    )
    op.execute(
        """
        DO $$
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gamesched_app') THEN
                GRANT SELECT, INSERT, UPDATE, DELETE ON game_series TO gamesched_app;
            END IF;
        END
        $$
        """
    )


def downgrade() -> None:
    op.execute("DROP INDEX uq_games_series_occurrence")
    op.execute("ALTER TABLE games DROP COLUMN recurrence_id, DROP COLUMN series_id")
    op.execute("DROP TABLE game_series")
