"""blobs: data keys, encrypted blobs and their sealed chunks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('data_keys',
    sa.Column('master_key_id', sa.String(length=40), nullable=False),
    sa.Column('wrapped_key', sa.LargeBinary(), nullable=True),
    sa.Column('destroyed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(wrapped_key IS NULL) = (destroyed_at IS NOT NULL)', name=op.f('ck_data_keys_destroyed_iff_unwrapped')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_keys'))
    )
    op.create_table('blobs',
    sa.Column('data_key_id', sa.Uuid(), nullable=False),
    sa.Column('content_type', sa.String(length=200), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('chunk_size', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_keys.id'], name=op.f('fk_blobs_data_key_id_data_keys'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blobs')),
    sa.UniqueConstraint('data_key_id', name=op.f('uq_blobs_data_key_id'))
    )
    op.create_table('blob_chunks',
    sa.Column('blob_id', sa.Uuid(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['blob_id'], ['blobs.id'], name=op.f('fk_blob_chunks_blob_id_blobs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('blob_id', 'seq', name=op.f('pk_blob_chunks'))
    )
    if op.get_bind().dialect.name == 'postgresql':
        # Sealed chunks are random bytes: compressing them only costs CPU.
        op.execute("ALTER TABLE blob_chunks ALTER COLUMN sealed SET STORAGE EXTERNAL")


def downgrade():
    op.drop_table('blob_chunks')
    op.drop_table('blobs')
    op.drop_table('data_keys')
