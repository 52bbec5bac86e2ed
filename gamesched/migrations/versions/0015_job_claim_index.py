"""Claiming due jobs reads them in the order it takes them: an index on (kind, due_at, id) of pending jobs.

The dispatcher claims per kind (capped kinds) or for a set of kinds, earliest first, a few at a time. With
only an index on ``due_at`` every claim of one kind walked past the due jobs of the others, and the ordering
by ``(due_at, id)`` sorted the whole due backlog each time: draining a backlog cost time quadratic in its
size. With this index a one-kind claim reads exactly the rows it takes.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-28
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX ix_jobs_pending_kind_due ON jobs (kind, due_at, id) WHERE state = 'pending'")


def downgrade() -> None:
    op.execute("DROP INDEX ix_jobs_pending_kind_due")
