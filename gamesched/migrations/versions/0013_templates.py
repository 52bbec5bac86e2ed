"""Game templates: named presets per server (locked fields and pre-filled defaults), and the template each game
came from (its name and the fields it locked, copied at creation). Every server gets a default template
pointing at its first channel open for games.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE game_templates (
            id                     uuid        NOT NULL DEFAULT gen_random_uuid(),
            guild_id               bigint      NOT NULL,
            name                   text        NOT NULL,
            description            text        NOT NULL DEFAULT '',
            position               integer     NOT NULL DEFAULT 0,
            is_default             boolean     NOT NULL DEFAULT false,
            channel_id             bigint,
            notify_role_ids        bigint[],
            player_role_ids        bigint[],
            host_role_ids          bigint[],
            priority_role_ids      bigint[],
            max_players            integer,
            duration_minutes       integer,
            reminder_minutes       integer[],
            location               text,
            signup_instructions    text,
            signup_methods         text[],
            default_signup_method  text,
            created_at             timestamptz NOT NULL DEFAULT now(),
            updated_at             timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_game_templates PRIMARY KEY (id),
            CONSTRAINT fk_game_templates_guild_id_guilds FOREIGN KEY (guild_id)
                REFERENCES guilds (id) ON DELETE CASCADE,
            CONSTRAINT fk_game_templates_channel_id_channels FOREIGN KEY (channel_id) REFERENCES channels (id),
            CONSTRAINT ck_game_templates_max_players CHECK (max_players IS NULL OR max_players BETWEEN 1 AND 100),
            CONSTRAINT ck_game_templates_position CHECK (position >= 0)
        )
        """
    )
    op.execute("CREATE INDEX ix_game_templates_guild_id ON game_templates (guild_id, position)")
    op.execute("CREATE UNIQUE INDEX uq_game_templates_default ON game_templates (guild_id) WHERE is_default")
    op.execute("SELECT gamesched_enable_guild_rls('game_templates')")
    op.execute(
        """
        INSERT INTO game_templates (guild_id, name, is_default, channel_id)
        SELECT g.id, 'Default', true,
               (SELECT c.id FROM channels c
                 WHERE c.guild_id = g.id AND c.present AND c.is_active AND c.type IN (0, 5)
                 ORDER BY c.position, c.id LIMIT 1)
          FROM guilds g
        """
    )
    op.execute(
        """
        ALTER TABLE games
            ADD COLUMN template_id uuid
                CONSTRAINT fk_games_template_id_game_templates REFERENCES game_templates (id) ON DELETE SET NULL,
            ADD COLUMN template_name text,
            ADD COLUMN locked_fields text[] NOT NULL DEFAULT '{}'
        """
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE games DROP COLUMN locked_fields, DROP COLUMN template_name, DROP COLUMN template_id"
    )
    op.execute("DROP TABLE game_templates")
