"""Games may remind their waitlist too.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE games ADD COLUMN remind_waitlist boolean NOT NULL DEFAULT false")


def downgrade() -> None:
    op.execute("ALTER TABLE games DROP COLUMN remind_waitlist")
