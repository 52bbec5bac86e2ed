"""Notifications keep the condition their DM was sent under, so the closed-DM fallback, posted a few seconds
later, can check it again (no "you're on the waitlist" in the channel of a game cancelled meanwhile).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE notifications ADD COLUMN relevance jsonb")


def downgrade() -> None:
    op.execute("ALTER TABLE notifications DROP COLUMN relevance")
