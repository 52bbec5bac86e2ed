"""Jobs say which guild they are about (``jobs.guild_id``, from the payload's ``guild_id``), so that with
Discord sharding a job whose handler reads its guild from the gateway view is claimed only by the process
holding that guild's shard, ``(guild_id >> 22) % shard_count`` (core/dispatcher.py). The shard is worked out
when the job is claimed, not when it is written: a web process needs no shard settings, and a change of
the shard count re-routes the jobs already queued.

Nullable and without a default, so adding it rewrites nothing; jobs queued before it run anywhere, as
before.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-28
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE jobs ADD COLUMN guild_id bigint")


def downgrade() -> None:
    op.execute("ALTER TABLE jobs DROP COLUMN guild_id")
