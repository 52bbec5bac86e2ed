"""Templates: the archive channel and delay (locked fields), default images, and a channel that is only a
pre-fill.

- ``archive_channel_id``, ``archive_delay_minutes``: like the other locked fields, NULL = not locked.
- ``thumbnail_image``, ``banner_image``: the pictures a game made from the template starts with (copied at
  creation); foreign keys to ``images`` like the games' own, so the image sweep keeps them.
- ``channel_locked``: whether ``channel_id`` is locked (true, as before) or only the channel the create form
  proposes (false). A game created without naming a template now takes the server's default one, so the
  default templates made for each server (named "Default", never edited since) stop locking their first
  channel: they keep proposing it. Downgrading drops the flag, so those lock their channel again, as before.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-28
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE game_templates
            ADD COLUMN archive_channel_id bigint,
            ADD COLUMN archive_delay_minutes integer
                CONSTRAINT ck_game_templates_archive_delay CHECK (archive_delay_minutes >= 0),
            ADD COLUMN channel_locked boolean NOT NULL DEFAULT true
        """
    )
    for column in ("thumbnail_image", "banner_image"):
        op.execute(
            f"ALTER TABLE game_templates ADD COLUMN {column} text"
            f" CONSTRAINT fk_game_templates_{column} REFERENCES images (name) ON DELETE RESTRICT"
        )
        op.execute(
            f"CREATE INDEX ix_game_templates_{column} ON game_templates ({column}) WHERE {column} IS NOT NULL"
        )
    op.execute(
        """
        UPDATE game_templates SET channel_locked = false
         WHERE is_default AND name = 'Default' AND updated_at = created_at
        """
    )


def downgrade() -> None:
    op.execute(
        """
        ALTER TABLE game_templates
            DROP COLUMN thumbnail_image,
            DROP COLUMN banner_image,
            DROP COLUMN channel_locked,
            DROP COLUMN archive_delay_minutes,
            DROP COLUMN archive_channel_id
        """
    )
