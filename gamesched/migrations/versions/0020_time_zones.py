"""Time zones: each person's preferred zone, and the zone a game was created in.

``user_preferences`` holds one row per Discord user who chose a zone (an IANA name such as
``Europe/Berlin``); it is not guild-scoped (a person's zone is the same in every server). ``games.time_zone``
is the host's zone when the game was created: times stay stored in UTC, the zone only words them ("19:00
Berlin time") and reads what the host typed. NULL for games made before: they are worded in UTC.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-28
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE user_preferences (
            user_id    bigint      CONSTRAINT pk_user_preferences PRIMARY KEY,
            time_zone  text,
            updated_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("ALTER TABLE games ADD COLUMN time_zone text")
    op.execute(
        """
        DO $$
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gamesched_app') THEN
                GRANT SELECT, INSERT, UPDATE, DELETE ON user_preferences TO gamesched_app;
            END IF;
        END
        $$
        """
    )


def downgrade() -> None:
    op.execute("ALTER TABLE games DROP COLUMN time_zone")
    op.execute("DROP TABLE user_preferences")
