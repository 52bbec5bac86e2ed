"""A cancelled game keeps the host's optional reason: shown on its page and announcement, and told in the
cancellation DMs.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE games ADD COLUMN cancel_reason text NOT NULL DEFAULT ''")


def downgrade() -> None:
    op.execute("ALTER TABLE games DROP COLUMN cancel_reason")
