"""Images: one row per content (named ``<sha256>.<ext>``), and a game's thumbnail and banner pointing at one.

``images`` has no guild_id and no row-level security on purpose: an image is public to anyone with its link
(as on Discord), its name is the hash of its bytes, and two servers that upload the same file share one row
— a server learns nothing from that but a file it already has. The rows that show an image (``games`` here,
templates later) are guild-scoped and point at it with a foreign key: ``ImageStore.sweep`` reads those keys
from the catalog to delete the images nothing uses, and the keys refuse a delete that would break one.

Existing games have no images (NULL).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE images (
            name         text        CONSTRAINT pk_images PRIMARY KEY
                                     CONSTRAINT ck_images_name CHECK (name ~ '^[0-9a-f]{64}\\.(png|jpg|gif|webp)$'),
            media_type   text        NOT NULL,
            width        integer     NOT NULL,
            height       integer     NOT NULL,
            data         bytea       NOT NULL,
            created_at   timestamptz NOT NULL,
            last_used_at timestamptz NOT NULL
        )
        """
    )
    op.execute(
        "ALTER TABLE images ALTER COLUMN data SET STORAGE EXTERNAL"
    )  # compressed already: no TOAST zlib
    op.execute("CREATE INDEX ix_images_last_used_at ON images (last_used_at)")
    for column in ("thumbnail_image", "banner_image"):
        op.execute(
            f"ALTER TABLE games ADD COLUMN {column} text"
            f" CONSTRAINT fk_games_{column} REFERENCES images (name) ON DELETE RESTRICT"
        )
        # The sweep asks "does any game use this image?" once per image.
        op.execute(f"CREATE INDEX ix_games_{column} ON games ({column}) WHERE {column} IS NOT NULL")
    op.execute(
        """
        DO $$
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gamesched_app') THEN
                GRANT SELECT, INSERT, UPDATE, DELETE ON images TO gamesched_app;
            END IF;
        END
        $$
        """
    )


def downgrade() -> None:
    for column in ("thumbnail_image", "banner_image"):
        op.execute(f"ALTER TABLE games DROP COLUMN {column}")
    op.execute("DROP TABLE images")
