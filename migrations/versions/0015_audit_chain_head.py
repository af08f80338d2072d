"""the audit chain's head, locked and read in one round trip (PostgreSQL)

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-23 08:10:00

Appending to the audit chain takes the chain's advisory lock, then reads the
last event. They were two statements because the read must start after the
lock is granted: a statement sees the rows committed when it began, so a
head read in the same statement as the lock could miss an event committed
while it waited, and fork the chain. In a VOLATILE PL/pgSQL function each
statement takes a fresh snapshot, so ``audit_chain_head`` locks, then reads
what is committed by then: one round trip, the same guarantee.

SQLite needs nothing (one writer at a time); the function is PostgreSQL only.
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION audit_chain_head(lock_key bigint)
        RETURNS TABLE (seq bigint, hash varchar)
        LANGUAGE plpgsql VOLATILE
        AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock(lock_key);
            RETURN QUERY
                SELECT e.seq, e.hash FROM audit_events AS e ORDER BY e.seq DESC LIMIT 1;
        END
        $$
        """
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION audit_chain_head(bigint)")
