"""The shared projection of Discord: what a process without the gateway needs to know of each server.

The bot processes already recorded guilds and channels; a web-only process also needs the guild's roles
(names, permissions, position, whether an integration manages them), its custom emoji, the bot's own
permissions in each channel (overwrites applied, as Discord computes them), and, for permission checks, who
is a member and which roles they hold. Member names are not stored: they are resolved at render time.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-28
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE guilds ADD COLUMN emojis jsonb NOT NULL DEFAULT '{}'::jsonb")
    op.execute("CREATE INDEX ix_guilds_updated_at ON guilds (updated_at)")
    op.execute("ALTER TABLE channels ADD COLUMN bot_permissions bigint")
    op.execute(
        """
        CREATE TABLE guild_roles (
            id          bigint  CONSTRAINT pk_guild_roles PRIMARY KEY,
            guild_id    bigint  NOT NULL,
            name        text    NOT NULL,
            permissions bigint  NOT NULL DEFAULT 0,
            position    integer NOT NULL DEFAULT 0,
            managed     boolean NOT NULL DEFAULT false,
            CONSTRAINT fk_guild_roles_guild_id_guilds FOREIGN KEY (guild_id)
                REFERENCES guilds (id) ON DELETE CASCADE
        )
        """
    )
    op.execute("CREATE INDEX ix_guild_roles_guild_id ON guild_roles (guild_id)")
    op.execute("SELECT gamesched_enable_guild_rls('guild_roles')")
    op.execute(
        """
        CREATE TABLE guild_members (
            guild_id   bigint      NOT NULL,
            user_id    bigint      NOT NULL,
            role_ids   bigint[]    NOT NULL DEFAULT '{}',
            bot        boolean     NOT NULL DEFAULT false,
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_guild_members PRIMARY KEY (guild_id, user_id),
            CONSTRAINT fk_guild_members_guild_id_guilds FOREIGN KEY (guild_id)
                REFERENCES guilds (id) ON DELETE CASCADE
        )
        """
    )
    op.execute("CREATE INDEX ix_guild_members_user_id ON guild_members (user_id)")
    op.execute("SELECT gamesched_enable_guild_rls('guild_members')")
    op.execute(
        """
        DO $$
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gamesched_app') THEN
                GRANT SELECT, INSERT, UPDATE, DELETE ON guild_roles, guild_members TO gamesched_app;
            END IF;
        END
        $$
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE guild_members")
    op.execute("DROP TABLE guild_roles")
    op.execute("ALTER TABLE channels DROP COLUMN bot_permissions")
    op.execute("DROP INDEX ix_guilds_updated_at")
    op.execute("ALTER TABLE guilds DROP COLUMN emojis")
