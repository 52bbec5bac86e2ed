"""Guilds and channels as the bot sees them, with their settings.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE guilds (
            id                  bigint      CONSTRAINT pk_guilds PRIMARY KEY,
            name                text        NOT NULL,
            owner_id            bigint      NOT NULL,
            icon_url            text,
            bot_present         boolean     NOT NULL DEFAULT true,
            left_at             timestamptz,
            max_players         integer     CONSTRAINT ck_guilds_max_players CHECK (max_players BETWEEN 1 AND 100),
            reminder_minutes    integer[],
            signup_instructions text,
            manager_role_ids    bigint[]    NOT NULL DEFAULT '{}',
            host_role_ids       bigint[]    NOT NULL DEFAULT '{}',
            player_role_ids     bigint[],
            created_at          timestamptz NOT NULL DEFAULT now(),
            updated_at          timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        """
        CREATE TABLE channels (
            id                  bigint      CONSTRAINT pk_channels PRIMARY KEY,
            guild_id            bigint      NOT NULL
                                CONSTRAINT fk_channels_guild_id_guilds REFERENCES guilds (id) ON DELETE CASCADE,
            name                text        NOT NULL,
            type                integer     NOT NULL,
            position            integer     NOT NULL DEFAULT 0,
            parent_id           bigint,
            present             boolean     NOT NULL DEFAULT true,
            is_active           boolean     NOT NULL DEFAULT true,
            category            text,
            max_players         integer     CONSTRAINT ck_channels_max_players CHECK (max_players BETWEEN 1 AND 100),
            reminder_minutes    integer[],
            signup_instructions text,
            host_role_ids       bigint[],
            player_role_ids     bigint[],
            created_at          timestamptz NOT NULL DEFAULT now(),
            updated_at          timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("CREATE INDEX ix_channels_guild_id ON channels (guild_id)")
    op.execute("SELECT gamesched_enable_guild_rls('guilds', 'id')")
    op.execute("SELECT gamesched_enable_guild_rls('channels')")


def downgrade() -> None:
    op.execute("DROP TABLE channels")
    op.execute("DROP TABLE guilds")
