"""Clone with confirmation: a seat carried over to a cloned game may wait for its player to confirm it.

``participants.confirm_by`` is set on a player carried from another game who must confirm by then (their seat
or waitlist place is held meanwhile, "pending confirmation"); NULL for everyone else. Confirming clears it;
the ``games.confirm_deadline`` job drops those still pending when it passes.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-28
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE participants ADD COLUMN confirm_by timestamptz")


def downgrade() -> None:
    op.execute("ALTER TABLE participants DROP COLUMN confirm_by")
