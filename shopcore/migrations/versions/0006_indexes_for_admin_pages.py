"""indexes for the admin pages: segment members, the RFM grid, messages by period

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 19:40:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index("ix_customers_segment")
        batch_op.create_index("ix_customers_segment_id", ["segment", "id"])
        batch_op.create_index("ix_customers_rfm_grid", ["rfm_r", "rfm_f", "total_spent"])
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index("ix_messages_sent_at", ["sent_at"])


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_sent_at")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index("ix_customers_rfm_grid")
        batch_op.drop_index("ix_customers_segment_id")
        batch_op.create_index("ix_customers_segment", ["segment"])
