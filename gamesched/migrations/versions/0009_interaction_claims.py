"""Interaction claims: with several processes connected to Discord, exactly one answers each interaction.

Discord delivers every interaction to every gateway session of the bot; the first process to insert its id
answers it and the others stay silent. The table is UNLOGGED (no WAL: an insert costs about as little as a
write can) because a claim matters only for the seconds Discord gives to answer; after a database crash
PostgreSQL empties it, which loses nothing that is still in flight. Housekeeping deletes claims older than
an hour.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE UNLOGGED TABLE interaction_claims (
            interaction_id bigint      CONSTRAINT pk_interaction_claims PRIMARY KEY,
            claimed_at     timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("CREATE INDEX ix_interaction_claims_claimed_at ON interaction_claims (claimed_at)")
    op.execute(
        """
        DO $$
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gamesched_app') THEN
                GRANT SELECT, INSERT, DELETE ON interaction_claims TO gamesched_app;
            END IF;
        END
        $$
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE interaction_claims")
