"""The queue's notification says when the job is due: a dispatcher that already knows of a pending job due
no later stays asleep.

``jobs_notify()`` sent an empty payload, so every pending job written anywhere woke every dispatcher, which
then asked the database what was due: a click storm's join DMs, due an hour later, cost a wake-up and a
round trip per batch. The payload is now the job's due time in whole seconds since the epoch, rounded down
(a dispatcher may wake a little early, never late). PostgreSQL still folds equal notifications of one
transaction into one: a reminder wave's jobs, due in the same second, send one.

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-28
"""

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE OR REPLACE FUNCTION jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('gamesched_jobs', floor(extract(epoch FROM NEW.due_at))::bigint::text);
            RETURN NULL;
        END
        $$
        """
    )


def downgrade() -> None:
    op.execute(
        """
        CREATE OR REPLACE FUNCTION jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('gamesched_jobs', '');
            RETURN NULL;
        END
        $$
        """
    )
