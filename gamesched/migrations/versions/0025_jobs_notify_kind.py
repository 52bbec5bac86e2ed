"""The queue's notification names the job's kind too: a dispatcher that cannot run that kind now stays asleep.

Since 0024 the payload was the second the job is due. A click storm's batches each queue their events'
jobs while the previous batch's handlers of the same kinds still run (one batch at a time per kind): each
notification woke the dispatcher, which asked the database what was due and found nothing it had room
for — four to six such wake-ups per 20-click storm, each a round trip and about a millisecond of the event
loop the clicks were waiting for. A process that does not handle a kind at all (a web-only process and the
bot's jobs) was woken the same way. The payload is now ``<second> <kind>``; PostgreSQL still folds equal
notifications of one transaction into one (a reminder wave's DMs, one kind due in one second, send one).
A dispatcher of an older version reads the new payload as no second at all, and wakes, as for an empty one.

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-29
"""

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE OR REPLACE FUNCTION jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('gamesched_jobs',
                              floor(extract(epoch FROM NEW.due_at))::bigint::text || ' ' || NEW.kind);
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
            PERFORM pg_notify('gamesched_jobs', floor(extract(epoch FROM NEW.due_at))::bigint::text);
            RETURN NULL;
        END
        $$
        """
    )
