"""A game remembers why Discord refused its announcement.

``announcement_problem`` is NULL while the announcement is fine; otherwise the permissions the bot lacked in
the game's channel when Discord refused it (discord.py's names: view_channel, send_messages, embed_links,
read_message_history; empty when the bot could not tell which). Cleared when a post or edit goes through.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE games ADD COLUMN announcement_problem text[]")


def downgrade() -> None:
    op.execute("ALTER TABLE games DROP COLUMN announcement_problem")
