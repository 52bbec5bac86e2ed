"""Foundation: the application role, the guild RLS helper, and the durable job queue.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The app acts as this role (SET ROLE) so row-level security holds even for a superuser login.
    # Roles are cluster-wide: create it once, and skip quietly where this login may not create roles.
    op.execute(
        """
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gamesched_app') THEN
                BEGIN
                    CREATE ROLE gamesched_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
                EXCEPTION WHEN insufficient_privilege THEN
                    RAISE NOTICE 'cannot create role gamesched_app; RLS relies on the login role';
                    RETURN;
                END;
            END IF;
            BEGIN
                EXECUTE format('GRANT gamesched_app TO %I', current_user);
            EXCEPTION WHEN insufficient_privilege OR invalid_grant_operation THEN
                NULL;
            END;
            EXECUTE format('GRANT USAGE ON SCHEMA %I TO gamesched_app', current_schema());
            EXECUTE format(
                'ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO gamesched_app',
                current_schema());
            EXECUTE format(
                'ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO gamesched_app',
                current_schema());
        END
        $$
        """
    )
    # Every guild-scoped table calls this: rows are visible only inside their guild's context, or on
    # the explicit system bypass. A forgotten filter returns nothing rather than another guild's rows.
    op.execute(
        """
        CREATE FUNCTION gamesched_enable_guild_rls(tbl regclass, guild_column text DEFAULT 'guild_id')
        RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
            EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
            EXECUTE format(
                'CREATE POLICY guild_isolation ON %s USING ('
                '  current_setting(''app.bypass_rls'', true) = ''on'''
                '  OR %I = NULLIF(current_setting(''app.guild_id'', true), '''')::bigint)',
                tbl, guild_column);
        END
        $$
        """
    )
    op.execute(
        """
        CREATE TABLE jobs (
            id          bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_jobs PRIMARY KEY,
            kind        text        NOT NULL,
            payload     jsonb       NOT NULL DEFAULT '{}'::jsonb,
            due_at      timestamptz NOT NULL DEFAULT now(),
            state       text        NOT NULL DEFAULT 'pending'
                        CONSTRAINT ck_jobs_state CHECK (state IN ('pending', 'running', 'done', 'dead')),
            attempts    integer     NOT NULL DEFAULT 0,
            max_attempts integer    NOT NULL DEFAULT 6,
            last_error  text,
            dedupe_key  text,
            claimed_by  integer,
            created_at  timestamptz NOT NULL DEFAULT now(),
            started_at  timestamptz,
            finished_at timestamptz
        )
        """
    )
    op.execute("CREATE INDEX ix_jobs_pending_due ON jobs (due_at) WHERE state = 'pending'")
    op.execute("CREATE INDEX ix_jobs_running ON jobs (claimed_by) WHERE state = 'running'")
    op.execute(
        "CREATE UNIQUE INDEX uq_jobs_dedupe_key ON jobs (dedupe_key)"
        " WHERE dedupe_key IS NOT NULL AND state = 'pending'"
    )
    # An empty payload lets PostgreSQL fold all notifications of one transaction into one.
    op.execute(
        """
        CREATE FUNCTION jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('gamesched_jobs', '');
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER jobs_notify AFTER INSERT OR UPDATE OF due_at, state ON jobs"
        " FOR EACH ROW WHEN (NEW.state = 'pending') EXECUTE FUNCTION jobs_notify()"
    )
    op.execute(
        """
        DO $$
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gamesched_app') THEN
                GRANT SELECT, INSERT, UPDATE, DELETE ON jobs TO gamesched_app;
            END IF;
        END
        $$
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE jobs")
    op.execute("DROP FUNCTION jobs_notify()")
    op.execute("DROP FUNCTION gamesched_enable_guild_rls(regclass, text)")
