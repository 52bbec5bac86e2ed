"""Games and their participants, guild-scoped with row-level security.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE games (
            id                  uuid        NOT NULL DEFAULT gen_random_uuid(),
            guild_id            bigint      NOT NULL,
            channel_id          bigint      NOT NULL,
            host_id             bigint      NOT NULL,
            title               text        NOT NULL,
            description         text        NOT NULL DEFAULT '',
            scheduled_at        timestamptz NOT NULL,
            duration_minutes    integer,
            max_players         integer     NOT NULL,
            reminder_minutes    integer[]   NOT NULL DEFAULT '{}',
            signup_instructions text        NOT NULL DEFAULT '',
            location            text        NOT NULL DEFAULT '',
            player_role_ids     bigint[]    NOT NULL DEFAULT '{}',
            priority_role_ids   bigint[]    NOT NULL DEFAULT '{}',
            notify_role_ids     bigint[]    NOT NULL DEFAULT '{}',
            signup_method       text        NOT NULL DEFAULT 'self_signup',
            status              text        NOT NULL DEFAULT 'scheduled',
            settings_sources    jsonb       NOT NULL DEFAULT '{}'::jsonb,
            message_id          bigint,
            version             integer     NOT NULL DEFAULT 1,
            created_at          timestamptz NOT NULL DEFAULT now(),
            updated_at          timestamptz NOT NULL DEFAULT now(),
            cancelled_at        timestamptz,
            CONSTRAINT pk_games PRIMARY KEY (id),
            CONSTRAINT fk_games_guild_id_guilds FOREIGN KEY (guild_id) REFERENCES guilds (id) ON DELETE CASCADE,
            CONSTRAINT fk_games_channel_id_channels FOREIGN KEY (channel_id) REFERENCES channels (id),
            CONSTRAINT ck_games_signup_method CHECK (
                signup_method IN ('self_signup', 'host_selected', 'host_selected_with_waitlist', 'role_based')),
            CONSTRAINT ck_games_status CHECK (
                status IN ('scheduled', 'in_progress', 'completed', 'cancelled', 'archived')),
            CONSTRAINT ck_games_max_players CHECK (max_players BETWEEN 1 AND 100),
            CONSTRAINT ck_games_duration_minutes CHECK (duration_minutes IS NULL OR duration_minutes > 0),
            CONSTRAINT ck_games_version CHECK (version >= 1)
        )
        """
    )
    op.execute("CREATE INDEX ix_games_guild_status_scheduled ON games (guild_id, status, scheduled_at)")
    op.execute("CREATE INDEX ix_games_host_id ON games (host_id)")
    op.execute("CREATE INDEX ix_games_channel_id ON games (channel_id)")
    op.execute("CREATE INDEX ix_games_message_id ON games (message_id) WHERE message_id IS NOT NULL")
    op.execute(
        """
        CREATE TABLE participants (
            id            uuid        NOT NULL DEFAULT gen_random_uuid(),
            game_id       uuid        NOT NULL,
            guild_id      bigint      NOT NULL,
            user_id       bigint,
            placeholder   text,
            position_type smallint    NOT NULL,
            position      integer     NOT NULL DEFAULT 0,
            joined_at     timestamptz NOT NULL DEFAULT now(),
            seq           bigint      GENERATED ALWAYS AS IDENTITY,
            CONSTRAINT pk_participants PRIMARY KEY (id),
            CONSTRAINT fk_participants_game_id_games FOREIGN KEY (game_id) REFERENCES games (id) ON DELETE CASCADE,
            CONSTRAINT uq_participants_game_id_user_id UNIQUE (game_id, user_id),
            CONSTRAINT ck_participants_member_or_placeholder CHECK ((user_id IS NULL) <> (placeholder IS NULL)),
            CONSTRAINT ck_participants_position_type CHECK (position_type IN (1, 2, 3))
        )
        """
    )
    op.execute("CREATE INDEX ix_participants_game_id ON participants (game_id)")
    op.execute("CREATE INDEX ix_participants_user_id ON participants (user_id) WHERE user_id IS NOT NULL")
    op.execute("SELECT gamesched_enable_guild_rls('games')")
    op.execute("SELECT gamesched_enable_guild_rls('participants')")


def downgrade() -> None:
    op.execute("DROP TABLE participants")
    op.execute("DROP TABLE games")
